"""What the 政策兑现 pages and API share: labels, money and time display, refusal statuses."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from fastapi import Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from ..policy.engine import PolicyDataError, PolicyYearError, packaged
from ..policy.model import PAYEE_ZH
from ..policy.payer import treasury_name
from ..render import money  # the pages' 元 text, also served from here
from .. import fulfilment as f
from ..fulfilment.claims_flow import OutOfVocabulary
from .security import platform

BEIJING = timezone(timedelta(hours=8))  # China has one time zone and no summer time
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What the store and the engine refuse with a message for the user (NotAllowed included).
REFUSALS = (f.FulfilmentError, PolicyYearError, PolicyDataError)


def when(moment: datetime | None) -> str:
    """A stored UTC time as Beijing time, to the minute (SQLite's naive times are UTC too)."""
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def status_of(exc: Exception) -> int:
    """The HTTP status of a refusal from the store or the engine."""
    if isinstance(exc, f.NotFound):
        return 404
    if isinstance(exc, OutOfVocabulary):
        return 422
    if isinstance(exc, f.NotAllowed):
        return 403
    if isinstance(exc, (f.WrongState, f.NothingToPay)):
        return 409
    return 400


def award_record(award: dict, request: Request) -> dict:
    """An award with its labels: rule name and article, payer's treasury, state, 元 text."""
    policies, _ = packaged()
    names = platform(request).catalog.org_unit_names()
    try:
        rule = policies.rule(award["rule"])
        rule_name, article = rule.name_zh, rule.article_label
    except KeyError:  # a rule since removed from the catalog
        rule_name, article = award["rule"], ""
    return {**{k: v for k, v in award.items() if k != "figures"},
            "rule_name": rule_name, "article": article, "payee_zh": PAYEE_ZH.get(award["payee"], award["payee"]),
            "payer_name": treasury_name(names, award["payer"]), "state_zh": f.STATE_ZH[award["state"]],
            "org_unit_name": names.get(award["org_unit"], award["org_unit"]),
            "subject_zh": policies.names.subject(award["subject"], award["year"]),
            "amount_yuan": money(award["amount_fen"]).replace(",", "")}


def payer_label(request: Request, payer: str) -> str:
    """衢州市财政 for 330800."""
    return treasury_name(platform(request).catalog.org_unit_names(), payer)


def xlsx_response(request: Request, list_id: int) -> FileResponse:
    """The payment list as a download."""
    engine = platform(request).engine
    plist = f.get_payment_list(engine, list_id)
    catalog = platform(request).catalog
    return temporary_download(lambda path: f.payment_list_xlsx(engine, list_id, path, catalog=catalog),
                              f"兑付清单{list_id}-{payer_label(request, plist['payer'])}.xlsx", XLSX)


def temporary_download(write: Callable[[Path], Path], filename: str, media_type: str) -> FileResponse:
    """A file written for one download (``write(path)``); its temporary folder goes once it is sent."""
    folder = Path(tempfile.mkdtemp(prefix="cb-download-"))
    try:
        path = write(folder / f"download{Path(filename).suffix}")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(path, media_type=media_type, filename=filename,
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))
