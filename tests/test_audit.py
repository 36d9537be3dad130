"""The hash-chained audit log on SQLite and PostgreSQL: appends, tampering found, concurrency."""

import hashlib
import json
import threading
from datetime import UTC, datetime
from itertools import pairwise

import pytest
from sqlalchemy import create_engine, func, insert, select, text
from typer.testing import CliRunner

from commerce_brain.cli_audit import audit_app
from commerce_brain.store.audit import (
    GENESIS,
    audit_events,
    audit_head,
    canonical_json,
    event_hash,
    events,
    record,
    verify,
)
from commerce_brain.store.schema import connect, imports


class Interrupted(Exception):
    """Stands for whatever fails after the event was recorded, before the commit."""


@pytest.fixture
def engine(database_url):
    engine = connect(database_url)
    yield engine
    engine.dispose()


def append(engine, n, actor="审核员甲"):
    return [record(engine, actor=actor, action="approve", object=f"case/{i}", detail={"seq": i, "金额": 1000.5 * i})
            for i in range(1, n + 1)]


def raw(engine, sql, **params):
    with engine.begin() as conn:
        conn.execute(text(sql), params)


def kinds(report):
    return sorted((p.id, p.kind) for p in report.problems)


def test_appended_events_form_a_valid_chain(engine):
    written = append(engine, 5)
    assert [e.id for e in written] == [1, 2, 3, 4, 5]
    assert written[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in pairwise(written))
    report = verify(engine)
    assert (report.ok, report.events, report.problems) == (True, 5, [])
    assert "审计链完整" in str(report) and "5 events" in str(report)
    newest = events(engine, limit=2)
    assert [e["id"] for e in newest] == [5, 4]
    assert newest[0]["detail"] == {"seq": 5, "金额": 5002.5}
    assert newest[0]["at"].tzinfo is not None


def test_the_hash_covers_every_field_as_documented(engine):
    event = append(engine, 1)[0]
    with engine.connect() as conn:
        row = conn.execute(select(audit_events)).one()
    # Recomputed from the module docstring's recipe, not from event_hash(), so the recipe is pinned.
    fields = [1, event.at.astimezone(UTC).isoformat(timespec="microseconds"), "审核员甲",
              "approve", "case/1", canonical_json({"seq": 1, "金额": 1000.5}), GENESIS]
    expected = hashlib.sha256(json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()
    assert row.hash == event.hash == expected
    assert row.detail == '{"seq":1,"金额":1000.5}'


def test_events_filter_by_actor_and_action(engine):
    append(engine, 2, actor="甲")
    record(engine, actor="乙", action="login", object="user/乙", detail={})
    assert [e["actor"] for e in events(engine, actor="甲")] == ["甲", "甲"]
    assert [e["id"] for e in events(engine, action="login")] == [3]
    assert len(events(engine, limit=1)) == 1


def test_an_edited_detail_is_reported_by_id(engine):
    append(engine, 5)
    raw(engine, "UPDATE audit_events SET detail = :d WHERE id = 3", d='{"seq":3,"金额":1}')
    report = verify(engine)
    assert kinds(report) == [(3, "edited")]
    assert not report.ok and "#3 [edited]" in str(report)


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(engine):
    append(engine, 5)
    with engine.connect() as conn:
        row = conn.execute(select(audit_events).where(audit_events.c.id == 3)).one()
    detail = canonical_json({"seq": 3, "金额": 1})
    forged = event_hash(3, row.at, row.actor, row.action, row.object, detail, row.prev_hash)
    raw(engine, "UPDATE audit_events SET detail = :d, hash = :h WHERE id = 3", d=detail, h=forged)
    assert kinds(verify(engine)) == [(4, "broken_link")]


def test_a_deleted_middle_event_is_a_gap_and_a_broken_link(engine):
    append(engine, 5)
    raw(engine, "DELETE FROM audit_events WHERE id = 3")
    report = verify(engine)
    assert kinds(report) == [(4, "broken_link"), (4, "gap")]
    assert report.events == 4


def test_deleting_the_newest_events_disagrees_with_the_head(engine):
    append(engine, 5)
    raw(engine, "DELETE FROM audit_events WHERE id >= 4")
    report = verify(engine)
    assert kinds(report) == [(5, "head")]
    assert "末尾事件被删除" in report.problems[0].message


def test_deleting_every_event_is_reported(engine):
    append(engine, 2)
    raw(engine, "DELETE FROM audit_events")
    assert kinds(verify(engine)) == [(2, "head")]


def test_a_forged_event_with_a_recomputed_hash_but_wrong_prev_is_reported(engine):
    append(engine, 3)
    at = datetime.now(UTC)
    detail = canonical_json({"amount": 999999})
    forged = event_hash(4, at, "intruder", "payment", "award/9", detail, GENESIS)
    with engine.begin() as conn:
        conn.execute(insert(audit_events).values(id=4, at=at, actor="intruder", action="payment", object="award/9",
                                                 detail=detail, prev_hash=GENESIS, hash=forged))
    report = verify(engine)
    # Its own hash checks out; its link does not, and the head never heard of it.
    assert kinds(report) == [(3, "head"), (4, "broken_link")]


def test_appending_after_a_truncation_keeps_the_truncation_visible(engine):
    append(engine, 4)
    raw(engine, "DELETE FROM audit_events WHERE id = 4")
    event = record(engine, actor="甲", action="login", object="user/甲", detail={})
    # Chained onto the head (event 4), not onto the table's last row: the deletion stays a gap.
    assert event.id == 5
    assert kinds(verify(engine)) == [(5, "broken_link"), (5, "gap")]


def test_a_missing_head_is_reported_and_refuses_appends(engine):
    append(engine, 2)
    raw(engine, "DELETE FROM audit_head")
    assert kinds(verify(engine)) == [(None, "head")]
    with pytest.raises(RuntimeError, match="audit_head"):
        record(engine, actor="甲", action="login", object="user/甲", detail={})


def test_an_event_commits_and_rolls_back_with_the_change_it_records(engine):
    def change(conn, name):
        conn.execute(insert(imports).values(file_name=name, sha256="0" * 64, rows=1, new=1, revised=0,
                                            unchanged=0, imported_by="甲", imported_at=datetime.now(UTC)))
        record(conn, actor="甲", action="import", object=name, detail={"rows": 1})

    with engine.connect() as conn, conn.begin() as tx:
        change(conn, "kept.csv")
        tx.commit()
    with pytest.raises(Interrupted), engine.connect() as conn, conn.begin():
        change(conn, "undone.csv")
        raise Interrupted
    with engine.connect() as conn:
        assert conn.execute(select(imports.c.file_name)).scalars().all() == ["kept.csv"]
        assert conn.execute(select(audit_head.c.last_id)).scalar() == 1
    assert [e["object"] for e in events(engine)] == ["kept.csv"]
    # The rolled-back append used no id: the next one follows without a gap (a sequence would not).
    assert record(engine, actor="甲", action="login", object="user/甲", detail={}).id == 2
    assert verify(engine).ok


def test_a_rolled_back_first_event_leaves_nothing(engine):
    with pytest.raises(Interrupted), engine.begin() as conn:
        record(conn, actor="甲", action="import", object="a.csv", detail={})
        raise Interrupted
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(audit_events)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(audit_head)).scalar() == 0
    assert (verify(engine).ok, verify(engine).events) == (True, 0)


def test_bad_arguments_are_refused_alike_on_every_database(engine):
    with pytest.raises(ValueError, match="actor"):
        record(engine, actor="x" * 201, action="login", object="", detail={})
    with pytest.raises(ValueError):
        record(engine, actor="甲", action="import", object="a", detail={"value": float("nan")})
    with pytest.raises(TypeError):
        record(engine, actor="甲", action="import", object="a", detail=["not", "a", "dict"])
    assert verify(engine).events == 0


def test_concurrent_appends_form_one_chain(database_url):
    connect(database_url).dispose()
    # Each thread gets its own pooled connection; SQLite writers wait up to 30 s for the lock.
    args = {"connect_args": {"timeout": 30}} if database_url.startswith("sqlite") else {}
    engine = create_engine(database_url, pool_size=8, **args)
    errors, barrier = [], threading.Barrier(8)

    def writer(n):
        barrier.wait()
        try:
            for i in range(25):
                record(engine, actor=f"writer{n}", action="approve", object=f"case/{n}/{i}", detail={"i": i})
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = verify(engine)
    assert (report.ok, report.events) == (True, 200), str(report)
    objects = {e["object"] for e in events(engine, limit=1000)}
    assert objects == {f"case/{n}/{i}" for n in range(8) for i in range(25)}
    engine.dispose()


def test_cli_verify_exits_1_after_tampering(engine, database_url):
    runner = CliRunner()
    append(engine, 3)
    ok = runner.invoke(audit_app, ["verify", "--db", database_url])
    assert ok.exit_code == 0, ok.output
    assert "3 events" in ok.output
    listed = json.loads(runner.invoke(audit_app, ["list", "--db", database_url, "--format", "json"]).stdout)
    assert [e["id"] for e in listed] == [3, 2, 1]
    raw(engine, "UPDATE audit_events SET actor = 'someone else' WHERE id = 2")
    bad = runner.invoke(audit_app, ["verify", "--db", database_url])
    assert bad.exit_code == 1
    assert "#2 [edited]" in bad.output
    as_json = runner.invoke(audit_app, ["verify", "--db", database_url, "--format", "json"])
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["problems"][0]["id"] == 2
