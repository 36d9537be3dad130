"""What the 亩均效益评价 pages show, computed from the grading frames (no sums in templates):
the filtered table's rows in Chinese, the class distribution per county (table and chart), the
leading lists grouped, an allocation's result beside the greedy choice, and the table as a
workbook with every cell neutralised.

Pure: frames and dicts in, JSON-ready values out. The frames are the spec's: ``graded`` (one
row per enterprise: class, rank, total, indicator values and scores, reason), the leaders'
``list, uscc, name, rank, score, selected, reason`` and an allocation's result JSON.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from ..io.cells import neutralised

CLASSES = ("A", "B", "C", "D")
CLASS_COLOUR = {"A": "#15803d", "B": "#1d4e89", "C": "#c2410c", "D": "#b42318"}
SIZE_ZH = {"above": "规上工业企业", "below": "规下工业企业"}
LEADER_SIZE, MAX_LEADERS = 50, 500  # article 1 names 50 of each; the form allows up to 500
MAX_REASON = 500  # a re-grade's reason, in characters


def class_zh(klass: str | None) -> str:
    """"A" → "A类" (the official names); none → "—"."""
    return f"{klass}类" if klass else "—"


def points(value: float | None) -> str:
    """A score to two decimals ("—" when none)."""
    return "—" if value is None else f"{value:.2f}"


@dataclass(frozen=True)
class GradingFilters:
    """The table's filters: county (org unit code), industry group (its name), class."""

    county: str | None = None
    group: str | None = None
    klass: str | None = None

    @classmethod
    def parse(cls, county: str | None, group: str | None, klass: str | None) -> GradingFilters:
        """Empty form fields mean no filter; a class other than A–D is no filter either (the
        form offers only those)."""
        klass = (klass or "").strip().upper()
        return cls((county or "").strip() or None, (group or "").strip() or None,
                   klass if klass in CLASSES else None)

    def apply(self, graded: pl.DataFrame) -> pl.DataFrame:
        """The rows the filters keep."""
        keep = pl.lit(True)
        if self.county:
            keep &= pl.col("county") == self.county
        if self.group:
            keep &= pl.col("industry_group") == self.group
        if self.klass:
            keep &= pl.col("class") == self.klass
        return graded.filter(keep)

    def query(self, year: int) -> str:
        """The filters as a query string (the export link keeps them)."""
        from urllib.parse import urlencode
        pairs = {"year": year, "county": self.county, "group": self.group, "class": self.klass}
        return urlencode({k: v for k, v in pairs.items() if v is not None})


def ordered(graded: pl.DataFrame) -> pl.DataFrame:
    """County, size class (规上 first), industry group, then rank (best first)."""
    return graded.sort(["county", "size_class", "industry_group", "rank", "uscc"])


def enterprise_row(r: dict[str, Any], names: dict[str, str], firms: dict[str, str]) -> dict[str, Any]:
    """One graded enterprise as people read it: names, classes and scores in Chinese; the
    enterprises merged with it (one parcel) by their names (``firms``: uscc → name)."""
    return {"uscc": r["uscc"], "name": r["name"], "county_name": names.get(r["county"], r["county"] or "—"),
            "size_zh": SIZE_ZH.get(r["size_class"], "—"), "group": r["industry_group"],
            "total": points(r["total"]), "rank": f"{r['rank']} / {r['group_size']}",
            "initial": class_zh(r["initial_class"]), "klass": class_zh(r["class"]),
            "regraded": r["initial_class"] != r["class"], "merged": "、".join(firms.get(u, "同宗地企业") for u in r["merged_with"] or []),
            "reason": r["reason"]}


def table_rows(graded: pl.DataFrame, names: dict[str, str], firms: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The table's rows in the table's order (``firms``: the names of every graded enterprise,
    when ``graded`` is filtered)."""
    firms = firm_names(graded) if firms is None else firms
    return [enterprise_row(r, names, firms) for r in ordered(graded).iter_rows(named=True)]


def firm_names(graded: pl.DataFrame) -> dict[str, str]:
    """uscc → name of the graded enterprises."""
    return dict(zip(graded["uscc"].to_list(), graded["name"].to_list(), strict=True))


def distribution(graded: pl.DataFrame, names: dict[str, str]) -> dict[str, Any]:
    """Enterprises per class in each county (the counties in code order): ``rows`` for the table
    (with a 合计 row) and ``chart`` for the stacked bar."""
    counts = (graded.group_by(["county", "class"]).len()
              .pivot(on="class", index="county", values="len") if graded.height
              else pl.DataFrame(schema={"county": pl.String}))
    for klass in CLASSES:
        if klass not in counts.columns:
            counts = counts.with_columns(pl.lit(0, dtype=pl.UInt32).alias(klass))
    counts = counts.select("county", *CLASSES).fill_null(0).sort("county")
    counts = counts.with_columns(pl.sum_horizontal(*CLASSES).alias("total"))
    rows = [{"name": names.get(r["county"], r["county"] or "—"), **{k: r[k] for k in (*CLASSES, "total")}}
            for r in counts.iter_rows(named=True)]
    totals = {k: int(counts[k].sum()) for k in (*CLASSES, "total")}
    chart = {"title": "各县（市、区）评价类别分布", "axis": "企业数", "units": [r["name"] for r in rows],
             "series": [{"name": class_zh(k), "colour": CLASS_COLOUR[k], "values": counts[k].to_list()}
                        for k in CLASSES]}
    return {"rows": rows, "totals": {"name": "合计", **totals}, "chart": chart}


def card_header(row: dict[str, Any], names: dict[str, str], firms: dict[str, str]) -> dict[str, Any]:
    """The score card's head: the enterprise's row as people read it, with its rank, group
    size, bonus and penalty."""
    return {**enterprise_row(row, names, firms), "klass_code": row["class"], "rank_only": row["rank"],
            "group_size": row["group_size"], "bonus": points(row["bonus"]), "penalty": points(row["penalty"])}


def with_benchmarks(row: dict[str, Any], settings: Any, year: int) -> dict[str, Any]:
    """The row with each indicator's benchmark (``benchmark__<key>``) of its year, county and
    size class, where the stored row does not carry it (the store keeps values and scores)."""
    found = {f"benchmark__{ind.key}": settings.benchmark(year, row["county"], row["size_class"], ind.key)
             for ind in settings.indicators[row["size_class"]]}
    return {**found, **{k: v for k, v in row.items() if k.startswith("benchmark__") and v is not None}, **{
        k: v for k, v in row.items() if not k.startswith("benchmark__")}}


def regrade_rows(history: list[dict[str, Any]], when) -> list[dict[str, Any]]:
    """An enterprise's re-grades, newest first, in Chinese (``when``: the pages' time format)."""
    return [{"at": when(r["regraded_at"]), "from_zh": class_zh(r["from_class"]), "to_zh": class_zh(r["to_class"]),
             "reason": r["reason"], "by": r["regraded_by"]}
            for r in sorted(history, key=lambda r: r["version"], reverse=True)]


def grading_citation(settings: Any) -> str:
    """依据：the evaluation's document by its title and 文号, and the scope as a county rule
    under it states it (the catalog's scope citation)."""
    return f"依据：{settings.citations.get('document', '')}；评价范围：{settings.citations.get('scope', '')}"


def leader_rules_text(rules: Any) -> str:
    """The lists' rules in words: who is a candidate, who is excluded, how ties at the cut go."""
    texts = []
    for lst in rules.lists:
        parts = ["、".join(SIZE_ZH[s] for s in lst.size_classes)]
        if lst.industries:
            parts.append(f"行业代码以 {'、'.join(lst.industries)} 开头")
        if lst.min_main_revenue_yuan:
            parts.append(f"主营业务收入不低于 {wan(lst.min_main_revenue_yuan)} 万元")
        excluded = [class_zh(k) for k in lst.exclude_classes] + [zh for _, zh in lst.exclude_facts]
        if excluded:
            parts.append(f"排除{'、'.join(excluded)}的企业")
        if lst.exclude_selected_in:
            named = {other.key: other.name_zh for other in rules.lists}
            parts.append(f"已入选{'、'.join(named[k] for k in lst.exclude_selected_in)}名单的不再入选")
        texts.append(f"{lst.name_zh}按{lst.basis_zh}排序：{'，'.join(parts)}")
    ties = "、".join(zh for _, zh in rules.tie_break)
    return "；".join(texts) + (f"；名额末位得分相同时，依次比较{ties}，高者入选。" if ties else "。")


INDUSTRY_PREFIX = re.compile(r"[A-Z][0-9]{0,4}|[0-9]{2,4}")  # a GB/T 4754 code's beginning: C, C39, 3911
MAX_REVENUE_WAN = 100_000_000  # 1万亿元: past any enterprise


def leader_form(rules: Any) -> list[dict[str, Any]]:
    """The 生成名单 form's fields for each list, filled with the rules in force: the industry code
    prefixes, the minimum 主营业务收入 in 万元, the classes and the facts that exclude."""
    facts = dict(fact for lst in rules.lists for fact in lst.exclude_facts)
    return [{"key": lst.key, "name_zh": lst.name_zh, "industries": "、".join(lst.industries),
             "min_revenue_wan": lst.min_main_revenue_yuan // 10_000, "classes": list(lst.exclude_classes),
             "facts": [{"fact": f, "name_zh": zh, "on": f in dict(lst.exclude_facts)} for f, zh in facts.items()]}
            for lst in rules.lists]


def rules_from_form(rules: Any, form: Any) -> tuple[Any, list[str]]:
    """The catalog's lists with the officer's settings from the form (``form.get(name)`` and
    ``form.getlist(name)``, fields ``{list}__industries``, ``__min_revenue_wan``, ``__class``,
    ``__fact``), and the problems in Chinese (none: the rules to draw with). Only the facts the
    catalog offers may exclude; a field left out keeps nothing excluded."""
    offered = {f for lst in rules.lists for f, _ in lst.exclude_facts}
    names = dict(fact for lst in rules.lists for fact in lst.exclude_facts)
    lists, problems = [], []
    for lst in rules.lists:
        prefixes = tuple(p for p in re.split(r"[\s,，、;；]+", str(form.get(f"{lst.key}__industries") or "")) if p)
        bad = [p for p in prefixes if not INDUSTRY_PREFIX.fullmatch(p)]
        if bad or len(prefixes) > 50:
            problems.append(f"{lst.name_zh}：行业代码应为国民经济行业分类代码的开头（如 C、C39、3911），"
                            f"至多 50 个：{'、'.join(bad[:5])}")
        revenue = str(form.get(f"{lst.key}__min_revenue_wan") or "0").strip()
        if not revenue.isdigit() or int(revenue) > MAX_REVENUE_WAN:
            problems.append(f"{lst.name_zh}：主营业务收入下限应为 0 至 {MAX_REVENUE_WAN:,} 的整数（万元）：“{revenue[:20]}”")
            revenue = "0"
        classes = tuple(k for k in CLASSES if k in form.getlist(f"{lst.key}__class"))
        facts = tuple((f, names[f]) for f in sorted(offered) if f in form.getlist(f"{lst.key}__fact"))
        lists.append(replace(lst, industries=prefixes, min_main_revenue_yuan=int(revenue) * 10_000,
                             exclude_classes=classes, exclude_facts=facts))
    return replace(rules, lists=tuple(lists)), problems


def leader_citation(rules: Any) -> str:
    """依据：article 1 of the policy."""
    return f"依据：{rules.citation}"


def leader_lists(leaders: pl.DataFrame | None, rules: Any) -> list[dict[str, Any]]:
    """The two lists, each with its selected enterprises (by rank) and every candidate not
    selected with why (excluded, below the cut, or a tie at the cut)."""
    lists = []
    if leaders is None:
        leaders = pl.DataFrame(schema={"list": pl.String, "uscc": pl.String, "name": pl.String, "rank": pl.Int64,
                                       "score": pl.Float64, "selected": pl.Boolean, "reason": pl.String})
    for code, name_zh in ((lst.key, lst.name_zh) for lst in rules.lists):
        part = leaders.filter(pl.col("list") == code).sort(["selected", "rank", "uscc"], descending=[True, False, False],
                                                          nulls_last=True)
        rows = [{**r, "score_text": points(r["score"]), "rank_text": r["rank"] if r["rank"] is not None else "—"}
                for r in part.iter_rows(named=True)]
        lists.append({"code": code, "name_zh": name_zh, "selected": [r for r in rows if r["selected"]],
                      "others": [r for r in rows if not r["selected"]]})
    return lists


def wan(yuan: Any) -> str:
    """Yuan (an int or an exact decimal of fen) as 万元, exact: up to six decimals (a fen)."""
    if yuan is None:
        return "—"
    return f"{Decimal(str(yuan)) / 10_000:,.6f}".rstrip("0").rstrip(".")


def score_text(value: Any) -> str:
    """An expert score as written (exact decimals kept)."""
    if value is None:
        return "—"
    text = format(Decimal(str(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def allocation_header(view: dict[str, Any], pot: Any, at: str) -> dict[str, Any]:
    """An allocation's head: the pot by its name, budget and limits in words (``pot`` None: not
    known), the file, who and when."""
    return {"pot_name": view["pot_name"], "file_name": view["applications_file"], "by": view["allocated_by"],
            "at": at, "budget_wan": wan(Decimal(pot.budget_fen) / 100) if pot else "—",
            "citation": pot.citation if pot else "", "limits": [limit_text(limit, pot) for limit in pot.limits] if pot else []}


def limit_text(limit: Any, pot: Any) -> str:
    """A pot's limit in words: 智能化投资项目至多 5 个，每个行业至多 1 个."""
    subject = pot.kind_name(limit.kind) if limit.kind else "全部项目"
    parts = [f"至多 {limit.max_count} 个" if limit.max_count is not None else "",
             f"每个行业至多 {limit.max_per_industry} 个" if limit.max_per_industry is not None else ""]
    return subject + "，".join(p for p in parts if p)


def application_rows(applications: list[dict[str, Any]], pot: Any, names: dict[str, str]) -> list[dict[str, Any]]:
    """The stored applications as the result table shows them: the request in 元 and the score
    exactly (from fen and score × 10 000), kind and industry by the pot's Chinese names, the
    enterprise by its stored name (``names``: credit code → name), else the code the file gave."""
    return [{**a, "requested_yuan": Decimal(a["requested_fen"]) / 100, "score": Decimal(a["score_e4"]) / 10_000,
             "kind_zh": (pot.kind_name(a["kind"]) if pot else a["kind"]) if a.get("kind") else "—",
             "industry_zh": (pot.industry_name(a["industry"]) if pot else a["industry"]) if a.get("industry") else "—",
             "enterprise": names.get(a["uscc"], a["uscc"])} for a in applications]


def allocation_summary(result: dict[str, Any], applications: list[dict[str, Any]]) -> dict[str, Any]:
    """An allocation's result beside the greedy order's: the totals, the score the greedy order
    leaves on the table, and each application with both choices and its reason.
    ``result`` is the allocation CLI's JSON; ``applications`` the file's rows (``id, uscc,
    industry, kind, requested_yuan, score`` and optionally names)."""
    exact, greedy = set(map(str, result["selected"])), set(map(str, result["greedy"]["selected"]))
    reasons = {str(d["id"]): d["reason"] for d in result["decisions"]}
    gap = Decimal(str(result["total_score"])) - Decimal(str(result["greedy"]["total_score"]))
    rows = [{**a, "selected": str(a["id"]) in exact, "greedy": str(a["id"]) in greedy,
             "reason": reasons.get(str(a["id"]), "—"), "requested_wan": wan(a["requested_yuan"]),
             "score_text": score_text(a["score"])} for a in applications]
    rows.sort(key=lambda r: (not r["selected"], -Decimal(str(r["score"] or 0))))
    return {"count": len(exact), "total_score": score_text(result["total_score"]),
            "total_wan": wan(result["total_yuan"]), "greedy_count": len(greedy),
            "greedy_score": score_text(result["greedy"]["total_score"]),
            "greedy_wan": wan(result["greedy"]["total_yuan"]), "gap": score_text(gap), "gap_positive": gap > 0,
            "only_exact": sorted(exact - greedy), "only_greedy": sorted(greedy - exact), "rows": rows}


# (header, how a table row gives the cell) for the export
EXPORT_COLUMNS = [
    ("统一社会信用代码", "uscc"), ("企业名称", "name"), ("县（市、区）", "county_name"), ("规模", "size_zh"),
    ("行业组", "group"), ("综合得分", "total"), ("排名", "rank"), ("初评类别", "initial"), ("最终类别", "klass"),
    ("合并计算的企业", "merged"), ("说明", "reason"),
]


def write_grading_xlsx(rows: list[dict[str, Any]], year: int, path: Path) -> Path:
    """The table as the page filters it, one sheet 亩均效益评价; every cell neutralised (an
    enterprise named ``=HYPERLINK(…)`` stays text). Returns ``path``."""
    book = Workbook()
    sheet = book.active
    sheet.title = "亩均效益评价"
    sheet.append([f"{year}年度亩均效益综合评价结果"])
    sheet.append([title for title, _ in EXPORT_COLUMNS])
    for row in rows:
        sheet.append(neutralised(row[key] for _, key in EXPORT_COLUMNS))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    sheet.freeze_panes = "A3"
    book.save(path)
    return path
