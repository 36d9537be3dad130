"""Competitive allocation (issue 12 §4): the exact choice against a brute-force enumeration, the
greedy order and its gap, every reason, the requested amount from an investment, the pots, the
applications import's refusals and the CLI contract."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from commerce_brain.cli import app
from commerce_brain.grading.allocation import APPLICATION_SCHEMA, allocate, exact_json
from commerce_brain.grading.pot import POTS_DIR, PotInvalid, catalog_pots, load_pot, parse_pot
from commerce_brain.io.actuals_import import ImportRejected
from commerce_brain.io.applications_import import read_applications
from commerce_brain.settings import SheetLimits

KEY_POT = POTS_DIR / "qz2019_art5_key_projects.yaml"
GENERAL_POT = POTS_DIR / "qz2019_art5_general_upgrading.yaml"
runner = CliRunner()


def _apps(rows: list[tuple]) -> pl.DataFrame:
    """(id, industry, kind, requested_fen, score_e4) rows → an application frame in that order."""
    return pl.DataFrame(
        [(n, str(i), f"USCC{n}", ind, kind, fen, score) for n, (i, ind, kind, fen, score) in enumerate(rows)],
        schema=APPLICATION_SCHEMA, orient="row")


# ---- the exact choice against brute force ------------------------------------------------------

def _random_case(rng: np.random.Generator):
    n = int(rng.integers(0, 13))
    kinds, industries = ["a", "b", "c"], ["x", "y", "z", "w"]
    budget = int(rng.integers(1, 60)) * 100_000
    limits = []
    for kind in ([None] if rng.random() < 0.5 else []) + [k for k in kinds if rng.random() < 0.5]:
        limit = {"kind": kind} if kind else {}
        if rng.random() < 0.7:
            limit["max_count"] = int(rng.integers(1, 5))
        if rng.random() < 0.5 or "max_count" not in limit:
            limit["max_per_industry"] = int(rng.integers(1, 3))
        limits.append(limit)
    pot = parse_pot(json.dumps({"name": "随机", "budget_yuan": budget // 100, "limits": limits}))
    # Few distinct scores and amounts, so ties are common and the tie-break is exercised.
    rows = [(i + 1, str(rng.choice(industries)), str(rng.choice(kinds)),
             int(rng.integers(1, 12)) * 50_000 * (3 if rng.random() < 0.1 else 1),
             int(rng.choice([0, 5, 6, 7, 8, 9, 10])) * 10_000 + int(rng.choice([0, 0, 5000, 2500])))
            for i in range(n)]
    return pot, _apps(rows)


def _feasible(pot, apps: pl.DataFrame, masks: np.ndarray) -> np.ndarray:
    """Which of the subsets (rows of ``masks``) keep the budget and every limit."""
    money = apps["requested_fen"].to_numpy()
    ok = masks @ money <= pot.budget_fen
    kinds, industries = apps["kind"].to_numpy(), apps["industry"].to_numpy()
    for limit in pot.limits:
        covered = np.ones(len(kinds), bool) if limit.kind is None else kinds == limit.kind
        if limit.max_count is not None:
            ok &= masks @ covered <= limit.max_count
        if limit.max_per_industry is not None:
            for industry in set(industries):
                ok &= masks @ (covered & (industries == industry)) <= limit.max_per_industry
    return ok


def test_the_exact_choice_equals_the_brute_force_optimum_on_200_random_cases():
    rng = np.random.default_rng(12)
    tied = 0
    for case in range(200):
        pot, apps = _random_case(rng)
        n = apps.height
        masks = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(np.int64)
        ok = _feasible(pot, apps, masks)
        scores = np.where(ok, masks @ apps["score_e4"].to_numpy(), -1)
        best = scores.max()
        result = allocate(pot, apps)
        chosen = result.decisions["selected"].to_numpy().astype(np.int64)
        assert _feasible(pot, apps, chosen[None, :])[0], f"case {case}: the exact choice breaks a limit"
        assert result.total_score_e4 == best, f"case {case}: {result.total_score_e4} ≠ brute force {best}"
        # Ties: the least money among the best-scoring choices.
        optimal = scores == best
        least = (masks @ apps["requested_fen"].to_numpy())[optimal].min()
        assert result.total_fen == least, f"case {case}: not the least money among the optima"
        tied += int(optimal.sum() > 1)
        greedy = result.decisions["greedy_selected"].to_numpy().astype(np.int64)
        assert _feasible(pot, apps, greedy[None, :])[0], f"case {case}: the greedy choice breaks a limit"
        assert 0 <= result.gap_e4 == best - int(greedy @ apps["score_e4"].to_numpy())
        assert result.decisions["reason"].null_count() == 0
    assert tied > 20  # the cases do exercise the tie-break


def test_ties_are_broken_by_least_money_then_file_order():
    pot = parse_pot("name: 并列\nbudget_yuan: 100\nlimits: [{max_count: 1}]\n")
    # Three score the same; 2 and 3 ask the least, 2 comes first in the file.
    result = allocate(pot, _apps([(1, "", "", 5000, 80_0000), (2, "", "", 3000, 80_0000), (3, "", "", 3000, 80_0000)]))
    assert result.selected_ids() == ["2"]
    # The same again in another order: the earliest of the cheapest wins, whatever the ids.
    result = allocate(pot, _apps([(9, "", "", 3000, 80_0000), (2, "", "", 3000, 80_0000), (1, "", "", 5000, 80_0000)]))
    assert result.selected_ids() == ["9"]


# ---- the greedy order and its gap -------------------------------------------------------------

def test_the_greedy_order_loses_where_one_big_project_crowds_out_two():
    # Budget 100 元: greedy takes the 90-point project for 80 元, and then nothing fits; the
    # exact choice takes the two 70-point projects for 50 元 each: 140 points.
    pot = parse_pot("name: 小池\nbudget_yuan: 100\nlimits: []\n")
    result = allocate(pot, _apps([(1, "", "", 8000, 90_0000), (2, "", "", 5000, 70_0000), (3, "", "", 5000, 70_0000)]))
    assert result.selected_ids() == ["2", "3"]
    assert result.selected_ids(greedy=True) == ["1"]
    assert (result.total_score_e4, result.greedy_total_score_e4, result.gap_e4) == (140_0000, 90_0000, 50_0000)
    contract = result.to_contract()
    assert contract["greedy"] == {"selected": [1], "total_score": 90, "total_yuan": 80}
    assert contract["decisions"][0] == {"id": 1, "selected": False, "reason": (
        "超出预算：剩余资金0元不足申请金额80元；换下得分更低的入选项目也不能提高总分")}


# ---- reasons ------------------------------------------------------------------------------------

def test_each_application_gets_the_reason_it_lost():
    pot = load_pot(KEY_POT)
    rows = [
        # Six intelligent projects in six industries: five places.
        *[(i, ind, "intelligent", 100_000_00, (90 - i) * 10_000) for i, ind in enumerate(
            ["new_materials", "new_energy", "high_end_equipment", "life_health", "special_paper", "electronics"],
            start=1)],
        (7, "new_materials", "intelligent", 100_000_00, 95 * 10_000),  # beats 1 in its industry
        (8, "digital_economy", "major", 3_100_000_000, 99 * 10_000),  # past the whole pot
        (9, "digital_economy", "major", 2_960_000_000, 50 * 10_000),  # the money left is short
        (10, "digital_economy", "major", 2_000_000_00, 0),  # fits, but scores nothing
    ]
    result = allocate(pot, _apps(rows))
    reasons = dict(zip(result.decisions["id"], result.decisions["reason"], strict=True))
    assert result.selected_ids() == ["2", "3", "4", "5", "7"]
    assert reasons["7"] == "入选"
    assert reasons["1"] == "该行业已有入选的智能化投资项目（申报编号 7，每行业最多 1 个），且本项目得分不高于它"
    assert reasons["6"] == "该类项目已达上限：智能化投资项目最多 5 个，已入选 5 个，本项目得分低于与之竞争的入选项目"
    assert reasons["8"] == "超出预算：申请金额3100万元超过资金总额3000万元"
    assert reasons["9"] == "得分低于与之竞争的入选项目，且剩余资金2950万元不足申请金额2960万元"
    assert reasons["10"] == "得分为零：入选不能提高总分"


def test_a_limit_without_kind_applies_to_every_application():
    pot = parse_pot("name: 总数\nbudget_yuan: 1000\nlimits: [{max_count: 2}, {max_per_industry: 1}]\n")
    result = allocate(pot, _apps([(1, "x", "a", 100, 9_0000), (2, "x", "b", 100, 8_0000),
                                  (3, "y", "a", 100, 7_0000), (4, "z", "c", 100, 6_0000)]))
    assert result.selected_ids() == ["1", "3"]
    reasons = result.decisions["reason"].to_list()
    assert reasons[1] == "该行业已有入选的项目（申报编号 1，每行业最多 1 个），且本项目得分不高于它"
    assert reasons[3] == "该类项目已达上限：项目最多 2 个，已入选 2 个，本项目得分低于与之竞争的入选项目"


def test_an_award_is_all_or_nothing_of_its_request():
    # 60 元 left after the best project; the second asks 70 元 and is not cut down to fit.
    pot = parse_pot("name: 全额\nbudget_yuan: 100\nlimits: []\n")
    result = allocate(pot, _apps([(1, "", "", 4000, 9_0000), (2, "", "", 7000, 8_0000)]))
    assert result.selected_ids() == ["1"] and result.total_fen == 4000
    assert result.decisions["requested_fen"].to_list() == [4000, 7000]


def test_no_application_and_nothing_that_fits():
    pot = parse_pot("name: 空\nbudget_yuan: 10\nlimits: []\n")
    empty = allocate(pot, _apps([]))
    assert empty.to_contract() == {"selected": [], "total_score": 0, "total_yuan": 0,
                                   "greedy": {"selected": [], "total_score": 0, "total_yuan": 0}, "decisions": []}
    none_fit = allocate(pot, _apps([(1, "", "", 2000, 9_0000)]))
    assert none_fit.selected_ids() == [] and none_fit.decisions["reason"][0].startswith("超出预算：申请金额")


def test_an_allocation_past_the_time_limit_says_so_in_chinese(monkeypatch):
    import commerce_brain.grading.allocation as allocation

    monkeypatch.setattr(allocation, "SOLVE_SECONDS", 1e-9)
    rng = np.random.default_rng(3)
    rows = [(i, f"i{i % 7}", "a" if i % 3 else "b", int(rng.integers(50, 500)) * 1_000_000,
             int(rng.integers(500, 1000)) * 1_000) for i in range(400)]
    pot = parse_pot("name: 限时\nbudget_yuan: 30000000\nlimits: [{kind: b, max_count: 5, max_per_industry: 1}]\n")
    with pytest.raises(allocation.AllocationUnsolved, match="未能在 1e-09 秒内求得最优分配"):
        allocate(pot, _apps(rows))


# ---- pots ---------------------------------------------------------------------------------------

def test_the_catalog_pots_hold_the_seed_figures():
    pots = catalog_pots()
    key = pots["qz2019_art5_key_projects"]
    assert key.budget_fen == 30_000_000_00
    assert [(lim.kind, lim.max_count, lim.max_per_industry) for lim in key.limits] == [
        ("intelligent", 5, 1), ("major", 20, None)]
    assert "每年从不同产业中各选取1个智能化投资项目" in key.citation
    general = pots["qz2019_art5_general_upgrading"]
    assert (general.budget_fen, general.rate_ppm, general.a_class_uplift_ppm) == (10_000_000_00, 100_000, 20_000)
    assert [(lim.kind, lim.max_count) for lim in general.limits] == [(None, 20)]
    assert pots["qz2019_art6_industry_innovation"].budget_fen == 22_000_000_00
    assert pots["qz2019_art9_patent_industrialisation"].budget_fen == 3_000_000_00
    assert pots["qz2019_art12_sme_service_vouchers"].budget_fen == 3_000_000_00


@pytest.mark.parametrize(("text", "problem"), [
    ("name: x\nbudget_yuan: -5\nlimits: []\n", "资金总额（budget_yuan）应为大于 0 的金额"),
    ("name: x\nbudget_yuan: 10.001\nlimits: []\n", "资金总额（budget_yuan）应为大于 0 的金额"),
    ("name: x\nbudget_yuan: 100\nlimits: [{kind: a, max_count: 0}]\n", "第 1 条限额的项目数上限（max_count）应为正整数"),
    ("name: x\nbudget_yuan: 100\nlimits: [{kind: a, max_cout: 3}]\n", "第 1 条限额有未知的键：max_cout"),
    ("name: x\nbudget_yuan: 100\nlimits: [{kind: a}]\n", "第 1 条限额没有上限"),
    ("name: x\nbudget_yuan: 100\nkinds: {a: 甲}\nlimits: [{kind: b, max_count: 1}]\n", "项目类别“b”不在项目类别（kinds）中"),
    ("name: x\nbudget_yuan: 100\nrate: 1.5\nlimits: []\n", "补助比例（rate）应为 0 到 1 之间的小数"),
    ("name: x\nbudget_yuan: 100\na_class_uplift_points: 2\nlimits: []\n", "没有补助比例（rate）"),
    ("name: x\nbudget: 100\nlimits: []\n", "未知的键：budget"),
    ("budget_yuan: 100\nlimits: []\n", "缺少资金池名称（name）"),
    ("name: x\nbudget_yuan: !!python/object/apply:os.system [echo hi]\n", "不是有效的 YAML 格式"),
    ("- just\n- a list\n", "资金池文件应为键值对"),
])
def test_a_bad_pot_is_refused_in_chinese(text, problem):
    with pytest.raises(PotInvalid) as caught:
        parse_pot(text, source="pot.yaml")
    assert any(problem in p for p in caught.value.problems), caught.value.problems


# ---- the requested amount from the investment ----------------------------------------------------

def test_the_request_follows_from_the_investment_rate_and_the_a_class_uplift(tmp_path):
    pot = load_pot(GENERAL_POT)  # 10%, A class + 2 points
    path = tmp_path / "apps.csv"
    path.write_text("id,uscc,kind,score,eligible_investment_yuan,mu_class,requested_yuan\n"
                    "1,91330800MA20000001,process,80,1000000,A,\n"
                    "2,91330800MA20000002,process,80,1000000,B类,\n"
                    "3,91330800MA20000003,product,80,0.05,C,\n"          # 0.5 fen: half up to 1 fen
                    "4,91330800MA20000004,product,80,123456.79,a,\n"     # 14814.8148 元 → 14814.81
                    "5,91330800MA20000005,product,80,,,2500.5\n", encoding="utf-8")
    apps = read_applications(path, pot)
    assert apps["requested_fen"].to_list() == [12_000_000, 10_000_000, 1, 1_481_481, 250_050]


def test_a_stored_class_fills_an_empty_class_cell_and_rides_into_the_decisions(tmp_path):
    path = tmp_path / "apps.csv"
    path.write_text("id,uscc,kind,score,eligible_investment_yuan,mu_class\n"
                    "1,91330800MA20000001,process,80,1000000,\n"      # the store says A: 12%
                    "2,91330800ma20000002,process,70,1000000,\n"      # the store says B: 10%
                    "3,91330800MA20000003,process,60,1000000,C\n"     # the file's class wins over the store's A
                    "4,91330800MA20000004,process,50,1000000,\n", encoding="utf-8")  # not in the store
    stored = pl.DataFrame({"uscc": ["91330800MA20000001", "91330800MA20000002", "91330800MA20000003"],
                           "mu_class": ["A", "B", "A"]})
    apps = read_applications(path, load_pot(GENERAL_POT), classes=stored)
    assert apps["mu_class"].to_list() == ["A", "B", "C", None]
    assert apps["requested_fen"].to_list() == [12_000_000, 10_000_000, 10_000_000, 10_000_000]
    decided = allocate(load_pot(GENERAL_POT), apps).decisions
    assert decided.select("eligible_investment_fen", "mu_class").row(0) == (100_000_000, "A")


def test_a_request_that_disagrees_with_the_rate_is_refused(tmp_path):
    path = tmp_path / "apps.csv"
    path.write_text("id,uscc,kind,score,eligible_investment_yuan,mu_class,requested_yuan\n"
                    "1,91330800MA20000001,process,80,1000000,A,100000\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        read_applications(path, load_pot(GENERAL_POT))
    assert [str(p) for p in caught.value.problems] == [
        "apps.csv 第2行, requested_yuan: 申请金额与按补助比例计算的金额（120000元）不一致：“100000”"]


# ---- the applications import: bad files replayed -------------------------------------------------

HEADER = "id,uscc,industry,kind,requested_yuan,score\n"


def test_a_bad_applications_file_is_refused_whole_naming_row_column_and_reason(tmp_path):
    path = tmp_path / "apps.csv"
    path.write_text(HEADER
                    + "1,91330800MA20000001,新材料,intelligent,1000000,88.5\n"   # fine
                    + "1,91330800MA20000002,新能源,major,1000000,80\n"           # duplicate id
                    + "3,91330800MA20000003,新能源,major,-5,80\n"                # negative money
                    + "4,91330800MA20000004,新能源,major,0,80\n"                 # zero money
                    + "5,91330800MA20000005,新能源,major,100,优秀\n"             # score not a number
                    + "6,91330800MA20000006,火星产业,major,100,80\n"             # unknown industry
                    + "7,91330800MA20000007,新能源,lottery,100,80\n"             # unknown kind
                    + "8,91330800MA20000008,新能源,major,100.001,-3\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        read_applications(path, load_pot(KEY_POT))
    problems = [str(p) for p in caught.value.problems]
    assert "apps.csv 第2行, id: 重复的申报编号“1”：每个申报项目只能出现一次" in problems
    assert "apps.csv 第3行, id: 重复的申报编号“1”：每个申报项目只能出现一次" in problems
    assert "apps.csv 第4行, requested_yuan: 申请金额（元）必须大于 0：“-5”" in problems
    assert "apps.csv 第5行, requested_yuan: 申请金额（元）必须大于 0" in problems
    assert "apps.csv 第6行, score: 专家评分应为不小于 0 的数（最多四位小数）：“优秀”" in problems
    assert any(p.startswith("apps.csv 第7行, industry: 未知行业：“火星产业”（可选：新材料、") for p in problems)
    assert "apps.csv 第8行, kind: 未知项目类别：“lottery”（可选：智能化投资项目、重大项目）" in problems
    assert "apps.csv 第9行, requested_yuan: 申请金额（元）最多两位小数（到分）：“100.001”" in problems
    assert "apps.csv 第9行, score: 专家评分应为不小于 0 的数（最多四位小数）：“-3”" in problems
    assert len(problems) == 9


def test_a_bad_workbook_names_the_sheet_and_the_column_letter(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "申报项目"
    for row in (["申报编号", "统一社会信用代码", "行业", "项目类别", "申请金额（元）", "专家评分"],
                [1, "X1", "新材料", "重大项目", 100, 80], [1, "X2", "新材料", "重大项目", 0, "高"]):
        book.active.append(row)
    book.save(tmp_path / "apps.xlsx")
    with pytest.raises(ImportRejected) as caught:
        read_applications(tmp_path / "apps.xlsx", load_pot(KEY_POT))
    assert [str(p) for p in caught.value.problems] == [
        "申报项目 第2行, 申报编号 (A): 重复的申报编号“1”：每个申报项目只能出现一次",
        "申报项目 第3行, 申报编号 (A): 重复的申报编号“1”：每个申报项目只能出现一次",
        "申报项目 第3行, 申请金额（元） (E): 申请金额（元）必须大于 0",
        "申报项目 第3行, 专家评分 (F): 专家评分应为不小于 0 的数（最多四位小数）：“高”"]


def test_a_missing_column_and_an_oversized_file_are_refused(tmp_path):
    path = tmp_path / "apps.csv"
    path.write_text("id,uscc,industry,kind,score\n1,X,新材料,major,80\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        read_applications(path, load_pot(KEY_POT))
    assert [str(p) for p in caught.value.problems] == ["apps.csv 第1行: 缺少列：申请金额（元）（可写作 requested_yuan）"]
    big = tmp_path / "big.csv"
    big.write_text(HEADER + "".join(f"{i},X{i},新材料,major,100,80\n" for i in range(50)), encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        read_applications(big, load_pot(KEY_POT), limits=SheetLimits(10**6, 10**7, 20))
    assert "行数过多，已拒绝：big.csv 有 51 行，上限为 20 行" in str(caught.value)


def test_plausible_made_up_ids_and_credit_codes_are_taken_as_given(tmp_path):
    # No checksum is asked of a credit code, and ids may be any text of the safe alphabet.
    path = tmp_path / "apps.csv"
    path.write_text(HEADER + "A-01,91330800MA2X0000Z1,新材料,major,100,80\n"
                    + "第2号,913308000000000000,高端装备,intelligent,200,70.25\n", encoding="utf-8")
    apps = read_applications(path, load_pot(KEY_POT))
    assert apps.select("id", "industry", "kind", "requested_fen", "score_e4").rows() == [
        ("A-01", "new_materials", "major", 10000, 800000), ("第2号", "high_end_equipment", "intelligent", 20000, 702500)]


def test_the_sample_reads_the_same_from_xlsx_and_csv(tmp_path):
    for suffix in ("xlsx", "csv"):
        result = runner.invoke(app, ["grading", "template", "applications", "--sample", "-o", str(tmp_path / f"a.{suffix}")])
        assert result.exit_code == 0, result.output
    pot = load_pot(KEY_POT)
    from_xlsx = read_applications(tmp_path / "a.xlsx", pot)
    assert from_xlsx.height == 30
    assert from_xlsx.equals(read_applications(tmp_path / "a.csv", pot))
    result = allocate(pot, from_xlsx)
    assert result.gap_e4 > 0  # the README's example shows the greedy order losing


# ---- the CLI contract ----------------------------------------------------------------------------

def test_the_cli_prints_exactly_the_contract_on_stdout(tmp_path):
    pot = tmp_path / "pot.yaml"
    pot.write_text("name: 合同\nbudget_yuan: 101\nlimits:\n  - {kind: a, max_count: 1, max_per_industry: 1}\n",
                   encoding="utf-8")
    apps = tmp_path / "apps.csv"
    apps.write_text(HEADER + "1,X1,i,a,80,90\n2,X2,i,b,50,70.25\n3,X3,j,b,50.5,70.5\n", encoding="utf-8")
    # A fresh interpreter, as a user runs it: HiGHS's banner must not reach stdout.
    done = subprocess.run([sys.executable, "-m", "commerce_brain.cli", "grading", "allocate", "--pot", str(pot),
                           "--applications", str(apps), "--format", "json"], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout, parse_float=Decimal)
    assert list(answer) == ["selected", "total_score", "total_yuan", "greedy", "decisions"]
    assert answer["selected"] == [2, 3]
    assert answer["total_score"] == Decimal("140.75") and answer["total_yuan"] == Decimal("100.5")
    assert answer["greedy"] == {"selected": [1], "total_score": 90, "total_yuan": 80}
    assert [list(d) for d in answer["decisions"]] == [["id", "selected", "reason"]] * 3
    assert [d["selected"] for d in answer["decisions"]] == [False, True, True]
    assert all(isinstance(d["id"], int) and d["reason"] for d in answer["decisions"])
    assert '"total_score": 140.75' in done.stdout and '"total_yuan": 100.5' in done.stdout


def test_ids_stay_text_unless_every_id_is_a_plain_integer(tmp_path):
    apps = tmp_path / "apps.csv"
    apps.write_text(HEADER + "007,X1,新材料,major,100,80\n8,X2,新能源,major,100,70\n", encoding="utf-8")
    result = runner.invoke(app, ["grading", "allocate", "--pot", str(KEY_POT), "--applications", str(apps),
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["selected"] == ["007", "8"] and answer["total_yuan"] == 200


def test_the_cli_refuses_a_bad_file_on_stderr_and_exits_1(tmp_path):
    apps = tmp_path / "apps.csv"
    apps.write_text(HEADER + "1,X1,新材料,major,abc,80\n", encoding="utf-8")
    result = runner.invoke(app, ["grading", "allocate", "--pot", str(KEY_POT), "--applications", str(apps),
                                 "--format", "json"])
    assert result.exit_code == 1 and result.stdout == ""
    assert "申请金额（元）格式错误" in result.stderr
    bad_pot = tmp_path / "pot.yaml"
    bad_pot.write_text("name: x\nbudget_yuan: 0\nlimits: []\n", encoding="utf-8")
    result = runner.invoke(app, ["grading", "allocate", "--pot", str(bad_pot), "--applications", str(apps)])
    assert result.exit_code == 1 and "资金总额（budget_yuan）" in result.stderr


def test_the_table_format_is_for_people(tmp_path):
    runner.invoke(app, ["grading", "template", "applications", "--sample", "-o", str(tmp_path / "a.csv")])
    result = runner.invoke(app, ["grading", "allocate", "--pot", str(KEY_POT), "--applications", str(tmp_path / "a.csv")])
    assert result.exit_code == 0, result.output
    assert "最优选择：13 个项目，总分 1111.4" in result.stdout
    assert "按得分高低逐项选择：11 个项目，总分 980.1" in result.stdout and "少得 131.3 分" in result.stdout


def test_class_year_reads_the_store_and_leaves_stdout_to_the_json(tmp_path):
    # An empty store knows no class: the requests follow from the file's classes alone.
    apps = tmp_path / "apps.csv"
    apps.write_text("id,uscc,kind,score,eligible_investment_yuan,mu_class\n1,X1,process,80,1000000,A\n"
                    "2,X2,process,70,500000,\n", encoding="utf-8")
    result = runner.invoke(app, ["grading", "allocate", "--pot", str(GENERAL_POT), "--applications", str(apps),
                                 "--class-year", "2023", "--data-dir", str(tmp_path / "data"), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["total_yuan"] == 120_000 + 50_000


def test_class_year_takes_the_stored_class_for_the_uplift(database_url, tmp_path):
    # SQLite and PostgreSQL: the class published for 2023 (not 2022's) gives the A-class uplift.
    from commerce_brain.fulfilment.data import save_fact_values
    from commerce_brain.store.schema import connect

    save_fact_values(connect(database_url), pl.DataFrame(
        {"uscc": ["91330800MA20000001", "91330800MA20000002", "91330800MA20000002"], "year": [2023, 2023, 2022],
         "mu_class": ["A", "B", "A"]}), actor="测试", file_name="classes")
    apps = tmp_path / "apps.csv"
    apps.write_text("id,uscc,kind,score,eligible_investment_yuan,mu_class\n1,91330800MA20000001,process,80,1000000,\n"
                    "2,91330800MA20000002,process,70,1000000,\n", encoding="utf-8")
    result = runner.invoke(app, ["grading", "allocate", "--pot", str(GENERAL_POT), "--applications", str(apps),
                                 "--class-year", "2023", "--db", database_url, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["total_yuan"] == 120_000 + 100_000


def test_a_catalog_pot_is_named_by_its_file_stem_and_listed(tmp_path):
    apps = tmp_path / "apps.csv"
    apps.write_text(HEADER + "1,X1,新材料,major,100,80\n", encoding="utf-8")
    by_name = runner.invoke(app, ["grading", "allocate", "--pot", "qz2019_art5_key_projects", "--applications",
                                  str(apps), "--format", "json"])
    assert by_name.exit_code == 0, by_name.output
    assert json.loads(by_name.stdout)["selected"] == [1]
    unknown = runner.invoke(app, ["grading", "allocate", "--pot", "no_such_pot", "--applications", str(apps)])
    assert unknown.exit_code == 1
    assert "找不到资金池文件，目录中也没有这个资金池（目录中的资金池：qz2019_art12_sme_service_vouchers、" in unknown.stderr
    listed = runner.invoke(app, ["grading", "pots", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    pots = {p["pot"]: p for p in json.loads(listed.stdout)}
    assert pots["qz2019_art5_key_projects"]["budget_yuan"] == 30_000_000
    assert pots["qz2019_art5_key_projects"]["limits"][0] == {"kind": "intelligent", "max_count": 5, "max_per_industry": 1}
    table = runner.invoke(app, ["grading", "pots"])
    assert table.exit_code == 0 and "竞争性分配资金池" in table.stdout
    assert load_pot(KEY_POT).limit_sentences() == ["智能化投资项目最多 5 个，每个行业最多 1 个", "重大项目最多 20 个"]


def test_exact_json_writes_decimals_exactly():
    assert exact_json({"a": [Decimal("0.1"), 3, "甲"], "b": None}) == '{"a": [0.1, 3, "甲"], "b": null}'
