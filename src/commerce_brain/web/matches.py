"""政策匹配: an enterprise's matches and near misses (``GET /api/v1/match``), and every
enterprise's near misses by county and rule for the policy office and the analysts (``GET
/api/v1/match/near``, the page ``/match`` and its workbook).

Who sees what follows the data scopes: an enterprise only itself, a county analyst its county's
enterprises; another's answers as a missing one (404). Nothing is stored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse
from openpyxl import Workbook
from starlette.concurrency import run_in_threadpool

from ..access import Scope, User, can
from ..fulfilment.rule_edits import effective_policies
from ..io.cells import neutralised
from ..match_board import by_county_and_rule, county_near_misses, enterprise_match, stored_data
from ..policy.engine import PolicyDataError, PolicyYearError
from ..policy.explain import yuan
from ..policy.matching import NEAR_DEFAULT
from ..policy.payer import CITY
from .award_views import XLSX, temporary_download
from .errors import responses
from .pages import render
from .params import OptionalYearQuery, year_or_none
from .security import Forbidden, current_user, platform, require, scope

router = APIRouter()
MISSING = "没有该企业的匹配结果"
WithinQuery = Annotated[float, Query(ge=0.0, le=1.0, description="距门槛的比例 within this fraction of every threshold")]


def _may_survey(user: User) -> None:
    """The near-miss survey: the policy office (run_batch) and the analysts (import_actuals)."""
    require(user, "view_policies")
    if not (can(user, "run_batch") or can(user, "import_actuals")):
        raise Forbidden("无权操作：仅政策经办和分析员可查看全部企业的政策匹配")


def _one(request: Request, visible: Scope, uscc: str, year: int | None) -> pl.DataFrame:
    """The enterprise's rows, or 404 alike for one not stored and one out of scope."""
    uscc = uscc.strip().upper()
    if visible.uscc is not None and uscc != visible.uscc:
        raise HTTPException(404, MISSING)
    engine = platform(request).engine
    data = stored_data(engine, uscc=uscc)
    if data.enterprises.is_empty() or (visible.org_units is not None
                                       and data.enterprises["org_unit"][0] not in visible.org_units):
        raise HTTPException(404, MISSING)
    try:
        return enterprise_match(data, uscc, year=year, policies=effective_policies(engine),
                                catalog=platform(request).catalog)
    except (PolicyYearError, PolicyDataError) as exc:
        raise HTTPException(400, str(exc)) from None


def _near(request: Request, visible: Scope, within: float, year: int | None, org_unit: str | None = None) -> pl.DataFrame:
    """The near misses the user may see; with ``org_unit``, that county's among them (another
    county than an analyst's own gives none, as if it had none)."""
    engine = platform(request).engine
    units = visible.org_units
    if org_unit:
        asked = platform(request).catalog.subtree(org_unit)
        units = frozenset(asked if units is None else asked & units)
    try:
        return county_near_misses(stored_data(engine), within=within, year=year, org_units=units,
                                  policies=effective_policies(engine), catalog=platform(request).catalog)
    except (PolicyYearError, PolicyDataError) as exc:
        raise HTTPException(400, str(exc)) from None


@router.get("/api/v1/match", tags=["政策匹配 matching"], responses=responses(400, 404))
async def match_api(request: Request, uscc: Annotated[str, Query(max_length=18, min_length=18)],
                    year: OptionalYearQuery = None, user: User = Depends(current_user)) -> dict:
    """One enterprise's rules in ``year`` (default: its data's latest): met with the amount, or
    what it lacks (``gaps``) and how far (``gap_ratio``), ranked by money at stake."""
    require(user, "view_policies")
    rows = await run_in_threadpool(_one, request, scope(request, user), uscc, year)
    return {"uscc": uscc.strip().upper(), "matches": rows.to_dicts()}


@router.get("/api/v1/match/near", tags=["政策匹配 matching"], responses=responses(400))
async def near_api(request: Request, within: WithinQuery = NEAR_DEFAULT, year: OptionalYearQuery = None,
                   org_unit: Annotated[str | None, Query(pattern=r"^\d{6}$", description="地区代码 a county's code")] = None,
                   user: User = Depends(current_user)) -> dict:
    """Every enterprise (a county analyst: its county's) within ``within`` of every threshold of a
    rule it misses, most money at stake first, and the counts by county and rule."""
    _may_survey(user)
    if org_unit and org_unit not in platform(request).catalog.org_unit_names():
        raise HTTPException(422, f"未知的地区代码：{org_unit}")
    near = await run_in_threadpool(_near, request, scope(request, user), within, year, org_unit)
    return {"within": within, "near_misses": near.to_dicts(), "by_county_and_rule": by_county_and_rule(near).to_dicts()}


def _rows(request: Request, near: pl.DataFrame) -> tuple[list[dict], list[dict]]:
    """The page's and the workbook's rows, in Chinese: county names, 元, percentages."""
    names = platform(request).catalog.org_unit_names()
    summary = [{"county": names.get(r["org_unit"], r["org_unit"]), "article": f"第{r['article']}条",
                "rule": r["rule_name"], "enterprises": r["enterprises"], "money": yuan(r["money_at_stake_fen"])}
               for r in by_county_and_rule(near).iter_rows(named=True)]
    detail = [{"name": r["name"], "uscc": r["uscc"], "county": names.get(r["org_unit"], r["org_unit"]),
               "article": f"第{r['article']}条", "rule": r["rule_name"], "gaps": "；".join(r["gaps"]),
               "ratio": f"{r['gap_ratio']:.1%}", "money": yuan(r["money_at_stake_fen"])}
              for r in near.iter_rows(named=True)]
    return summary, detail


def _within(text: str | None) -> float:
    """The page's 比例 (in %): 10 for 10%; anything else is the default."""
    try:
        value = float((text or "").strip()) / 100
    except ValueError:
        return NEAR_DEFAULT
    return value if 0 < value <= 1 else NEAR_DEFAULT


@router.get("/match", response_class=HTMLResponse, include_in_schema=False)
async def match_page(request: Request, within: str | None = None, year: str | None = None,
                     org_unit: str | None = None, user: User = Depends(current_user)) -> HTMLResponse:
    """差一点: enterprises within a fraction of a threshold, by county and rule."""
    _may_survey(user)
    visible = scope(request, user)
    counties = _counties(request, visible)
    share, shown_year, county = _within(within), year_or_none(year), org_unit if org_unit in counties else None
    near = await run_in_threadpool(_near, request, visible, share, shown_year, county)
    summary, detail = _rows(request, near)
    query = f"within={share * 100:g}" + (f"&year={shown_year}" if shown_year else "") + (f"&org_unit={county}" if county else "")
    return HTMLResponse(render(request, "match.html", {
        "user": user, "summary": summary, "detail": detail, "percent": f"{share * 100:g}",
        "year": shown_year or "", "counties": counties, "county": county or "", "query": query}))


def _counties(request: Request, visible: Scope) -> dict[str, str]:
    """The counties the page offers: the city's below the city itself, within the user's scope."""
    catalog = platform(request).catalog
    names = catalog.org_unit_names()
    return {code: names[code] for code in sorted(catalog.subtree(CITY) - {CITY})
            if visible.org_units is None or code in visible.org_units}


@router.get("/match/export.xlsx", include_in_schema=False)
async def match_export(request: Request, within: str | None = None, year: str | None = None,
                       org_unit: str | None = None, user: User = Depends(current_user)) -> FileResponse:
    """The page's near misses as a workbook (cells that a spreadsheet would run are neutralised)."""
    _may_survey(user)
    visible = scope(request, user)
    county = org_unit if org_unit in _counties(request, visible) else None
    near = await run_in_threadpool(_near, request, visible, _within(within), year_or_none(year), county)
    summary, detail = _rows(request, near)
    return temporary_download(lambda path: write_near_xlsx(summary, detail, path), "政策匹配差一点企业.xlsx", XLSX)


SUMMARY_HEADERS = {"county": "地区", "article": "条", "rule": "政策条款", "enterprises": "企业数", "money": "涉及金额"}
DETAIL_HEADERS = {"name": "企业名称", "uscc": "统一社会信用代码", "county": "地区", "article": "条", "rule": "政策条款",
                  "gaps": "还差什么", "ratio": "差距", "money": "涉及金额"}


def write_near_xlsx(summary: list[dict], detail: list[dict], path: Path) -> Path:
    """Two sheets, 按地区和条款 and 企业明细; every cell through ``neutralised``."""
    book = Workbook()
    first = book.active
    first.title = "按地区和条款"
    for sheet, headers, rows in ((first, SUMMARY_HEADERS, summary),
                                 (book.create_sheet("企业明细"), DETAIL_HEADERS, detail)):
        sheet.append(list(headers.values()))
        for row in rows:
            sheet.append(neutralised(row[k] for k in headers))
    book.save(path)
    return path
