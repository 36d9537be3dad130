"""``/api/v1/grading/…``: the same evaluation, re-grading, leading lists and allocation as the
CLI and the pages, for scripts (English keys, Chinese ``detail`` on errors).

Reading needs ``view_grading``: a county analyst reads its county's enterprises, an enterprise
only itself; an enterprise outside the scope answers exactly as a missing one (404). Running an
evaluation and drawing the lists need ``run_grading``, a re-grade and publishing the classes
``regrade_enterprises``, an allocation ``allocate_funds``. An allocation's figures are written
exactly (a fractional score or 元 as its digits, the totals also in fen and score × 10 000).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import polars as pl
from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from ..access import User
from .. import grading_board as gb
from ..store.observations import log_rejected_import
from .awards_api import call_store, check_api_write
from .errors import ErrorBody, Problem, responses
from .imports_api import _refusal
from .params import USCC_IN_PATH, YEARS, RecordId, YearField, YearQuery
from .security import current_user, platform, require, scope
from .upload_files import checked_one_step

api = APIRouter(prefix="/api/v1/grading", tags=["亩均效益评价 grading"])
CLASS_PATTERN = r"^[ABCD]$"
POT_BYTES = 256 * 1024  # a pot is a few lines of YAML


class RunRequest(BaseModel):
    year: YearField
    org_unit: str | None = Field(None, description="只评价该地区（含下辖） grade only this org unit and its subtree")


class RegradeRequest(BaseModel):
    year: YearField
    to: str = Field(pattern=CLASS_PATTERN, description="调整后的类别 A/B/C/D")
    reason: str = Field(min_length=1, max_length=500, description="调档理由 why")


class YearRequest(BaseModel):
    year: YearField


class LeadersRequest(BaseModel):
    year: YearField
    size: int = Field(50, ge=1, le=1000, description="每个名单入选家数 how many each list takes")


def _rows(frame: pl.DataFrame) -> list[dict]:
    return frame.to_dicts()


def _org_units(request: Request, org_unit: str | None) -> list[str] | None:
    if org_unit is None:
        return None
    catalog = platform(request).catalog
    if org_unit not in catalog.org_unit_names():
        raise HTTPException(422, f"未知的地区代码“{org_unit}”")
    return catalog.subtree(org_unit)


@api.get("", responses=responses(422))
def grading_list(request: Request, year: YearQuery, org_unit: str | None = None,
                 grade: Annotated[str | None, Query(alias="class", pattern=CLASS_PATTERN)] = None,
                 user: User = Depends(current_user)) -> list[dict]:
    """The year's grading (re-grades applied) the user may see: per enterprise each indicator's
    ``value__``/``score__``, ``bonus``, ``penalty``, ``total``, ``rank`` within its size class
    and industry group, ``initial_class``, ``class``, ``reason`` and ``run_id``. The year's
    grading is its newest city-wide run, a later county run (``POST /runs`` with ``org_unit``)
    replacing that county's rows; ``rank``, ``group_size`` and the class are within the
    industry groups of the run that graded the row (``run_id``)."""
    require(user, "view_grading")
    frame = gb.latest_grading(platform(request).engine, year=year, scope=scope(request, user))
    units = _org_units(request, org_unit)
    if units is not None:
        frame = frame.filter(pl.col("org_unit").is_in(units))
    if grade is not None:
        frame = frame.filter(pl.col("class") == grade)
    return _rows(frame)


@api.get("/leaders", responses=responses(404))
def leaders_list(request: Request, year: YearQuery, user: User = Depends(current_user)) -> dict:
    """The year's newest leading and benchmark lists: every candidate the user may see with its
    decision (``selected``) and ``reason`` (excluded, below the cut, a tie at the cut)."""
    require(user, "view_grading")
    drawn = gb.latest_leaders(platform(request).engine, year=year, scope=scope(request, user))
    if drawn is None:
        raise HTTPException(404, f"{year}年度尚未生成龙头、标杆企业名单")
    return {**drawn, "rows": _rows(drawn["rows"])}


@api.post("/leaders", responses=responses(400, 404))
def leaders_draw(body: LeadersRequest, request: Request, user: User = Depends(current_user)) -> dict:
    """Draw the leading and benchmark lists (article 1) from the year's grading under the
    catalog's rules (``catalog/grading/leaders.yaml``); stored and audited."""
    from ..grading.catalog import load_leader_rules

    check_api_write(request)
    require(user, "run_grading")
    list_id = call_store(gb.draw_leaders, platform(request).engine, year=body.year, rules=load_leader_rules(),
                         actor=user, size=body.size)
    drawn = gb.latest_leaders(platform(request).engine, year=body.year, scope=scope(request, user))
    return {"list_id": list_id, "year": body.year,
            "selected": drawn["rows"].filter(pl.col("selected")).group_by("list").len().sort("list").to_dicts()}


@api.post("/runs", responses=responses(400, 404))
def run(body: RunRequest, request: Request, user: User = Depends(current_user)) -> dict:
    """Grade the year's stored enterprise data (or one org unit's) and store the run."""
    check_api_write(request)
    require(user, "run_grading")
    if body.org_unit is not None:
        _org_units(request, body.org_unit)
    engine = platform(request).engine
    run_id = call_store(gb.run_evaluation, engine, year=body.year, actor=user, org_unit=body.org_unit)
    found = gb.latest_run(engine, year=body.year)
    return {"run_id": run_id, "year": body.year, "graded": found["graded"], "out_of_scope": found["out_of_scope"]}


@api.post("/publish", responses=responses(400, 404, 409))
def publish(body: YearRequest, request: Request, user: User = Depends(current_user)) -> dict:
    """Publish the year's classes as the enterprises' yearly fact ``mu_class`` (the policy
    engine reads it). Four eyes: not by an officer who re-graded one of them."""
    check_api_write(request)
    require(user, "regrade_enterprises")
    engine = platform(request).engine
    publication = call_store(gb.publish_classes, engine, year=body.year, actor=user)
    done = gb.publication(engine, publication)
    return {"publication_id": publication, "year": body.year, "enterprises": done["enterprises"],
            "cleared": done["cleared"]}


def allocator(request: Request, user: User = Depends(current_user)) -> User:
    """The signed-in user, refused (403) unless the role allocates funds: before the upload is read."""
    require(user, "allocate_funds")
    check_api_write(request)
    return user


def _exact(view: dict) -> Response:
    """An allocation as JSON with its figures exact (no float in between)."""
    from ..grading.allocation import exact_json

    plain = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in view.items()}
    return Response(exact_json(plain), media_type="application/json")


def _pot(request: Request, user: User, pot: UploadFile | None, pot_name: str | None):
    """(pot, its YAML text) from the upload or the catalog; or the refusal to answer."""
    from ..grading.pot import PotInvalid, catalog_pots, parse_pot

    if pot is None or not pot.filename:
        pots = catalog_pots()
        if pot_name not in pots:
            known = "、".join(f"{k}（{v.name}）" for k, v in pots.items())
            return None, None, JSONResponse(ErrorBody(detail=f"请上传资金池文件，或选择目录中的资金池：{known}")
                                            .model_dump(), status_code=422)
        return pots[pot_name], None, None
    name = Path(pot.filename).name
    data = pot.file.read(POT_BYTES + 1)  # bounded: a pot past the limit is refused, not read whole
    try:
        return parse_pot(data, source=name), data.decode("utf-8-sig"), None
    except PotInvalid as exc:
        log_rejected_import(platform(request).engine, kind="grading_pot", file_name=name[:200], sha256="-",
                            problems=exc.problems, actor=user.username)
        problems = [Problem(location="file", field=name, message=p) for p in exc.problems]
        return None, None, JSONResponse(ErrorBody(detail=f"资金池文件有误：{name}（{len(problems)} 个问题）",
                                                  problems=problems).model_dump(), status_code=422)


@api.post("/allocations", responses=responses(400, 413, 503))
def allocate(request: Request,
             applications: UploadFile = File(..., description="CSV 或 XLSX 申报项目（id, uscc, industry, kind, "
                                                              "requested_yuan, score）"),
             pot: UploadFile | None = File(None, description="资金池 YAML（name, budget_yuan, limits）"),
             pot_name: str | None = Form(None, description="或：目录中的资金池 a catalog pot's key"),
             class_year: int | None = Form(None, ge=YEARS[0], le=YEARS[1],
                                           description="文件未填亩均效益类别时，取该年度已公布的类别 "
                                                       "(a pot with a rate: the stored class of this year)"),
             user: User = Depends(allocator)):
    """Allocate a pot among its applications: the exact choice (HiGHS) that maximises the total
    expert score within the budget and limits, the greedy order beside it and the score it
    leaves on the table, each application's decision with its reason; stored and audited. The
    applications file is checked whole (every problem by sheet, row, column), parsed in a worker
    thread within the upload limits of 数据导入, and not kept."""
    from ..io.applications_import import read_applications

    chosen, text, refused = _pot(request, user, pot, pot_name)
    if refused is not None:
        return refused
    p = platform(request)
    classes = gb.published_classes(p.engine, class_year) if class_year and chosen.rate_ppm is not None else None

    def read(path: Path, name: str):
        return read_applications(path, chosen, classes=classes, limits=p.settings.uploads.actuals_sheet,
                                 shown_name=name)

    rows, name, sha, problems = checked_one_step(request, user, applications, prefix="applications-",
                                                 kind="grading_applications", read=read, outside=lambda _: [],
                                                 noun="申报项目")
    if name is None:
        return JSONResponse(ErrorBody(detail=f"只接受 CSV 或 XLSX 文件：{Path(applications.filename or '').name}")
                            .model_dump(), status_code=400)
    if rows is None:
        return _refusal(422, f"文件被整体退回，未分配：{name}（{len(problems)} 个问题）", problems)
    from ..grading.allocation import AllocationUnsolved

    try:
        allocation_id = call_store(gb.record_allocation, p.engine, pot=chosen, applications=rows, file_name=name,
                                   sha256=sha, actor=user, pot_text=text)
    except AllocationUnsolved as exc:  # HiGHS ran out of its time: said in Chinese, nothing stored
        raise HTTPException(400, str(exc)) from None
    return _exact({"allocation_id": allocation_id,
                   **gb.allocation_view(p.engine, allocation_id, scope(request, user))})


@api.get("/allocations/{allocation_id}", responses=responses(404))
def allocation(request: Request, allocation_id: RecordId, user: User = Depends(current_user)):
    """A stored allocation: the pot, the file, the exact and the greedy choice with their totals,
    and the decisions — an enterprise or a county sees only its own applications'."""
    require(user, "view_grading")
    view = call_store(gb.allocation_view, platform(request).engine, allocation_id, scope(request, user))
    return _exact({"allocation_id": allocation_id, **view})


@api.get("/{uscc}", responses=responses(404))
def enterprise(request: Request, uscc: str, year: YearQuery, user: User = Depends(current_user)) -> dict:
    """One enterprise's grading: its row and score card (each indicator against its benchmark,
    weight, cap and score, with the formula) and its re-grades; or why it was not graded."""
    require(user, "view_grading")
    if not USCC_IN_PATH.fullmatch(uscc):
        raise HTTPException(404, gb.MISSING_ENTERPRISE)
    found = call_store(gb.enterprise_grading, platform(request).engine, year=year, uscc=uscc,
                       scope=scope(request, user))
    if "graded" in found:
        from ..grading.catalog import load_grading_settings
        from ..grading.explain import score_card

        found["score_card"] = score_card(found["graded"], load_grading_settings(), year=year)
    return found


@api.post("/{uscc}/regrade", responses=responses(400, 404, 409))
def regrade(uscc: str, body: RegradeRequest, request: Request, user: User = Depends(current_user)) -> dict:
    """手动调档: re-grade one enterprise of the year's grading with a reason (versioned, audited)."""
    check_api_write(request)
    require(user, "regrade_enterprises")
    if not USCC_IN_PATH.fullmatch(uscc):
        raise HTTPException(404, gb.MISSING_ENTERPRISE)
    version = call_store(gb.regrade, platform(request).engine, year=body.year, uscc=uscc, to_class=body.to,
                         reason=body.reason, actor=user)
    return {"uscc": uscc, "year": body.year, "class": body.to, "version": version}
