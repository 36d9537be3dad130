"""政策兑现 on a real database (SQLite and PostgreSQL): batch, confirm, review, payment lists,
the xlsx for the treasury, concurrency, and the web pages and API on top."""

import io
import re
import threading
from decimal import Decimal

import polars as pl
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from commerce_brain.access import Scope, User
from commerce_brain.catalog import load_catalog
from commerce_brain.io.enterprise_import import PolicyData
from commerce_brain.policy.engine import evaluate_years, packaged
from commerce_brain.policy.synthetic import city
from commerce_brain.settings import Settings
from commerce_brain import fulfilment as f
from commerce_brain.store.accounts import create_user
from commerce_brain.store.audit import events, verify
from commerce_brain.store.schema import connect

YEAR = 2023
OFFICER = User(1, "officer", "资管办", "policy_officer")
FINANCE = User(2, "finance", "财政局", "finance_officer")
FINANCE2 = User(4, "finance2", "财政局复核", "finance_officer")  # four eyes: one lists, another pays
LEADER = User(3, "boss", "领导", "leader")
EVERYONE = Scope()


def firm(uscc: str) -> User:
    return User(10, f"firm-{uscc}", "企业", "enterprise", uscc=uscc)


@pytest.fixture(scope="module")
def data() -> PolicyData:
    policies, _ = packaged()
    return PolicyData(*city(300, [2019, 2020, 2021, 2022, 2023], event_kinds=sorted(policies.event_kinds())))


@pytest.fixture
def engine(database_url, data):
    engine = connect(database_url)
    f.save_policy_data(engine, data, actor="loader")
    yield engine
    engine.dispose()


def proposed(engine, **filters) -> pl.DataFrame:
    return f.list_awards(engine, scope=EVERYONE, **filters).sort("id")


def approve_all(engine, frame: pl.DataFrame) -> list[int]:
    """Confirm (as each enterprise) and approve every award of the frame that may be approved."""
    ids = []
    for award in frame.filter(~pl.col("needs_review")).iter_rows(named=True):
        f.confirm(engine, award["id"], user=firm(award["uscc"]))
        f.approve(engine, award["id"], user=OFFICER)
        ids.append(award["id"])
    return ids


def payer_with_most_awards(frame: pl.DataFrame) -> str:
    eligible = frame.filter(~pl.col("needs_review"))
    return eligible.group_by("payer").len().sort(["len", "payer"], descending=[True, False])["payer"][0]


def test_every_public_name_resolves():
    # The functions are served lazily from their modules; a typo there would surface only here.
    assert all(getattr(f, name) is not None for name in f.__all__)


# ---- store ------------------------------------------------------------------------------------

def test_stored_data_reads_back_as_it_was_given(engine, data):
    back = f.load_policy_data(engine)
    assert back.enterprises.equals(data.enterprises.sort("uscc"))
    assert back.facts.equals(data.facts.sort(["uscc", "year"]))
    assert back.events.equals(data.events)  # in import order: the engine names events by row


def test_batch_proposes_every_award_with_its_explanation(engine, data):
    expected = evaluate_years(data.enterprises, data.facts, data.events, [YEAR]).awards
    summary = f.run_batch(engine, YEAR, actor=OFFICER)
    stored = proposed(engine)
    assert summary.computed == summary.inserted == stored.height == expected.height > 20
    assert summary.already_present == 0
    assert summary.inserted_fen == stored["amount_fen"].sum() == expected["amount_fen"].sum()
    assert set(stored["state"]) == {"proposed"}
    assert stored["tranche"].null_count() == 0 and stored["subject"].null_count() == 0
    by_rule = stored.group_by("rule").agg(pl.col("amount_fen").sum()).sort("rule")
    assert by_rule.equals(expected.group_by("rule").agg(pl.col("amount_fen").sum()).sort("rule"))
    for award in stored.iter_rows(named=True):
        assert "依据《" in award["explanation"] and "兑现" in award["explanation"]
    batch_events = events(engine, action="awards.batch")
    assert len(batch_events) == 1 and batch_events[0]["detail"]["inserted"] == stored.height
    for wrong_role in (FINANCE, firm(stored["uscc"][0])):
        with pytest.raises(f.NotAllowed):
            f.run_batch(engine, YEAR, actor=wrong_role)
        with pytest.raises(f.NotAllowed):
            f.save_policy_data(engine, data, actor=wrong_role)
    assert len(events(engine, action="awards.batch")) == 1


def test_a_rerun_adds_nothing_and_leaves_stored_awards_alone(engine, data):
    first = f.run_batch(engine, YEAR, actor=OFFICER)
    award = proposed(engine).row(0, named=True)
    f.confirm(engine, award["id"], user=firm(award["uscc"]))
    again = f.run_batch(engine, YEAR, actor="cli-operator")
    assert (again.inserted, again.already_present, again.changed) == (0, first.computed, 0)
    assert proposed(engine).height == first.computed
    assert f.get_award(engine, award["id"], scope=EVERYONE)["state"] == "confirmed"
    # The same events imported in another order name the same subjects: still nothing new.
    f.save_policy_data(engine, PolicyData(data.enterprises, data.facts, data.events.reverse()), actor="loader")
    assert f.run_batch(engine, YEAR, actor=OFFICER).inserted == 0
    # Changed figures are reported, not written over the stored award.
    rd = proposed(engine, year=YEAR).filter(pl.col("rule") == "rd_subsidy").row(0, named=True)
    facts = data.facts.with_columns(pl.when((pl.col("uscc") == rd["uscc"]) & (pl.col("year") == YEAR))
                                    .then(pl.col("rd_spend") * 2).otherwise(pl.col("rd_spend")).alias("rd_spend"))
    f.save_policy_data(engine, PolicyData(data.enterprises, facts, data.events), actor="loader")
    changed = f.run_batch(engine, YEAR, actor=OFFICER)
    assert changed.changed >= 1 and changed.inserted == 0
    assert f.get_award(engine, rd["id"], scope=EVERYONE)["amount_fen"] == rd["amount_fen"]


def test_the_database_refuses_a_second_award_under_the_same_key(engine):
    f.run_batch(engine, YEAR, actor=OFFICER)
    with engine.connect() as conn:
        row = dict(conn.execute(select(f.awards).where(f.awards.c.tranche == "")).mappings().first())
    del row["id"]
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(f.awards).values(**row))
    with pytest.raises(IntegrityError), engine.begin() as conn:  # and NULL cannot sneak past the key
        conn.execute(insert(f.awards).values(**{**row, "tranche": None}))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(f.awards).values(**{**row, "subject": "other", "amount_fen": -1}))


def test_only_the_enterprise_itself_confirms(engine):
    f.run_batch(engine, YEAR, actor=OFFICER)
    awards = proposed(engine)
    award = awards.row(0, named=True)
    stranger = awards.filter(pl.col("uscc") != award["uscc"])["uscc"][0]
    with pytest.raises(f.NotFound):  # another's award is as absent as one that does not exist
        f.confirm(engine, award["id"], user=firm(stranger))
    with pytest.raises(f.NotAllowed):
        f.confirm(engine, award["id"], user=OFFICER)
    assert f.get_award(engine, award["id"], scope=EVERYONE)["state"] == "proposed"
    assert f.confirm(engine, award["id"], user=firm(award["uscc"]))["state"] == "confirmed"
    with pytest.raises(f.WrongState):
        f.confirm(engine, award["id"], user=firm(award["uscc"]))
    with pytest.raises(f.NotFound):
        f.confirm(engine, 999_999, user=firm(award["uscc"]))


def test_approval_needs_confirmation_and_rejection_a_reason(engine):
    f.run_batch(engine, YEAR, actor=OFFICER)
    awards = proposed(engine)
    plain = awards.filter(~pl.col("needs_review"))
    a, b = plain.row(0, named=True), plain.row(1, named=True)
    with pytest.raises(f.WrongState):
        f.approve(engine, a["id"], user=OFFICER)  # not yet confirmed
    f.confirm(engine, a["id"], user=firm(a["uscc"]))
    for wrong_role in (FINANCE, LEADER, firm(a["uscc"])):
        with pytest.raises(f.NotAllowed):
            f.approve(engine, a["id"], user=wrong_role)
    assert f.approve(engine, a["id"], user=OFFICER)["state"] == "approved"
    with pytest.raises(f.WrongState):
        f.approve(engine, a["id"], user=OFFICER)
    with pytest.raises(f.WrongState):
        f.reject(engine, a["id"], user=OFFICER, reason="太迟了")
    with pytest.raises(f.FulfilmentError, match="理由"):
        f.reject(engine, b["id"], user=OFFICER, reason="  ")
    rejected = f.reject(engine, b["id"], user=OFFICER, reason="企业已注销")
    assert (rejected["state"], rejected["reason"]) == ("rejected", "企业已注销")
    assert f.get_award(engine, b["id"], scope=EVERYONE)["reason"] == "企业已注销"
    with pytest.raises(f.WrongState):
        f.confirm(engine, b["id"], user=firm(b["uscc"]))
    review = awards.filter(pl.col("needs_review"))
    if review.height:  # a 最高… award proposed at the cap is never approved as it stands
        c = review.row(0, named=True)
        f.confirm(engine, c["id"], user=firm(c["uscc"]))
        with pytest.raises(f.WrongState, match="待评审"):
            f.approve(engine, c["id"], user=OFFICER)
    actions = [e["action"] for e in events(engine) if e["object"].startswith("award:")]
    assert sorted(actions) == sorted(["award.confirm", "award.approve", "award.reject"]
                                     + ["award.confirm"] * bool(review.height))
    assert verify(engine).ok


def test_a_payment_list_holds_exactly_its_treasurys_approved_awards(engine, tmp_path):
    f.run_batch(engine, YEAR, actor=OFFICER)
    awards = proposed(engine)
    approved = set(approve_all(engine, awards))
    payer = payer_with_most_awards(awards)
    mine = awards.filter(pl.col("id").is_in(list(approved)) & (pl.col("payer") == payer))
    with pytest.raises(f.NotAllowed):
        f.create_payment_list(engine, payer, user=OFFICER)  # who reviews does not pay
    list_id = f.create_payment_list(engine, payer, user=FINANCE)
    plist = f.get_payment_list(engine, list_id)
    assert {i["id"] for i in plist["items"]} == set(mine["id"])
    assert plist["total_fen"] == sum(i["amount_fen"] for i in plist["items"]) == mine["amount_fen"].sum()
    assert plist["count"] == mine.height and plist["paid_at"] is None
    with pytest.raises(f.NothingToPay):
        f.create_payment_list(engine, payer, user=FINANCE)
    others = [p for p in f.pending_by_payer(engine)]
    assert payer not in {p["payer"] for p in others}
    assert sum(p["count"] for p in others) == len(approved) - mine.height
    # The database keeps an award on one list, whatever the code does.
    other_list = f.create_payment_list(engine, others[0]["payer"], user=FINANCE) if others else list_id
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(f.payment_items).values(list_id=other_list, award_id=plist["items"][0]["id"],
                                                    amount_fen=plist["items"][0]["amount_fen"]))
    # Four eyes: who created the list cannot mark it paid; nothing moves when refused.
    with pytest.raises(f.SameOfficer, match="须由另一名财政经办人员"):
        f.mark_paid(engine, list_id, user=FINANCE)
    assert f.get_payment_list(engine, list_id)["paid_at"] is None
    assert proposed(engine, state="paid").is_empty()
    paid = f.mark_paid(engine, list_id, user=FINANCE2)
    assert paid["paid_by"] == "finance2" and {i["state"] for i in paid["items"]} == {"paid"}
    assert set(proposed(engine, state="paid")["id"]) == set(mine["id"])
    with pytest.raises(f.WrongState):
        f.mark_paid(engine, list_id, user=FINANCE2)
    with pytest.raises(f.WrongState):
        f.reject(engine, plist["items"][0]["id"], user=OFFICER, reason="已付")
    assert [e["action"] for e in events(engine, action="payment_list.paid")] == ["payment_list.paid"]
    assert verify(engine).ok


def test_the_payment_list_workbook_adds_up(engine, tmp_path):
    f.run_batch(engine, YEAR, actor=OFFICER)
    awards = proposed(engine)
    approve_all(engine, awards)
    payer = payer_with_most_awards(awards)
    list_id = f.create_payment_list(engine, payer, user=FINANCE)
    plist = f.get_payment_list(engine, list_id)
    path = f.payment_list_xlsx(engine, list_id, tmp_path / "out" / "list.xlsx")
    sheet = load_workbook(path).active
    names = load_catalog().org_unit_names()
    assert sheet.title == f"{names[payer]}财政"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("企业名称", "统一社会信用代码", "条款", "金额（元）", "领取对象")
    body, total = rows[1:-1], rows[-1]
    assert len(body) == plist["count"]
    assert {r[1] for r in body} == {i["uscc"] for i in plist["items"]}
    fen = [int(Decimal(str(r[3])) * 100) for r in body]
    assert sorted(fen) == sorted(i["amount_fen"] for i in plist["items"])
    assert total[0] == "合计" and int(Decimal(str(total[3])) * 100) == sum(fen) == plist["total_fen"]
    assert all(r[2].startswith("第") and "条" in r[2] for r in body)
    assert sheet.cell(2, 4).number_format == "#,##0.00"


def test_county_and_enterprise_see_only_their_own(engine):
    catalog = load_catalog()
    f.run_batch(engine, YEAR, actor=OFFICER)
    everything = proposed(engine)
    county = Scope(org_units=frozenset(catalog.subtree("330802")))
    seen = f.list_awards(engine, scope=county)
    assert 0 < seen.height < everything.height and set(seen["org_unit"]) == {"330802"}
    uscc = everything["uscc"][0]
    own = f.list_awards(engine, scope=Scope(uscc=uscc))
    assert set(own["uscc"]) == {uscc}
    outside = everything.filter(pl.col("org_unit") != "330802")["id"][0]
    missing = int(everything["id"].max()) + 1000
    with pytest.raises(f.NotFound) as out_of_scope:
        f.get_award(engine, outside, scope=county)
    with pytest.raises(f.NotFound) as absent:
        f.get_award(engine, missing, scope=county)
    # The same words, but for the id: nothing tells an id outside the scope from a missing one.
    assert str(out_of_scope.value).replace(str(outside), "N") == str(absent.value).replace(str(missing), "N")
    totals = f.award_totals(engine, scope=county)
    assert totals["proposed"]["count"] == seen.height


def test_concurrent_officers_change_each_award_once(engine):
    # Eight threads, each on its own pooled connection, on PostgreSQL (row locks, READ
    # COMMITTED) and on SQLite (one writer at a time): the outcome must be the same.
    f.run_batch(engine, YEAR, actor=OFFICER)
    awards = proposed(engine)
    target = awards.filter(~pl.col("needs_review")).row(0, named=True)
    f.confirm(engine, target["id"], user=firm(target["uscc"]))

    def race(action, n=8):
        barrier, outcomes = threading.Barrier(n), []

        def run():
            barrier.wait()
            try:
                outcomes.append(action())
            except f.FulfilmentError as exc:
                outcomes.append(exc)
        threads = [threading.Thread(target=run) for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(outcomes) == n  # every thread ended in a result or a refusal, none in an error
        return outcomes

    outcomes = race(lambda: f.approve(engine, target["id"], user=OFFICER))
    assert sum(isinstance(o, dict) for o in outcomes) == 1
    assert all(isinstance(o, f.WrongState) for o in outcomes if not isinstance(o, dict))
    approvals = [e for e in events(engine, action="award.approve") if e["object"] == f"award:{target['id']}"]
    assert len(approvals) == 1

    rest = awards.filter(pl.col("id") != target["id"])
    approved = set(approve_all(engine, rest)) | {target["id"]}
    payer = payer_with_most_awards(awards)
    expected = set(awards.filter(pl.col("id").is_in(list(approved)) & (pl.col("payer") == payer))["id"])
    outcomes = race(lambda: f.create_payment_list(engine, payer, user=FINANCE))
    made = [o for o in outcomes if isinstance(o, int)]
    assert made and all(isinstance(o, f.NothingToPay) for o in outcomes if not isinstance(o, int))
    with engine.connect() as conn:
        items = f.payment_items.c
        listed = conn.execute(select(items.award_id, func.count()).group_by(items.award_id)).all()
        lists = conn.execute(select(func.count()).select_from(f.payment_lists)).scalar_one()
    assert {award_id for award_id, _ in listed} == expected and {n for _, n in listed} == {1}
    assert lists == len(made)  # a list that got nothing was not kept
    assert len(events(engine, action="payment_list.create")) == len(made)
    outcomes = race(lambda: f.mark_paid(engine, made[0], user=FINANCE2))
    assert sum(isinstance(o, dict) for o in outcomes) == 1
    assert len(events(engine, action="payment_list.paid")) == 1
    assert verify(engine).ok


def test_money_and_times_are_shown_exactly():
    from datetime import datetime

    from commerce_brain.web.award_views import money, when

    assert [money(12345678), money(5), money(100), money(-250)] == ["123,456.78", "0.05", "1.00", "-2.50"]
    assert when(datetime(2026, 1, 1, 23, 30)) == "2026-01-02 07:30"  # stored UTC, shown in Beijing time


# ---- web --------------------------------------------------------------------------------------

PASSWORD = "correct-horse-42"
STAFF = {"officer": ("policy_officer", None), "finance": ("finance_officer", None),
         "finance2": ("finance_officer", None),
         "kecheng": ("county_analyst", "330802"), "boss": ("leader", None)}


@pytest.fixture
def site(database_url, engine):
    catalog = load_catalog()
    for username, (role, org_unit) in STAFF.items():
        create_user(engine, username=username, password=PASSWORD, role=role, display_name=username,
                    org_unit=org_unit, catalog=catalog)
    app = create_app_for(database_url)
    yield app, engine, catalog


def create_app_for(database_url):
    from commerce_brain.web import awards
    from commerce_brain.web.app import create_app

    app = create_app(Settings.from_env(database_url=database_url))
    if not any(getattr(r, "path", "") == "/awards" for r in app.routes):
        app.include_router(awards.router)  # until web/app.py includes it itself
    return app


def sign_in(app, username: str) -> tuple[TestClient, str]:
    client = TestClient(app)
    form = client.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', form.text).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "login_token": token,
                                           "next": "/"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return client, csrf_of(client.get("/"))


def csrf_of(page) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def add_firm(engine, catalog, uscc: str) -> None:
    create_user(engine, username=f"firm{uscc[-4:]}", password=PASSWORD, role="enterprise", display_name="企业",
                uscc=uscc, catalog=catalog)


def test_web_from_batch_to_paid(site):
    app, engine, catalog = site
    officer, officer_csrf = sign_in(app, "officer")
    run = officer.post("/awards/batch", data={"year": str(YEAR), "csrf": officer_csrf}, follow_redirects=False)
    assert run.status_code == 303 and run.headers["location"].startswith(f"/awards?year={YEAR}&batch=")
    page = officer.get(run.headers["location"])
    assert "新增待确认" in page.text and "免申即享" in page.text
    award = proposed(engine).filter(~pl.col("needs_review")).row(0, named=True)
    add_firm(engine, catalog, award["uscc"])

    firm_client, firm_csrf = sign_in(app, f"firm{award['uscc'][-4:]}")
    mine = firm_client.get("/api/v1/awards").json()
    assert mine and {a["uscc"] for a in mine} == {award["uscc"]}
    detail = firm_client.get(f"/awards/{award['id']}")
    assert detail.status_code == 200 and "确认领取" in detail.text and award["name"] in detail.text
    done = firm_client.post(f"/awards/{award['id']}/confirm", data={"csrf": firm_csrf}, follow_redirects=False)
    assert done.status_code == 303
    assert officer.post(f"/awards/{award['id']}/approve", data={"csrf": officer_csrf},
                        follow_redirects=False).status_code == 303
    assert f.get_award(engine, award["id"], scope=EVERYONE)["state"] == "approved"

    finance, finance_csrf = sign_in(app, "finance")
    assert payer_label_in(finance.get("/payments").text, catalog, award["payer"])
    made = finance.post("/payments", data={"payer": award["payer"], "csrf": finance_csrf}, follow_redirects=False)
    assert made.status_code == 303
    list_path = made.headers["location"]
    export = finance.get(f"{list_path}/export.xlsx")
    assert export.status_code == 200 and "spreadsheetml" in export.headers["content-type"]
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert rows[1][1] == award["uscc"] and int(Decimal(str(rows[-1][3])) * 100) == award["amount_fen"]
    # Four eyes on the page and the API: the officer who listed it cannot pay it.
    own = finance.post(f"{list_path}/paid", data={"csrf": finance_csrf}, follow_redirects=False)
    assert own.status_code == 403 and "须由另一名财政经办人员" in own.text
    list_id = int(list_path.rsplit("/", 1)[1])
    own_api = finance.post(f"/api/v1/awards/payment-lists/{list_id}/paid", headers={"X-CSRF-Token": finance_csrf})
    assert own_api.status_code == 403 and "须由另一名财政经办人员" in own_api.json()["detail"]
    assert f.get_award(engine, award["id"], scope=EVERYONE)["state"] == "approved"
    checker, checker_csrf = sign_in(app, "finance2")
    assert 'data-confirm=' in checker.get(list_path).text  # the button asks before it pays
    assert checker.post(f"{list_path}/paid", data={"csrf": checker_csrf}, follow_redirects=False).status_code == 303
    assert "已兑付" in finance.get(list_path).text
    assert f.get_award(engine, award["id"], scope=EVERYONE)["state"] == "paid"
    history = firm_client.get(f"/api/v1/awards/{award['id']}").json()["history"]
    assert [h["action"] for h in history] == ["award.confirm", "award.approve"]
    actions = [e["action"] for e in reversed(events(engine))
               if e["action"] != "login" and not e["action"].startswith("user.")]
    assert actions == ["enterprise_data.save", "awards.batch", "notices.send", "award.confirm", "award.approve",
                       "payment_list.create", "payment_list.paid"]
    assert verify(engine).ok


def payer_label_in(text: str, catalog, payer: str) -> bool:
    return f"{catalog.org_unit_names()[payer]}财政" in text


def test_web_refuses_the_wrong_roles_and_scopes(site):
    app, engine, catalog = site
    f.run_batch(engine, YEAR, actor="setup")
    awards = proposed(engine)
    award = awards.filter(~pl.col("needs_review")).row(0, named=True)
    other = awards.filter(pl.col("uscc") != award["uscc"]).row(0, named=True)
    add_firm(engine, catalog, award["uscc"])
    firm_client, firm_csrf = sign_in(app, f"firm{award['uscc'][-4:]}")
    finance, finance_csrf = sign_in(app, "finance")
    officer, officer_csrf = sign_in(app, "officer")
    boss, boss_csrf = sign_in(app, "boss")

    assert finance.post("/awards/batch", data={"year": str(YEAR), "csrf": finance_csrf}).status_code == 403
    too_early = officer.post("/awards/batch", data={"year": "2018", "csrf": officer_csrf})
    assert too_early.status_code == 400 and "2018年度不适用" in too_early.text
    assert firm_client.post(f"/awards/{award['id']}/approve", data={"csrf": firm_csrf}).status_code == 403
    # Another's award answers as a missing one does: 404, the same page but for the id.
    missing = int(awards["id"].max()) + 1000
    for path in ("/awards/{}", "/api/v1/awards/{}"):
        theirs, absent = firm_client.get(path.format(other["id"])), firm_client.get(path.format(missing))
        assert theirs.status_code == absent.status_code == 404
        if path.startswith("/api/"):
            assert theirs.text.replace(str(other["id"]), "N") == absent.text.replace(str(missing), "N")
        else:  # the page names no id (and its menu carries the CSRF token, whose digits an id may share)
            assert theirs.text == absent.text
    for award_id in (other["id"], missing):
        assert firm_client.post(f"/awards/{award_id}/confirm", data={"csrf": firm_csrf}).status_code == 404
        assert firm_client.post(f"/api/v1/awards/{award_id}/confirm",
                                headers={"X-CSRF-Token": firm_csrf}).status_code == 404
    assert boss.post(f"/awards/{award['id']}/confirm", data={"csrf": boss_csrf}).status_code == 403
    assert officer.get("/payments").status_code == 403
    assert officer.post("/payments", data={"payer": award["payer"], "csrf": officer_csrf}).status_code == 403
    assert firm_client.get("/api/v1/awards/payment-lists").status_code == 403
    # A form without its session's token, and an API write with a cookie but no token header.
    assert firm_client.post(f"/awards/{award['id']}/confirm", data={"csrf": "forged"}).status_code == 403
    assert firm_client.post(f"/api/v1/awards/{award['id']}/confirm").status_code == 403
    assert f.get_award(engine, award["id"], scope=EVERYONE)["state"] == "proposed"
    # Approving before the enterprise confirmed is a conflict, shown on the award's page.
    early = officer.post(f"/awards/{award['id']}/approve", data={"csrf": officer_csrf})
    assert early.status_code == 409 and "企业已确认" in early.text
    ok = firm_client.post(f"/api/v1/awards/{award['id']}/confirm", headers={"X-CSRF-Token": firm_csrf})
    assert ok.status_code == 200 and ok.json()["state"] == "confirmed"
    rejected = officer.post(f"/api/v1/awards/{award['id']}/reject", json={"reason": "材料不全"},
                            headers={"X-CSRF-Token": officer_csrf})
    assert rejected.status_code == 200 and rejected.json()["reason"] == "材料不全"

    county, _ = sign_in(app, "kecheng")
    seen = county.get("/api/v1/awards").json()
    assert seen and {a["org_unit"] for a in seen} == {"330802"}
    outside = awards.filter(pl.col("org_unit") != "330802")["id"][0]
    assert county.get(f"/awards/{outside}").status_code == 404
    assert len(boss.get("/api/v1/awards").json()) == awards.height  # the leader reads everything
    assert TestClient(app).get("/api/v1/awards").status_code == 401


# ---- bulk paths (COPY on PostgreSQL, executemany on SQLite) ------------------------------------

def test_awkward_values_survive_the_bulk_store_and_load(database_url, data):
    # Into an empty store: a later import would keep the earlier events beside these (revisions).
    engine = connect(database_url)
    # Text that a CSV-based COPY could mistake: '', the NULL marker itself, quotes, commas, lines.
    names = ['', r'\N', '甲,"乙"', '第一行\n第二行']
    enterprises = data.enterprises.with_columns(
        pl.Series("name", [names[i % 4] for i in range(data.enterprises.height)]),
        pl.when(pl.int_range(pl.len()) % 3 == 0).then(None).otherwise(pl.col("is_listed")).alias("is_listed"))
    events = data.events.with_columns(
        pl.Series("subject", [names[i % 4] if i % 5 else None for i in range(data.events.height)]))
    f.save_policy_data(engine, PolicyData(enterprises, data.facts, events), actor="loader")
    back = f.load_policy_data(engine)
    assert back.enterprises.equals(enterprises.sort("uscc"))
    assert back.enterprises["is_listed"].null_count() > 0 and back.enterprises["name"].is_in(names).all()
    assert back.events.equals(events) and (back.events["subject"] == "").sum() > 0
    assert back.facts.equals(data.facts.sort(["uscc", "year"]))


def test_batch_explains_each_award_as_alone_and_skips_only_stored_keys(engine, data):
    from commerce_brain.policy.explain import explain_award
    from commerce_brain.fulfilment.batch import keyed_awards, stable_subjects

    policies, catalog = packaged()
    computed = keyed_awards(evaluate_years(data.enterprises, data.facts, stable_subjects(data.events), [YEAR],
                                           policies=policies, catalog=catalog).awards.filter(pl.col("amount_fen") > 0))
    # One award is already stored (another amount): the batch must keep it and insert the rest.
    first = computed.row(0, named=True)
    with engine.begin() as conn:
        earlier = conn.execute(insert(f.award_batches).values(
            year=YEAR, run_by="earlier", run_at=first_time(), computed=1, inserted=1, already_present=0,
            changed=0, inserted_fen=0)).inserted_primary_key[0]
        conn.execute(insert(f.awards).values(
            batch_id=earlier, **{k: first[k] for k in ("uscc", "name", "org_unit", "year", "rule", "subject", "payee", "tranche",
                                     "payer", "settle_with_city", "needs_review")},
            amount_fen=first["amount_fen"] + 1, explanation="earlier", figures="{}", state="proposed",
            updated_by="earlier", updated_at=first_time()))
    timings: dict[str, float] = {}
    summary = f.run_batch(engine, YEAR, actor=OFFICER, policies=policies, catalog=catalog, timings=timings)
    assert set(timings) == {"load", "engine", "explain", "insert"} and all(t >= 0 for t in timings.values())
    assert (summary.computed, summary.inserted, summary.already_present, summary.changed) == (
        computed.height, computed.height - 1, 1, 1)
    stored = proposed(engine)
    assert stored.filter(pl.col("explanation") == "earlier").height == 1
    batch = stored.filter(pl.col("updated_by") == OFFICER.username)
    # Inserted in the computed order, each with the text explain_award gives it on its own.
    assert batch.select(list(f.AWARD_KEY)).equals(computed.slice(1).select(list(f.AWARD_KEY)))
    for award, row in zip(computed.slice(1).iter_rows(named=True), batch.iter_rows(named=True), strict=True):
        assert row["explanation"] == explain_award(award, policies, catalog)
        assert row["figures"] == (award["figures"] or "{}") and row["amount_fen"] == award["amount_fen"]


def first_time():
    from datetime import UTC, datetime

    return datetime(2024, 1, 1, tzinfo=UTC)


def test_a_bulk_store_that_breaks_a_key_stores_nothing(engine, data):
    twice = pl.concat([data.enterprises, data.enterprises.head(1)])
    with pytest.raises(f.FulfilmentError, match="重复"):
        f.save_policy_data(engine, PolicyData(twice, data.facts.head(10), data.events.head(10)), actor="loader")
    back = f.load_policy_data(engine)  # the earlier data, whole
    assert back.enterprises.height == data.enterprises.height and back.facts.height == data.facts.height
    assert len(events(engine, action="enterprise_data.save")) == 1


def test_a_rejected_award_can_be_reopened_with_a_reason_and_goes_through_review_again(engine):
    f.run_batch(engine, YEAR, actor=OFFICER)
    award = proposed(engine).filter(~pl.col("needs_review")).row(0, named=True)
    f.reject(engine, award["id"], user=OFFICER, reason="材料不全")
    # A later batch leaves the rejected award as it is: without reopening, its key is closed.
    again = f.run_batch(engine, YEAR, actor=OFFICER)
    assert again.inserted == 0 and f.get_award(engine, award["id"], scope=EVERYONE)["state"] == "rejected"
    for wrong_role in (FINANCE, LEADER, firm(award["uscc"])):
        with pytest.raises(f.NotAllowed):
            f.reopen(engine, award["id"], user=wrong_role, reason="补齐材料")
    with pytest.raises(f.FulfilmentError, match="理由"):
        f.reopen(engine, award["id"], user=OFFICER, reason=" ")
    reopened = f.reopen(engine, award["id"], user=OFFICER, reason="企业补齐了审计报告")
    assert (reopened["state"], reopened["reason"]) == ("proposed", "企业补齐了审计报告")
    with pytest.raises(f.WrongState):  # only a rejected award is reopened
        f.reopen(engine, award["id"], user=OFFICER, reason="再来一次")
    f.confirm(engine, award["id"], user=firm(award["uscc"]))
    approved = f.approve(engine, award["id"], user=OFFICER)
    assert (approved["state"], approved["reason"]) == ("approved", None)
    history = [h["action"] for h in f.award_history(engine, award["id"])]
    assert history == ["award.reject", "award.reopen", "award.confirm", "award.approve"]
    assert verify(engine).ok


def test_reopening_from_the_award_page(site):
    app, engine, _ = site
    f.run_batch(engine, YEAR, actor=OFFICER)
    award = proposed(engine).filter(~pl.col("needs_review")).row(0, named=True)
    f.reject(engine, award["id"], user=OFFICER, reason="材料不全")
    client, csrf = sign_in(app, "officer")
    page = client.get(f"/awards/{award['id']}")
    assert "重新审核理由" in page.text and "材料不全" in page.text
    refused = client.post(f"/awards/{award['id']}/reopen", data={"reason": "", "csrf": csrf})
    assert refused.status_code == 400 and "理由" in refused.text
    done = client.post(f"/awards/{award['id']}/reopen", data={"reason": "驳回有误", "csrf": csrf})
    assert done.status_code == 200 and "待确认" in done.text and "驳回有误" in done.text
    assert f.get_award(engine, award["id"], scope=EVERYONE)["state"] == "proposed"
    boss, boss_csrf = sign_in(app, "boss")
    assert boss.post(f"/awards/{award['id']}/reopen", data={"reason": "x", "csrf": boss_csrf}).status_code == 403


def test_one_enterprises_stored_data_reads_back_alone(engine, data):
    uscc = data.events["uscc"][0]
    one = f.load_policy_data(engine, uscc=uscc)
    everyone = f.load_policy_data(engine)
    for table in ("enterprises", "facts", "events"):
        mine, whole = getattr(one, table), getattr(everyone, table)
        assert mine.height and set(mine["uscc"]) == {uscc}
        assert mine.equals(whole.filter(pl.col("uscc") == uscc))
    nobody = f.load_policy_data(engine, uscc="91330802MA2G000000")
    assert [nobody.enterprises.height, nobody.facts.height, nobody.events.height] == [0, 0, 0]


def test_the_awards_list_exports_to_xlsx_within_scope(site, tmp_path):
    app, engine, _ = site
    f.run_batch(engine, YEAR, actor=OFFICER)
    everyone = proposed(engine)
    officer, _ = sign_in(app, "officer")
    book = officer.get(f"/awards/export.xlsx?year={YEAR}&state=proposed")
    assert book.status_code == 200 and "attachment" in book.headers["content-disposition"]
    rows = list(load_workbook(io.BytesIO(book.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("奖补编号", "企业名称", "统一社会信用代码")
    assert sorted(r[0] for r in rows[1:]) == sorted(everyone["id"].to_list())
    amounts = {r[0]: r[9] for r in rows[1:]}
    first = everyone.row(0, named=True)
    assert amounts[first["id"]] == Decimal(first["amount_fen"]) / 100  # exact to the fen
    county, _ = sign_in(app, "kecheng")
    mine = list(load_workbook(io.BytesIO(county.get("/awards/export.xlsx").content)).active.iter_rows(values_only=True))
    assert sorted(r[0] for r in mine[1:]) == sorted(everyone.filter(pl.col("org_unit") == "330802")["id"].to_list())
