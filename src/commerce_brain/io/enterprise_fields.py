"""The columns of the policy engine's input file (政策兑现 enterprise data): names, spellings, units.

Shared by the reader (``enterprise_import``), the cell parsers (``enterprise_cells``) and the
template (``enterprise_template``), so a column is declared once.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..policy.fact_registry import FACTS as REGISTRY

FLAGS = ("is_manufacturing", "is_industrial", "is_listed", "is_provincial_or_central_owned")
ENTERPRISE_COLUMNS = ("uscc", "name", "org_unit", "industry", *FLAGS)
# The 年度数据 sheet: the key, then one column per fact of the registry (variables.yaml).
FACT_NAMES = tuple(f.name for f in REGISTRY)
FACT_COLUMNS = ("uscc", "year", *FACT_NAMES)
EVENT_COLUMNS = ("uscc", "date", "kind", "level", "amount", "count", "subject", "rating",
                 "local_share", "benchmark_rate", "days", "assessed_award", "already_paid")
MONEY = (*(f.name for f in REGISTRY if f.kind == "money"), "amount", "assessed_award", "already_paid")
# Read exactly from XLSX number cells (never through a float's rounding): money and decimals.
DECIMALS = tuple(f.name for f in REGISTRY if f.kind == "decimal")
# A header may carry its fact's unit in brackets: 用地面积（含租用）(亩), 主营业务收入（元）.
UNITS = {**{f.name: f.unit for f in REGISTRY if f.unit}, "amount": "元", "assessed_award": "元", "already_paid": "元"}
RATIOS = ("local_share", "benchmark_rate")
COUNTS = ("count", "days")

# Every accepted spelling in one place (the engine's own Chinese names, from
# catalog/policies/variables.yaml, included). The first is the Chinese name used in messages.
# Headers are compared after NFKC (full-width brackets), without spaces, case-insensitively;
# a money header may carry "(元)", any other unit in brackets is refused rather than misread.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "uscc": ("统一社会信用代码", "信用代码"),
    "name": ("企业名称",),
    "org_unit": ("地区", "行政区划", "所在地区"),
    "industry": ("行业",),
    "is_manufacturing": ("是否制造业",),
    "is_industrial": ("是否工业",),
    "is_listed": ("是否上市",),
    "is_provincial_or_central_owned": ("是否省部属",),
    "year": ("年度", "年份"),
    # The registry's facts: its Chinese name first (used in messages), then its aliases.
    **{f.name: (f.name_zh, *f.aliases) for f in REGISTRY},
    "date": ("日期",),
    "kind": ("事件类型",),
    "level": ("级别",),
    "amount": ("金额",),
    "count": ("数量",),
    "subject": ("对象",),
    "rating": ("评级",),
    "local_share": ("本地投资比例",),
    "benchmark_rate": ("基准利率", "贷款同期基准利率"),
    "days": ("天数", "计息天数"),
    "assessed_award": ("评审金额", "评审核定金额"),
    "already_paid": ("已兑现金额",),
}
SHEET_ALIASES = {"enterprises": ("企业",), "facts": ("年度数据",), "events": ("事件",)}

QUZHOU = "330800"
YEARS = (2000, 2100)
PPM = 1_000_000
TRUE_WORDS = ("1", "true", "是", "y", "yes")
FALSE_WORDS = ("0", "false", "否", "n", "no")

RATIO_RE = r"^(?<sign>[+-]?)(?<int>[0-9]{0,9})(?:\.(?<frac>[0-9]+))?(?<pct>%?)$"
INT_RE = r"^(?<sign>[+-]?)(?<int>[0-9]{1,3}(?:,[0-9]{3}){1,4}|[0-9]{1,15})(?:\.0+)?$"
# 2023-05-01 | 2023/5/1 | 2023.5.1 | 2023年5月1日, optionally with the time Excel adds in CSV
DATE_RE = (r"^(?<y>[0-9]{4})[-/.年](?<m>[0-9]{1,2})[-/.月](?<d>[0-9]{1,2})日?"
           r"(?:[ T][0-9:.]+)?$")


@dataclass(frozen=True)
class Table:
    name: str
    number: int  # sheet order, so problems list enterprises, then facts, then events
    fields: tuple[str, ...]
    required: tuple[str, ...]  # columns the header must have
    filled: tuple[str, ...]  # cells that must not be empty


# A flag column left out would silently make every enterprise "no" — for 是否省部属 that
# means paying the ones the policies exclude — so the flag columns are required (cells may be
# empty). main_revenue is required because the engine's contract has it non-null.
ENTERPRISES = Table("enterprises", 0, ENTERPRISE_COLUMNS, ("uscc", "name", "org_unit", *FLAGS),
                     ("uscc", "name", "org_unit"))
_REQUIRED_FACTS = tuple(f.name for f in REGISTRY if f.required)
FACTS = Table("facts", 1, FACT_COLUMNS, ("uscc", "year", *_REQUIRED_FACTS),
               ("uscc", "year", *_REQUIRED_FACTS))
EVENTS = Table("events", 2, EVENT_COLUMNS, ("uscc", "date", "kind"), ("uscc", "date", "kind"))
TABLES = (ENTERPRISES, FACTS, EVENTS)
