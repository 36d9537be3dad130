"""Awards for people and scripts: records with explanations, totals, and an xlsx export."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import polars as pl
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from ..catalog import Catalog
from ..io.cells import neutralised
from .explain import explain_award
from .model import PAYEE_ZH, PolicyCatalog
from .payer import treasury_name


def award_records(awards: pl.DataFrame, policies: PolicyCatalog, catalog: Catalog) -> list[dict]:
    """One JSON-ready record per award, explanation included (rendered here, on demand)."""
    names = catalog.org_unit_names()
    records = []
    for row in awards.iter_rows(named=True):
        rule = policies.rule(row["rule"])
        records.append({
            "uscc": row["uscc"], "name": row["name"], "org_unit": row["org_unit"], "year": row["year"],
            "rule": row["rule"], "rule_name": rule.name_zh, "article": rule.article_label,
            "subject": row["subject"], "subject_zh": policies.names.subject(row["subject"], row["year"]),
            "tranche": row["tranche"],
            "amount_yuan": row["amount_fen"] / 100, "amount_fen": row["amount_fen"],
            "payee": row["payee"], "payee_zh": PAYEE_ZH[row["payee"]],
            "payer": row["payer"], "payer_name": treasury_name(names, row["payer"]),
            "settle_with_city": row["settle_with_city"], "needs_review": row["needs_review"],
            "explanation": explain_award(row, policies, catalog),
        })
    return records


def totals(awards: pl.DataFrame, policies: PolicyCatalog, catalog: Catalog) -> dict:
    """Counts and sums by rule, by paying treasury and by payee, and the grand total."""
    names = catalog.org_unit_names()

    def by(column: str, label) -> dict:
        grouped = awards.group_by(column).agg(pl.len().alias("count"), pl.col("amount_fen").sum().alias("fen")).sort(column)
        return {label(key): {"count": count, "amount_yuan": fen / 100, "amount_fen": fen}
                for key, count, fen in grouped.iter_rows()}

    total = int(awards["amount_fen"].sum() or 0)
    return {
        "by_rule": by("rule", lambda r: f"{r} {policies.rule(r).name_zh}"),
        "by_payer": by("payer", lambda p: f"{p} {treasury_name(names, p)}"),
        "by_payee": by("payee", lambda p: f"{p} {PAYEE_ZH[p]}"),
        "count": awards.height,
        "total_yuan": total / 100,
        "total_fen": total,
    }


COLUMNS = [("企业名称", "name"), ("统一社会信用代码", "uscc"), ("地区", "org_unit"), ("年度", "year"),
           ("规则", "rule_name"), ("条款", "article"), ("对象", "subject_zh"), ("阶段", "tranche"),
           ("金额（元）", "amount_yuan"), ("领取对象", "payee_zh"), ("兑现财政", "payer_name"),
           ("年底与市结算", "settle_with_city"), ("待评审", "needs_review"), ("计算说明", "explanation")]


# The stored awards as the 政策兑现 page lists them (web export): state and origin added.
STORED_COLUMNS = [("奖补编号", "id"), ("企业名称", "name"), ("统一社会信用代码", "uscc"), ("地区", "org_unit_name"),
                  ("年度", "year"), ("规则", "rule_name"), ("条款", "article"), ("对象", "subject_zh"),
                  ("阶段", "tranche"), ("金额（元）", "amount_yuan"), ("领取对象", "payee_zh"),
                  ("兑现财政", "payer_name"), ("状态", "state_zh"), ("来源", "origin"), ("说明", "reason"),
                  ("计算说明", "explanation")]


def write_awards_xlsx(records: list[dict], summary: dict | None, path: Path, *, columns=COLUMNS) -> Path:
    """The awards (and their totals, when given) as a workbook; 金额 as numbers with two
    decimals, from ``amount_yuan`` given as Decimal or exact text."""
    book = Workbook()
    sheet = book.active
    sheet.title = "奖补明细"
    sheet.append([title for title, _ in columns])
    for record in records:
        sheet.append(neutralised(_cell(record.get(key)) for _, key in columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    amount_col = [key for _, key in columns].index("amount_yuan") + 1
    for row in sheet.iter_rows(min_row=2, min_col=amount_col, max_col=amount_col):
        row[0].number_format = "#,##0.00"
    sheet.freeze_panes = "A2"
    for n, (title, _) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = 80 if title == "计算说明" else max(8, 2 * len(title) + 6)
    if summary is None:
        return _save(book, path)
    summary_sheet = book.create_sheet("合计")
    for key, title in (("by_rule", "按规则"), ("by_payer", "按兑现财政"), ("by_payee", "按领取对象")):
        summary_sheet.append([title, "项数", "金额（元）"])
        summary_sheet[summary_sheet.max_row][0].font = Font(bold=True)
        for label, value in summary[key].items():
            summary_sheet.append(neutralised([label, value["count"], value["amount_yuan"]]))
            summary_sheet.cell(summary_sheet.max_row, 3).number_format = "#,##0.00"
        summary_sheet.append([])
    summary_sheet.append(["合计", summary["count"], summary["total_yuan"]])
    summary_sheet.column_dimensions["A"].width = 40
    summary_sheet.column_dimensions["C"].width = 18
    return _save(book, path)


def _cell(value):
    # Yes/no columns (年底与市结算, 待评审) read 是/否, not TRUE/FALSE.
    if isinstance(value, bool):
        return "是" if value else "否"
    # Exact 元 text ("1234.50") becomes a Decimal: the cell holds exactly the stored fen.
    if isinstance(value, str) and value.replace(".", "", 1).replace("-", "", 1).isdigit() and "." in value:
        return Decimal(value)
    return value


def _save(book: Workbook, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
