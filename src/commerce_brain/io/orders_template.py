"""The 订单+清单 orders template: the columns the import takes, the vocabularies on their own
sheets, and a sample that shows every detector.

The sample (``sample_rows``) runs from 2021-01 to SAMPLE_MONTH (2025-02, the Spring Festival
month, when every exporter's orders dip): one enterprise per case — a normal seasonal dip that
raises nothing, a deep fall (同比、连续、低于季节基线: red), a fall below the seasonal band, a run of
falls, a month-on-month fall and a year-on-year fall of reporters with one year of history, a tiny exporter below the
size floor, a new reporter with no history and one with missing months — plus steady ones, so
that the roll-ups have something to divide by. Figures are made up and deterministic.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from ..catalog import Catalog
from ..uscc import make_uscc
from ..warning.catalog import OrdersCatalog
from .actuals_template import _write, write_csv
from .cells import neutralised
from .fdi_import import COUNTY_KINDS
from .orders_import import FIELDS, SHEET

SAMPLE_MONTH = "2025-02"
NOTES = [
    "订单+清单月度报表：每行一家样本企业一个月，整份文件全部通过才导入，任何一行有问题则整份退回并列出工作表、行、列和原因。",
    "统一社会信用代码、月份（YYYY-MM）、新增出口订单必填；金额均以美元为单位，填整数。",
    "主要市场、主要产品（HS章，01–97）、预警点、所在地区、行业：填写对应工作表中的代码或名称。",
    "问题清单：可多选，用分号隔开（如“海运费上涨;汇率波动”），可留空。",
    "企业名称、预警点、所在地区、行业可只在企业的一行中填写；再次导入同一企业同一月份即为新版本（旧版本保留）。",
]
# One sample enterprise: (uscc seed, name, warning point, industry, market, HS chapter, problems, base USD,
# first month, case). The cases are applied in ``_figure``.
ENTERPRISES = [
    ("1001", "绍兴华纺织造有限公司", "柯桥区纺织品外贸预警点", "textiles", "EU", "54", "shipping_cost", 1_200_000, "2021-01", "steady"),
    ("1002", "柯桥锦绣印染有限公司", "柯桥区纺织品外贸预警点", "dyeing", "US", "60", "tariff;exchange_rate", 900_000, "2021-01", "deep_fall"),
    ("1003", "上虞天成化工有限公司", "上虞区化工外贸预警点", "chemicals", "ASEAN", "29", "trade_remedy", 1_500_000, "2021-01",
     "below_band"),
    ("1004", "诸暨雅步袜业有限公司", "诸暨市袜业外贸预警点", "textiles", "US", "61", "orders_moving_abroad;labour", 600_000, "2023-07",
     "run_of_falls"),
    ("1005", "嵊州鸿达厨具有限公司", "嵊州市厨具外贸预警点", "light_industry", "JP", "73", "raw_materials", 700_000, "2024-01",
     "mom_fall"),
    ("1006", "新昌精工轴承有限公司", "新昌县轴承外贸预警点", "machinery", "EU", "84", "", 20_000, "2021-01", "tiny"),
    ("1007", "上虞晴雨伞业有限公司", "上虞区伞业外贸预警点", "light_industry", "RU", "66", "payment_risk", 400_000, "2025-02", "new"),
    ("1008", "诸暨金鼎五金有限公司", "诸暨市五金外贸预警点", "machinery", "AE", "82", "logistics", 800_000, "2021-01", "gaps"),
    ("1009", "嵊州丝路领带有限公司", "嵊州市领带外贸预警点", "textiles", "GB", "62", "", 500_000, "2021-01", "steady"),
    ("1010", "越城古越酒业有限公司", "越城区外贸预警点", "food", "KR", "22", "certification", 350_000, "2021-01", "steady"),
    ("1011", "柯桥经纬家纺有限公司", "柯桥区纺织品外贸预警点", "textiles", "US", "63", "tariff;orders_moving_abroad", 650_000, "2024-01",
     "yoy_fall"),
]


def _months(first: str, last: str = SAMPLE_MONTH) -> list[str]:
    y, m = int(first[:4]), int(first[5:])
    found = []
    while f"{y}-{m:02d}" <= last:
        found.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return found


def _figure(base: int, month: str, case: str) -> int | None:
    """New orders of a sample month: the base, a Spring Festival dip in February (×0.7) and a
    small wiggle; then the case's own story in the last months (None: not reported)."""
    y, m = int(month[:4]), int(month[5:])
    value = base * (0.7 if m == 2 else 1.0) * (1 + 0.02 * ((y * 7 + m * 3) % 5 - 2))
    recent = month >= "2024-12"
    if case == "deep_fall" and recent:
        value *= {"2024-12": 0.9, "2025-01": 0.8}.get(month, 0.62)
    elif case == "below_band" and month == SAMPLE_MONTH:
        value *= 0.8
    elif case == "run_of_falls" and month >= "2024-11":
        value = base * {"2024-11": 1.0, "2024-12": 0.96, "2025-01": 0.92}.get(month, 0.88)
    elif case in ("run_of_falls", "yoy_fall"):
        # No Spring Festival dip: its buyers are abroad year round.
        value = base * ({"2025-01": 0.8, SAMPLE_MONTH: 0.65}.get(month, 1.0) if case == "yoy_fall" else 1.0)
    elif case == "mom_fall" and month == SAMPLE_MONTH:
        value *= 0.85
    elif case == "tiny" and month == SAMPLE_MONTH:
        value *= 0.4
    elif case == "gaps" and month in ("2024-12", "2025-01"):
        return None
    return int(round(value))


def sample_rows() -> list[dict]:
    """The sample's rows under the template's Chinese headers."""
    header = {f: aliases[0] for f, aliases in FIELDS.items()}
    rows = []
    for seed, name, point, industry, market, hs, problems, base, first, case in ENTERPRISES:
        uscc = make_uscc(f"91330600MA2BX{seed}")
        for position, month in enumerate(_months(first)):
            value = _figure(base, month, case)
            if value is None:
                continue
            late = month >= "2024-12"
            rows.append({
                header["uscc"]: uscc, header["month"]: month, header["new_orders_usd"]: value,
                header["orders_in_hand_usd"]: value * 3, header["expected_exports_usd"]: value * 2,
                header["market"]: market, header["product_hs"]: hs,
                header["problems"]: problems if late else "",
                # Who the enterprise is: said once, in its first row.
                header["name"]: name if position == 0 else "", header["warning_point"]: point if position == 0 else "",
                header["org_unit"]: "", header["industry"]: industry if position == 0 else "",
            })
    return rows


def write_orders_template(path: Path, catalog: Catalog, orders: OrdersCatalog, *, sample: bool = False) -> Path:
    """Write the template as XLSX (the 订单清单 sheet, 说明 and the vocabularies) or CSV (the header
    row, and the sample's rows with ``sample``)."""
    path = Path(path)
    headers = [aliases[0] for aliases in FIELDS.values()]
    rows = [[r.get(h, "") for h in headers] for r in sample_rows()] if sample else []
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return write_csv(path, headers, rows)
    if suffix != ".xlsx":
        raise ValueError(f"template must be .xlsx or .csv, got {path.name}")
    book = Workbook()
    _write(book.active, headers, rows)
    book.active.title = SHEET
    notes = book.create_sheet("说明")
    for line in [*NOTES, "", *orders.citations.values()]:
        notes.append(neutralised([line]))
    notes.column_dimensions["A"].width = 120
    # Reference sheets use headers the import does not take, so they are never read as data.
    _write(book.create_sheet("预警点"), ["名称", "所在地区"], [[n, u] for n, u in orders.warning_points.items()])
    for title, vocabulary in (("问题清单", orders.problems), ("主要市场", orders.markets), ("行业", orders.industries)):
        _write(book.create_sheet(title), ["代码", "名称"], [[c, n] for c, n in vocabulary.items()])
    _write(book.create_sheet("地区"), ["代码", "名称"],
           [[u.code, u.name_zh] for u in catalog.org_units if u.kind in COUNTY_KINDS])
    book.save(path)
    return path
