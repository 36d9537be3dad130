"""预警处置 on SQLite and PostgreSQL: raising once per key, the handling states, who may do
what (out of scope = missing), two clicks at once, files, history and audit."""

import threading
from datetime import date, timedelta

import polars as pl
import pytest
from sqlalchemy import func, select

from commerce_brain import followup as fu
from commerce_brain.access import Scope, User, scope_for
from commerce_brain.store.audit import events, verify
from commerce_brain.store.fulfilment_tables import NotAllowed, NotFound, WrongState
from commerce_brain.store.schema import connect
from commerce_brain.store.warning_tables import warning_actions, warnings_table

TODAY = date(2026, 11, 5)
QUJIANG = User(1, "qujiang", "衢江区", "project_unit", responsible_unit="衢江区政府")
LONGYOU = User(2, "longyou", "龙游县", "project_unit", responsible_unit="龙游县政府")
CITY = User(3, "city", "市分析员", "city_analyst")
KECHENG = User(4, "kecheng", "柯城区分析员", "county_analyst", org_unit="330802")
QUJIANG_ANALYST = User(5, "qjfx", "衢江区分析员", "county_analyst", org_unit="330803")
BOSS = User(6, "boss", "领导", "leader")
PDF = ("督办会议纪要.pdf", b"%PDF-1.4\n% minutes\n")


def rows(**changes) -> pl.DataFrame:
    """Two project warnings of October: one of 衢江区政府 alone, one shared with 龙游县政府."""
    frame = pl.DataFrame({
        "source": ["projects", "projects"], "detector": ["schedule_behind", "not_started"],
        "subject_kind": ["project", "project"], "subject_id": ["zl14-01", "zl16-08"],
        "subject_name": ["衢江某项目", "六春湖项目"], "org_unit": ["330803", "330803"],
        "responsible_unit": ["衢江区政府", "衢江区政府、龙游县政府"], "level": ["yellow", "red"],
        "reason": ["年度计划投资完成 41%，时间过半 83%，落后 42 个百分点", "应于2025年开工，仍未开工"],
        "period": ["2026-10", "2026-10"], "due_date": [TODAY + timedelta(days=15)] * 2,
    })
    return frame.with_columns(**{k: pl.lit(v) for k, v in changes.items()}) if changes else frame


@pytest.fixture
def engine(database_url):
    engine = connect(database_url)
    yield engine
    engine.dispose()


def scope(user, catalog):
    return scope_for(user, catalog)


def stored(engine, table=warnings_table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def ids(engine) -> dict[str, int]:
    frame = fu.list_warnings(engine, Scope())
    return dict(zip(frame["subject_id"], frame["id"], strict=True))


def test_raising_is_idempotent_and_audited_once_per_call(engine):
    assert fu.raise_warnings(engine, rows(), actor="projects-run") == fu.Raised(new=2, unchanged=0)
    assert fu.raise_warnings(engine, rows(), actor="projects-run") == fu.Raised(new=0, unchanged=2)
    # The next month is a new warning for the same project.
    assert fu.raise_warnings(engine, rows(period="2026-11"), actor="projects-run") == fu.Raised(new=2, unchanged=0)
    assert stored(engine) == 4
    raised = [e["detail"] for e in events(engine, action="warnings.raise")]
    assert sorted((d["new"], d["unchanged"]) for d in raised) == [(0, 2), (2, 0), (2, 0)]
    listed = fu.list_warnings(engine, Scope(), period="2026-10")
    assert set(listed["state"]) == {"open"} and listed["raised_at"].dtype == pl.Datetime("us", "UTC")
    assert verify(engine).ok


@pytest.mark.parametrize(("bad", "message"), [
    (rows(detector="made_up"), "detector unknown"),
    (rows(level="green"), "level not yellow or red"),
    (rows(source="trade_secret"), "source unknown"),
    (rows(subject_kind="person"), "subject_kind unknown"),
    (rows(period="2026-13"), "period not YYYY-MM"),
    (rows(period="2026/10"), "period not YYYY-MM"),
    (rows(reason="  "), "reason empty"),
    (rows(reason="落后" * 600), "a value too long"),
    (pl.concat([rows(), rows().head(1)]), "key raised twice"),
    (rows().drop("due_date"), "lack columns: due_date"),
    (rows().with_columns(due_date=pl.lit(None, pl.Date)), "due_date missing"),
])
def test_bad_rows_are_refused_whole(engine, bad, message):
    with pytest.raises(fu.WarningRowsInvalid, match=message):
        fu.raise_warnings(engine, bad, actor="projects-run")
    assert stored(engine) == 0 and events(engine, action="warnings.raise") == []


def test_a_warning_walks_from_raised_to_closed(engine, catalog):
    fu.raise_warnings(engine, rows(), actor="projects-run")
    wid = ids(engine)["zl14-01"]
    unit, analyst = scope(QUJIANG, catalog), scope(QUJIANG_ANALYST, catalog)
    assert fu.acknowledge(engine, wid, user=QUJIANG, scope=unit)["state"] == "acknowledged"
    acted = fu.record_action(engine, wid, user=QUJIANG, scope=unit, note="召开专题协调会，落实施工单位",
                             attachment=PDF)
    assert (acted["state"], acted["version"]) == ("action_taken", 3)
    assert fu.close(engine, wid, user=QUJIANG_ANALYST, scope=analyst)["state"] == "closed"  # no reason needed

    warning = fu.get_warning(engine, wid, scope=unit)
    history = fu.warning_history(engine, warning)
    assert [(h["action"], h["to_state"], h["actor"]) for h in history] == [
        ("raise", "open", "projects-run"), ("acknowledge", "acknowledged", "qujiang"),
        ("action", "action_taken", "qujiang"), ("close", "closed", "qjfx")]
    step = history[2]
    assert (step["note"], step["filename"], step["size"]) == ("召开专题协调会，落实施工单位", PDF[0], len(PDF[1]))
    import hashlib
    assert step["sha256"] == hashlib.sha256(PDF[1]).hexdigest()
    assert fu.warning_file(engine, wid, step["id"], scope=unit)["content"] == PDF[1]
    with pytest.raises(NotFound):  # another unit does not learn that the file exists
        fu.warning_file(engine, wid, step["id"], scope=scope(LONGYOU, catalog))
    with pytest.raises(NotFound):  # a step without a file
        fu.warning_file(engine, wid, history[1]["id"], scope=unit)

    audited = [(e["actor"], e["action"], e["detail"]["from"], e["detail"]["to"])
               for e in reversed(events(engine, limit=10)) if e["action"].startswith("warning.")]
    assert audited == [("qujiang", "warning.acknowledge", "open", "acknowledged"),
                       ("qujiang", "warning.action", "acknowledged", "action_taken"),
                       ("qjfx", "warning.close", "action_taken", "closed")]
    action_event = next(e for e in events(engine, action="warning.action"))
    assert action_event["detail"]["attachment"] == {"filename": PDF[0], "sha256": step["sha256"]}
    assert verify(engine).ok
    # Closed is final: nothing moves it, and the refusals store nothing.
    for move in (lambda: fu.acknowledge(engine, wid, user=QUJIANG, scope=unit),
                 lambda: fu.record_action(engine, wid, user=QUJIANG, scope=unit, note="再补充"),
                 lambda: fu.escalate(engine, wid, user=CITY, scope=Scope(), note="升级"),
                 lambda: fu.close(engine, wid, user=CITY, scope=Scope(), note="再办结")):
        with pytest.raises(WrongState, match="已办结"):
            move()
    assert stored(engine, warning_actions) == 3


def test_state_rules(engine, catalog):
    fu.raise_warnings(engine, rows(), actor="projects-run")
    wid = ids(engine)["zl14-01"]
    unit = scope(QUJIANG, catalog)
    fu.acknowledge(engine, wid, user=QUJIANG, scope=unit)
    with pytest.raises(WrongState, match="已签收"):
        fu.acknowledge(engine, wid, user=QUJIANG, scope=unit)
    with pytest.raises(fu.WarningRefused, match="请填写采取措施说明"):
        fu.record_action(engine, wid, user=QUJIANG, scope=unit, note="   ")
    with pytest.raises(fu.WarningRefused, match="请填写办结说明"):  # closing before any action needs a reason
        fu.close(engine, wid, user=CITY, scope=Scope())
    with pytest.raises(fu.WarningRefused, match="请填写升级督办说明"):
        fu.escalate(engine, wid, user=CITY, scope=Scope(), note="")
    with pytest.raises(fu.WarningRefused, match="最多 2000 字"):
        fu.escalate(engine, wid, user=CITY, scope=Scope(), note="慢" * 2001)
    with pytest.raises(fu.WarningRefused, match="不支持的文件类型"):
        fu.record_action(engine, wid, user=QUJIANG, scope=unit, note="附件", attachment=("run.exe", b"MZ"))
    with pytest.raises(fu.WarningRefused, match="超过 10 MB"):
        fu.record_action(engine, wid, user=QUJIANG, scope=unit, note="附件",
                         attachment=("big.pdf", b"%PDF" + b"0" * (10 * 1024 * 1024)))
    assert stored(engine, warning_actions) == 1  # only the acknowledgement
    assert fu.escalate(engine, wid, user=CITY, scope=Scope(), note="两个月未见进展")["state"] == "escalated"
    # The owner still answers an escalated warning; the analyst then closes it.
    assert fu.record_action(engine, wid, user=QUJIANG, scope=unit, note="区长督办")["state"] == "action_taken"
    assert fu.close(engine, wid, user=CITY, scope=Scope(), note="")["state"] == "closed"
    other = ids(engine)["zl16-08"]
    assert fu.close(engine, other, user=CITY, scope=Scope(), note="项目已调整出库")["state"] == "closed"


def test_who_may_do_what(engine, catalog):
    fu.raise_warnings(engine, rows(), actor="projects-run")
    own, shared = ids(engine)["zl14-01"], ids(engine)["zl16-08"]
    longyou = scope(LONGYOU, catalog)
    # Another unit: its own shared warning yes, 衢江区's alone no — as if it did not exist.
    assert fu.acknowledge(engine, shared, user=LONGYOU, scope=longyou)["state"] == "acknowledged"
    with pytest.raises(NotFound, match="无此预警"):
        fu.acknowledge(engine, own, user=LONGYOU, scope=longyou)
    with pytest.raises(NotFound, match="无此预警"):
        fu.acknowledge(engine, 987654, user=LONGYOU, scope=longyou)
    # A county analyst of another county may not escalate or close 衢江区's warnings.
    with pytest.raises(NotFound):
        fu.escalate(engine, own, user=KECHENG, scope=scope(KECHENG, catalog), note="越权")
    # Capabilities: the unit does not supervise, the analyst does not answer, the leader neither.
    with pytest.raises(NotAllowed, match="项目责任单位不能督办预警"):
        fu.close(engine, own, user=QUJIANG, scope=scope(QUJIANG, catalog), note="自己办结")
    with pytest.raises(NotAllowed, match="不能处置预警"):
        fu.acknowledge(engine, own, user=CITY, scope=Scope())
    for move in (lambda: fu.acknowledge(engine, own, user=BOSS, scope=Scope()),
                 lambda: fu.escalate(engine, own, user=BOSS, scope=Scope(), note="领导")):
        with pytest.raises(NotAllowed):
            move()
    assert fu.get_warning(engine, own, scope=Scope())["state"] == "open"


def test_lists_keep_to_the_scope_and_count(engine, catalog):
    fu.raise_warnings(engine, rows(), actor="projects-run")
    assert list(fu.list_warnings(engine, scope(LONGYOU, catalog))["subject_id"]) == ["zl16-08"]
    assert set(fu.list_warnings(engine, scope(QUJIANG, catalog))["subject_id"]) == {"zl14-01", "zl16-08"}
    assert fu.list_warnings(engine, scope(KECHENG, catalog)).is_empty()
    assert fu.list_warnings(engine, Scope(uscc="91350100M000100Y43")).is_empty()  # an enterprise: nothing
    assert fu.list_warnings(engine, Scope(), level="red")["subject_id"].to_list() == ["zl16-08"]
    assert fu.list_warnings(engine, Scope(), responsible_unit="龙游县政府").height == 1
    assert fu.list_warnings(engine, Scope(), subject_kind="project", subject_id="zl14-01")["id"].len() == 1
    assert fu.list_warnings(engine, Scope(), subject_kind="fdi_project", subject_id="zl14-01").is_empty()
    assert fu.list_warnings(engine, Scope(), org_units=frozenset({"330802"})).is_empty()
    late = fu.list_warnings(engine, Scope(), today=TODAY + timedelta(days=16))
    assert late["overdue"].to_list() == [True, True]
    assert not fu.list_warnings(engine, Scope(), today=TODAY + timedelta(days=15))["overdue"].any()  # due today
    counts = fu.warning_counts(late)
    assert counts == {"total": 2, "by_state": {"open": 2, "acknowledged": 0, "action_taken": 0, "escalated": 0,
                                               "closed": 0},
                      "open_by_level": {"yellow": 1, "red": 1}, "overdue": 2,
                      "open_by_source": {src: 2 if src == "projects" else 0 for src in fu.SOURCE_ZH}}
    # Counted in the database (the cockpit's way), the same figures, and the same scopes.
    assert fu.count_warnings(engine, Scope(), today=TODAY + timedelta(days=16)) == counts
    assert fu.count_warnings(engine, scope(LONGYOU, catalog))["total"] == 1
    assert fu.count_warnings(engine, scope(KECHENG, catalog))["total"] == 0
    assert fu.count_warnings(engine, Scope(uscc="91350100M000100Y43"))["total"] == 0
    fu.close(engine, ids(engine)["zl16-08"], user=CITY, scope=Scope(), note="调整出库")
    assert fu.count_warnings(engine, Scope(), today=TODAY + timedelta(days=16)) == {
        "total": 2, "by_state": {"open": 1, "acknowledged": 0, "action_taken": 0, "escalated": 0, "closed": 1},
        "open_by_level": {"yellow": 1, "red": 0}, "overdue": 1,
        "open_by_source": {src: 1 if src == "projects" else 0 for src in fu.SOURCE_ZH}}


def test_two_clicks_at_once_one_wins(engine, catalog):
    fu.raise_warnings(engine, rows(), actor="projects-run")
    wid = ids(engine)["zl14-01"]
    unit = scope(QUJIANG, catalog)

    def race(action, n=6):
        barrier, outcomes = threading.Barrier(n), []

        def run():
            barrier.wait()
            try:
                outcomes.append(action())
            except fu.WarningRefused as exc:  # pragma: no cover - would be a bug
                outcomes.append(exc)
            except WrongState as exc:
                outcomes.append(exc)
        threads = [threading.Thread(target=run) for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(outcomes) == n
        return outcomes

    outcomes = race(lambda: fu.acknowledge(engine, wid, user=QUJIANG, scope=unit))
    assert sum(isinstance(o, dict) for o in outcomes) == 1
    assert all(isinstance(o, WrongState) for o in outcomes if not isinstance(o, dict))
    # Two analysts close the same warning at once: one closing, one audit event.
    outcomes = race(lambda: fu.close(engine, wid, user=CITY, scope=Scope(), note="同时办结"))
    assert sum(isinstance(o, dict) for o in outcomes) == 1
    assert len(events(engine, action="warning.close")) == 1
    assert stored(engine, warning_actions) == 2
    assert verify(engine).ok


def test_every_step_has_an_audit_sentence():
    # The steps' actions are written as f"warning.{action}": the package scan cannot see them.
    from commerce_brain.web.audit_sentences import SENTENCES

    assert {f"warning.{action}" for action in fu.handling.MOVES} | {"warnings.raise"} <= set(SENTENCES)


def test_detectors_speak_chinese():
    assert {"schedule_behind", "not_started", "not_finished", "fdi_stage_overdue"} <= set(fu.DETECTOR_ZH)
    assert fu.detector_zh("schedule_behind") == "落后序时进度" and fu.detector_zh("who_knows") == "其他预警"
    assert fu.LEVEL_ZH == {"yellow": "黄灯", "red": "红灯"}
    assert fu.subject_link("project", "zl14-01") == "/projects/zl14-01"
    # Every kind has its page now (an enterprise's months, the market and supply sheets, the
    # trade cases); a kind this version does not know is shown unlinked.
    assert fu.subject_link("enterprise", "X") == "/orders/X"
    assert fu.subject_link("remedy_case", "US-AD-1") == "/trade"
    assert fu.subject_link("market_series", "330600/total/") == "/market"
    assert fu.subject_link("no_such_kind", "X") is None


def test_an_engines_rows_raise_as_they_are(engine):
    """H1's warning_candidates hands over exactly the shape raise_warnings takes."""
    from commerce_brain.projects.warning_rows import warning_candidates
    from commerce_brain.projects.catalog import load_project_settings

    status = pl.DataFrame({"id": ["zl14-01", "zl13-01", "zl13-02"], "name_zh": ["甲", "乙", "丙"],
                           "org_unit": ["330803", "Z33080001", "Z33080002"],
                           "responsible_unit": ["衢江区政府", "智造新城管委会", "智慧新城管委会"],
                           "light": ["yellow", "red", "green"], "light_rule": ["behind", "not_started", "on_track"],
                           "reason": ["落后 8 个百分点", "应开工未开工", "正常"], "month": ["2026-10"] * 3})
    candidates = warning_candidates(status, load_project_settings(), TODAY)
    assert fu.raise_warnings(engine, candidates, actor="projects-run") == fu.Raised(new=2, unchanged=0)


def test_a_bureau_owned_warning_is_answered_by_the_bureaus_analysts(engine, catalog):
    """The consumer market warns 衢江区商务局 itself: no unit account answers it, so the county's
    analyst acknowledges, acts and closes it; another county's analyst and the project units do
    not see it; the city's analyst may answer it too; a leader still may not."""
    from commerce_brain.warning.market import BELOW_PACE

    market = rows().head(1).with_columns(
        source=pl.lit("market"), detector=pl.lit(BELOW_PACE), subject_kind=pl.lit("market_series"),
        subject_id=pl.lit("330803:retail_total"), subject_name=pl.lit("衢江区社会消费品零售总额"),
        responsible_unit=pl.lit("衢江区商务局"), reason=pl.lit("累计同比增长 3.1%，低于完成全年目标所需的 6.5%"))
    fu.raise_warnings(engine, market, actor="market-run")
    wid = ids(engine)["330803:retail_total"]
    analyst = scope(QUJIANG_ANALYST, catalog)
    with pytest.raises(NotFound):
        fu.acknowledge(engine, wid, user=QUJIANG, scope=scope(QUJIANG, catalog))
    with pytest.raises(NotFound):
        fu.acknowledge(engine, wid, user=KECHENG, scope=scope(KECHENG, catalog))
    with pytest.raises(NotAllowed):
        fu.acknowledge(engine, wid, user=BOSS, scope=Scope())
    assert fu.acknowledge(engine, wid, user=QUJIANG_ANALYST, scope=analyst)["state"] == "acknowledged"
    assert fu.record_action(engine, wid, user=CITY, scope=Scope(), note="约谈重点商贸企业")["state"] == "action_taken"
    assert fu.close(engine, wid, user=QUJIANG_ANALYST, scope=analyst)["state"] == "closed"
    history = fu.warning_history(engine, fu.get_warning(engine, wid, scope=Scope()))
    assert [(h["action"], h["actor"]) for h in history] == [
        ("raise", "market-run"), ("acknowledge", "qjfx"), ("action", "city"), ("close", "qjfx")]
    # A project's warning is still its unit's to answer, not the analyst's.
    fu.raise_warnings(engine, rows(), actor="projects-run")
    with pytest.raises(NotAllowed, match="不能处置预警"):
        fu.acknowledge(engine, ids(engine)["zl14-01"], user=QUJIANG_ANALYST, scope=analyst)


def test_the_page_offers_the_bureaus_analyst_the_answers_to_a_bureau_owned_warning():
    from commerce_brain.web.warning_views import capabilities

    market = {"source": "market", "state": "open"}
    project = {"source": "projects", "state": "open"}
    assert capabilities(QUJIANG_ANALYST, market) == {"acknowledge": True, "action": True, "escalate": True,
                                                     "close": True}
    assert capabilities(QUJIANG_ANALYST, project) == {"acknowledge": False, "action": False, "escalate": True,
                                                      "close": True}
    assert capabilities(QUJIANG, project)["acknowledge"] and not capabilities(QUJIANG, market)["acknowledge"]
