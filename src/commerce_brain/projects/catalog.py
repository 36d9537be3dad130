"""The project catalog: the 58 landmark projects of 专栏13–16 (``catalog/projects/``), the totals
the text states, the settings of the lights, and any imported 重点项目 laid beside them.

Validated at load, refusing the whole file on the first bad entry and naming it: unique ids,
start year ≤ end year, amounts ≥ 0 (exact 亿元 with at most four decimals), a known org unit, a
citation with section and quote."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

import polars as pl
import yaml

from ..catalog.checks import CatalogError, known_keys, required
from ..catalog.citation import cite
from ..catalog.load import _load_org_units, default_catalog_dir
from .amounts import yi_to_wan

DOCUMENT_KEYS = {"id", "title", "issuer", "doc_number", "source", "plan_period", "columns", "stated_totals",
                 "projects"}
PROJECT_KEYS = {"id", "column", "number", "name_zh", "start_year", "end_year", "total_investment",
                "plan_period_investment", "responsible_unit", "org_unit", "citation"}
# The projects frame every engine, page and command reads, in this order.
PROJECT_SCHEMA = {
    "id": pl.String, "column": pl.Int64, "number": pl.Int64, "name_zh": pl.String,
    "start_year": pl.Int64, "end_year": pl.Int64, "total_investment_wan": pl.Int64,
    "plan_period_investment_wan": pl.Int64, "responsible_unit": pl.String, "org_unit": pl.String,
    "citation": pl.String, "source": pl.String,
}
# What an imported 重点项目 list must give (the import converts 亿元 to 万元 first).
EXTRA_REQUIRED = ("id", "name_zh", "start_year", "end_year", "total_investment_wan",
                  "plan_period_investment_wan", "responsible_unit", "org_unit")


@dataclass(frozen=True)
class ProjectSettings:
    """The lights' margins (fractions, exact) and the deadlines of warnings and FDI stages."""

    green_from: Decimal = Decimal("-0.05")
    red_below: Decimal = Decimal("-0.15")
    answer_within_days: int = 15
    fdi_overdue_grace_days: int = 0
    fdi_red_after_days: int = 30  # an overdue FDI stage is yellow up to this many days late, red beyond


@dataclass(frozen=True)
class StatedTotals:
    """What the text states for all projects together (五、实施四大重点行动)."""

    count: int
    total_investment_wan: int
    plan_period_investment_wan: int
    citation: str


@dataclass(frozen=True)
class ProjectCatalog:
    """The projects (PROJECT_SCHEMA), the 专栏 titles, the stated totals and the settings."""

    projects: pl.DataFrame
    columns: dict[int, str]
    stated: StatedTotals
    settings: ProjectSettings
    plan_period: tuple[int, int]
    title: str
    doc_number: str | None

    def with_extra(self, extra: pl.DataFrame | None) -> "ProjectCatalog":
        """This catalog with imported 重点项目 added after the landmark projects."""
        if extra is None or extra.is_empty():
            return self
        added = _extra_frame(extra, set(self.projects["id"]), _org_codes(default_catalog_dir()))
        return ProjectCatalog(pl.concat([self.projects, added]), self.columns, self.stated, self.settings,
                              self.plan_period, self.title, self.doc_number)


def load_project_catalog(extra: pl.DataFrame | None = None, directory: Path | None = None) -> ProjectCatalog:
    """The landmark projects (validated once and cached) plus ``extra``: imported projects with
    the columns of EXTRA_REQUIRED (amounts in 万元; ``citation`` optional), checked the same way."""
    return _load(directory or default_catalog_dir()).with_extra(extra)


@lru_cache(maxsize=4)
def _load(directory: Path) -> ProjectCatalog:
    path = directory / "projects" / "landmark_projects.yaml"
    codes = _org_codes(directory)
    data = known_keys(yaml.safe_load(path.read_text(encoding="utf-8")), DOCUMENT_KEYS, path.name)
    required(data, ("id", "title", "plan_period", "columns", "stated_totals", "projects"), path.name)
    title, doc_number = str(data["title"]), data.get("doc_number")
    columns = {int(c["column"]): str(c["name_zh"]) for c in data["columns"]}
    start, end = (int(y) for y in data["plan_period"])
    rows, seen = [], set()
    for n, raw in enumerate(data["projects"], start=1):
        where = f"{path.name} 第 {n} 个项目（{raw.get('id') if isinstance(raw, dict) else '?'}）"
        rows.append(_project(raw, where, codes, columns, seen, title, doc_number))
    stated = data["stated_totals"]
    where = f"{path.name} stated_totals"
    required(stated, ("count", "total_investment", "plan_period_investment", "citation"), where)
    totals = StatedTotals(
        count=int(stated["count"]),
        total_investment_wan=_amount(stated["total_investment"], where, "total_investment"),
        plan_period_investment_wan=_amount(stated["plan_period_investment"], where, "plan_period_investment"),
        citation=_citation(stated["citation"], where, title, doc_number),
    )
    return ProjectCatalog(pl.DataFrame(rows, schema=PROJECT_SCHEMA, orient="row"), columns, totals,
                          load_project_settings(directory), (start, end), title, doc_number)


def load_project_settings(directory: Path | None = None) -> ProjectSettings:
    """``catalog/projects/settings.yaml``: margins as exact decimals, green_from above red_below."""
    path = (directory or default_catalog_dir()) / "projects" / "settings.yaml"
    data = known_keys(yaml.safe_load(path.read_text(encoding="utf-8")), {"lights", "warnings", "fdi"}, path.name)
    lights = known_keys(data.get("lights") or {}, {"green_from", "red_below"}, f"{path.name} lights")
    defaults = ProjectSettings()
    try:
        green = Decimal(str(lights.get("green_from", defaults.green_from)))
        red = Decimal(str(lights.get("red_below", defaults.red_below)))
    except InvalidOperation:
        raise CatalogError(f"{path.name} lights：边界应为小数，如 -0.05") from None
    if not red <= green <= 0:
        raise CatalogError(f"{path.name} lights：应有 red_below ≤ green_from ≤ 0（现为 {red}、{green}）")
    warnings = known_keys(data.get("warnings") or {}, {"answer_within_days"}, f"{path.name} warnings")
    fdi = known_keys(data.get("fdi") or {}, {"overdue_grace_days", "red_after_days"}, f"{path.name} fdi")
    days = {"answer_within_days": warnings.get("answer_within_days", defaults.answer_within_days),
            "fdi_overdue_grace_days": fdi.get("overdue_grace_days", defaults.fdi_overdue_grace_days),
            "fdi_red_after_days": fdi.get("red_after_days", defaults.fdi_red_after_days)}
    for name, value in days.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise CatalogError(f"{path.name}：{name} 应为不小于 0 的整数天数（现为 {value!r}）")
    return ProjectSettings(green, red, **days)


def _org_codes(directory: Path) -> frozenset[str]:
    return frozenset(u.code for u in _load_org_units(directory / "org_units.csv"))


def _project(raw, where: str, codes, columns, seen: set[str], title: str, doc_number) -> tuple:
    raw = known_keys(raw, PROJECT_KEYS, where)
    required(raw, PROJECT_KEYS - {"number"}, where)
    pid = str(raw["id"])
    if pid in seen:
        raise CatalogError(f"{where}：id {pid} 重复")
    seen.add(pid)
    if int(raw["column"]) not in columns:
        raise CatalogError(f"{where}：专栏 {raw['column']} 不在 columns 中")
    start, end = int(raw["start_year"]), int(raw["end_year"])
    if start > end:
        raise CatalogError(f"{where}：开始年份 {start} 晚于结束年份 {end}")
    org_unit = str(raw["org_unit"])
    if org_unit not in codes:
        raise CatalogError(f"{where}：org_unit {org_unit} 不在 org_units.csv 中")
    return (pid, int(raw["column"]), int(raw["number"]) if raw.get("number") is not None else None,
            str(raw["name_zh"]), start, end, _amount(raw["total_investment"], where, "total_investment"),
            _amount(raw["plan_period_investment"], where, "plan_period_investment"),
            str(raw["responsible_unit"]).strip(), org_unit, _citation(raw["citation"], where, title, doc_number),
            "catalog")


def _amount(value, where: str, key: str) -> int:
    try:
        return yi_to_wan(value)
    except ValueError as exc:
        raise CatalogError(f"{where}：{key} 应为不小于 0、至多四位小数的亿元数（{exc}）") from None


def _citation(raw, where: str, title: str, doc_number) -> str:
    raw = known_keys(raw, {"section", "quote"}, f"{where} citation")
    required(raw, ("section", "quote"), f"{where} citation")
    return cite(title, doc_number, str(raw["section"]), str(raw["quote"]))


def _extra_frame(extra: pl.DataFrame, catalog_ids: set[str], codes: frozenset[str]) -> pl.DataFrame:
    """Imported projects as PROJECT_SCHEMA rows, after the same checks as the catalog's, done on
    whole columns; the first bad project is named."""
    missing = [c for c in EXTRA_REQUIRED if c not in extra.columns]
    if missing:
        raise CatalogError(f"导入的项目缺少列：{'、'.join(missing)}")
    frame = extra.with_columns(
        pl.col("id").cast(pl.String),
        (pl.col("citation").cast(pl.String) if "citation" in extra.columns else pl.lit(None, pl.String))
        .fill_null("重点项目清单（导入）").alias("citation"),
    )
    checks = [
        (pl.col("id").is_in(sorted(catalog_ids)) | pl.col("id").is_duplicated(), "id 与已有项目重复"),
        (pl.any_horizontal(pl.col(list(EXTRA_REQUIRED)).is_null()), "缺少必填字段"),
        (pl.col("start_year") > pl.col("end_year"), "开始年份晚于结束年份"),
        ((pl.col("total_investment_wan") < 0) | (pl.col("plan_period_investment_wan") < 0), "投资额为负数"),
        (~pl.col("org_unit").cast(pl.String).is_in(sorted(codes)), "地区代码不在 org_units.csv 中"),
    ]
    for condition, reason in checks:
        bad = frame.filter(condition.fill_null(True))
        if bad.height:
            raise CatalogError(f"导入的项目 {bad['id'][0]}：{reason}")
    return frame.select(
        pl.col("id"), pl.lit(None, pl.Int64).alias("column"), pl.lit(None, pl.Int64).alias("number"),
        pl.col("name_zh").cast(pl.String), pl.col("start_year").cast(pl.Int64), pl.col("end_year").cast(pl.Int64),
        pl.col("total_investment_wan").cast(pl.Int64), pl.col("plan_period_investment_wan").cast(pl.Int64),
        pl.col("responsible_unit").cast(pl.String).str.strip_chars(), pl.col("org_unit").cast(pl.String),
        pl.col("citation"), pl.lit("import").alias("source"),
    )
