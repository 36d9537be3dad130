"""亩均效益评价 on the web: the grading table with its filters and the class distribution per
county, an enterprise's score card, the leading-50 lists, and a competitive allocation's result
with its trade-offs. Chinese pages over the functions the CLI and the API call.

Reading needs ``view_grading``: a county analyst sees its county's enterprises, an enterprise
only its own score card (``/grading`` opens it). Running an evaluation and drawing the lists
need ``run_grading``; re-grading (手动调档) and publishing the classes ``regrade_enterprises``;
an allocation ``allocate_funds`` (its result shows a scoped user only its own applications). An
enterprise or an allocation outside the scope answers as a missing one (404).
The figures come from ``grading_board``; the page's rows from ``grading_views``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import yaml
from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from .. import grading_board as gb
from ..access import User, can
from ..fulfilment.data import enterprise_names
from ..grading.catalog import load_grading_settings, load_leader_rules
from ..grading.explain import score_card
from ..grading.pot import MAX_POT_BYTES, POTS_DIR, Limit, Pot, PotInvalid, catalog_pots, parse_pot
from ..io.actuals_import import Problem
from ..io.applications_import import read_applications
from ..io.applications_template import write_applications_template
from ..store.fulfilment_tables import FulfilmentError, NotFound
from .award_views import XLSX, status_of, temporary_download, when
from .grading_views import (
    CLASSES,
    LEADER_SIZE,
    MAX_LEADERS,
    MAX_REASON,
    GradingFilters,
    allocation_header,
    allocation_summary,
    application_rows,
    card_header,
    distribution,
    firm_names,
    grading_citation,
    leader_citation,
    leader_form,
    leader_lists,
    leader_rules_text,
    regrade_rows,
    rules_from_form,
    score_text,
    table_rows,
    with_benchmarks,
    write_grading_xlsx,
)
from .pages import render
from .params import USCC_IN_PATH, RecordId, year_or_none
from .security import check_csrf, current_user, platform, require, scope
from .upload_files import checked_one_step

router = APIRouter(include_in_schema=False)
MISSING = "没有这家企业的亩均效益评价结果"


def _year(request: Request, text: str | None) -> int:
    """The year asked for; else the newest year graded; else last year (a year's facts are
    complete the year after)."""
    asked = year_or_none(text)
    if asked is not None:
        return asked
    years = gb.grading_years(platform(request).engine)
    return years[0] if years else date.today().year - 1


def _names(request: Request) -> dict[str, str]:
    return platform(request).catalog.org_unit_names()


def _graded(request: Request, user: User, year: int) -> pl.DataFrame:
    return gb.latest_grading(platform(request).engine, year=year, scope=scope(request, user))


def _citation() -> str:
    return grading_citation(load_grading_settings())


@router.get("/grading", response_class=HTMLResponse)
def grading_page(request: Request, year: str | None = None, county: str | None = None, group: str | None = None,
                 user: User = Depends(current_user)) -> HTMLResponse:
    """评价结果: the table with its filters (``class`` too) and the class distribution per
    county; an enterprise its own score card."""
    require(user, "view_grading")
    shown = _year(request, year)
    own = scope(request, user).uscc
    if own is not None:
        return _card_response(request, user, own, shown, own_only=True)
    return _table_response(request, user, shown, GradingFilters.parse(county, group, request.query_params.get("class")))


def _table_response(request: Request, user: User, year: int, filters: GradingFilters, extra: dict | None = None,
                    status: int = 200) -> HTMLResponse:
    graded = _graded(request, user, year)
    names = _names(request)
    dist = distribution(graded, names)
    excluded = gb.latest_exclusions(platform(request).engine, year=year, scope=scope(request, user))
    return HTMLResponse(render(request, "grading.html", {
        "user": user, "year": year, "filters": filters, "query": filters.query(year), "total": graded.height,
        "rows": table_rows(filters.apply(graded), names, firm_names(graded)), "dist": dist, "CLASSES": CLASSES,
        "counties": [(c, names.get(c, c)) for c in sorted(set(graded["county"].drop_nulls().to_list()))],
        "groups": sorted(set(graded["industry_group"].to_list())),
        "out_of_scope": [{**r, "county_name": names.get(r["org_unit"], r["org_unit"] or "—")}
                         for r in excluded.iter_rows(named=True)],
        "charts": {"stacks": [dist["chart"]]}, "citation": _citation(),
        "county_runs": [names.get(r["org_unit"], r["org_unit"])
                        for r in gb.year_runs(platform(request).engine, year=year) if r["org_unit"]],
        "may_run": can(user, "run_grading"), "may_publish": can(user, "regrade_enterprises"),
        **(extra or {})}), status)


@router.get("/grading/export.xlsx")
def grading_export(request: Request, year: str | None = None, county: str | None = None, group: str | None = None,
                   user: User = Depends(current_user)) -> FileResponse:
    """The table as the page filters it (same scope) as a workbook; every cell neutralised."""
    require(user, "view_grading")
    shown = _year(request, year)
    filters = GradingFilters.parse(county, group, request.query_params.get("class"))
    graded = _graded(request, user, shown)
    rows = table_rows(filters.apply(graded), _names(request), firm_names(graded))
    return temporary_download(lambda path: write_grading_xlsx(rows, shown, path), f"亩均效益评价{shown}.xlsx", XLSX)


@router.post("/grading/runs")
def run_page(request: Request, csrf: str = Form(""), year: str = Form(""), user: User = Depends(current_user)):
    """运行评价: grade the stored enterprise data of the year."""
    require(user, "run_grading")
    check_csrf(request, csrf)
    shown = year_or_none(year)
    if shown is None:
        return _table_response(request, user, _year(request, None), GradingFilters(),
                               {"error": "请填写 2000 至 2100 之间的年度"}, 422)
    try:
        gb.run_evaluation(platform(request).engine, year=shown, actor=user)
    except FulfilmentError as exc:
        return _table_response(request, user, shown, GradingFilters(), {"error": str(exc)}, status_of(exc))
    return RedirectResponse(f"/grading?year={shown}", status_code=303)


@router.post("/grading/publish")
def publish_page(request: Request, csrf: str = Form(""), year: str = Form(""), user: User = Depends(current_user)):
    """发布评价类别: the year's final classes become the ``mu_class`` fact the policy rules read."""
    require(user, "regrade_enterprises")
    check_csrf(request, csrf)
    shown = _year(request, year)
    engine = platform(request).engine
    try:
        done = gb.publication(engine, gb.publish_classes(engine, year=shown, actor=user))
    except FulfilmentError as exc:
        return _table_response(request, user, shown, GradingFilters(), {"error": str(exc)}, status_of(exc))
    cleared = f"，并清除了不再参评的 {done['cleared']} 家企业原有类别" if done["cleared"] else ""
    return _table_response(request, user, shown, GradingFilters(),
                           {"notice": f"已发布{shown}年度的评价类别（{done['enterprises']} 家企业{cleared}），政策规则按此类别计算"})


@router.get("/grading/leaders", response_class=HTMLResponse)
def leaders_page(request: Request, year: str | None = None, user: User = Depends(current_user)) -> HTMLResponse:
    """龙头和标杆企业名单: the two lists, every candidate not chosen with why."""
    require(user, "view_grading")
    return _leaders_response(request, user, _year(request, year))


def _leaders_response(request: Request, user: User, year: int, extra: dict | None = None,
                      status: int = 200) -> HTMLResponse:
    found = gb.latest_leaders(platform(request).engine, year=year, scope=scope(request, user))
    rules = load_leader_rules()
    drawn = None if found is None else {"by": found["drawn_by"], "at": when(found["drawn_at"]),
                                        "size": found["rules"].get("size")}
    return HTMLResponse(render(request, "grading_leaders.html", {
        "user": user, "year": year, "lists": leader_lists(found["rows"] if found else None, rules), "drawn": drawn,
        "may_draw": can(user, "run_grading"), "own_only": scope(request, user).uscc is not None,
        "size": LEADER_SIZE, "rules_text": leader_rules_text(rules), "citation": leader_citation(rules),
        "form_lists": leader_form(rules), "CLASSES": CLASSES,
        **(extra or {})}), status)


@router.post("/grading/leaders")
async def draw_leaders_page(request: Request, user: User = Depends(current_user)):
    """生成名单: draw both lists from the year's grading under the rules the officer sets on the
    form (industry, minimum 主营业务收入, the classes and facts that exclude; the catalog's as
    defaults) and the size typed; stored with those rules and audited."""
    require(user, "run_grading")
    # Text fields only (no file may come): the form stays readable once the request is read.
    form = await request.form(max_files=0, max_fields=100)
    check_csrf(request, form.get("csrf"))
    return await run_in_threadpool(_draw_leaders, request, user, form)


def _draw_leaders(request: Request, user: User, form: FormData):
    shown = _year(request, form.get("year"))
    size = (form.get("size") or "").strip()
    if not size.isdigit() or not 1 <= int(size) <= MAX_LEADERS:
        return _leaders_response(request, user, shown, {"error": f"每份名单企业数应为 1 至 {MAX_LEADERS} 的整数"}, 422)
    rules, problems = rules_from_form(load_leader_rules(), form)
    if problems:
        return _leaders_response(request, user, shown, {"error": "；".join(problems)}, 422)
    try:
        gb.draw_leaders(platform(request).engine, year=shown, rules=rules, actor=user, size=int(size))
    except FulfilmentError as exc:
        return _leaders_response(request, user, shown, {"error": str(exc)}, status_of(exc))
    return RedirectResponse(f"/grading/leaders?year={shown}", status_code=303)


@router.get("/grading/allocations", response_class=HTMLResponse)
def allocations_page(request: Request, user: User = Depends(current_user)) -> HTMLResponse:
    """竞争性分配: the allocations the scope sees (a county's or an enterprise's own applications
    among them), and for the policy office the form."""
    require(user, "view_grading")
    return _allocations_response(request, user)


def _allocations_response(request: Request, user: User, extra: dict | None = None, status: int = 200) -> HTMLResponse:
    listed = gb.list_allocations(platform(request).engine, scope=scope(request, user))
    return HTMLResponse(render(request, "grading_allocations.html", {
        "user": user, "year": None, "own_only": False, "may_allocate": can(user, "allocate_funds"),
        "pots": [(code, pot.name) for code, pot in catalog_pots().items()],
        "allocations": [{**a, "at": when(a["allocated_at"]), "total_score": score_text(a["total_score"])}
                        for a in listed],
        **(extra or {})}), status)


@router.get("/grading/allocations/template.xlsx")
def applications_template(request: Request, pot: str = "", sample: bool = False,
                          user: User = Depends(current_user)) -> FileResponse:
    """The applications template of a catalog pot (the first when none is named; ``sample=true``:
    thirty made-up applications), for the policy office."""
    require(user, "allocate_funds")
    pots = catalog_pots()
    chosen = pots.get(pot) or next(iter(pots.values()))
    return temporary_download(lambda path: write_applications_template(path, chosen, sample=sample),
                              f"{chosen.name}申报项目{'示例' if sample else '导入模板'}.xlsx", XLSX)


def _pot_of(pot: str, pot_file: UploadFile | None):
    """The pot chosen from the catalog or uploaded, and its YAML text as given (kept with the
    allocation). An upload is read to one byte past the limit: a pot is a few lines.
    ``PotInvalid`` with every problem."""
    if pot_file is not None and pot_file.filename:
        data = pot_file.file.read(MAX_POT_BYTES + 1)
        chosen = parse_pot(data, source=Path(pot_file.filename).name)
        return chosen, data.decode("utf-8-sig")
    if pot not in catalog_pots():
        raise PotInvalid("资金池", ["请选择资金池，或上传资金池文件"])
    return catalog_pots()[pot], (POTS_DIR / f"{pot}.yaml").read_text(encoding="utf-8")


@router.post("/grading/allocations", response_class=HTMLResponse)
def allocate_page(request: Request, file: UploadFile | None = File(None),
                        pot_file: UploadFile | None = File(None), csrf: str = Form(""), pot: str = Form(""),
                        user: User = Depends(current_user)):
    """上传并分配: a catalog pot (or an uploaded one) and the applications file, checked whole;
    the allocation stored and shown, or every problem by sheet, row, column and reason."""
    require(user, "allocate_funds")
    check_csrf(request, csrf)
    try:
        chosen, pot_text = _pot_of(pot, pot_file)
    except PotInvalid as exc:
        return _allocations_response(request, user, {"problems": [Problem(exc.source, 0, "", p) for p in exc.problems],
                                                     "file_name": exc.source}, 422)
    if file is None or not file.filename:
        return _allocations_response(request, user, {"upload_error": "请选择申报项目文件"}, 400)
    return _allocate(request, user, file, chosen, pot_text)


def _allocate(request: Request, user: User, file: UploadFile, pot, pot_text: str) -> HTMLResponse | RedirectResponse:
    """The applications file checked whole against the pot (parsed in a parse turn, a refused
    file deleted and audited), then the allocation made and stored."""
    p = platform(request)

    def read(path: Path, name: str):
        return read_applications(path, pot, limits=p.settings.uploads.actuals_sheet, shown_name=name)

    parsed, name, sha, problems = checked_one_step(request, user, file, prefix="applications-", kind="applications",
                                                   read=read, outside=lambda rows: [], noun="企业")
    if name is None:
        return _allocations_response(request, user, {"upload_error": "只接受 CSV 或 XLSX 文件："
                                                     + Path(file.filename or "").name}, 400)
    if parsed is None:
        return _allocations_response(request, user, {"problems": problems, "file_name": name}, 422)
    allocation_id = gb.record_allocation(p.engine, pot=pot, applications=parsed, file_name=name, sha256=sha, actor=user,
                                         pot_text=pot_text)
    return RedirectResponse(f"/grading/allocations/{allocation_id}", status_code=303)


@router.get("/grading/allocations/{allocation_id}", response_class=HTMLResponse)
def allocation_page(request: Request, allocation_id: RecordId, user: User = Depends(current_user)) -> HTMLResponse:
    """An allocation's result: selected, totals, the greedy choice beside it, the score it
    leaves on the table, each application's decision and reason (a scoped user: its own
    applications only; none of them answers as missing)."""
    require(user, "view_grading")
    try:
        view = gb.allocation_view(platform(request).engine, allocation_id, scope(request, user))
    except NotFound:
        raise HTTPException(404, "没有这次分配结果") from None
    pot, applications = stored_pot(view["pot_yaml"], view["pot_name"]), view["result"]["applications"]
    return HTMLResponse(render(request, "grading_allocation.html", {
        "user": user, "a": allocation_header(view, pot, when(view["allocated_at"])),
        "s": allocation_summary(view["result"], application_rows(applications, pot, enterprise_names(
            platform(request).engine, [a["uscc"] for a in applications])))}))


def stored_pot(text: str, name: str) -> Pot | None:
    """The pot an allocation kept: its YAML as given (the contract's keys), or as the store
    wrote a pot out (its fields); None when it reads as neither (the page then shows codes)."""
    try:
        return parse_pot(text, source=name)
    except PotInvalid:
        pass
    try:
        raw = yaml.safe_load(text)
        return Pot(**{**raw, "limits": tuple(Limit(**limit) for limit in raw["limits"])})
    except (yaml.YAMLError, TypeError, KeyError):
        return None


def _card_response(request: Request, user: User, uscc: str, year: int, *, own_only: bool = False,
                   extra: dict | None = None, status: int = 200) -> HTMLResponse:
    if not USCC_IN_PATH.fullmatch(uscc):
        raise HTTPException(404, MISSING)
    try:
        found = gb.enterprise_grading(platform(request).engine, year=year, uscc=uscc, scope=scope(request, user))
    except NotFound:
        if own_only:  # an enterprise's own page before any grading of the year: say so, no 404
            return HTMLResponse(render(request, "grading_none.html", {
                "user": user, "year": year, "message": f"{year}年度还没有本企业的亩均效益评价结果。"}))
        raise HTTPException(404, MISSING) from None
    context = {"user": user, "year": year, "own_only": own_only, "CLASSES": CLASSES, "citation": _citation(),
               "may_regrade": can(user, "regrade_enterprises") and "graded" in found, **(extra or {})}
    if "out_of_scope" in found:
        row = found["out_of_scope"]
        return HTMLResponse(render(request, "grading_none.html", {
            **context, "title": row["name"], "message": f"{year}年度不参加亩均效益评价：{row['reason']}"}), status)
    row, settings = found["graded"], load_grading_settings()
    graded = _graded(request, user, year)
    context |= {"e": card_header(row, _names(request), firm_names(graded)),
                "card": score_card(with_benchmarks(row, settings, year), settings), "regrades": regrade_rows(found["regrades"], when)}
    return HTMLResponse(render(request, "grading_card.html", context), status)


@router.get("/grading/{uscc}", response_class=HTMLResponse)
def card_page(request: Request, uscc: str, year: str | None = None, user: User = Depends(current_user)) -> HTMLResponse:
    """An enterprise's score card: each indicator against its benchmark, the total, the rank,
    the initial and the final class and why; the 手动调档 form for the policy office."""
    require(user, "view_grading")
    return _card_response(request, user, uscc, _year(request, year))


@router.post("/grading/{uscc}/regrade")
def regrade_page(request: Request, uscc: str, csrf: str = Form(""), year: str = Form(""), to_class: str = Form(""),
                 reason: str = Form(""), user: User = Depends(current_user)):
    """手动调档: the officer sets the class with a reason (versioned, audited)."""
    require(user, "regrade_enterprises")
    check_csrf(request, csrf)
    shown = _year(request, year)
    if not USCC_IN_PATH.fullmatch(uscc):
        raise HTTPException(404, MISSING)
    if to_class not in CLASSES or not reason.strip() or len(reason) > MAX_REASON:
        error = "请选择 A、B、C、D 类之一" if to_class not in CLASSES else f"请写明调档理由（不超过 {MAX_REASON} 字）"
        return _card_response(request, user, uscc, shown, extra={"form_error": error}, status=422)
    try:
        gb.regrade(platform(request).engine, year=shown, uscc=uscc, to_class=to_class, reason=reason, actor=user)
    except NotFound:
        raise HTTPException(404, MISSING) from None
    except ValueError as exc:  # the same class again, or a refusal of the store's
        return _card_response(request, user, uscc, shown, extra={"form_error": str(exc)},
                              status=status_of(exc) if isinstance(exc, FulfilmentError) else 422)
    return RedirectResponse(f"/grading/{uscc}?year={shown}", status_code=303)
