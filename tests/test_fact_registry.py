"""The yearly-facts registry (issue 12, section 1): catalog/policies/variables.yaml's facts are
what the import, the store, the engine and the sample read; a new fact is a catalog entry only.
Real files, real SQLite and PostgreSQL, a real subprocess for a registry with an extra fact."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import polars as pl
import pytest
import yaml
from openpyxl import load_workbook

from commerce_brain.catalog import load_catalog
from commerce_brain.catalog.load import default_catalog_dir
from commerce_brain.fulfilment.data import load_policy_data, save_fact_values
from commerce_brain.io.enterprise_import import ImportRejected, read_policy_data, write_policy_template
from commerce_brain.policy.catalog import load_policy_catalog
from commerce_brain.policy.context import facts_context, numbered
from commerce_brain.policy.engine import evaluate
from commerce_brain.policy.fact_registry import FACTS, RegistryError, fact_schema, load_registry
from commerce_brain.policy.frames import ENTERPRISE_SCHEMA, FACT_SCHEMA, conform
from commerce_brain.policy.synthetic import city
from commerce_brain.store.audit import events as audit_events
from commerce_brain.store.enterprise_imports import enterprise_history, import_policy_data, list_enterprise_imports
from commerce_brain.store.fulfilment_tables import FulfilmentError
from commerce_brain.store.schema import connect
from commerce_brain.uscc import make_uscc

A, B = make_uscc("91330802MA2G00011"), make_uscc("91330800MA2G00022")
SPEC_NAMES = ["main_revenue", "rd_spend", "tax_paid", "value_added", "land_area_mu", "avg_employees",
              "energy_tce", "electricity_kwh", "emissions_t", "is_above_scale", "parcel", "is_high_tech",
              "safety_incident", "env_violation", "mu_class"]


@pytest.fixture
def engine(database_url):
    engine = connect(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def example(tmp_path) -> Path:
    """The template's filled-in example: A (柯城区) with every fact, B with revenue only."""
    return write_policy_template(tmp_path / "企业数据.xlsx", with_examples=True)


def class_catalog(root: Path) -> Path:
    """The packaged catalog plus a test rule that reads the 亩均 class: 1万 to an A-class 规上
    enterprise on at least 12.5 亩 (a decimal compared exactly)."""
    shutil.copytree(default_catalog_dir(), root)
    path = root / "policies" / "qz_innovation_2019.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    rule = copy.deepcopy(next(r for r in data["rules"] if r["id"] == "rd_subsidy"))
    rule.update(id="a_class_test", name_zh="亩均A类测试奖励",
                when='mu_class == "A" and is_above_scale and land_area_mu >= 12.5', amount="1万")
    rule.pop("cap", None)
    rule.pop("cap_per", None)
    data["rules"].append(rule)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return root


def class_awards(data, policies) -> list[str]:
    awards = evaluate(data.enterprises, data.facts, data.events, 2023, policies=policies, catalog=load_catalog())
    return awards.filter(pl.col("rule") == "a_class_test")["uscc"].to_list()


# ---- the registry --------------------------------------------------------------------------

def test_the_registry_names_the_spec_facts_and_their_types():
    assert [f.name for f in FACTS] == SPEC_NAMES
    schema = fact_schema()
    assert schema["land_area_mu"] == pl.Int64 and schema["mu_class"] == pl.String
    assert schema["is_above_scale"] == pl.Boolean and schema["parcel"] == pl.String
    assert {f.name: f.scale for f in FACTS if f.kind == "decimal"} == {
        "land_area_mu": 2, "energy_tce": 2, "emissions_t": 3}
    assert [f.name for f in FACTS if f.required] == ["main_revenue"]
    assert list(FACT_SCHEMA) == ["uscc", "year", *SPEC_NAMES]


@pytest.mark.parametrize("entry, reason", [
    ({"x": {"kind": "float", "name_zh": "某"}}, "kind"),
    ({"x": {"kind": "decimal", "name_zh": "某"}}, "scale"),
    ({"x": {"kind": "class", "name_zh": "某"}}, "vocabulary"),
    ({"x": {"kind": "money", "name_zh": "某", "bounds": [5, 1]}}, "bounds"),
    ({"x": {"kind": "money", "name_zh": "某", "formula": "__import__('os')"}}, "未知的键"),
])
def test_a_malformed_registry_is_refused_naming_the_fact(tmp_path, entry, reason):
    path = tmp_path / "variables.yaml"
    path.write_text(yaml.safe_dump({"facts": entry}, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RegistryError, match=f"facts.x: .*{reason}"):
        load_registry(path)


# ---- the import's 年度数据 sheet -------------------------------------------------------------

def test_the_template_has_a_column_per_fact_and_the_example_reads_back_exactly(example):
    sheet = load_workbook(example)["facts"]
    assert [c.value for c in sheet[1]] == ["uscc", "year", *SPEC_NAMES]
    data = read_policy_data(example, load_catalog())
    a = data.facts.filter(pl.col("uscc") == A).row(0, named=True)
    assert (a["tax_paid"], a["land_area_mu"], a["energy_tce"], a["emissions_t"]) == (523456712, 4550, 152035, 1250)
    assert (a["avg_employees"], a["electricity_kwh"], a["parcel"], a["mu_class"]) == (230, 3600000, "KC-2019-017", "A")
    assert (a["is_above_scale"], a["is_high_tech"], a["safety_incident"], a["env_violation"]) == (True, True, False, False)
    b = data.facts.filter(pl.col("uscc") == B).row(0, named=True)
    # An empty yes/no of a yearly fact is unknown, not 否.
    assert b["is_above_scale"] is None and b["land_area_mu"] is None


@pytest.mark.parametrize("cell, value, column, reason", [
    ("G2", "45.555", "land_area_mu (G)", "用地面积（含租用）最多 2 位小数"),
    ("G2", "-3", "land_area_mu (G)", "不能为负"),
    ("G2", "1000001", "land_area_mu (G)", "用地面积（含租用）超出范围：“1000001”（应在 0 到 1,000,000亩 之间）"),
    ("G2", "十二亩", "land_area_mu (G)", "格式错误"),
    ("H2", "12.5", "avg_employees (H)", "不是整数"),
    ("L2", "也许", "is_above_scale (L)", "取值错误"),
    ("Q2", "E", "mu_class (Q)", "亩均效益综合评价类别取值错误：“E”（可选：A、B、C、D）"),
    ("M2", "宗" * 65, "parcel (M)", "用地宗地编号过长：最多 64 个字，实为 65 个"),
])
def test_a_bad_fact_cell_is_refused_naming_sheet_row_column_and_reason(example, cell, value, column, reason):
    book = load_workbook(example)
    book["facts"][cell] = value
    book.save(example)
    with pytest.raises(ImportRejected) as info:
        read_policy_data(example, load_catalog())
    [problem] = info.value.problems
    assert (problem.sheet, problem.row, problem.column) == ("facts", 2, column)
    assert reason in problem.reason


def test_a_header_may_carry_the_fact_unit_but_not_another(example):
    book = load_workbook(example)
    book["facts"]["G1"] = "用地面积（含租用）（亩）"
    book["facts"]["I1"] = "综合能耗(吨标准煤)"
    book.save(example)
    data = read_policy_data(example, load_catalog())
    assert data.facts.filter(pl.col("uscc") == A)["land_area_mu"].item() == 4550
    book["facts"]["G1"] = "用地面积（平方米）"
    book.save(example)
    with pytest.raises(ImportRejected) as info:
        read_policy_data(example, load_catalog())
    assert any("不支持的单位“平方米”：用地面积（含租用）以亩为单位" in p.reason for p in info.value.problems)


def test_a_small_lowercase_class_is_read_as_the_catalog_writes_it(example):
    book = load_workbook(example)
    book["facts"]["Q2"] = "b"
    book.save(example)
    assert read_policy_data(example, load_catalog()).facts["mu_class"].to_list()[0] == "B"


# ---- the store ------------------------------------------------------------------------------

def test_long_facts_are_stored_versioned_and_loaded_wide(engine, example):
    data = read_policy_data(example, load_catalog())
    first = import_policy_data(engine, data, actor="政策办", file_name="一月.xlsx", sha256="-")
    assert first.counts()["fact_values"] == {"new": 13, "changed": 0, "unchanged": 0}
    loaded = load_policy_data(engine).facts
    assert loaded.schema == FACT_SCHEMA
    assert loaded.sort("uscc").equals(conform(data.facts, FACT_SCHEMA).sort("uscc"))
    # The next file has no 亩均 columns at all: the stored long facts stay as they are.
    book = load_workbook(example)
    book["facts"].delete_cols(5, 13)
    book.save(example)
    again = import_policy_data(engine, read_policy_data(example, load_catalog()), actor="政策办",
                               file_name="二月.xlsx", sha256="-")
    assert again.counts()["fact_values"] == {"new": 0, "changed": 0, "unchanged": 0}
    assert load_policy_data(engine).facts.filter(pl.col("uscc") == A)["land_area_mu"].item() == 4550


def test_save_fact_values_writes_only_the_given_facts_versioned_logged_and_audited(engine, example):
    import_policy_data(engine, read_policy_data(example, load_catalog()), actor="政策办", file_name="一月.xlsx",
                       sha256="-")
    before = load_policy_data(engine).facts
    published = pl.DataFrame({"uscc": [A, B], "year": [2023, 2023], "mu_class": ["C", "A"]})
    import_id = save_fact_values(engine, published, actor="评价办", file_name="亩均评价发布")
    after = load_policy_data(engine).facts
    assert after.sort("uscc")["mu_class"].to_list() == ["A", "C"]  # B (…0800) sorts first
    # Every other fact is as it was.
    assert after.drop("mu_class").sort("uscc").equals(before.drop("mu_class").sort("uscc"))
    [log] = [r for r in list_enterprise_imports(engine) if r["id"] == import_id]
    assert (log["file_name"], log["imported_by"], log["fact_values_new"], log["fact_values_changed"],
            log["facts_new"], log["facts_changed"]) == ("亩均评价发布", "评价办", 1, 1, 0, 0)
    history = enterprise_history(engine, A)["fact_values"].filter(pl.col("name") == "mu_class").sort("version")
    assert history.select("version", "text", "file_name").rows() == [(1, "A", "一月.xlsx"),
                                                                     (2, "C", "亩均评价发布")]
    [event] = [e for e in audit_events(engine) if e["object"] == f"enterprise_import:{import_id}"]
    assert event["action"] == "enterprise_data.save" and event["actor"] == "评价办"
    # A column fact given alone keeps the other column fact (R&D) as stored.
    save_fact_values(engine, pl.DataFrame({"uscc": [A], "year": [2023], "main_revenue": [1_000_000]}),
                     actor="评价办", file_name="更正")
    a = load_policy_data(engine).facts.filter(pl.col("uscc") == A).row(0, named=True)
    assert (a["main_revenue"], a["rd_spend"], a["mu_class"]) == (1_000_000, 609382716, "C")


@pytest.mark.parametrize("frame, reason", [
    ({"uscc": [A], "year": [2023], "mu_class": ["E"]}, "亩均效益综合评价类别有 1 行超出范围：应为 A/B/C/D 之一"),
    ({"uscc": [A], "year": [2023], "land_area_mu": [-5]}, "用地面积（含租用）有 1 行超出范围"),
    ({"uscc": [A], "year": [2023], "favourite_colour": ["red"]}, "未登记：favourite_colour"),
    ({"uscc": [A], "mu_class": ["A"]}, "须有 uscc、year"),
])
def test_save_fact_values_refuses_what_is_not_a_registry_value_and_stores_nothing(engine, frame, reason):
    with pytest.raises(FulfilmentError, match=reason):
        save_fact_values(engine, pl.DataFrame(frame), actor="评价办", file_name="x")
    assert list_enterprise_imports(engine) == []


# ---- the engine ------------------------------------------------------------------------------

def test_a_rule_reading_the_class_pays_on_the_file_and_on_the_stored_data(engine, example, tmp_path):
    policies = load_policy_catalog(class_catalog(tmp_path / "catalog"))
    data = read_policy_data(example, load_catalog())
    assert class_awards(data, policies) == [A]
    import_policy_data(engine, data, actor="政策办", file_name="一月.xlsx", sha256="-")
    assert class_awards(load_policy_data(engine), policies) == [A]
    # Grading publishes A as C and B as A: A loses the award; B, with no land on record, gets none.
    save_fact_values(engine, pl.DataFrame({"uscc": [A, B], "year": [2023, 2023], "mu_class": ["C", "A"]}),
                     actor="评价办", file_name="亩均评价发布")
    assert class_awards(load_policy_data(engine), policies) == []
    # 12.50 亩 is enough (exact decimal comparison), 12.49 is not.
    for land, expected in ((1250, [A]), (1249, [])):
        save_fact_values(engine, pl.DataFrame({"uscc": [A], "year": [2023], "mu_class": ["A"], "land_area_mu": [land]}),
                         actor="评价办", file_name="更正")
        assert class_awards(load_policy_data(engine), policies) == expected


def test_prev_columns_are_computed_only_for_the_facts_asked():
    enterprises, facts, _ = city(50, (2022, 2023))
    ctx = facts_context(numbered(conform(enterprises, ENTERPRISE_SCHEMA)), facts, {"rd_spend"})
    assert [c for c in ctx.columns if c.startswith("prev__")] == ["prev__rd_spend"]
    everything = facts_context(numbered(conform(enterprises, ENTERPRISE_SCHEMA)), facts)
    assert len([c for c in everything.columns if c.startswith("prev__")]) == len(FACTS)


# ---- the sample -----------------------------------------------------------------------------

def test_the_sample_has_plausible_grading_facts_for_industrial_enterprises():
    enterprises, facts, _ = city(3000, (2023,))
    joined = facts.join(enterprises.select("uscc", "is_industrial"), on="uscc")
    industrial = joined.filter(pl.col("is_industrial"))
    others = joined.filter(~pl.col("is_industrial"))
    assert others["land_area_mu"].null_count() == others.height  # only industry is graded
    land = industrial["land_area_mu"]
    assert land.null_count() == 0 and land.max() <= 300_00 and (land >= 3_00).mean() > 0.9
    below = industrial.filter(~pl.col("is_above_scale"))
    assert 0.05 < below.height / industrial.height < 0.15 and (below["land_area_mu"] < 3_00).any()
    assert 0.02 < industrial["emissions_t"].null_count() / industrial.height < 0.08
    assert industrial["parcel"].is_duplicated().any() and industrial["safety_incident"].any()
    assert facts["mu_class"].null_count() == facts.height  # published by grading, not drawn


# ---- a new fact is a registry entry, nothing else ----------------------------------------------

EXTRA_FACT_SCRIPT = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    import polars as pl
    from openpyxl import load_workbook
    from commerce_brain.catalog import load_catalog
    from commerce_brain.fulfilment.data import load_policy_data
    from commerce_brain.io.enterprise_import import read_policy_data, write_policy_template
    from commerce_brain.policy.catalog import load_policy_catalog
    from commerce_brain.policy.engine import evaluate
    from commerce_brain.store.enterprise_imports import import_policy_data
    from commerce_brain.store.schema import connect

    root = Path(sys.argv[1])
    path = write_policy_template(root / "t.xlsx", with_examples=True)
    book = load_workbook(path)
    header = [c.value for c in book["facts"][1]]
    book["facts"].cell(2, header.index("export_value") + 1, "1500000.5")
    book.save(path)
    data = read_policy_data(path, load_catalog())
    engine = connect(f"sqlite:///{root / 'store.sqlite3'}")
    done = import_policy_data(engine, data, actor="t", file_name="t.xlsx", sha256="-")
    stored = load_policy_data(engine)
    awards = evaluate(stored.enterprises, stored.facts, stored.events, 2023,
                      policies=load_policy_catalog(root / "catalog"), catalog=load_catalog())
    print(json.dumps({"header": header, "counts": done.counts()["fact_values"],
                      "stored": stored.facts["export_value"].to_list(),
                      "awards": awards.filter(pl.col("rule") == "export_test").select("uscc", "amount_fen").rows()}))
""")


def test_a_fact_added_to_the_registry_flows_from_template_to_engine_without_code(tmp_path):
    root = class_catalog(tmp_path / "catalog")
    variables = root / "policies" / "variables.yaml"
    text = variables.read_text(encoding="utf-8").replace("\nevents:", (
        "\n  export_value: {kind: money, name_zh: 出口交货值, unit: 元, bounds: [0, 1000000000000]}\nevents:"))
    variables.write_text(text, encoding="utf-8")
    path = root / "policies" / "qz_innovation_2019.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    rule = next(r for r in data["rules"] if r["id"] == "a_class_test")
    rule.update(id="export_test", when="export_value >= 100万", amount="export_value * 1%")
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    env = {**os.environ, "COMMERCE_BRAIN_FACT_REGISTRY": str(variables)}
    run = subprocess.run([sys.executable, "-c", EXTRA_FACT_SCRIPT, str(tmp_path)], env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout)
    assert found["header"][-1] == "export_value"
    assert found["counts"]["new"] == 14  # A's 13 facts of the packaged registry and the new one
    assert sorted(found["stored"], key=lambda v: v is None) == [150000050, None]
    assert found["awards"] == [[A, 1500001]]  # 1% of 1,500,000.50 元, half up to the fen


def test_an_enterprise_cannot_state_its_own_class_a_claim_reads_the_stored_one(engine, example):
    from commerce_brain.fulfilment.claims_flow import _with_stored_officer_facts
    from commerce_brain.policy.inputs import EnterpriseInputs

    import_policy_data(engine, read_policy_data(example, load_catalog()), actor="政策办", file_name="一月.xlsx",
                       sha256="-")
    for uscc, stated, expected in ((A, "D", "A"), (B, "A", None)):
        typed = EnterpriseInputs(enterprise={"uscc": uscc}, facts=(
            {"year": 2023, "main_revenue": 100, "rd_spend": None, "mu_class": stated, "safety_incident": False},))
        said = typed.without_reviewer_fields()
        assert "mu_class" not in said.facts[0] and "safety_incident" not in said.facts[0]
        assert _with_stored_officer_facts(engine, said).facts[0].get("mu_class") == expected


def test_policy_import_lists_a_revised_long_fact_in_chinese_with_its_unit(database_url, example):
    from typer.testing import CliRunner

    from commerce_brain.cli import app

    runner = CliRunner()
    first = runner.invoke(app, ["policy", "import", str(example), "--db", database_url, "--format", "json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["counts"]["fact_values"] == {"new": 13, "changed": 0, "unchanged": 0}
    book = load_workbook(example)
    book["facts"]["G2"] = "50"
    book["facts"]["Q2"] = "B"
    book.save(example)
    second = runner.invoke(app, ["policy", "import", str(example), "--db", database_url])
    assert second.exit_code == 0, second.output
    text = second.output
    assert "年度数据（其他指标）" in text
    assert "用地面积（含租用）：45.50 亩 → 50.00 亩" in text and "亩均效益综合评价类别：A → B" in text


def test_the_batch_reads_only_the_long_facts_its_rules_read(engine, example):
    from commerce_brain.policy.engine import packaged, variables_read

    import_policy_data(engine, read_policy_data(example, load_catalog()), actor="政策办", file_name="一月.xlsx",
                       sha256="-")
    read = {n.removeprefix("prev__") for n in variables_read(packaged()[0])}
    assert {"main_revenue", "rd_spend"} <= read and "land_area_mu" not in read
    some = load_policy_data(engine, facts=read).facts
    assert some.schema == FACT_SCHEMA and some["land_area_mu"].null_count() == some.height
    assert load_policy_data(engine, facts={"land_area_mu"}).facts["land_area_mu"].drop_nulls().to_list() == [4550]
