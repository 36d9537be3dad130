"""`commerce-brain policy …` end to end on real files."""

import json
import shutil

import openpyxl
import pytest
import yaml
from typer.testing import CliRunner

from commerce_brain.catalog import CatalogError, default_catalog_dir
from commerce_brain.cli import app
from commerce_brain.io.enterprise_import import write_policy_template
from commerce_brain.policy.catalog import load_policy_catalog
from commerce_brain.policy.synthetic import city
from commerce_brain.uscc import make_uscc

runner = CliRunner()


def run(*args: str, ok: bool = True):
    result = runner.invoke(app, list(args))
    if ok:
        assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    path = tmp_path_factory.mktemp("sample") / "sample.xlsx"
    run("policy", "sample", "--out", str(path), "--enterprises", "300")
    return path


def test_rules_cite_their_articles():
    rules = json.loads(run("policy", "rules", "--format", "json").stdout)
    rd = next(r for r in rules if r["id"] == "rd_subsidy")
    assert rd["article"] == 8 and "200万元以上" in rd["quote"] and rd["cap"] == "300万"
    assert all(r["quote"] for r in rules)


def test_rules_list_the_clauses_not_computed_with_their_reason():
    # 004 article 13: the park's rent relief (三免两减半) is listed with why it is not computed
    output = run("policy", "rules").output
    section = output[output.index("列出但不计算的条款"):]
    assert "13" in section and "小微企业园租费" in section and "园区对新入驻" in section
    assert "由园区而非市、县财政给予" in section


def test_a_clause_not_computed_must_give_its_reason(tmp_path):
    root = tmp_path / "catalog"
    shutil.copytree(default_catalog_dir(), root)
    path = root / "policies" / "qz_innovation_2019.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    clause = data["not_computed"][0]
    assert clause["article"] == 13 and "亩产效益" in clause["quote"] and "三免两减半" in clause["quote"]
    del clause["reason"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogError, match=r"qz_innovation_2019.yaml not_computed 1：缺少必填字段 reason"):
        load_policy_catalog(root)


def test_evaluate_json_contract_and_totals(sample):
    data = json.loads(run("policy", "evaluate", "--data", str(sample), "--year", "2023", "--format", "json").stdout)
    assert data["awards"], "the sample city earns awards"
    first = data["awards"][0]
    assert {"uscc", "rule", "article", "amount_yuan", "payee", "payer", "explanation"} <= set(first)
    total_fen = sum(a["amount_fen"] for a in data["awards"])
    assert data["totals"]["total_fen"] == total_fen
    assert sum(v["amount_fen"] for v in data["totals"]["by_payer"].values()) == total_fen
    assert sum(v["amount_fen"] for v in data["totals"]["by_rule"].values()) == total_fen
    assert all(a["amount_fen"] == round(a["amount_yuan"] * 100) for a in data["awards"])


def test_evaluate_writes_an_xlsx_and_filters_one_enterprise(sample, tmp_path):
    out = tmp_path / "awards.xlsx"
    data = json.loads(run("policy", "evaluate", "--data", str(sample), "--year", "2023", "--format", "json",
                          "--out", str(out)).stdout)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["奖补明细", "合计"]
    assert book["奖补明细"].max_row == len(data["awards"]) + 1
    uscc = data["awards"][0]["uscc"]
    one = json.loads(run("policy", "evaluate", "--data", str(sample), "--year", "2023", "--uscc", uscc,
                         "--format", "json").stdout)
    assert {a["uscc"] for a in one["awards"]} == {uscc}


def test_explain_one_enterprise(sample):
    data = json.loads(run("policy", "evaluate", "--data", str(sample), "--year", "2023", "--format", "json").stdout)
    uscc = next(a["uscc"] for a in data["awards"] if a["rule"] == "rd_subsidy")
    explained = json.loads(run("policy", "explain", "--data", str(sample), "--year", "2023", "--uscc", uscc,
                               "--format", "json").stdout)
    rd = next(a for a in explained["awards"] if a["rule"] == "rd_subsidy")
    assert "第8条" in rd["explanation"] and "研发投入 × 5%" in rd["explanation"]
    assert explained["missed"] and all(m["reason"] for m in explained["missed"])
    table = run("policy", "explain", "--data", str(sample), "--year", "2023", "--uscc", uscc).output
    assert "未享受的条款" in table


def test_year_before_the_policy_is_refused(sample):
    result = run("policy", "evaluate", "--data", str(sample), "--year", "2018", ok=False)
    assert result.exit_code == 2 and "衢政发〔2017〕46号" in result.output


def test_a_bad_file_is_rejected_whole(tmp_path):
    path = tmp_path / "bad.xlsx"
    run("policy", "template", "--out", str(path))
    book = openpyxl.load_workbook(path)
    book["enterprises"].append(["913308001234567890", "坏代码企业", "330800", "C", "是", "是", "否", "否"])
    book.save(path)
    result = run("policy", "evaluate", "--data", str(path), "--year", "2023", ok=False)
    assert result.exit_code == 1
    assert "enterprises" in result.output and "913308001234567890" in result.output


@pytest.mark.parametrize(("kind", "column", "value"), [
    ("national_high_tech_enterprise", 4, "galactic"),  # level: was paid 300,000 元 as 其他
    ("green_loan", 8, "ultraviolet"),  # rating: the award vanished silently
])
def test_an_out_of_vocabulary_event_rejects_the_file(tmp_path, kind, column, value):
    path = write_policy_template(tmp_path / "vocabulary.xlsx", with_examples=True)
    book = openpyxl.load_workbook(path)
    row = [book["events"].cell(2, 1).value, "2023-06-30", kind, None, None, None, "越界", None, None, None, 365]
    row[column - 1] = value
    book["events"].append(row)
    book.save(path)

    result = run("policy", "evaluate", "--data", str(path), "--year", "2023", ok=False)

    assert result.exit_code == 1
    assert "events 第4行, " in result.output and f"“{value}”" in result.output


def test_template_filled_with_its_examples_round_trips(tmp_path):
    path = write_policy_template(tmp_path / "template.xlsx", with_examples=True)
    result = run("policy", "evaluate", "--data", str(path), "--year", "2023", "--format", "json")
    assert "awards" in json.loads(result.stdout)


def test_cases_command_passes_on_the_catalog():
    result = run("policy", "cases", ok=False)
    assert result.exit_code == 0, result.output
    assert " passed, 0 failed" in result.output


def test_synthetic_city_is_seeded_and_valid():
    first, second = city(500, [2022, 2023]), city(500, [2022, 2023])
    assert all(a.equals(b) for a, b in zip(first, second, strict=True))
    assert make_uscc(first[0]["uscc"][0][:17]) == first[0]["uscc"][0]
    assert first[1].height == 1000 and first[1]["main_revenue"].dtype.is_integer()
