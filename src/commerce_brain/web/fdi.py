"""外资项目全流程跟踪 on the web: the board (/fdi), a project's page (/fdi/{id}), the investors
(客商库, /fdi/investors), and the same under /api/v1/fdi, plus the pipeline file's upload for
scripts (POST /api/v1/fdi/imports).

Every route needs ``view_projects`` (the upload ``import_projects``). What a user sees is its
scope: a county analyst its county's projects; a project's responsible unit (项目责任单位) only the
projects whose next step it owns; a project outside the scope answers exactly as a missing one
(404). The figures come from ``fdi_board``, the functions the CLI prints.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from ..access import Scope, User, can
from ..fdi_board import BoardFilters, board, import_pipeline, investor_records, project_detail, share, usd_wan
from ..io.fdi_import import read_fdi_pipeline
from ..io.fdi_template import write_fdi_template
from ..projects.fdi_catalog import FdiCatalog, load_fdi_catalog
from ..store.fdi_tables import plan_fdi_import
from .award_views import XLSX, temporary_download
from .awards_api import check_api_write
from .charts import SCHEMATIC
from .errors import ErrorBody, responses
from .imports_api import _refusal
from .pages import render
from .security import check_csrf, current_user, platform, require, scope
from .upload_files import checked_one_step

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/fdi", tags=["外资项目 fdi"])
router = APIRouter()
MISSING = "没有这个外资项目"

AsOf = Annotated[date | None, Query(description="Review date (default: today).")]
Filter = Annotated[str | None, Query(max_length=50)]


def _fdi() -> FdiCatalog:
    return load_fdi_catalog()


def _filters(request: Request, user: User, org_unit: str | None, country: str | None,
             industry: str | None) -> BoardFilters:
    """The filters as codes; an unknown value answers 422, an org unit outside the user's own
    answers as an empty board would (the rows are filtered by the scope anyway)."""
    catalog, fdi = platform(request).catalog, _fdi()
    if org_unit and org_unit not in catalog.org_unit_names():
        raise HTTPException(422, f"未知的地区“{org_unit}”")
    if country and country not in fdi.countries:
        raise HTTPException(422, f"未知的国别（地区）“{country}”")
    if industry and industry not in fdi.industries:
        raise HTTPException(422, f"未知的行业“{industry}”")
    return BoardFilters(org_unit or None, country or None, industry or None)


def _board(request: Request, user: User, as_of: date | None, filters: BoardFilters) -> dict:
    require(user, "view_projects")
    p = platform(request)
    return board(p.engine, scope(request, user), p.catalog, _fdi(), as_of=as_of or date.today(), filters=filters)


def _detail(request: Request, user: User, project_id: str, as_of: date | None) -> dict:
    require(user, "view_projects")
    p = platform(request)
    found = project_detail(p.engine, scope(request, user), p.catalog, _fdi(), project_id, as_of=as_of or date.today())
    if found is None:
        raise HTTPException(404, MISSING)
    return found


def _investors(request: Request, user: User, as_of: date | None, filters: BoardFilters) -> list[dict]:
    require(user, "view_projects")
    p = platform(request)
    return investor_records(p.engine, scope(request, user), p.catalog, _fdi(), as_of=as_of or date.today(),
                            filters=filters)


# ---- JSON API ---------------------------------------------------------------------------------

@api.get("/board", responses=responses(404))
def board_api(request: Request, as_of: AsOf = None, org_unit: Filter = None, country: Filter = None,
              industry: Filter = None, user: User = Depends(current_user)) -> dict:
    """The pipeline by stage, 落地率 and 到资率 per org unit, and each project with its overdue stages
    (within the user's scope; amounts in integer US dollars, rates as fractions)."""
    return _board(request, user, as_of, _filters(request, user, org_unit, country, industry))


@api.get("/investors")
def investors_api(request: Request, as_of: AsOf = None, org_unit: Filter = None, country: Filter = None,
                  industry: Filter = None, user: User = Depends(current_user)) -> list[dict]:
    """客商库: each investor of the projects in the user's scope, with its projects and capital."""
    return _investors(request, user, as_of, _filters(request, user, org_unit, country, industry))


@api.get("/projects/{project_id}", responses=responses(404))
def project_api(request: Request, project_id: str, as_of: AsOf = None, user: User = Depends(current_user)) -> dict:
    """One project: its stages planned against actual, investor, capital and stored versions."""
    return _detail(request, user, project_id, as_of)


def fdi_importer(request: Request, user: User = Depends(current_user)) -> User:
    """The signed-in user, refused (403) unless the role imports projects: before the upload is read."""
    require(user, "import_projects")
    check_api_write(request)
    return user


def _checked_upload(request: Request, user: User, file: UploadFile, prefix: str):
    """(pipeline, name, sha, problems) of the pipeline upload: ``checked_one_step`` with the
    pipeline's reader, refused when it holds projects outside the user's org units."""
    p = platform(request)

    def read(path: Path, name: str):
        return read_fdi_pipeline(path, p.catalog, _fdi(), limits=p.settings.uploads.actuals_sheet, shown_name=name)

    return checked_one_step(request, user, file, prefix=prefix, kind="fdi", read=read,
                            outside=lambda pipeline: _outside(scope(request, user), pipeline.projects), noun="项目")


def _store(request: Request, user: User, pipeline, name: str, sha: str, dry_run: bool = False):
    p = platform(request)
    if dry_run:
        return plan_fdi_import(p.engine, pipeline), None
    return import_pipeline(p.engine, pipeline, _fdi(), actor=user, file_name=name, sha256=sha, today=date.today())


@api.post("/imports", responses=responses(400, 413, 503))
def import_api(request: Request, file: UploadFile = File(..., description="CSV 或 XLSX 外资项目文件"),
               dry_run: bool = False, user: User = Depends(fdi_importer)) -> dict:
    """Validate a pipeline file and store it, all or nothing (a re-import is a new version of each
    changed project); then raise a warning for each project with an overdue stage (``warnings``:
    how many are new, how many were raised before this month). A county analyst's file must hold
    only its county's projects. Parsed in a worker thread within the upload limits of 数据导入;
    the file is not kept."""
    pipeline, name, sha, problems = _checked_upload(request, user, file, "fdi-api-")
    if name is None:
        return JSONResponse(ErrorBody(detail=f"只接受 CSV 或 XLSX 文件：{Path(file.filename or '').name}")
                            .model_dump(), status_code=400)
    if pipeline is None:
        return _refusal(422, f"文件被整体退回，未导入任何数据：{name}（{len(problems)} 个问题）", problems)
    result, raised = _store(request, user, pipeline, name, sha, dry_run)
    return {"file": name, "dry_run": dry_run, **result.counts(), "import_id": result.import_id,
            "warnings": {"new": raised.new, "unchanged": raised.unchanged} if raised else None}


def _outside(user_scope: Scope, projects) -> list[str]:
    """The ids of the file's projects outside a county analyst's org units (none for the city)."""
    if user_scope.org_units is None:
        return []
    return projects.filter(~projects["org_unit"].is_in(sorted(user_scope.org_units)))["project_id"].to_list()


# ---- pages ------------------------------------------------------------------------------------

# The map's colours: the worst overdue level among a county's projects, green when none is late.
MAP_COLOURS = {"red": "#b42318", "yellow": "#b88a00", None: "#2e7d32"}


def investment_map(counties: list[dict], catalog) -> list[dict]:
    """招商地图 (a 示意图): per city, the board's counties and zones on the cockpit's hand-laid
    3 × 3 grid (``charts.SCHEMATIC``; a zone takes a free cell), each with its projects, 落地率
    and the colour of its worst overdue level."""
    parents = {u.code: u.parent for u in catalog.org_units}
    names = catalog.org_unit_names()
    cities: dict[str, list[dict]] = {}
    for county in counties:
        cities.setdefault(parents.get(county["org_unit"]) or "", []).append(county)
    found = []
    for city, rows in sorted(cities.items()):
        places = SCHEMATIC.get(city, {})
        free = [(r, c) for r in (1, 2, 3) for c in (1, 2, 3) if (r, c) not in places.values()]
        tiles = []
        for county in rows:
            row, col = places.get(county["org_unit"]) or (free.pop(0) if free else (4 + len(tiles) // 3, 1 + len(tiles) % 3))
            tiles.append({"name": county["name_zh"], "row": row, "col": col,
                          "colour": MAP_COLOURS.get(county["worst_level"], MAP_COLOURS[None]),
                          "label": f"{county['projects']} 个项目 · 落地率 {share(county['landing_rate'])}"
                          + (f" · 逾期 {county['overdue_projects']} 个" if county["overdue_projects"] else "")})
        found.append({"city": names.get(city, city), "tiles": tiles})
    return found


def _choices(request: Request, filters: BoardFilters) -> dict:
    catalog, fdi = platform(request).catalog, _fdi()
    units = [(u.code, u.name_zh) for u in catalog.org_units if u.kind in ("district", "county", "county_city", "zone")]
    return {"units": units, "countries": list(fdi.countries.items()), "industries": list(fdi.industries.items()),
            "filters": filters}


@pages.get("/fdi", response_class=HTMLResponse)
def board_page(request: Request, as_of: AsOf = None, org_unit: Filter = None, country: Filter = None,
               industry: Filter = None, user: User = Depends(current_user)) -> HTMLResponse:
    return _board_page(request, user, _filters(request, user, org_unit, country, industry), as_of, {})


def _board_page(request: Request, user: User, filters: BoardFilters, as_of: date | None, extra: dict,
                status: int = 200) -> HTMLResponse:
    """The board, with an import's outcome (``extra``: done/raised, problems or error) above it."""
    found = _board(request, user, as_of, filters)
    fdi = _fdi()
    return HTMLResponse(render(request, "fdi_board.html", {
        "user": user, "board": found, "usd_wan": usd_wan, "share": share, "landed_zh": fdi.landed_zh,
        "grace": fdi.settings.overdue_grace_days, "red_after": fdi.settings.red_after_days,
        "citation": fdi.citations.get("mechanism", ""), "map": investment_map(found["counties"], platform(request).catalog),
        "can_import": can(user, "import_projects"), **_choices(request, filters), **extra}), status)


@pages.get("/fdi/template.xlsx")
def template_download(request: Request, sample: bool = False, user: User = Depends(current_user)) -> FileResponse:
    """The pipeline import template (``sample=true``: the sample pipeline), for those who import."""
    require(user, "import_projects")
    catalog = platform(request).catalog
    return temporary_download(lambda path: write_fdi_template(path, catalog, _fdi(), sample=sample),
                              "外资项目示例.xlsx" if sample else "外资项目导入模板.xlsx", XLSX)


@pages.post("/fdi/import", response_class=HTMLResponse)
def import_page(request: Request, file: UploadFile = File(...), csrf: str = Form(""),
                user: User = Depends(current_user)) -> HTMLResponse:
    """上传并导入: the file checked whole and stored, or the report of every problem (nothing stored)."""
    require(user, "import_projects")
    check_csrf(request, csrf)
    pipeline, name, sha, problems = _checked_upload(request, user, file, "fdi-")
    if name is None:
        return _board_page(request, user, BoardFilters(), None,
                           {"error": f"只接受 CSV 或 XLSX 文件：{Path(file.filename or '').name}"}, 400)
    if pipeline is None:
        return _board_page(request, user, BoardFilters(), None, {"problems": problems, "file_name": name}, 422)
    result, raised = _store(request, user, pipeline, name, sha)
    return _board_page(request, user, BoardFilters(), None,
                       {"done": result.counts(), "raised": raised, "file_name": name})


@pages.get("/fdi/investors", response_class=HTMLResponse)
def investors_page(request: Request, as_of: AsOf = None, org_unit: Filter = None, country: Filter = None,
                   industry: Filter = None, user: User = Depends(current_user)) -> HTMLResponse:
    filters = _filters(request, user, org_unit, country, industry)
    found = _investors(request, user, as_of, filters)
    return HTMLResponse(render(request, "fdi_investors.html", {
        "user": user, "investors": found, "usd_wan": usd_wan, "citation": _fdi().citations.get("libraries", ""),
        **_choices(request, filters)}))


@pages.get("/fdi/{project_id}", response_class=HTMLResponse)
def project_page(request: Request, project_id: str, as_of: AsOf = None,
                 user: User = Depends(current_user)) -> HTMLResponse:
    found = _detail(request, user, project_id, as_of)
    return HTMLResponse(render(request, "fdi_project.html", {"user": user, "p": found, "usd_wan": usd_wan}))


router.include_router(pages)
router.include_router(api)
