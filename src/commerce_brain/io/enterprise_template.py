"""The XLSX template of the policy engine's input: three sheets with example rows, and 说明."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from ..uscc import make_uscc
from ..policy.fact_registry import FACTS as REGISTRY
from ..policy.fact_registry import Fact
from .enterprise_fields import FIELD_ALIASES, FLAGS, TABLES

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_A, _B = make_uscc("91330802MA2G00011"), make_uscc("91330800MA2G00022")
EXAMPLES = {
    "enterprises": [
        [_A, "衢州示例智能装备有限公司", "330802", "C34", "是", "是", "否", "否"],
        [_B, "衢州示例商贸有限公司", "330800", "F51", "否", "否", "否", "否"],
    ],
    # The registry's facts in its order: revenue, R&D, tax, value added, land, employees,
    # energy, electricity, emissions, 规上, parcel, 高新, incident, penalty, 亩均类别.
    "facts": [[_A, 2023, 152345678.9, 6093827.16, 5234567.12, 38000000, 45.5, 230, 1520.35, 3600000,
               1.25, "是", "KC-2019-017", "是", "否", "否", "A"],
              [_B, 2023, 80000000, None, *([None] * (len(REGISTRY) - 2))]],
    "events": [
        [_A, dt.date(2024, 3, 15), "invention_patent_granted", "national", None, 3, "一种节能电机",
         None, None, None, None, None, None],
        [_B, dt.date(2024, 6, 30), "green_loan", None, 10000000, None, "冷链仓储项目贷款",
         "dark_green", 0.75, 0.0435, 365, 120000.5, 50000],
    ],
}
FLAG_NOTE = "是/否、1/0、Y/N、yes/no、true/false；空格表示否，但列必须存在"
MONEY_NOTE = "单位元，最多两位小数（分），如 1234567.89 或 1,234,567.89"
# One line per column for the 说明 sheet; a test checks every column has one.
FIELD_NOTES = {
    "uscc": "统一社会信用代码，18位，含校验位（GB 32100）；三张表以它关联企业",
    "name": "企业名称",
    "org_unit": "行政区划代码或名称，须在衢州市范围内（330800 衢州市为市本级，330802 柯城区…）",
    "industry": "行业：GB/T 4754 代码，如 C34（通用设备制造业）；可空",
    **dict.fromkeys(FLAGS, FLAG_NOTE),
    "year": "年度，2000–2100；每个企业每年一行",
    "date": "日期：2023-05-01、2023/5/1、2023年5月1日或日期单元格",
    "kind": "事件类型：政策规则的触发代码，如 invention_patent_granted（发明专利授权）",
    "level": "级别，如 national（国家级）/ provincial（省级）；可空",
    "amount": MONEY_NOTE + "；可空",
    "count": "数量：非负整数；可空",
    "subject": "对象：项目、产品或专利名称；可空",
    "rating": "评级，如 dark_green（深绿）；可空",
    "local_share": "比例 0.75 或百分比 75%（百分比单元格亦可），须在 0–1 之间；可空",
    "benchmark_rate": "基准利率：百分比 4.35% 或比例 0.0435；可空",
    "days": "天数：非负整数；可空",
    "assessed_award": "评审金额，" + MONEY_NOTE + "；可空",
    "already_paid": "已兑现金额，" + MONEY_NOTE + "；可空",
}
KIND_NOTES = {"money": MONEY_NOTE, "number": "非负整数", "bool": "是/否、1/0；空格表示未知",
              "text": "文字", "class": "类别"}


def fact_note(fact: Fact) -> str:
    """The 说明 line of a registry fact: its unit, what may be written, its range."""
    if fact.kind == "decimal":
        note = f"单位{fact.unit}，最多 {fact.scale} 位小数"
    elif fact.kind == "class":
        note = f"可选：{'/'.join(fact.vocabulary)}"
    else:
        note = KIND_NOTES[fact.kind] + (f"，单位{fact.unit}" if fact.unit and fact.kind == "number" else "")
    if fact.bounds is not None and fact.kind in ("money", "number", "decimal"):
        note += f"；范围 {fact.bounds[0]:,}–{fact.bounds[1]:,}{fact.unit}"
    elif fact.kind == "text":
        note += f"；最多 {fact.bounds[1]} 个字"
    return note + ("" if fact.required else "；可空（不提供此列则保留已存数据）" if not fact.column else "；可空")


FIELD_NOTES.update({f.name: fact_note(f) for f in REGISTRY})
GENERAL_NOTES = [
    "政策兑现数据导入模板 Policy data import template: sheets enterprises, facts, events.",
    "列名可用英文或中文（见下表）；金额单位为元（不要用万元）；比例写 0.75 或 75%，利率写 4.35% 或 0.0435。",
    "任一行有误即整个文件退回，并列出工作表、行、列和原因。",
]


def write_policy_template(path: Path, *, with_examples: bool = False) -> Path:
    """Write an XLSX template: the three sheets with their header rows, and 说明 (which also
    shows the example rows). ``with_examples`` puts the examples into the sheets instead — a
    filled-in file to learn from or test with; the blank template leaves them out, because
    real-looking figures left there would be imported as revisions of the real ones."""
    book = Workbook()
    book.remove(book.active)
    for table in TABLES:
        sheet = book.create_sheet(table.name)
        sheet.append(list(table.fields))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.fill = HEADER_FILL
        for row in EXAMPLES[table.name] if with_examples else []:
            sheet.append(row)
        for letter in ("A", "B"):  # long enough to read a credit code and a name
            sheet.column_dimensions[letter].width = 24
        sheet.freeze_panes = "A2"
    events = book["events"]
    for row in range(2, events.max_row + 1):
        events.cell(row, 2).number_format = "yyyy-mm-dd"
        events.cell(row, 9).number_format = "0%"  # local_share, shows 75%
        events.cell(row, 10).number_format = "0.00%"  # benchmark_rate, shows 4.35%
    notes = book.create_sheet("说明")  # not a table's sheet name, so the import passes over it
    for line in GENERAL_NOTES:
        notes.append([line])
    notes.append([])
    notes.append(["工作表 sheet", "列 column", "中文列名", "必填 required", "说明 meaning and unit"])
    for table in TABLES:
        for field in table.fields:
            need = "必填" if field in table.filled else ("列必须存在" if field in table.required else "")
            notes.append([table.name, field, FIELD_ALIASES[field][0], need, FIELD_NOTES[field]])
    notes.append([])
    notes.append(["填写示例（仅供参考，不会被导入）："])
    for table in TABLES:
        for row in EXAMPLES[table.name]:
            # One cell per example, so that no row of 说明 reads as a column's note or as data.
            notes.append([f"{table.name}: " + " | ".join("" if v is None else str(v) for v in row)])
    for letter, width in zip("ABCDE", (14, 32, 18, 14, 80)):
        notes.column_dimensions[letter].width = width
    book.save(path)
    return Path(path)
