"""The policy engine on small hand-made policies: arbitration, caps, payer, scope, years."""

import datetime as dt
import shutil

import polars as pl
import pytest
import yaml

from commerce_brain.catalog import CatalogError, default_catalog_dir
from commerce_brain.policy.catalog import load_policy_catalog
from commerce_brain.policy.engine import PolicyYearError, evaluate, evaluate_years
from commerce_brain.policy.explain import explain_award, misses
from commerce_brain.policy.frames import ENTERPRISE_SCHEMA, EVENT_SCHEMA, FACT_SCHEMA

QUOTE = "测试条款。"


def rule(**fields) -> dict:
    return {"name_zh": fields.get("id"), "article": 99, "clause": "测试", "quote": QUOTE, **fields}


def policy_dir(tmp_path, rules: list[dict], **header) -> object:
    root = tmp_path / "catalog"
    (root / "policies").mkdir(parents=True)
    shutil.copy(default_catalog_dir() / "policies" / "variables.yaml", root / "policies" / "variables.yaml")
    policy = {"id": "test_policy", "title": "测试政策", "source": "004_3213aff82838dcb3.txt", "region": "330800",
              "city_level": ["330800", "Z33080001"], "first_year": 2019, "earlier_years": "2018年度按旧政策执行",
              "excluded": "is_provincial_or_central_owned and not is_manufacturing", "rules": rules, **header}
    (root / "policies" / "test_policy.yaml").write_text(yaml.safe_dump(policy, allow_unicode=True), encoding="utf-8")
    return load_policy_catalog(root)


def enterprises(*rows: dict) -> pl.DataFrame:
    base = {"name": "企业", "org_unit": "330800", "industry": "C", "is_manufacturing": True, "is_industrial": True,
            "is_listed": False, "is_provincial_or_central_owned": False}
    return pl.DataFrame([{**base, **r} for r in rows], schema=ENTERPRISE_SCHEMA)


def facts(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=FACT_SCHEMA)


def events(*rows: dict) -> pl.DataFrame:
    full = [{"date": dt.date(r.get("year", 2023), 6, 1), "year": r.get("year", 2023), **r} for r in rows]
    return pl.DataFrame(full, schema=EVENT_SCHEMA)


@pytest.fixture
def run(catalog):
    def go(policies, ent, fac=None, ev=None, year=2023):
        return evaluate(ent, fac, ev, year, policies=policies, catalog=catalog)
    return go


def test_highest_once_across_rules_in_one_group(tmp_path, run):
    policies = policy_dir(tmp_path, [
        rule(id="provincial_honour", trigger="honour", amount="30万", group="honour", when='level == "provincial"'),
        rule(id="national_honour", trigger="honour", amount="100万", group="honour", when='level == "national"'),
    ])
    awards = run(policies, enterprises({"uscc": "A"}),
                 ev=events({"uscc": "A", "kind": "honour", "level": "provincial", "subject": "中心"},
                           {"uscc": "A", "kind": "honour", "level": "national", "subject": "中心"},
                           {"uscc": "A", "kind": "honour", "level": "provincial", "subject": "另一中心"}))
    assert sorted(awards.select("rule", "subject", "amount_fen").rows()) == [
        ("national_honour", "中心", 100_000_000), ("provincial_honour", "另一中心", 30_000_000)]


def test_pay_only_the_difference_and_nothing_when_fully_paid(tmp_path, run):
    policies = policy_dir(tmp_path, [rule(id="honour", trigger="honour", amount="100万")])
    awards = run(policies, enterprises({"uscc": "A"}, {"uscc": "B"}),
                 ev=events({"uscc": "A", "kind": "honour", "already_paid": 30_000_000},
                           {"uscc": "B", "kind": "honour", "already_paid": 100_000_000}))
    assert awards.select("uscc", "amount_fen", "computed_fen", "already_paid_fen").rows() == [
        ("A", 70_000_000, 100_000_000, 30_000_000)]


def test_cap_per_enterprise_trims_the_smallest_awards_first(tmp_path, run):
    policies = policy_dir(tmp_path, [rule(id="loan", trigger="loan", amount="amount * 10%", cap="50万",
                                          cap_per="enterprise")])
    awards = run(policies, enterprises({"uscc": "A"}),
                 ev=events(*({"uscc": "A", "kind": "loan", "amount": fen} for fen in (300_000_000, 150_000_000, 100_000_000))))
    # 30万 + 15万 + 10万 = 55万 against a cap of 50万: the 10万 award is cut to 5万.
    assert sorted(awards["amount_fen"].to_list(), reverse=True) == [30_000_000, 15_000_000, 5_000_000]
    assert awards["amount_fen"].sum() == 50_000_000


def test_cap_per_deal_and_per_subject(tmp_path, run):
    policies = policy_dir(tmp_path, [
        rule(id="deal", trigger="deal", amount="amount * 1%", cap="50万", cap_per="deal"),
        rule(id="project", trigger="project", amount="amount * 10%", cap="100万", cap_per="subject"),
    ])
    awards = run(policies, enterprises({"uscc": "A"}), ev=events(
        {"uscc": "A", "kind": "deal", "amount": 8_000_000_000}, {"uscc": "A", "kind": "deal", "amount": 2_000_000_000},
        {"uscc": "A", "kind": "project", "amount": 800_000_000, "subject": "P1"},
        {"uscc": "A", "kind": "project", "amount": 600_000_000, "subject": "P1"},
        {"uscc": "A", "kind": "project", "amount": 600_000_000, "subject": "P2"}))
    by_rule = {r: sorted(v) for r, v in awards.group_by("rule").agg(pl.col("amount_fen")).iter_rows()}
    assert by_rule["deal"] == [20_000_000, 50_000_000]                 # 80万 capped at 50万; 20万
    # P1's two events both count (no group declared), 80万 + 60万 capped at 100万 for P1.
    assert by_rule["project"] == [20_000_000, 60_000_000, 80_000_000]


def test_payer_follows_the_enterprises_jurisdiction(tmp_path, run):
    policies = policy_dir(tmp_path, [rule(id="honour", trigger="honour", amount="10万")])
    units = ["330800", "Z33080001", "330802", "330803", "330881"]
    awards = run(policies, enterprises(*({"uscc": u, "org_unit": u} for u in units)),
                 ev=events(*({"uscc": u, "kind": "honour"} for u in units)))
    assert sorted(awards.select("org_unit", "payer", "settle_with_city").rows()) == [
        ("330800", "330800", False), ("330802", "330802", True), ("330803", "330803", False),
        ("330881", "330881", False), ("Z33080001", "330800", False)]


def test_city_level_scope_region_and_exclusion(tmp_path, run):
    policies = policy_dir(tmp_path, [
        rule(id="city_only", trigger="honour", amount="10万", scope="city_level"),
        rule(id="everyone", trigger="honour", amount="1万"),
        rule(id="everyone_incl", trigger="honour", amount="2万", includes_excluded=True),
    ])
    ent = enterprises({"uscc": "CITY"}, {"uscc": "KC", "org_unit": "330802"}, {"uscc": "SX", "org_unit": "330602"},
                      {"uscc": "PROV", "is_provincial_or_central_owned": True, "is_manufacturing": False})
    awards = run(policies, ent, ev=events(*({"uscc": u, "kind": "honour"} for u in ("CITY", "KC", "SX", "PROV"))))
    assert sorted(awards.select("uscc", "rule").rows()) == [
        ("CITY", "city_only"), ("CITY", "everyone"), ("CITY", "everyone_incl"),
        ("KC", "everyone"), ("KC", "everyone_incl"), ("PROV", "everyone_incl")]


def test_years_before_the_policy_are_refused(tmp_path, run):
    policies = policy_dir(tmp_path, [rule(id="honour", trigger="honour", amount="10万")])
    with pytest.raises(PolicyYearError, match="2018年度按旧政策执行"):
        run(policies, enterprises({"uscc": "A"}), year=2018)


def test_several_years_in_one_pass_equal_year_by_year(tmp_path, catalog):
    policies = policy_dir(tmp_path, [
        rule(id="rd", trigger="facts", when="rd_spend >= 100万", amount="max(rd_spend - prev(rd_spend), 0元) * 10%"),
        rule(id="first", trigger="facts", when="first_time(main_revenue >= 2000万)", amount="12万"),
        rule(id="honour", trigger="honour", amount="10万"),
    ])
    ent = enterprises({"uscc": "A"}, {"uscc": "B"})
    fac = facts(*({"uscc": u, "year": y, "main_revenue": r, "rd_spend": d} for u, y, r, d in (
        ("A", 2020, 1_000_000_000, 100_000_000), ("A", 2021, 2_500_000_000, 150_000_000),
        ("A", 2022, 3_000_000_000, 200_000_000), ("B", 2021, 2_000_000_000, 0), ("B", 2022, 1_000_000_000, 0))))
    ev = events({"uscc": "A", "kind": "honour", "year": 2021}, {"uscc": "B", "kind": "honour", "year": 2022})
    together = evaluate_years(ent, fac, ev, [2021, 2022], policies=policies, catalog=catalog).awards
    apart = pl.concat([evaluate(ent, fac, ev, y, policies=policies, catalog=catalog) for y in (2021, 2022)])
    assert together.drop("figures").equals(apart.drop("figures"))
    assert sorted(together.select("uscc", "year", "rule", "amount_fen").rows()) == [
        ("A", 2021, "first", 12_000_000), ("A", 2021, "honour", 10_000_000), ("A", 2021, "rd", 5_000_000),
        ("A", 2022, "rd", 5_000_000), ("B", 2021, "first", 12_000_000), ("B", 2022, "honour", 10_000_000)]


def test_discretionary_award_uses_the_assessed_figure_within_the_cap(tmp_path, run):
    policies = policy_dir(tmp_path, [rule(id="project", trigger="project", up_to="amount * 30%", cap_per="deal")])
    awards = run(policies, enterprises({"uscc": "A"}), ev=events(
        {"uscc": "A", "kind": "project", "amount": 100_000_000, "subject": "low", "assessed_award": 20_000_000},
        {"uscc": "A", "kind": "project", "amount": 100_000_000, "subject": "high", "assessed_award": 50_000_000},
        {"uscc": "A", "kind": "project", "amount": 100_000_000, "subject": "none"}))
    assert sorted(awards.select("subject", "amount_fen", "needs_review").rows()) == [
        ("high", 30_000_000, False), ("low", 20_000_000, False), ("none", 30_000_000, True)]


def test_explanations_fill_in_the_figures_and_name_what_failed(tmp_path, catalog):
    policies = policy_dir(tmp_path, [
        rule(id="rd", trigger="facts", when="rd_spend >= 200万 and rd_spend >= main_revenue * 3%",
             amount="rd_spend * 5%", cap="300万"),
        rule(id="honour", trigger="honour", amount="10万"),
    ])
    ent = enterprises({"uscc": "A", "org_unit": "330802"}, {"uscc": "B"})
    fac = facts({"uscc": "A", "year": 2023, "main_revenue": 10**10, "rd_spend": 10**10},
                {"uscc": "B", "year": 2023, "main_revenue": 10**10, "rd_spend": 250_000_000})
    result = evaluate_years(ent, fac, None, [2023], policies=policies, catalog=catalog)
    award = result.awards.row(0, named=True)
    text = explain_award(award, policies, catalog)
    assert "计算：研发投入 × 5% = 100,000,000.00元 × 5%" in text and "测试条款" in text
    assert "单个企业最高" in text and "柯城区财政兑现，年底与市财政统一结算" in text
    missed = {m["rule"]: m["reason"] for m in misses("B", ent, fac, None, 2023, [], result.superseded,
                                                      policies=policies, catalog=catalog)}
    assert "研发投入 ≥ 主营业务收入 × 3%" in missed["rd"] and "2,500,000元" in missed["rd"]
    assert "无本条对应的事件（事件类型 honour）" in missed["honour"]


def test_a_rule_with_an_error_refuses_the_catalog(tmp_path):
    with pytest.raises(CatalogError, match=r"test_policy.yaml rule 1（bad） 条件（when）：金额不能与数值比较；金额请写上单位"):
        policy_dir(tmp_path, [rule(id="bad", trigger="facts", when="rd_spend >= 2000000", amount="10万")])


def test_an_assessed_award_outranks_a_proposal_in_a_group(tmp_path, run):
    policies = policy_dir(tmp_path, [
        rule(id="clean", trigger="clean", up_to="100万", group="project"),
        rule(id="saving", trigger="saving", up_to="100万", group="project"),
    ])
    awards = run(policies, enterprises({"uscc": "A"}), ev=events(
        {"uscc": "A", "kind": "clean", "subject": "P", "assessed_award": 80_000_000},
        {"uscc": "A", "kind": "saving", "subject": "P"}))
    assert awards.select("rule", "amount_fen", "needs_review").rows() == [("clean", 80_000_000, False)]


def test_nothing_left_after_difference_is_no_award_even_awaiting_review(tmp_path, run):
    policies = policy_dir(tmp_path, [rule(id="prize", trigger="prize", up_to="200万")])
    awards = run(policies, enterprises({"uscc": "A"}), ev=events(
        {"uscc": "A", "kind": "prize", "already_paid": 200_000_000}))
    assert awards.is_empty()


def test_figures_beyond_the_sized_magnitudes_are_refused(tmp_path, run):
    from commerce_brain.policy.engine import PolicyDataError

    policies = policy_dir(tmp_path, [rule(id="honour", trigger="honour", amount="amount * 1%")])
    with pytest.raises(PolicyDataError, match="金额超出可计算范围"):
        run(policies, enterprises({"uscc": "A"}), ev=events({"uscc": "A", "kind": "honour", "amount": 10**16}))
