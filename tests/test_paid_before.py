"""补差 from what officers and the platform record (``policy.paid_before``), never from the
enterprise: the pure joins, then a claim on a real database (SQLite and PostgreSQL) whose
subject the platform paid the year before at a lower level."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import polars as pl
import test_claims as claims_tests
import test_fulfilment as fulfilment_tests

from commerce_brain.access import Scope, User
from commerce_brain.policy.engine import packaged
from commerce_brain.policy.frames import EVENT_SCHEMA, conform
from commerce_brain.policy.paid_before import PAID_SCHEMA, with_officer_records, with_paid_before
from commerce_brain import fulfilment as f
from commerce_brain.fulfilment.payments import paid_before

OFFICER = User(1, "officer", "资管办", "policy_officer")
EVERYONE = Scope()
data, engine, firms = claims_tests.data, fulfilment_tests.engine, claims_tests.firms
SUBJECT = "智能工厂试点"


def events(*rows: dict) -> pl.DataFrame:
    return conform(pl.DataFrame([{"uscc": "U1", "year": r["date"].year, **r} for r in rows]), EVENT_SCHEMA)


def test_earlier_payments_of_the_same_group_and_subject_are_added():
    policies, _ = packaged()
    frame = events({"kind": "informatization_pilot", "date": date(2023, 3, 1), "subject": SUBJECT, "level": "national"},
                   {"kind": "informatization_pilot", "date": date(2023, 4, 1), "subject": "别的项目", "level": "national",
                    "already_paid": 7},
                   {"kind": "pct_application", "date": date(2023, 5, 1), "subject": SUBJECT, "count": 1})
    paid = pl.DataFrame([("U1", "informatization_pilot", SUBJECT, 2021, 300_000_00),
                         ("U1", "informatization_pilot", SUBJECT, 2023, 1),      # the same year: not before
                         ("U2", "informatization_pilot", SUBJECT, 2021, 5)],     # another enterprise
                        schema=PAID_SCHEMA, orient="row")
    out = with_paid_before(frame, paid, policies)
    assert out["already_paid"].to_list() == [300_000_00, 7, None]  # the PCT event is another rule's
    assert out.columns == frame.columns and out["kind"].to_list() == frame["kind"].to_list()


def test_only_officer_records_survive_for_an_enterprises_events():
    said = events({"kind": "informatization_pilot", "date": date(2023, 3, 1), "subject": SUBJECT, "already_paid": 1},
                  {"kind": "informatization_pilot", "date": date(2023, 4, 1), "subject": "无记录", "already_paid": 9})
    recorded = events({"kind": "informatization_pilot", "date": date(2022, 3, 1), "subject": SUBJECT,
                       "already_paid": 123})
    assert with_officer_records(said, recorded)["already_paid"].to_list() == [123, None]


def test_a_claim_deducts_what_the_platform_paid_for_the_subject_before(engine, data, firms):
    uscc = firms["a"]
    inputs = claims_tests.stored_inputs(data, uscc)

    def claim(year: int, level: str, **extra) -> int:
        pilot = {"kind": "informatization_pilot", "date": date(year, 6, 1), "level": level, "subject": SUBJECT,
                 **extra}
        filed = claims_tests.file(engine, data, uscc, rule="informatization_pilot", year=year,
                                  inputs=replace(inputs, events=(*inputs.events, pilot)))
        return filed.award_ids[0]

    provincial = claim(2021, "provincial")
    assert f.get_award(engine, provincial, scope=EVERYONE)["amount_fen"] == 30_000_000
    f.approve(engine, provincial, user=OFFICER)
    list_id = f.create_payment_list(engine, f.get_award(engine, provincial, scope=EVERYONE)["payer"],
                                    user=fulfilment_tests.FINANCE)
    f.mark_paid(engine, list_id, user=fulfilment_tests.FINANCE2)
    assert paid_before(engine, uscc=uscc).filter(pl.col("rule") == "informatization_pilot")["paid_fen"].sum() \
        == 30_000_000
    # Upgraded to national the next year: 50万 less the 30万 paid (补差), whatever the
    # enterprise says it was paid (here: nothing).
    national = claim(2022, "national", already_paid=0)
    assert f.get_award(engine, national, scope=EVERYONE)["amount_fen"] == 20_000_000
