"""The emergency-supply report template (应急保供物资报表): the columns the import takes, the goods
on their own sheet, and a sample that raises each supply warning.

The sample is five weekly reports (2024-06-02 … 2024-06-30) of six Shaoxing outlets (made-up
figures). On the last one: 城南粮油储备库's edible oil covers 13.3 days (floor 15: yellow),
柯桥农贸市场's pork 3 days (floor 7, under half: red) and its price jumped 28% (yellow), 上虞联华超市's
eggs 45% (red), 诸暨应急物资站's drinking water 6 days (yellow). Not raised: 柯桥农贸市场's vegetables,
whose one odd price three weeks earlier does not move the median, and 嵊州新开超市, a new outlet
with a single report (no earlier price, so no jump).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from ..catalog import Catalog
from ..warning.supply_catalog import SupplyCatalog
from .retail_template import org_sheet
from .supply_import import FIELDS, SHEET
from .template_book import write_template_book

SAMPLE_DAY = date(2024, 6, 30)
NOTES = [
    "应急保供物资报表：每行一个报送日期、网点和物资；整份文件全部通过才导入，任何一行有问题则整份退回并列出工作表、行、列和原因。",
    "地区：市或县（市、区）、功能区的代码或名称（见“地区”工作表）。物资：见“物资”工作表（名单可由商务局调整）。",
    "库存、日均消费量：按物资的计量单位填写整数。价格：每个计量单位的零售价（元），最多两位小数。",
    "可供天数 = 库存 ÷ 日均消费量，低于保障线预警；价格较同一网点近4周报价的中位数上涨超过预警线时预警。",
]
# (地区, 网点, 物资, 库存, 日均消费量, usual price in 元, last report's stock, last price, {weeks back: price})
SAMPLE_OUTLETS = (
    ("越城区", "城南粮油储备库", "粮食", 600_000, 20_000, "5.20", 600_000, "5.20", {}),
    ("越城区", "城南粮油储备库", "食用油", 120_000, 6_000, "16.80", 80_000, "16.90", {}),
    ("柯桥区", "柯桥农贸市场", "猪肉", 2_000, 200, "25.00", 600, "32.00", {}),
    ("柯桥区", "柯桥农贸市场", "蔬菜", 30_000, 3_000, "4.00", 30_000, "4.10", {3: "9.00"}),
    ("上虞区", "上虞联华超市", "鸡蛋", 2_000, 200, "11.00", 2_000, "16.00", {}),
    ("诸暨市", "诸暨应急物资站", "饮用水", 6_000, 500, "24.00", 3_000, "24.00", {}),
    ("诸暨市", "诸暨应急物资站", "医用防护物资", 50_000, 1_000, "2.50", 50_000, "2.50", {}),
)
NEW_OUTLET = ("嵊州市", "嵊州新开超市", "牛奶", "900", "100", "58.00")


def _sample_rows() -> list[list[str]]:
    rows = []
    for org, outlet, item, stock, use, price, last_stock, last_price, odd in SAMPLE_OUTLETS:
        for weeks_back in range(4, -1, -1):
            day = (SAMPLE_DAY - timedelta(weeks=weeks_back)).isoformat()
            last = weeks_back == 0
            rows.append([day, org, outlet, item, str(last_stock if last else stock), str(use),
                         last_price if last else odd.get(weeks_back, price)])
    org, outlet, item, stock, use, price = NEW_OUTLET
    rows.append([SAMPLE_DAY.isoformat(), org, outlet, item, stock, use, price])
    return rows


def write_supply_template(path: Path, catalog: Catalog, supply: SupplyCatalog, *, sample: bool = False) -> Path:
    """Write the template as XLSX (the 应急保供 sheet, 说明, and the vocabularies) or CSV (the
    header row, and the sample's rows with ``sample``)."""
    headers = [aliases[0] for aliases in FIELDS.values()]
    goods = [[r["item_zh"], r["unit"], r["cover_floor_days"]] for r in supply.goods.iter_rows(named=True)]
    return write_template_book(path, SHEET, headers, _sample_rows() if sample else [],
                               [*NOTES, supply.citations.get("mechanism", "")],
                               [("物资", ["物资名称", "计量单位", "可供天数保障线"], goods), org_sheet(catalog)])
