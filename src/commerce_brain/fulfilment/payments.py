"""Payment lists (兑付清单): the approved awards of one paying treasury, paid once.

``create_payment_list`` takes, in one statement, every approved award of the treasury that is
on no list yet (``INSERT … SELECT … ON CONFLICT (award_id) DO NOTHING``): when two finance
officers press the button at once, the later one waits for the earlier one's commit, each award
lands on exactly one list, and an officer left with none gets NothingToPay, not an empty list. ``mark_paid`` flips the list and its awards
in one transaction, once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from sqlalchemy import Engine, exists, func, insert, literal, select, update

from ..access import User
from ..catalog import Catalog
from ..io.cells import neutralised
from ..policy.engine import packaged
from ..policy.model import PAYEE_ZH, PolicyCatalog
from ..policy.paid_before import PAID_SCHEMA
from ..policy.payer import treasury_name
from ..store.audit import record
from ..store.fulfilment_tables import (
    NotFound,
    NothingToPay,
    SameOfficer,
    WrongState,
    actor_name,
    awards,
    insert_ignoring_duplicates,
    payment_items,
    payment_lists,
)

XLSX_COLUMNS = ("企业名称", "统一社会信用代码", "条款", "金额（元）", "领取对象", "奖补编号")


def _not_listed():
    return ~exists(select(payment_items.c.id).where(payment_items.c.award_id == awards.c.id))


def pending_by_payer(engine: Engine) -> list[dict]:
    """Per paying treasury: approved awards waiting for a payment list, their count and total."""
    query = (select(awards.c.payer, func.count().label("count"), func.sum(awards.c.amount_fen).label("total_fen"))
             .where(awards.c.state == "approved", _not_listed()).group_by(awards.c.payer).order_by(awards.c.payer))
    with engine.connect() as conn:
        return [{"payer": r.payer, "count": r.count, "total_fen": int(r.total_fen)} for r in conn.execute(query)]


def create_payment_list(engine: Engine, payer: str, *, user: User | str) -> int:
    """A new payment list of every approved award of ``payer`` (a treasury's org-unit code)
    not yet on a list; returns its id. ``user`` needs ``make_payments``. NothingToPay when no
    award is waiting (no empty list is kept)."""
    name = actor_name(user, "make_payments")
    with engine.begin() as conn:
        # The list row first: on SQLite a write as the first statement takes the write lock
        # before anything is read.
        list_id = conn.execute(insert(payment_lists).values(
            payer=payer, created_by=name, created_at=datetime.now(UTC))).inserted_primary_key[0]
        waiting = (select(literal(list_id), awards.c.id, awards.c.amount_fen)
                   .where(awards.c.payer == payer, awards.c.state == "approved", _not_listed())
                   .order_by(awards.c.id))
        conn.execute(insert_ignoring_duplicates(conn, payment_items, "award_id")
                     .from_select(["list_id", "award_id", "amount_fen"], waiting))
        ids = [r.award_id for r in conn.execute(select(payment_items.c.award_id)
                                                .where(payment_items.c.list_id == list_id)
                                                .order_by(payment_items.c.award_id))]
        if not ids:
            raise NothingToPay("该付款单位没有待列入清单的已审核奖补")
        total = conn.execute(select(func.sum(payment_items.c.amount_fen))
                             .where(payment_items.c.list_id == list_id)).scalar_one()
        record(conn, actor=name, action="payment_list.create", object=f"payment_list:{list_id}",
               detail={"payer": payer, "count": len(ids), "total_fen": int(total), "award_ids": ids})
    return list_id


def mark_paid(engine: Engine, list_id: int, *, user: User | str) -> dict:
    """Record that a list was paid: the list and every award on it, once. ``user`` needs
    ``make_payments`` and must not be who created the list (four eyes: one finance officer
    lists, another pays). WrongState if it was already paid (by anyone), SameOfficer if
    ``user`` created it."""
    name = actor_name(user, "make_payments")
    now = datetime.now(UTC)
    with engine.begin() as conn:
        # The creator is excluded in the UPDATE itself, so no path can pay its own list.
        flipped = conn.execute(update(payment_lists).where(payment_lists.c.id == list_id,
                                                           payment_lists.c.paid_at.is_(None),
                                                           payment_lists.c.created_by != name)
                               .values(paid_at=now, paid_by=name)).rowcount
        if flipped != 1:
            found = conn.execute(select(payment_lists.c.paid_at, payment_lists.c.created_by)
                                 .where(payment_lists.c.id == list_id)).first()
            if found is None:
                raise NotFound("无此兑付清单")
            if found.paid_at is not None:
                raise WrongState(f"兑付清单 {list_id} 已标记为已兑付")
            raise SameOfficer(f"兑付清单 {list_id} 由您生成，须由另一名财政经办人员核对后标记为已兑付")
        on_list = select(payment_items.c.award_id).where(payment_items.c.list_id == list_id)
        count, total = conn.execute(select(func.count(), func.coalesce(func.sum(payment_items.c.amount_fen), 0))
                                    .where(payment_items.c.list_id == list_id)).one()
        paid = conn.execute(update(awards).where(awards.c.id.in_(on_list), awards.c.state == "approved")
                            .values(state="paid", updated_by=name, updated_at=now)).rowcount
        award_total = conn.execute(select(func.coalesce(func.sum(awards.c.amount_fen), 0))
                                   .where(awards.c.id.in_(on_list))).scalar_one()
        if paid != count or award_total != total:
            # Cannot happen through this module; if the tables were edited by hand, pay nothing.
            # The figures go to the log-side exception chain, not the page: fen are not for people.
            raise WrongState(f"兑付清单 {list_id} 与奖补记录不符，未标记（{count} 项中 {paid} 项为审核通过）")
        record(conn, actor=name, action="payment_list.paid", object=f"payment_list:{list_id}",
               detail={"count": count, "total_fen": int(total)})
    return get_payment_list(engine, list_id)


def paid_before(engine: Engine, *, uscc: str | None = None) -> pl.DataFrame:
    """What the platform has paid, per enterprise, rule, subject and award year (fen, from the
    paid payment items): the platform's part of 补差 (``policy.paid_before``)."""
    query = (select(awards.c.uscc, awards.c.rule, awards.c.subject, awards.c.year,
                    func.sum(payment_items.c.amount_fen).label("paid_fen"))
             .join(payment_items, payment_items.c.award_id == awards.c.id).where(awards.c.state == "paid")
             .group_by(awards.c.uscc, awards.c.rule, awards.c.subject, awards.c.year))
    if uscc is not None:
        query = query.where(awards.c.uscc == uscc)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(query)]
    return pl.DataFrame(rows, schema=PAID_SCHEMA, orient="row")


def list_payment_lists(engine: Engine, *, payer: str | None = None) -> list[dict]:
    """Every payment list (of one treasury if ``payer``), newest first, with its count and total (fen)."""
    return _lists(engine, None if payer is None else payment_lists.c.payer == payer)


def get_payment_list(engine: Engine, list_id: int) -> dict:
    """One payment list with its items (each award's enterprise, rule, payee and amount)."""
    found = _lists(engine, payment_lists.c.id == list_id)
    if not found:
        raise NotFound("无此兑付清单")

    query = (select(awards.c.id, awards.c.uscc, awards.c.name, awards.c.org_unit, awards.c.year, awards.c.rule,
                    awards.c.subject, awards.c.payee, awards.c.tranche, awards.c.state, payment_items.c.amount_fen)
             .join(payment_items, payment_items.c.award_id == awards.c.id)
             .where(payment_items.c.list_id == list_id).order_by(awards.c.name, awards.c.uscc, awards.c.id))
    with engine.connect() as conn:
        items = [dict(r._mapping) for r in conn.execute(query)]
    return {**found[0], "items": items}


def _lists(engine: Engine, condition) -> list[dict]:
    query = (select(payment_lists, func.count(payment_items.c.id).label("count"),
                    func.coalesce(func.sum(payment_items.c.amount_fen), 0).label("total_fen"))
             .select_from(payment_lists.outerjoin(payment_items, payment_items.c.list_id == payment_lists.c.id))
             .group_by(*payment_lists.c).order_by(payment_lists.c.id.desc()))
    if condition is not None:
        query = query.where(condition)
    with engine.connect() as conn:
        return [_list_record(r._mapping) for r in conn.execute(query)]


def _list_record(row) -> dict:
    record_ = dict(row)
    record_["total_fen"] = int(record_["total_fen"])
    for key in ("created_at", "paid_at"):
        if record_[key] is not None and record_[key].tzinfo is None:
            record_[key] = record_[key].replace(tzinfo=UTC)  # SQLite returns naive UTC
    return record_


def payment_list_xlsx(engine: Engine, list_id: int, path: Path, *, policies: PolicyCatalog | None = None,
                      catalog: Catalog | None = None) -> Path:
    """The list as a workbook for the treasury: one sheet named after it (衢州市财政), a row per
    award (金额 in 元 as a number with two decimals) and a 合计 row."""
    default_policies, default_catalog = packaged()
    policies, catalog = policies or default_policies, catalog or default_catalog
    plist = get_payment_list(engine, list_id)
    book = Workbook()
    sheet = book.active
    sheet.title = treasury_name(catalog.org_unit_names(), plist["payer"])[:31]  # Excel's limit
    sheet.append(XLSX_COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for item in plist["items"]:
        # Decimal, not float: the cell holds exactly the fen the database holds.
        sheet.append(neutralised([item["name"], item["uscc"], _clause(item["rule"], policies),
                                  Decimal(item["amount_fen"]) / 100, PAYEE_ZH.get(item["payee"], item["payee"]),
                                  item["id"]]))
    sheet.append(["合计", None, None, Decimal(plist["total_fen"]) / 100, None, None])
    sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    sheet.cell(sheet.max_row, 4).font = Font(bold=True)
    for row in sheet.iter_rows(min_row=2, min_col=4, max_col=4):
        row[0].number_format = "#,##0.00"
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEF", (32, 22, 48, 16, 12, 10), strict=True):
        sheet.column_dimensions[letter].width = width
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _clause(rule_id: str, policies: PolicyCatalog) -> str:
    try:
        rule = policies.rule(rule_id)
    except KeyError:  # a rule since removed from the catalog: the id still identifies it
        return rule_id
    return f"{rule.article_label} {rule.name_zh}"
