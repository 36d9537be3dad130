"""The trade remedy case register (贸易救济案件) and country risk (国别风险) templates, with samples.

The case sample matches the 订单+清单 sample's enterprises (their latest month 2025-02): a US
anti-dumping case on HS 61 (opened 2025-02-20; one sampled exporter sells mainly to the US: red,
with the enterprise involved), an Indian safeguard case on HS 73 (2025-02-05; its one exporter
sells mainly to Japan: yellow), a Brazilian case on HS 39 (no sampled exporter: nothing) and a
US 337 case of 2024-09 (past the 90 days: nothing).
"""

from __future__ import annotations

from pathlib import Path

from ..catalog import Catalog
from ..warning.trade_catalog import TradeCatalog
from .template_book import write_template_book
from .trade_import import REMEDY_FIELDS, RISK_FIELDS

REMEDY_NOTES = [
    "贸易救济案件：每行一个案件和一家涉案企业（尚无涉案企业的案件留空企业一行）；整份文件全部通过才导入。",
    "国家（地区）、案件类型：见“国家（地区）”“案件类型”工作表，填代码或名称。产品：HS章，01–97。",
    "同一案件各行的国家、产品、类型和日期须一致；涉案出口额以美元为单位（整数），须与涉案企业同填。",
    "案件立案在最近一次立案前90天内、且本市订单+清单样本企业出口同一HS章产品时发出预警；样本企业中有以该国为主要市场的为红灯。",
]
RISK_NOTES = [
    "国别风险：每行一个国家（地区），由商务局维护；风险等级见“风险等级”工作表。",
    "中方投资额以万美元为单位，最多四位小数（到美元）。",
]
SAMPLE_CASES = [
    ["US-AD-2025-01", "美国", "61", "反倾销", "2025-02-20", "", "91330600MA2BX10043", "850000"],
    ["US-AD-2025-01", "美国", "61", "反倾销", "2025-02-20", "", "", ""],
    ["IN-SG-2025-02", "印度", "73", "保障措施", "2025-02-05", "", "", ""],
    ["BR-AD-2025-03", "巴西", "39", "反倾销", "2025-02-01", "", "", ""],
    ["US-337-2024-09", "美国", "85", "337调查", "2024-09-10", "2025-01-20", "", ""],
]
SAMPLE_RISKS = [
    ["美国", "较高", "12", "8600", "出口管制与投资审查趋严"],
    ["俄罗斯", "高", "3", "1200", "制裁与结算风险"],
    ["阿联酋", "中", "5", "2300", ""],
    ["东盟", "低", "40", "15600", ""],
    ["日本", "低", "6", "900", ""],
    ["非洲", "较高", "4", "1500", "政局与汇兑风险"],
]


def _vocabularies(trade: TradeCatalog) -> list[tuple[str, list[str], list[list]]]:
    return [("国家（地区）", ["国家（地区）代码", "国家（地区）名称"], [[c, n] for c, n in trade.countries.items()]),
            ("案件类型", ["案件类型代码", "案件类型名称"], [[c, n] for c, n in trade.remedy_kinds.items()]),
            ("风险等级", ["风险等级代码", "风险等级名称"], [[c, n] for c, n in trade.risk_levels.items()])]


def write_remedies_template(path: Path, catalog: Catalog, trade: TradeCatalog, *, sample: bool = False) -> Path:
    """The case register template (XLSX with 说明 and the vocabularies, or CSV), with ``sample``'s cases."""
    return write_template_book(path, "贸易救济案件", [a[0] for a in REMEDY_FIELDS.values()],
                               SAMPLE_CASES if sample else [], [*REMEDY_NOTES, trade.citations.get("response", "")],
                               _vocabularies(trade))


def write_country_risk_template(path: Path, catalog: Catalog, trade: TradeCatalog, *, sample: bool = False) -> Path:
    """The country risk template (XLSX with 说明 and the vocabularies, or CSV), with ``sample``'s rows."""
    return write_template_book(path, "国别风险", [a[0] for a in RISK_FIELDS.values()],
                               SAMPLE_RISKS if sample else [], [*RISK_NOTES, trade.citations.get("outward", "")],
                               _vocabularies(trade))
