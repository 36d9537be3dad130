"""The monthly retail sales template (消费市场月度零售额): the columns the import takes, the
vocabularies on their own sheets, and a sample that raises each market warning.

The sample is Shaoxing's city and counties over 2023-01…2024-06 (made-up figures with a
seasonal shape): the city's total grows 7% while its plan's 2024 target needs 9.4% (behind
pace, yellow), online sales grow 12% (on pace: nothing), 越城区 falls 7% and 汽车类 12% (累计同比
下降, yellow), 金银珠宝类 20% (red), and 新昌县 missed 2024-03 (no year to date: nothing raised).
"""

from __future__ import annotations

from pathlib import Path

from ..catalog import Catalog
from ..warning.market_catalog import MarketCatalog
from .template_book import write_template_book
from .retail_import import FIELDS, SHEET

SAMPLE_MONTH = "2024-06"
NOTES = [
    "消费市场月度零售额：每行一个月份、地区、类别（和名称）的当月零售额；整份文件全部通过才导入，"
    "任何一行有问题则整份退回并列出工作表、行、列和原因。",
    "月份：如 2024-06。地区：市或县（市、区）、功能区的代码或名称（见“地区”工作表）。",
    "类别：见“类别”工作表。社会消费品零售总额、网络零售额的名称留空；分类别零售额填写“商品类别”工作表中的类别；"
    "重点零售企业零售额填写企业名称。",
    "当月零售额：当月数（不是累计数），以万元为单位，最多六位小数（即到分）；累计同比、环比由平台计算。",
    "再次导入同一月份、地区、类别和名称即为新数据（旧数据保留）。",
]
# Seasonal shape of a year's retail sales (share of an average month): the spring festival
# and the autumn holidays high, early summer low.
SEASON = (1.12, 0.96, 0.94, 0.95, 1.0, 0.97, 0.95, 0.96, 1.0, 1.06, 1.03, 1.06)
# (地区, 类别, 名称, 2023 average month in 万元, 2024 growth in percent, months of 2024 left out)
SAMPLE_SERIES = (
    ("绍兴市", "社会消费品零售总额", "", 2_400_000, 7, ()),
    ("绍兴市", "网络零售额", "", 1_080_000, 12, ()),
    ("越城区", "社会消费品零售总额", "", 520_000, -7, ()),
    ("柯桥区", "社会消费品零售总额", "", 610_000, 5, ()),
    ("新昌县", "社会消费品零售总额", "", 150_000, -9, (3,)),
    ("绍兴市", "分类别零售额", "汽车类", 260_000, -12, ()),
    ("绍兴市", "分类别零售额", "金银珠宝类", 40_000, -20, ()),
    ("绍兴市", "分类别零售额", "粮油、食品类", 300_000, 5, ()),
    ("绍兴市", "重点零售企业零售额", "银泰百货（绍兴）", 9_000, -3, ()),
)


def _sample_rows() -> list[list[str]]:
    rows = []
    for org, kind, name, average, growth, missing in SAMPLE_SERIES:
        for year, factor in ((2023, 100), (2024, 100 + growth)):
            for month in range(1, 13 if year == 2023 else 7):
                if year == 2024 and month in missing:
                    continue
                # Integer 万元 (exact): average × season × growth, rounded to whole 万元.
                value = round(average * SEASON[month - 1] * factor / 100)
                rows.append([f"{year}-{month:02d}", org, kind, name, str(value)])
    return rows


def write_retail_template(path: Path, catalog: Catalog, market: MarketCatalog, *, sample: bool = False) -> Path:
    """Write the template as XLSX (the 零售额 sheet, 说明, and the vocabularies) or CSV (the
    header row, and the sample's rows with ``sample``)."""
    headers = [aliases[0] for aliases in FIELDS.values()]
    return write_template_book(path, SHEET, headers, _sample_rows() if sample else [],
                               [*NOTES, market.citations.get("system", "")],
                               [("类别", ["类别"], [[n] for n in market.kinds.values()]),
                                ("商品类别", ["商品类别"], [[n] for n in market.categories.values()]),
                                org_sheet(catalog)])


def org_sheet(catalog: Catalog) -> tuple[str, list[str], list[list]]:
    """The 地区 reference sheet: every org unit below the province, code and name."""
    return "地区", ["地区代码", "地区名称"], [[u.code, u.name_zh] for u in catalog.org_units if u.kind != "province"]
