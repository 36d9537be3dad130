"""What the 亩均效益评价 pages show, from hand-built frames of the engine's shape: the filters,
the class distribution per county (table and chart), names instead of codes, the leading lists
with every exclusion, an allocation beside the greedy choice, and the export neutralised."""

from __future__ import annotations

from types import SimpleNamespace

import polars as pl
from openpyxl import load_workbook

from commerce_brain.web.grading_views import (
    GradingFilters,
    allocation_summary,
    distribution,
    leader_lists,
    leader_rules_text,
    limit_text,
    table_rows,
    wan,
    with_benchmarks,
    write_grading_xlsx,
)

NAMES = {"330802": "柯城区", "330881": "江山市"}


def graded(*rows: tuple) -> pl.DataFrame:
    """(uscc, name, county, size_class, total, rank, initial, class, merged_with) per enterprise."""
    return pl.DataFrame(
        [{"uscc": u, "name": n, "org_unit": c, "county": c, "industry_group": "全部工业", "size_class": s,
          "unit": u, "merged_with": m, "value__tax_per_mu": 30.0, "score__tax_per_mu": 37.35, "bonus": 0.0,
          "penalty": 0.0, "total": t, "rank": r, "group_size": len(rows), "initial_class": i, "class": k,
          "reason": f"{n}的说明"} for u, n, c, s, t, r, i, k, m in rows],
        schema_overrides={"merged_with": pl.List(pl.String)})


SAMPLE = graded(
    ("91330802000000001A", "甲公司", "330802", "above", 88.5, 1, "A", "A", []),
    ("91330802000000002B", "乙公司", "330802", "above", 60.0, 2, "B", "A", ["91330881000000003C"]),
    ("91330881000000003C", "=HYPERLINK(\"http://x\")", "330881", "above", 60.0, 2, "B", "B",
     ["91330802000000002B"]),
    ("91330881000000004D", "丁公司", "330881", "below", 12.25, 1, "D", "D", []),
)


def test_the_filters_keep_county_group_and_class_and_ignore_what_the_form_cannot_send():
    assert GradingFilters.parse("330802", "", "a").apply(SAMPLE)["uscc"].to_list() == [
        "91330802000000001A", "91330802000000002B"]
    assert GradingFilters.parse("", "全部工业", "B").apply(SAMPLE).height == 1
    assert GradingFilters.parse(None, None, "E").klass is None  # not a class: no filter
    assert GradingFilters.parse("330881", None, "D").query(2024) == "year=2024&county=330881&class=D"


def test_rows_name_the_county_and_the_merged_enterprise_and_mark_a_regrade():
    rows = table_rows(SAMPLE, NAMES)
    second = rows[1]
    assert (second["county_name"], second["klass"], second["initial"], second["regraded"]) == ("柯城区", "A类", "B类", True)
    assert second["merged"] == "=HYPERLINK(\"http://x\")" and rows[0]["merged"] == ""
    assert second["rank"] == "2 / 4" and second["total"] == "60.00"
    assert [r["size_zh"] for r in rows] == ["规上工业企业", "规上工业企业", "规上工业企业", "规下工业企业"]
    # Filtered to one county, the partner in the other county is still named, not coded.
    only_kecheng = table_rows(GradingFilters.parse("330802", None, None).apply(SAMPLE), NAMES,
                              dict(zip(SAMPLE["uscc"], SAMPLE["name"], strict=True)))
    assert only_kecheng[1]["merged"] == "=HYPERLINK(\"http://x\")"


def test_the_distribution_counts_each_class_per_county_with_a_total_row_and_the_chart():
    dist = distribution(SAMPLE, NAMES)
    assert dist["rows"] == [{"name": "柯城区", "A": 2, "B": 0, "C": 0, "D": 0, "total": 2},
                            {"name": "江山市", "A": 0, "B": 1, "C": 0, "D": 1, "total": 2}]
    assert dist["totals"] == {"name": "合计", "A": 2, "B": 1, "C": 0, "D": 1, "total": 4}
    assert dist["chart"]["units"] == ["柯城区", "江山市"]
    assert [(s["name"], s["values"]) for s in dist["chart"]["series"]] == [
        ("A类", [2, 0]), ("B类", [0, 1]), ("C类", [0, 0]), ("D类", [0, 1])]
    empty = distribution(SAMPLE.clear(), NAMES)
    assert empty["rows"] == [] and empty["totals"]["total"] == 0


def test_the_export_is_the_table_with_every_text_cell_neutralised(tmp_path):
    path = write_grading_xlsx(table_rows(SAMPLE, NAMES), 2024, tmp_path / "g.xlsx")
    sheet = load_workbook(path).active
    assert sheet["A1"].value == "2024年度亩均效益综合评价结果"
    assert [c.value for c in sheet[2]][:3] == ["统一社会信用代码", "企业名称", "县（市、区）"]
    names = [sheet.cell(row=r, column=2).value for r in range(3, 7)]
    assert "'=HYPERLINK(\"http://x\")" in names and "=HYPERLINK(\"http://x\")" not in names
    assert sheet.cell(row=4, column=10).value == "'=HYPERLINK(\"http://x\")"  # merged-with names too


RULES = SimpleNamespace(
    lists=(SimpleNamespace(key="leading", name_zh="龙头企业", basis_zh="亩均效益综合得分", size_classes=("above",),
                           industries=(), min_main_revenue_yuan=100_000_000, exclude_classes=("D",),
                           exclude_facts=(("safety_incident", "发生较大及以上安全生产事故"),), exclude_selected_in=()),
           SimpleNamespace(key="benchmark", name_zh="标杆企业", basis_zh="亩均效益综合得分",
                           size_classes=("above", "below"), industries=("C39",), min_main_revenue_yuan=0,
                           exclude_classes=("C", "D"), exclude_facts=(), exclude_selected_in=("leading",))),
    tie_break=(("main_revenue", "主营业务收入"),), citation="《关于推进创新驱动加快经济高质量发展若干政策意见》第1条")


def test_the_leading_lists_show_the_chosen_by_rank_and_every_other_candidate_with_why():
    leaders = pl.DataFrame({
        "list": ["leading", "leading", "leading", "benchmark"],
        "uscc": ["A", "B", "C", "D"], "name": ["甲", "乙", "丙", "丁"], "rank": [2, 1, None, 1],
        "score": [80.0, 90.5, None, 70.0], "selected": [True, True, False, False],
        "reason": ["第2名，入选", "第1名，入选", "D类企业不参与", "得分相同，按主营业务收入排在末位之后"]})
    lists = leader_lists(leaders, RULES)
    assert [l["name_zh"] for l in lists] == ["龙头企业", "标杆企业"]
    assert [r["name"] for r in lists[0]["selected"]] == ["乙", "甲"]
    assert [(r["name"], r["reason"], r["rank_text"]) for r in lists[0]["others"]] == [("丙", "D类企业不参与", "—")]
    assert lists[1]["selected"] == [] and lists[1]["others"][0]["score_text"] == "70.00"
    assert all(l["selected"] == [] and l["others"] == [] for l in leader_lists(None, RULES))


def test_the_rules_are_told_in_words():
    text = leader_rules_text(RULES)
    assert "龙头企业按亩均效益综合得分排序：规上工业企业，主营业务收入不低于 10,000 万元，排除D类、发生较大及以上安全生产事故的企业" in text
    assert "行业代码以 C39 开头" in text and "已入选龙头企业名单的不再入选" in text
    assert text.endswith("名额末位得分相同时，依次比较主营业务收入，高者入选。")


def test_an_allocation_is_shown_beside_the_greedy_choice_with_the_score_left_on_the_table():
    result = {"selected": [2, 3], "total_score": 170, "total_yuan": "30000000.5",
              "greedy": {"selected": [1], "total_score": "95.5", "total_yuan": 25000000},
              "decisions": [{"id": 1, "selected": False, "reason": "得分低于与之竞争的入选项目"},
                            {"id": 2, "selected": True, "reason": "入选"},
                            {"id": 3, "selected": True, "reason": "入选"}]}
    apps = [{"id": 1, "uscc": "X", "industry": "C39", "kind": "major", "requested_yuan": 25000000, "score": "95.5"},
            {"id": 2, "uscc": "Y", "industry": "C39", "kind": "major", "requested_yuan": 15000000, "score": 85},
            {"id": 3, "uscc": "Z", "industry": "C40", "kind": "major", "requested_yuan": "15000000.5", "score": 85}]
    s = allocation_summary(result, apps)
    assert (s["count"], s["total_score"], s["total_wan"]) == (2, "170", "3,000.00005")
    assert (s["greedy_count"], s["greedy_score"], s["greedy_wan"]) == (1, "95.5", "2,500")
    assert (s["gap"], s["gap_positive"]) == ("74.5", True)
    assert (s["only_exact"], s["only_greedy"]) == (["2", "3"], ["1"])
    assert [(r["id"], r["selected"], r["greedy"], r["reason"]) for r in s["rows"]] == [
        (2, True, False, "入选"), (3, True, False, "入选"), (1, False, True, "得分低于与之竞争的入选项目")]


def test_money_is_shown_in_wan_yuan_exactly_and_limits_in_words():
    assert wan(12_345_678_901) == "1,234,567.8901" and wan(None) == "—" and wan("0.01") == "0.000001"
    pot = SimpleNamespace(kind_name=lambda k: {"intelligent": "智能化投资项目"}.get(k, k))
    assert limit_text(SimpleNamespace(kind="intelligent", max_count=5, max_per_industry=1), pot) == \
        "智能化投资项目至多 5 个，每个行业至多 1 个"
    assert limit_text(SimpleNamespace(kind=None, max_count=20, max_per_industry=None), pot) == "全部项目至多 20 个"


def test_a_score_card_row_gets_the_benchmarks_in_force_unless_it_carries_them():
    settings = SimpleNamespace(indicators={"above": (SimpleNamespace(key="tax_per_mu"), SimpleNamespace(key="rd_share"))},
                               benchmark=lambda year, county, size, key: {"tax_per_mu": 24.097, "rd_share": 0.0302}[key])
    row = {"county": "330802", "size_class": "above", "benchmark__rd_share": 0.05, "total": 1.0}
    out = with_benchmarks(row, settings, 2024)
    assert (out["benchmark__tax_per_mu"], out["benchmark__rd_share"], out["total"]) == (24.097, 0.05, 1.0)
