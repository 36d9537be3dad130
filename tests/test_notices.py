"""站内消息 and 政企通 on a real database (SQLite and PostgreSQL): a notice per proposed award,
sent once; a notice per rule new data makes an enterprise newly eligible for, sent once; the
inbox scoped to its enterprise; reading and disputes audited; delivery per batch; the gateway
CSV; the CLI; and the pages and API on top (/home, /notices, /api/v1/notices)."""

from __future__ import annotations

import csv
import io
import re

import polars as pl
import pytest
from typer.testing import CliRunner

from commerce_brain import fulfilment as f
from commerce_brain import notices as n
from commerce_brain.access import Scope, User
from commerce_brain.catalog import load_catalog
from commerce_brain.cli import app as cli_app
from commerce_brain.io.enterprise_import import PolicyData
from commerce_brain.policy.engine import evaluate_years, packaged
from commerce_brain.policy.synthetic import city
from commerce_brain.settings import Settings
from commerce_brain.store.accounts import create_user
from commerce_brain.store.audit import events, verify
from commerce_brain.store.enterprise_imports import import_policy_data
from commerce_brain.store.schema import connect
from commerce_brain.web.app import create_app
from test_fulfilment import PASSWORD, sign_in

YEAR = 2023
YEARS = [2021, 2022, 2023]
OFFICER = User(1, "officer", "资管办", "policy_officer")


def firm(uscc: str) -> User:
    return User(10, f"firm-{uscc}", "企业", "enterprise", uscc=uscc)


@pytest.fixture(scope="module")
def data() -> PolicyData:
    policies, _ = packaged()
    return PolicyData(*city(120, YEARS, event_kinds=sorted(policies.event_kinds())))


@pytest.fixture
def engine(database_url, data):
    engine = connect(database_url)
    f.save_policy_data(engine, data, actor="loader")
    yield engine
    engine.dispose()


def all_notices(engine) -> pl.DataFrame:
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(n.notices.select().order_by(n.notices.c.id)).mappings()]
    return pl.DataFrame(rows, infer_schema_length=None)


def batch_awards(engine) -> pl.DataFrame:
    return f.list_awards(engine, scope=Scope()).sort("id")


# ---- notices of a batch ------------------------------------------------------------------------

def test_a_batch_sends_one_notice_per_proposed_award_with_article_amount_and_next_step(engine):
    summary = f.run_batch(engine, YEAR, actor=OFFICER)
    awards = batch_awards(engine)
    sent = all_notices(engine)
    assert sent.height == awards.height == summary.inserted > 20
    assert sorted(sent["award_id"].to_list()) == sorted(awards["id"].to_list())
    assert set(sent["kind"]) == {"award"} and set(sent["batch_id"]) == {summary.batch_id}
    joined = sent.join(awards.select(pl.col("id").alias("award_id"), pl.col("amount_fen").alias("award_fen"),
                                     pl.col("uscc").alias("award_uscc")), on="award_id")
    assert (joined["amount_fen"] == joined["award_fen"]).all() and (joined["uscc"] == joined["award_uscc"]).all()
    policies, _ = packaged()
    for notice in sent.head(30).iter_rows(named=True):
        rule = policies.rule(notice["rule"])
        assert notice["article"].startswith("《") and f"第{rule.article}条" in notice["article"]
        assert notice["article"] in notice["message"] and rule.name_zh in notice["message"]
        assert "元" in notice["message"] and "确认" in notice["message"]
        assert notice["link"] == f"/awards/{notice['award_id']}"
        # The article, never the file the catalog was written from.
        assert ".txt" not in notice["message"] and ".yaml" not in notice["message"]
    one = sent.filter(pl.col("amount_fen") == 20_000_000)
    if one.height:
        assert "200,000元" in one["message"][0]
    assert [e["detail"]["sent"] for e in events(engine, action="notices.send")] == [sent.height]
    assert verify(engine).ok


def test_a_batch_run_again_sends_nothing_twice(engine):
    f.run_batch(engine, YEAR, actor=OFFICER)
    first = all_notices(engine)
    again = f.run_batch(engine, YEAR, actor=OFFICER)
    assert again.inserted == 0 and all_notices(engine).height == first.height
    # Even asked directly to notify a batch again, the unique topic lets nothing through.
    with engine.begin() as conn:
        assert n.notify_proposed(conn, int(first["batch_id"][0]), packaged()[0], actor="x") == 0
    assert all_notices(engine).height == first.height
    assert len(events(engine, action="notices.send")) == 1


def test_the_notices_roll_back_with_a_failed_batch(engine, monkeypatch):
    from commerce_brain.fulfilment import batch

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(batch, "notify_proposed", broken)
    with pytest.raises(RuntimeError):
        f.run_batch(engine, YEAR, actor=OFFICER)
    assert batch_awards(engine).is_empty()  # no award without its notice, and no notice without its award


# ---- newly eligible after an import --------------------------------------------------------------

def met(data: PolicyData, year: int) -> set[tuple[str, str]]:
    awards = evaluate_years(data.enterprises, data.facts, data.events, [year]).awards
    return set(awards.filter(pl.col("amount_fen") > 0).select("uscc", "rule").unique().iter_rows())


def test_new_data_notifies_the_rules_an_enterprise_newly_meets_once(database_url, data):
    engine = connect(database_url)
    policies, catalog = packaged()
    without = PolicyData(data.enterprises, data.facts.filter(pl.col("year") < YEAR), data.events)
    import_policy_data(engine, without, actor="loader", file_name="a.xlsx", sha256="a")
    assert all_notices(engine).is_empty()  # no watch: a plain load sends nothing
    later = PolicyData(data.enterprises, data.facts.filter(pl.col("year") == YEAR), data.events.clear())
    watch = n.watch_import(policies)
    done = import_policy_data(engine, later, actor="loader", file_name="b.xlsx", sha256="b", watch=watch)
    expected = met(data, YEAR) - met(without, YEAR)
    sent = all_notices(engine)
    assert expected and watch.sent == sent.height == len(expected)
    assert set(sent.select("uscc", "rule").iter_rows()) == expected
    assert set(sent["kind"]) == {"eligible"} and set(sent["year"]) == {YEAR}
    assert set(sent["import_id"]) == {done.import_id} and set(sent["link"]) == {"/claims/new"}
    assert all("申报" in m and "元" in m and "《" in m for m in sent["message"])
    # The same file again changes nothing and sends nothing.
    again = n.watch_import(policies)
    import_policy_data(engine, later, actor="loader", file_name="b.xlsx", sha256="b", watch=again)
    assert again.sent == 0 and all_notices(engine).height == sent.height
    # The batch then proposes those awards with their own notices (another topic), once each.
    f.run_batch(engine, YEAR, actor=OFFICER, policies=policies, catalog=catalog)
    assert all_notices(engine).filter(pl.col("kind") == "award").height == batch_awards(engine).height
    engine.dispose()


def test_no_eligibility_notice_where_an_award_is_already_stored(database_url, data):
    engine = connect(database_url)
    policies, _ = packaged()
    without = PolicyData(data.enterprises, data.facts.filter(pl.col("year") < YEAR), data.events)
    import_policy_data(engine, without, actor="loader", file_name="a.xlsx", sha256="a")
    f.run_batch(engine, YEAR, actor=OFFICER)
    stored = set(batch_awards(engine).select("uscc", "rule").iter_rows())
    watch = n.watch_import(policies)
    import_policy_data(engine, PolicyData(data.enterprises, data.facts, data.events.clear()), actor="loader",
                       file_name="b.xlsx", sha256="b", watch=watch)
    eligible = all_notices(engine).filter(pl.col("kind") == "eligible")
    assert watch.sent == eligible.height > 0
    assert not set(eligible.select("uscc", "rule").iter_rows()) & stored
    engine.dispose()


# ---- the enterprise's inbox ----------------------------------------------------------------------

def test_an_enterprise_reads_only_its_own_and_reading_is_audited_once(engine):
    f.run_batch(engine, YEAR, actor=OFFICER)
    sent = all_notices(engine)
    a, b = sent["uscc"].unique(maintain_order=True).to_list()[:2]
    mine = n.inbox(engine, a)
    assert mine and {x["uscc"] for x in mine} == {a}
    theirs = sent.filter(pl.col("uscc") == b)["id"][0]
    with pytest.raises(f.NotFound):
        n.mark_read(engine, theirs, user=firm(a))
    with pytest.raises(f.NotFound):
        n.dispute(engine, theirs, "不是我们的", actor=firm(a))
    with pytest.raises(f.NotFound):
        n.mark_read(engine, 10**9, user=firm(a))
    with pytest.raises(f.NotAllowed):
        n.mark_read(engine, mine[0]["id"], user=OFFICER)  # the office does not read for the enterprise
    assert n.mark_read(engine, mine[0]["id"], user=firm(a)) is True
    assert n.mark_read(engine, mine[0]["id"], user=firm(a)) is False
    read = events(engine, action="notices.read")
    assert [e["object"] for e in read] == [f"notice:{mine[0]['id']}"]
    assert n.inbox(engine, b)[-1]["read_at"] is None


def test_a_dispute_reaches_the_office_as_a_task_and_closing_it_is_audited(engine):
    f.run_batch(engine, YEAR, actor=OFFICER)
    notice = all_notices(engine).row(0, named=True)
    owner = firm(notice["uscc"])
    for bad in ("", "   ", "长" * 501):
        with pytest.raises(n.NoticeError):
            n.dispute(engine, notice["id"], bad, actor=owner)
    dispute_id = n.dispute(engine, notice["id"], "该项目已于去年享受过", actor=owner)
    with pytest.raises(f.WrongState):
        n.dispute(engine, notice["id"], "再说一次", actor=owner)
    tasks = n.open_disputes(engine, user=OFFICER)
    assert [(t["id"], t["reason"], t["uscc"]) for t in tasks] == [(dispute_id, "该项目已于去年享受过", notice["uscc"])]
    with pytest.raises(f.NotAllowed):
        n.open_disputes(engine, user=owner)
    with pytest.raises(f.NotAllowed):
        n.close_dispute(engine, dispute_id, "已核实", user=owner)
    with pytest.raises(n.NoticeError):
        n.close_dispute(engine, dispute_id, " ", user=OFFICER)
    n.close_dispute(engine, dispute_id, "已核实，撤回该奖补", user=OFFICER)
    with pytest.raises(f.WrongState):
        n.close_dispute(engine, dispute_id, "再办一次", user=OFFICER)
    with pytest.raises(f.NotFound):
        n.close_dispute(engine, 10**9, "无", user=OFFICER)
    assert n.open_disputes(engine, user=OFFICER) == []
    back = next(x for x in n.inbox(engine, notice["uscc"]) if x["id"] == notice["id"])
    assert back["dispute_answer"] == "已核实，撤回该奖补" and back["read_at"] is not None
    assert sorted(e["action"] for e in events(engine) if e["action"].startswith("notices.d")) == [
        "notices.dispute", "notices.dispute_close"]


def test_delivery_counts_sent_and_read_per_batch(engine):
    first = f.run_batch(engine, YEAR, actor=OFFICER)
    sent = all_notices(engine)
    for notice_id, uscc in sent.head(3).select("id", "uscc").iter_rows():
        n.mark_read(engine, notice_id, user=firm(uscc))
    rows = n.delivery(engine, user=OFFICER)
    assert rows == [{"batch_id": first.batch_id, "year": YEAR, "sent": sent.height, "read": 3, "exported": 0,
                     "disputed": 0}]
    assert n.delivery(engine, first.batch_id + 1, user=OFFICER) == []
    with pytest.raises(f.NotAllowed):
        n.delivery(engine, user=firm(sent["uscc"][0]))


# ---- the gateway file ------------------------------------------------------------------------------

def test_the_gateway_export_is_a_bom_csv_neutralised_marked_and_audited(database_url, data):
    engine = connect(database_url)
    # An enterprise with an award, whose name a spreadsheet would run as a formula.
    awarded = sorted(met(data, YEAR))[0][0]
    names = data.enterprises.with_columns(
        pl.when(pl.col("uscc") == awarded).then(pl.lit("=HYPERLINK(\"http://x\")")).otherwise(pl.col("name"))
        .alias("name"))
    f.save_policy_data(engine, PolicyData(names, data.facts, data.events), actor="loader")
    f.run_batch(engine, YEAR, actor=OFFICER)
    sent = all_notices(engine)
    with pytest.raises(f.NotAllowed):
        n.export_pending(engine, user=firm(sent["uscc"][0]))
    with pytest.raises(n.NoticeError):
        n.export_pending(engine, "xlsx", user=OFFICER)
    content, count = n.export_pending(engine, user=OFFICER)
    assert count == sent.height and content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == n.GATEWAY_COLUMNS and len(rows) == count + 1
    assert {r[0] for r in rows[1:]} == set(sent["uscc"])
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows[1:] for cell in r)
    assert {r[1] for r in rows[1:] if r[0] == awarded} == {"'=HYPERLINK(\"http://x\")"}
    assert all_notices(engine)["exported_at"].null_count() == 0
    assert n.export_pending(engine, user=OFFICER)[1] == 0  # nothing twice
    assert [e["detail"]["count"] for e in events(engine, action="notices.export")] == [count]
    assert n.delivery(engine, user=OFFICER)[0]["exported"] == count
    engine.dispose()


def test_cli_exports_the_pending_notices(database_url, engine, tmp_path):
    f.run_batch(engine, YEAR, actor=OFFICER)
    target = tmp_path / "gateway.csv"
    runner = CliRunner()
    done = runner.invoke(cli_app, ["policy", "notices", "export", "--out", str(target), "--db", database_url,
                                   "--user", "ops"])
    assert done.exit_code == 0, done.output
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    assert len(target.read_text(encoding="utf-8-sig").splitlines()) == all_notices(engine).height + 1
    again = runner.invoke(cli_app, ["policy", "notices", "export", "--out", str(target), "--db", database_url])
    assert again.exit_code == 1 and "已存在" in again.output
    other = tmp_path / "again.csv"
    empty = runner.invoke(cli_app, ["policy", "notices", "export", "--out", str(other), "--db", database_url])
    assert empty.exit_code == 0 and "没有待导出" in empty.output and not other.exists()
    assert events(engine, action="notices.export")[0]["actor"] == "ops"


# ---- pages and API ---------------------------------------------------------------------------------

@pytest.fixture
def site(database_url, engine):
    catalog = load_catalog()
    f.run_batch(engine, YEAR, actor=OFFICER)
    sent = all_notices(engine)
    a, b = sent["uscc"].unique(maintain_order=True).to_list()[:2]
    for username, role, uscc in (("officer", "policy_officer", None), ("firm_a", "enterprise", a),
                                 ("firm_b", "enterprise", b), ("boss", "leader", None)):
        create_user(engine, username=username, password=PASSWORD, role=role, display_name=username, uscc=uscc,
                    catalog=catalog)
    return create_app(Settings.from_env(database_url=database_url)), engine, sent, a, b


def test_api_an_enterprise_lists_reads_and_disputes_only_its_own(site):
    app, engine, sent, a, b = site
    client, csrf = sign_in(app, "firm_a")
    mine = client.get("/api/v1/notices").json()
    assert mine and {x["id"] for x in mine} == set(sent.filter(pl.col("uscc") == a)["id"])
    assert all(x["amount_fen"] > 0 and x["amount_yuan"] and not x["read"] for x in mine)
    theirs = int(sent.filter(pl.col("uscc") == b)["id"][0])
    headers = {"X-CSRF-Token": csrf}
    missing = client.post(f"/api/v1/notices/{10**6}/read", headers=headers)
    other = client.post(f"/api/v1/notices/{theirs}/read", headers=headers)
    assert other.status_code == missing.status_code == 404 and other.json() == missing.json()
    assert client.post(f"/api/v1/notices/{theirs}/dispute", json={"reason": "x"}, headers=headers).status_code == 404
    assert client.post(f"/api/v1/notices/{mine[0]['id']}/read").status_code == 403  # no CSRF token
    done = client.post(f"/api/v1/notices/{mine[0]['id']}/read", headers=headers)
    assert done.status_code == 200 and done.json()["changed"] is True
    disputed = client.post(f"/api/v1/notices/{mine[0]['id']}/dispute", json={"reason": "金额不对"}, headers=headers)
    assert disputed.status_code == 200
    assert client.post(f"/api/v1/notices/{mine[0]['id']}/dispute", json={"reason": "再说"},
                       headers=headers).status_code == 409
    assert client.post(f"/api/v1/notices/{mine[0]['id']}/dispute", json={"reason": ""},
                       headers=headers).status_code == 422
    officer, _ = sign_in(app, "officer")
    assert officer.get("/api/v1/notices").status_code == 403


def test_home_shows_messages_awards_matches_and_the_prefilled_calculator(site):
    app, engine, sent, a, b = site
    client, csrf = sign_in(app, "firm_a")
    page = client.get("/home")
    assert page.status_code == 200
    mine = sent.filter(pl.col("uscc") == a)
    assert mine["message"][0] in page.text and "未读" in page.text
    assert "我的奖补" in page.text and "待确认" in page.text and "符合的政策" in page.text
    assert "差一点就符合" in page.text
    assert 'action="/calculator"' in page.text and f'name="uscc" value="{a}"' in page.text
    assert b not in page.text
    read = client.post(f"/home/notices/{mine['id'][0]}/read", data={"csrf": csrf}, follow_redirects=False)
    assert read.status_code == 303
    theirs = int(sent.filter(pl.col("uscc") == b)["id"][0])
    assert client.post(f"/home/notices/{theirs}/read", data={"csrf": csrf}).status_code == 404
    assert client.post(f"/home/notices/{mine['id'][0]}/dispute", data={"csrf": csrf, "reason": ""}).status_code == 422
    assert client.post(f"/home/notices/{mine['id'][0]}/read", data={"csrf": "wrong"}).status_code == 403
    officer, _ = sign_in(app, "officer")
    assert officer.get("/home").status_code == 403


def test_the_office_page_shows_read_status_tasks_and_exports(site):
    app, engine, sent, a, b = site
    client, csrf = sign_in(app, "firm_a")
    notice_id = int(sent.filter(pl.col("uscc") == a)["id"][0])
    client.post(f"/home/notices/{notice_id}/dispute", data={"csrf": csrf, "reason": "企业名称有误"})
    officer, officer_csrf = sign_in(app, "officer")
    page = officer.get("/notices")
    assert page.status_code == 200 and "企业名称有误" in page.text
    row = re.search(r'<tr data-batch="\d+">.*?class="num sent">(\d+)<.*?class="num read">(\d+)<', page.text, re.S)
    assert row and (int(row.group(1)), int(row.group(2))) == (sent.height, 1)
    dispute_id = n.open_disputes(engine, user=OFFICER)[0]["id"]
    closed = officer.post(f"/notices/disputes/{dispute_id}/close", data={"csrf": officer_csrf, "answer": "已更正"},
                          follow_redirects=False)
    assert closed.status_code == 303 and n.open_disputes(engine, user=OFFICER) == []
    exported = officer.post("/notices/export", data={"csrf": officer_csrf})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert exported.content.startswith(b"\xef\xbb\xbf") and "统一社会信用代码" in exported.content.decode("utf-8-sig")
    assert officer.post("/notices/export", data={"csrf": officer_csrf}).status_code == 409
    boss, boss_csrf = sign_in(app, "boss")
    assert boss.get("/notices").status_code == 403
    assert boss.post("/notices/export", data={"csrf": boss_csrf}).status_code == 403
    firm_page = client.get("/notices")
    assert firm_page.status_code == 403


def test_home_shows_a_near_miss_with_its_gap_in_yuan(site, data):
    from commerce_brain.policy.matching import match, near_misses

    app, engine, *_ = site
    near = near_misses(match(None, data, year=YEAR)).filter(
        pl.col("gaps").list.join("").str.contains("还差") & pl.col("gaps").list.join("").str.contains("元"))
    assert near.height, "the synthetic city has no near miss of a money threshold"
    row = near.row(0, named=True)
    create_user(engine, username="firm_near", password=PASSWORD, role="enterprise", display_name="近", uscc=row["uscc"],
                catalog=load_catalog())
    client, _ = sign_in(app, "firm_near")
    page = client.get(f"/home?year={YEAR}")
    section = page.text[page.text.index('id="near"'):page.text.index('id="calculator"')]
    assert row["rule_name"] in section and row["gaps"][0] in section


def test_the_audit_page_reads_the_notices_events_in_chinese(site):
    app, engine, sent, a, _ = site
    n.mark_read(engine, int(sent.filter(pl.col("uscc") == a)["id"][0]), user=firm(a))
    create_user(engine, username="auditor", password=PASSWORD, role="admin", display_name="审计", catalog=load_catalog())
    client, _ = sign_in(app, "auditor")
    page = client.get("/audit").text
    assert "发送站内消息" in page and f"向企业发送站内消息 {sent.height} 条" in page
    assert "企业阅读消息" in page and "notices." not in page.split("<tbody>")[1]


def test_policy_import_sends_the_newly_eligible_their_notices_once(database_url, tmp_path):
    from commerce_brain.policy.sample import write_sample

    folder = write_sample(tmp_path / "city", n_enterprises=40, seed=7, policies=packaged()[0])
    runner = CliRunner()
    args = ["policy", "import", str(folder), "--db", database_url, "--user", "政策办"]
    assert runner.invoke(cli_app, args).exit_code == 0
    engine = connect(database_url)
    sent = all_notices(engine)
    # Nothing was stored before: every rule the city meets in its newest two years is new to it.
    assert sent.height > 0 and set(sent["kind"]) == {"eligible"} and set(sent["year"]) <= {2022, 2023}
    assert [e["actor"] for e in events(engine, action="notices.send")] == ["政策办"]
    assert runner.invoke(cli_app, args).exit_code == 0  # the same file again: nothing new, nothing sent
    assert all_notices(engine).height == sent.height
    engine.dispose()
