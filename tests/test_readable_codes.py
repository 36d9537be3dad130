"""No raw codes where people read: event kinds, levels and ratings by their Chinese names (from
catalog/policies/vocabulary.yaml), an award's 对象 as 发明专利授权（2023-06-01）, rules in words,
and yes/no figures as 是/否."""

from __future__ import annotations

import json
import re
import shutil

import polars as pl
import pytest
from test_calculator import CATALOG, POLICIES, YEAR, firm_uscc, rd_form, sign_in, site, town  # noqa: F401

from commerce_brain.catalog.checks import CatalogError
from commerce_brain.catalog.load import default_catalog_dir
from commerce_brain.policy.award_table import award_records
from commerce_brain.policy.catalog import load_policy_catalog
from commerce_brain.policy.engine import evaluate
from commerce_brain.policy.explain import in_words
from commerce_brain.policy.names import load_names

CODE = r"\b[a-z]+(?:_[a-z]+)+\b"   # a snake_case code such as invention_patent_granted


def test_every_code_the_rules_use_has_a_chinese_name():
    names = POLICIES.names
    assert set(names.event_kinds) >= POLICIES.event_kinds()
    assert names.kind("invention_patent_granted") == "发明专利授权" and names.kind("facts") == "年度经营数据"
    assert names.choices["national"] == "国家级" and names.choices["dark_green"] == "深绿"


def test_a_vocabulary_missing_a_kind_refuses_the_catalog(tmp_path):
    shutil.copytree(default_catalog_dir() / "policies", tmp_path / "policies")
    path = tmp_path / "policies" / "vocabulary.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  green_loan: 绿色贷款\n", ""), encoding="utf-8")
    with pytest.raises(CatalogError, match="no Chinese name for green_loan"):
        load_policy_catalog(tmp_path)
    path.write_text("event_kinds:\n  green_loan: ''\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="green_loan needs a Chinese name"):
        load_names(path)
    path.write_text("colours: {}\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="不认识的字段 colours"):
        load_names(path)


@pytest.mark.parametrize(("subject", "year", "shown"), [
    ("invention_patent_granted@2023-06-01", 2023, "发明专利授权（2023-06-01）"),
    ("green_loan@2023-01-02#2", 2023, "绿色贷款（2023-01-02，当日第2项）"),
    ("enterprise", 2023, "2023年度经营数据"),
    ("衢州某科技园项目", 2023, "衢州某科技园项目"),              # a subject the enterprise named
    ("unknown_kind@2023-06-01", 2023, "unknown_kind@2023-06-01"),  # not the platform's: kept as given
])
def test_an_awards_subject_reads_as_kind_and_date(subject, year, shown):
    assert POLICIES.names.subject(subject, year) == shown


@pytest.mark.parametrize(("text", "words"), [
    ('level == "national" → 50万；level == "provincial" → 30万', "国家级 → 50万元；省级 → 30万元"),
    ('level in ("national", "provincial")', "国家级或省级"),
    ('rating == "dark_green"', "深绿"),
    ("not is_listed", "非上市公司"),
    ("is_industrial and first_time(main_revenue >= 2000万)", "工业企业 且 首次(主营业务收入 ≥ 2000万元)"),
    ("amount >= 10亿 → 300万；其他 → 100万", "金额 ≥ 10亿元 → 300万元；其他 → 100万元"),
])
def test_rules_read_in_words(text, words):
    assert in_words(text, POLICIES) == words


def test_every_rule_reads_without_codes():
    for rule in POLICIES.rules():
        for text in (rule.amount_text, rule.when.text if rule.when else "", rule.cap.text if rule.cap else ""):
            words = in_words(text, POLICIES)
            assert not pl.Series([words]).str.contains(CODE).any(), (rule.id, words)
            assert '"' not in words and "==" not in words, (rule.id, words)


def test_yes_no_figures_read_as_shi_and_fou(town):  # noqa: F811
    awards = evaluate(*town, YEAR).filter(pl.col("figures").str.contains("is_industrial") & (pl.col("amount_fen") > 0))
    assert awards.height, "the synthetic city has an award that reads is_industrial"
    records = award_records(awards.head(20), POLICIES, CATALOG)
    assert all("工业企业：是" in r["explanation"] and "True" not in r["explanation"] for r in records)
    assert all("@" not in r["subject_zh"] for r in records)


def test_pages_show_rules_and_subjects_in_chinese(site):  # noqa: F811
    client, csrf = sign_in(site, "officer")
    rules = client.get("/rules")
    assert rules.status_code == 200
    assert "国家级 → 50万元" in rules.text and "发明专利授权" in rules.text
    assert "level ==" not in rules.text and "invention_patent_granted<" not in rules.text
    rule = client.get("/rules/informatization_pilot")
    assert "国家级 → 50万元；省级 → 30万元" in rule.text and ">informatization_pilot<" not in rule.text
    result = client.post("/calculator", data={**rd_form(), "csrf": csrf})
    assert result.status_code == 200
    assert "对象：国家高新技术企业认定（2023-11-20）" in result.text
    assert "national_high_tech_enterprise@" not in result.text


def test_a_claims_events_show_kind_and_level_names():
    from commerce_brain.web.pages import _ENV

    event = {"date": "2023-06-01", "kind": "invention_patent_granted", "level": "national", "subject": None}
    html = _ENV.get_template("_claim_inputs.html").render(
        inputs={"enterprise": {"name": "某企业"}, "uscc": "91330802MA2G000117", "facts": [], "events": [event]},
        money=lambda fen: "—")
    assert "<td>发明专利授权</td>" in html and "<td>国家级</td>" in html
    assert "invention_patent_granted" not in html and "national" not in html


def test_formula_symbols_are_explained_in_words():
    from commerce_brain.indicators.explain import explain, symbols_in

    row = {"status": "lagging", "status_zh": "滞后", "year": 2023, "base_year": 2020, "target_year": 2025,
           "base_value": 757.0, "target_value": 1000.0, "actual": 860.0, "implied_growth": 0.0573,
           "achieved_growth": 0.0434, "required_growth": 0.0783, "progress": 0.42, "time_elapsed": 0.6,
           "ratio": 0.76, "growth_kind": "annual_growth", "citation": "「x」"}
    text = explain(row)
    assert "规划目标隐含的年均增长 g_p=" in text and "已实现年均增长 g_a=" in text and "进度比值 r=" in text
    shown = dict(symbols_in(text))
    assert set(shown) == {"X₀", "X_T", "X_t", "t₀", "T", "t", "g_p", "g_a", "g_r", "P", "τ", "r"}
    assert shown["g_r"] == "剩余年份为达到目标所需的年均增长率"
    assert symbols_in("2023年暂无实际值，无法评估。") == []


def test_the_calculator_asks_for_the_type_and_cites_its_articles(site):  # noqa: F811
    from commerce_brain.policy import calculator_form as cf

    articles = cf.kind_articles(POLICIES)
    assert set(articles) == POLICIES.event_kinds()
    assert articles["national_high_tech_enterprise"] == [
        "国家高新技术企业奖励：《关于推进创新驱动加快经济高质量发展若干政策意见》第8条（新认定国家高新技术企业）"
        "「对新认定的国家高新技术企业给予30万元的奖励。」"]
    # The fields offered come from the names the rules' expressions read, not a hand list.
    fields = cf.fields_of_kinds(POLICIES)
    assert {"rating", "benchmark_rate", "days", "amount"} <= set(fields["green_loan"])
    assert not {"rating", "days", "level"} & set(fields["invention_patent_granted"])
    client, _ = sign_in(site, "officer")
    page = client.get("/calculator").text
    assert '<option value="green_loan" data-fields="' in page and ">绿色贷款</option>" in page
    block = re.search(r'<script type="application/json" id="kind-articles">(.*?)</script>', page, re.S)
    assert json.loads(block.group(1)) == articles


def test_the_rules_command_reads_in_words_and_its_json_keeps_the_codes(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from commerce_brain.cli import app

    monkeypatch.setenv("COMMERCE_BRAIN_DATA_DIR", str(tmp_path / "data"))
    table = CliRunner().invoke(app, ["policy", "rules"])
    assert table.exit_code == 0, table.output
    assert "国家级" in table.output and "level ==" not in table.output and "invention_patent_granted" not in table.output
    rows = json.loads(CliRunner().invoke(app, ["policy", "rules", "--format", "json"]).output)
    pilot = next(r for r in rows if r["id"] == "informatization_pilot")
    assert pilot["trigger"] == ["informatization_pilot"] and pilot["amount"].startswith('level == "national"')


def test_the_awards_workbook_names_subjects_and_says_yes_or_no(town, tmp_path):  # noqa: F811
    from openpyxl import load_workbook

    from commerce_brain.policy.award_table import COLUMNS, write_awards_xlsx

    from commerce_brain.policy.subjects import stable_subjects

    enterprises, facts, events = town
    awards = evaluate(enterprises, facts, stable_subjects(events), YEAR).filter(
        (pl.col("amount_fen") > 0) & pl.col("subject").str.contains("@"))
    records = award_records(awards.head(30), POLICIES, CATALOG)
    sheet = load_workbook(write_awards_xlsx(records, None, tmp_path / "a.xlsx"))["奖补明细"]
    header = [c.value for c in sheet[1]]
    subjects = [row[header.index("对象")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert subjects and all("@" not in s and "（20" in s for s in subjects)
    flags = {row[header.index(t)] for row in sheet.iter_rows(min_row=2, values_only=True)
             for t, key in COLUMNS if key in ("settle_with_city", "needs_review")}
    assert flags <= {"是", "否"} and flags
