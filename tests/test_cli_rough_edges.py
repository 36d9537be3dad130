"""The command line's rough edges (issue 9, section 2), each replayed as a new user met it:
real commands on real files in temporary directories, stdout and stderr read apart."""

import json
import socket
from pathlib import Path

import pytest
from sample_files import actuals_csv as write_csv
from typer.testing import CliRunner

from commerce_brain.cli import app
from commerce_brain.settings import Settings

runner = CliRunner()
CHECKOUT = Path(__file__).resolve().parents[1]


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("COMMERCE_BRAIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("COMMERCE_BRAIN_DATABASE_URL", raising=False)
    return tmp_path / "data"


def run(*args: str, code: int = 0):
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    # No traceback reaches the user: a refusal is an exit, not an exception.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result




@pytest.fixture
def imported(tmp_path, data_dir):
    """A store with one import of two figures of 柯城区."""
    path = write_csv(tmp_path / "kecheng.csv", [["qz_commerce_14th", "retail_sales", "330802", "2021", "300"],
                                                 ["qz_commerce_14th", "retail_sales", "330802", "2022", "320"]])
    run("plans", "import", str(path), "--user", "clerk")
    return path


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """A small synthetic city (40 enterprises): enough for awards in 2023."""
    return run_sample(tmp_path_factory.mktemp("sample") / "sample.xlsx")


def run_sample(path):
    run("policy", "sample", "--out", str(path), "--enterprises", "40")
    return path


# ---- every listing command takes --format json ---------------------------------------------

def test_imports_history_and_db_current_answer_json(imported, data_dir):
    imports = json.loads(run("plans", "imports", "--format", "json").stdout)
    assert [(i["file_name"], i["rows"], i["new"], i["imported_by"]) for i in imports] == [("kecheng.csv", 2, 2, "clerk")]
    assert imports[0]["imported_at"][:2] == "20"

    history = json.loads(run("plans", "history", "--plan", "qz_commerce_14th", "--indicator", "retail_sales",
                             "--org-unit", "330802", "--format", "json").stdout)
    assert [(h["period"], h["version"], h["value"]) for h in history] == [("2021", 1, 300.0), ("2022", 1, 320.0)]

    current = json.loads(run("db", "current", "--format", "json").stdout)
    assert current["exists"] and current["up_to_date"] and current["current"] == current["head"]


# ---- no traceback, no half-built store --------------------------------------------------------

def test_report_for_a_year_no_plan_covers_is_refused_in_words(tmp_path, data_dir):
    out = tmp_path / "r.html"
    result = run("plans", "report", "--year", "1900", "--out", str(out), code=1)
    assert "1900年不在任何规划的期间内" in result.stderr and "2016–2025" in result.stderr
    assert not out.exists()


def test_demo_for_a_year_no_plan_covers_leaves_the_previous_demo_as_it_was(tmp_path):
    previous = tmp_path / "demo"
    previous.mkdir()
    (previous / "commerce_brain.sqlite3").write_bytes(b"the demo built yesterday")

    result = run("demo", "--year", "1900", "--data-dir", str(tmp_path), code=1)

    assert "1900年不在任何规划的期间内" in result.stderr
    assert (previous / "commerce_brain.sqlite3").read_bytes() == b"the demo built yesterday"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]  # no half-built folder left behind


# ---- one store a user can find ----------------------------------------------------------------

def test_every_store_command_names_its_store_on_stderr_and_keeps_stdout_json(imported, data_dir):
    store = (data_dir / "commerce_brain.sqlite3").resolve()
    for command in (["plans", "evaluate", "--year", "2022"], ["plans", "imports"], ["db", "current"],
                    ["audit", "list"], ["users", "list"]):
        result = run(*command, "--format", "json")
        assert f"数据库：{store}" in result.stderr.splitlines(), command
        json.loads(result.stdout)  # nothing but JSON on stdout


def test_a_read_on_a_missing_store_creates_no_file_and_points_to_the_demo(tmp_path, data_dir):
    (data_dir / "demo").mkdir(parents=True)
    (data_dir / "demo" / "commerce_brain.sqlite3").touch()

    result = run("plans", "evaluate", "--year", "2023", "--format", "json")

    assert json.loads(result.stdout)  # the catalog's indicators, with no actuals
    assert "数据库文件不存在" in result.stderr and f"--data-dir {data_dir / 'demo'}" in result.stderr
    assert not (data_dir / "commerce_brain.sqlite3").exists()


def test_db_current_on_a_fresh_directory_changes_nothing(data_dir):
    result = run("db", "current")
    assert "空数据库" in result.stdout
    assert not data_dir.exists()


def test_a_busy_port_is_reported_before_the_demo_is_rebuilt(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = run("serve", "--demo", "--port", str(port), "--data-dir", str(tmp_path / "d"), code=1)
    assert f"端口 {port} 已被占用" in result.stderr and f"PORT={port + 100}" in result.stderr
    assert not (tmp_path / "d").exists()


def test_the_port_comes_from_the_environment_and_the_makefile_passes_port_on(tmp_path, monkeypatch):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        monkeypatch.setenv("COMMERCE_BRAIN_PORT", str(holder.getsockname()[1]))
        result = run("serve", "--data-dir", str(tmp_path), code=1)
    assert "已被占用" in result.stderr
    makefile = (CHECKOUT / "Makefile").read_text(encoding="utf-8")
    assert "PORT   ?= 8000" in makefile and "serve --demo --port $(PORT)" in makefile


# ---- silent empty answers become warnings ------------------------------------------------------

def test_policy_evaluate_warns_of_a_year_without_awards_and_of_an_unknown_enterprise(sample):
    later = run("policy", "evaluate", "--data", str(sample), "--year", "2100", "--format", "json")
    assert json.loads(later.stdout)["awards"] == []
    assert "2100年度没有任何奖补" in later.stderr

    stranger = run("policy", "evaluate", "--data", str(sample), "--year", "2023", "--uscc",
                   "91330800MA2G00022X", "--format", "json")
    assert json.loads(stranger.stdout)["awards"] == []
    assert "91330800MA2G00022X 不在 sample.xlsx 中" in stranger.stderr


def test_pace_for_a_month_without_figures_warns(data_dir):
    result = run("plans", "pace", "--period", "1900-06", "--format", "json")
    assert json.loads(result.stdout) == []
    assert "1900年6月没有月度数据" in result.stderr


@pytest.mark.parametrize(("option", "value", "said"), [
    ("--plan", "qz_commerce_15th", "未知的规划“qz_commerce_15th”；可选："),
    ("--indicator", "retail", "没有指标“retail”；可选："),
    ("--org-unit", "330899", "未知的地区“330899”；可选："),
])
def test_history_of_an_unknown_plan_indicator_or_org_unit_is_refused(imported, option, value, said):
    args = {"--plan": "qz_commerce_14th", "--indicator": "retail_sales", "--org-unit": "330802", option: value}
    result = run("plans", "history", *[x for kv in args.items() for x in kv], code=2)
    assert said in result.output


def test_history_with_nothing_stored_warns(data_dir):
    result = run("plans", "history", "--plan", "qz_commerce_14th", "--indicator", "retail_sales",
                 "--org-unit", "330803")
    assert "没有导入过实际值" in result.stderr


def test_org_unit_is_accepted_by_its_chinese_name(imported):
    by_name = run("plans", "evaluate", "--year", "2022", "--org-unit", "柯城区", "--format", "json").stdout
    by_code = run("plans", "evaluate", "--year", "2022", "--org-unit", "330802", "--format", "json").stdout
    assert by_name == by_code
    assert {r["org_unit"] for r in json.loads(by_name)} == {"330802"}
    history = run("plans", "history", "--plan", "qz_commerce_14th", "--indicator", "retail_sales",
                  "--org-unit", "柯城区", "--format", "json").stdout
    assert len(json.loads(history)) == 2


# ---- templates, refusals, help ------------------------------------------------------------------

def test_policy_template_refuses_a_csv_name(tmp_path):
    result = run("policy", "template", "--out", str(tmp_path / "x.csv"), code=2)
    assert ".xlsx" in result.output
    assert not (tmp_path / "x.csv").exists()


def test_the_blank_templates_carry_no_importable_example(tmp_path, data_dir):
    from openpyxl import load_workbook

    run("plans", "template", "--out", str(tmp_path / "t.csv"))
    assert (tmp_path / "t.csv").read_text(encoding="utf-8-sig").splitlines() == [
        "plan,indicator,org_unit,period,value,real_growth_pct,source"]
    assert "无数据行" in run("plans", "import", str(tmp_path / "t.csv"), code=1).stderr

    run("policy", "template", "--out", str(tmp_path / "p.xlsx"))
    book = load_workbook(tmp_path / "p.xlsx")
    assert [book[s].max_row for s in ("enterprises", "facts", "events")] == [1, 1, 1]
    notes = [c for row in book["说明"].iter_rows(values_only=True) for c in row if c]
    assert any("衢州示例智能装备有限公司" in str(c) for c in notes)  # the examples are shown, on 说明
    assert "无数据行" in run("policy", "import", str(tmp_path / "p.xlsx"), code=1).stderr
    assert not (data_dir / "commerce_brain.sqlite3").exists() or \
        json.loads(run("plans", "imports", "--format", "json").stdout) == []


def test_a_file_only_read_for_one_run_is_not_said_to_be_imported(tmp_path, data_dir):
    bad = write_csv(tmp_path / "bad.csv", [["qz_commerce_14th", "retail_sales", "330899", "2022", "abc"]])
    overlay = run("plans", "evaluate", "--year", "2022", "--actuals", str(bad), code=1)
    assert "文件被拒绝，未做计算" in overlay.stderr and "导入被拒绝" not in overlay.stderr

    folder = tmp_path / "policy"
    folder.mkdir()
    (folder / "enterprises.csv").write_text("uscc,name\nnot-a-code,甲\n", encoding="utf-8")
    refused = run("policy", "evaluate", "--data", str(folder), "--year", "2023", code=1)
    assert "文件被拒绝，未做计算" in refused.stderr and "导入被拒绝" not in refused.stderr

    imported = run("plans", "import", str(bad), code=1)
    assert "导入被拒绝，未导入任何数据" in imported.stderr


def test_data_dir_help_keeps_its_default():
    result = runner.invoke(app, ["plans", "evaluate", "--help"], terminal_width=200)
    assert "default: ./data" in result.stdout
    assert "柯城区" in result.stdout


# ---- one vocabulary for status ---------------------------------------------------------------------

def test_the_summary_counts_statuses_as_json_and_the_report_do_and_names_the_years(catalog):
    from commerce_brain.demo import demo_observations
    from commerce_brain.monitoring import evaluation_table, gather_observations
    from commerce_brain.render import evaluation_summary
    from commerce_brain.store.schema import connect

    engine = connect("sqlite://")
    evaluation = evaluation_table(catalog, gather_observations(catalog, engine, demo_observations(catalog)), 2023,
                                  as_of=True)
    summary = evaluation_summary(evaluation, 2023)

    early = evaluation.filter(evaluation["status"] == "achieved_early").height
    assert early and f"提前实现 {early}，" in summary and "已实现" not in summary
    assert summary.startswith(f"{evaluation.height} 项指标：")
    ended = evaluation.filter(evaluation["year"] != 2023)
    assert ended.height and f"{ended.height} 项的规划已结束，按其末年评估" in summary
    for year in set(ended["year"]):
        assert f"{year}年 {ended.filter(ended['year'] == year).height} 项" in summary


# ---- the tests themselves write nothing into the checkout ----------------------------------------

def test_the_default_data_directory_is_outside_the_checkout():
    assert not Settings.from_env(database_url="sqlite://").data_dir.resolve().is_relative_to(CHECKOUT)


def test_serve_names_its_store_and_takes_data_dir(tmp_path):
    import os
    import subprocess
    import sys

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "COMMERCE_BRAIN_DATABASE_URL"}
    server = subprocess.Popen([sys.executable, "-m", "commerce_brain.cli", "serve", "--port", str(port),
                               "--data-dir", str(tmp_path / "mine")], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                              env=env, text=True)
    try:
        first = server.stderr.readline()
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert first.strip() == f"数据库：{(tmp_path / 'mine' / 'commerce_brain.sqlite3').resolve()}"
