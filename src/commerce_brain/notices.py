"""站内消息: the notices an enterprise gets, and what the policy office does with them.

Two things send a notice, each exactly once (the notice's unique ``topic`` decides):

- a 免申即享 batch proposing an award (``notify_proposed``, in the batch's own transaction):
  “confirm it on the award page”;
- an enterprise-data import making an enterprise newly eligible for a rule in a year
  (``EligibilityWatch``, in the import's transaction, comparing what the engine awards the
  enterprises the import touched before and after): “申报”.

Each names the article (《title》文号 第n条（clause）, never a file name), the amount in 元 and
what to do next. The enterprise reads its inbox (reading is audited) and may say a notice is
wrong (a dispute: a task on the policy office's page until closed, both audited); the policy
office sees per batch how many were sent and read, and exports the pending ones as the
SMS/浙政钉 gateway's CSV file (nothing is sent from the platform).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl
from sqlalchemy import Connection, Engine, and_, case, func, select, update

from .access import User, can, refusal
from .io.cells import neutralised
from .io.enterprise_import import PolicyData
from .policy.engine import evaluate_years
from .policy.explain import yuan
from .policy.model import PolicyCatalog
from .store.audit import record
from .store.bulk import insert_frame, read_frame
from .store.fulfilment_tables import NotAllowed, NotFound, WrongState, award_batches, awards
from .store.notice_tables import MAX_REASON, notice_disputes, notices

# The 浙政钉/SMS gateway's import: these columns, in this order, UTF-8 with a BOM.
GATEWAY_COLUMNS = ("统一社会信用代码", "企业名称", "消息内容", "链接")
KIND_ZH = {"award": "拟兑现奖补", "eligible": "新符合政策"}
# Award years an import's notices look at: the newest ones its rows touch. Older years are past
# their 申报 window; evaluating them would only send stale news.
YEARS_CONSIDERED = 2
NOTICE_COLUMNS = ("topic", "kind", "uscc", "name", "rule", "year", "amount_fen", "award_id", "batch_id", "import_id",
                  "article", "message", "link", "created_at")


class NoticeError(ValueError):
    """A notice request refused (Chinese message)."""


# Every refusal the notice functions raise (the web maps each to its status).
NOTICE_ERRORS = (NotFound, NotAllowed, WrongState, NoticeError)


def rule_articles(policies: PolicyCatalog) -> pl.DataFrame:
    """One row per rule: its Chinese name and its article as an enterprise reads it —
    《title》文号 第n条（clause）."""
    rows = []
    for policy in policies.policies:
        number = f"（{policy.doc_number}）" if policy.doc_number else ""
        for rule in policy.rules:
            rows.append({"rule": rule.id, "rule_name": rule.name_zh,
                         "article": f"《{policy.title}》{number}{rule.article_label}"})
    return pl.DataFrame(rows, schema={"rule": pl.String, "rule_name": pl.String, "article": pl.String})


def _with_messages(frame: pl.DataFrame, policies: PolicyCatalog) -> pl.DataFrame:
    """``frame`` (kind, uscc, rule, year, amount_fen, award_id) with article, message and link."""
    amounts = frame["amount_fen"].unique()
    # yuan() formats one figure; the distinct amounts are few, so format each once and join.
    in_yuan = pl.DataFrame({"amount_fen": amounts, "amount_text": [yuan(int(v)) for v in amounts]},
                           schema={"amount_fen": frame.schema["amount_fen"], "amount_text": pl.String})
    joined = frame.join(rule_articles(policies), on="rule", how="left").join(in_yuan, on="amount_fen", how="left")
    if joined["article"].null_count():
        raise NoticeError("有奖补的规则不在政策目录中，无法生成消息")
    year, name, amount, article = pl.col("year"), pl.col("rule_name"), pl.col("amount_text"), pl.col("article")
    award = pl.format("贵企业{}年度{}拟兑现{}（依据{}）。请登录政企通，在奖补页面核对并确认。",
                      year, name, amount, article)
    eligible = pl.format("根据最新数据，贵企业符合{}年度{}的条件，按现有数据测算可获{}（依据{}）。请登录政企通申报。",
                         year, name, amount, article)
    is_award = pl.col("kind") == "award"
    return joined.with_columns(
        pl.when(is_award).then(award).otherwise(eligible).alias("message"),
        pl.when(is_award).then(pl.format("/awards/{}", pl.col("award_id"))).otherwise(pl.lit("/claims/new"))
        .alias("link"),
    )


def _store(conn: Connection, frame: pl.DataFrame, policies: PolicyCatalog, now: datetime) -> int:
    """Insert the notices of ``frame`` (skipping topics already sent); how many were new."""
    if frame.is_empty():
        return 0
    rows = _with_messages(frame, policies).with_columns(
        pl.lit(now, dtype=pl.Datetime("us", "UTC")).alias("created_at"))
    before = conn.execute(select(func.count()).select_from(notices)).scalar_one()
    insert_frame(conn, notices, rows.select(NOTICE_COLUMNS), skip_existing=("topic",))
    return conn.execute(select(func.count()).select_from(notices)).scalar_one() - before


def notify_proposed(conn: Connection, batch_id: int, policies: PolicyCatalog, *, actor: str) -> int:
    """One notice per award batch ``batch_id`` proposed, in the batch's transaction (a batch run
    again proposes nothing new, so sends nothing; the topic ``award:<id>`` makes it certain)."""
    schema = {"award_id": pl.Int64, "uscc": pl.String, "name": pl.String, "rule": pl.String, "year": pl.Int64,
              "amount_fen": pl.Int64}
    frame = read_frame(conn, select(awards.c.id, awards.c.uscc, awards.c.name, awards.c.rule, awards.c.year,
                                    awards.c.amount_fen).where(awards.c.batch_id == batch_id), schema)
    frame = frame.with_columns(
        pl.format("award:{}", pl.col("award_id")).alias("topic"), pl.lit("award").alias("kind"),
        pl.lit(batch_id, dtype=pl.Int64).alias("batch_id"), pl.lit(None, dtype=pl.Int64).alias("import_id"))
    sent = _store(conn, frame, policies, datetime.now(UTC))
    if sent:
        record(conn, actor=actor, action="notices.send", object=f"batch:{batch_id}", detail={"sent": sent})
    return sent


@dataclass
class EligibilityWatch:
    """Watches an enterprise-data import (``import_policy_data(…, watch=…)``): what the engine
    awards the enterprises it touches, before and after; a rule an enterprise newly qualifies
    for in a year, and for which no award is stored yet, gets a notice (once)."""

    policies: PolicyCatalog
    catalog: object  # the org-unit catalog the engine scopes rules by
    touched: list[str] | None = None
    years: list[int] | None = None
    before_met: pl.DataFrame | None = None
    sent: int = 0

    def before(self, conn: Connection, changes: dict[str, pl.DataFrame]) -> None:
        moved = {t: f.filter(pl.col("change") != "unchanged") for t, f in changes.items()}
        self.touched = sorted(set().union(*(set(f["uscc"].to_list()) for f in moved.values())))
        first = min((p.first_year for p in self.policies.policies if p.rules), default=0)
        years = set().union(*(set(moved[t]["year"].drop_nulls().to_list()) for t in ("facts", "events", "fact_values")
                              if t in moved))
        if not years and self.touched and changes["facts"].height:  # only the registry changed
            years = {int(changes["facts"]["year"].max())}
        self.years = sorted(y for y in years if y >= first)[-YEARS_CONSIDERED:]
        self.before_met = self._met(conn)

    def after(self, conn: Connection, import_id: int, actor: str) -> None:
        after = self._met(conn)
        if after.is_empty():
            return
        # Already proposed or claimed: the award's own notice (or the claim) covers it.
        stored = read_frame(conn, select(awards.c.uscc, awards.c.rule, awards.c.year)
                            .where(awards.c.year.between(self.years[0], self.years[-1])),
                            {"uscc": pl.String, "rule": pl.String, "year": pl.Int64})
        key = ["uscc", "rule", "year"]
        new = after.join(self.before_met, on=key, how="anti").join(stored.unique(), on=key, how="anti")
        frame = new.with_columns(
            pl.format("eligible:{}:{}:{}", "uscc", "rule", "year").alias("topic"), pl.lit("eligible").alias("kind"),
            pl.lit(None, dtype=pl.Int64).alias("award_id"), pl.lit(None, dtype=pl.Int64).alias("batch_id"),
            pl.lit(import_id, dtype=pl.Int64).alias("import_id"))
        self.sent = _store(conn, frame, self.policies, datetime.now(UTC))
        if self.sent:
            record(conn, actor=actor, action="notices.send", object=f"enterprise_import:{import_id}",
                   detail={"sent": self.sent, "years": self.years})

    def _met(self, conn: Connection) -> pl.DataFrame:
        """(uscc, name, rule, year, amount_fen): what the engine awards the touched enterprises."""
        empty = pl.DataFrame(schema={"uscc": pl.String, "rule": pl.String, "year": pl.Int64, "name": pl.String,
                                     "amount_fen": pl.Int64})
        if not self.touched or not self.years:
            return empty
        # Imported here: the fulfilment package's batch imports this module at its top.
        from .fulfilment.data import read_policy_data

        # One enterprise by its key; more, one read of each table (a long IN list is slower).
        stored = read_policy_data(conn, uscc=self.touched[0] if len(self.touched) == 1 else None)
        mine = pl.col("uscc").is_in(self.touched)
        data = PolicyData(*(frame.filter(mine) for frame in (stored.enterprises, stored.facts, stored.events)))
        if data.enterprises.is_empty():
            return empty
        result = evaluate_years(data.enterprises, data.facts, data.events, self.years, policies=self.policies,
                                catalog=self.catalog)
        return (result.awards.filter(pl.col("amount_fen") > 0)
                .group_by("uscc", "rule", pl.col("year").cast(pl.Int64))
                .agg(pl.col("name").first(), pl.col("amount_fen").sum().cast(pl.Int64)))


# ---- the enterprise's side ---------------------------------------------------------------------

def _own(conn: Connection, notice_id: int, user: User) -> dict:
    """The notice if it is the user's enterprise's; otherwise NotFound, as if it did not exist."""
    if not can(user, "confirm_own_awards"):
        raise NotAllowed(refusal(user, "confirm_own_awards"))
    row = conn.execute(select(notices).where(notices.c.id == notice_id)).mappings().first()
    if row is None or row["uscc"] != user.uscc:
        raise NotFound("没有这条消息")
    return dict(row)


def inbox(engine: Engine, uscc: str, *, limit: int = 200) -> list[dict]:
    """An enterprise's notices, newest first, each with its dispute (if any)."""
    query = (select(notices, notice_disputes.c.reason.label("dispute_reason"),
                    notice_disputes.c.closed_at.label("dispute_closed_at"),
                    notice_disputes.c.answer.label("dispute_answer"))
             .outerjoin(notice_disputes, notice_disputes.c.notice_id == notices.c.id)
             .where(notices.c.uscc == uscc).order_by(notices.c.id.desc()).limit(limit))
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def mark_read(engine: Engine, notice_id: int, *, user: User) -> bool:
    """Mark the user's own notice read (audited once: reading it again changes nothing).
    Returns whether it was unread."""
    with engine.begin() as conn:
        notice = _own(conn, notice_id, user)
        if notice["read_at"] is not None:
            return False
        done = conn.execute(update(notices).where(notices.c.id == notice_id, notices.c.read_at.is_(None))
                            .values(read_at=datetime.now(UTC))).rowcount
        if done:
            record(conn, actor=user.username, action="notices.read", object=f"notice:{notice_id}",
                   detail={"uscc": notice["uscc"]})
        return bool(done)


def dispute(engine: Engine, notice_id: int, reason: str, actor: User) -> int:
    """'This notice is wrong': the enterprise (``actor``, the notice's own) gives its reason,
    which reaches the policy office as a task (audited). Reading is implied. One dispute per
    notice. Returns the dispute's id."""
    user = actor
    reason = (reason or "").strip()
    if not reason:
        raise NoticeError("请写明消息有误的原因")
    if len(reason) > MAX_REASON:
        raise NoticeError(f"原因不能超过{MAX_REASON}字")
    now = datetime.now(UTC)
    with engine.begin() as conn:
        notice = _own(conn, notice_id, user)
        if conn.execute(select(notice_disputes.c.id).where(notice_disputes.c.notice_id == notice_id)).first():
            raise WrongState("这条消息已经反馈过，请等待政策经办处理")
        dispute_id = conn.execute(notice_disputes.insert().values(
            notice_id=notice_id, reason=reason, raised_by=user.username, raised_at=now)).inserted_primary_key[0]
        conn.execute(update(notices).where(notices.c.id == notice_id, notices.c.read_at.is_(None)).values(read_at=now))
        record(conn, actor=user.username, action="notices.dispute", object=f"notice:{notice_id}",
               detail={"dispute": dispute_id, "uscc": notice["uscc"], "reason": reason})
    return dispute_id


# ---- the policy office's side ------------------------------------------------------------------

def _office(user: User | str) -> str:
    """The policy office (run_batch: it sends the batch's notices) or a trusted caller's name."""
    if isinstance(user, User):
        if not can(user, "run_batch"):
            raise NotAllowed(refusal(user, "run_batch"))
        return user.username
    return user


def close_dispute(engine: Engine, dispute_id: int, answer: str, *, user: User | str) -> None:
    """Close a dispute with the office's answer (audited); the enterprise sees the answer."""
    name = _office(user)
    answer = (answer or "").strip()
    if not answer:
        raise NoticeError("请填写处理意见")
    if len(answer) > MAX_REASON:
        raise NoticeError(f"处理意见不能超过{MAX_REASON}字")
    with engine.begin() as conn:
        done = conn.execute(update(notice_disputes)
                            .where(notice_disputes.c.id == dispute_id, notice_disputes.c.closed_at.is_(None))
                            .values(closed_by=name, closed_at=datetime.now(UTC), answer=answer)).rowcount
        if not done:
            exists = conn.execute(select(notice_disputes.c.id).where(notice_disputes.c.id == dispute_id)).first()
            raise WrongState("这条反馈已经处理") if exists else NotFound("没有这条反馈")
        record(conn, actor=name, action="notices.dispute_close", object=f"notice_dispute:{dispute_id}",
               detail={"answer": answer})


def open_disputes(engine: Engine, *, user: User | str) -> list[dict]:
    """The disputes still open (the office's tasks), oldest first, with their notices."""
    _office(user)
    query = (select(notice_disputes, notices.c.uscc, notices.c.name, notices.c.message, notices.c.kind,
                    notices.c.batch_id, notices.c.amount_fen)
             .join(notices, notices.c.id == notice_disputes.c.notice_id)
             .where(notice_disputes.c.closed_at.is_(None)).order_by(notice_disputes.c.id))
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def delivery(engine: Engine, batch_id: int | None = None, *, user: User | str) -> list[dict]:
    """Per batch (newest first; or the one ``batch_id``): notices sent, read, exported to the
    gateway and disputed. The notices of imports (newly eligible) come as one row, batch None."""
    _office(user)
    counted = lambda column: func.sum(case((column.is_not(None), 1), else_=0))  # noqa: E731
    query = (select(notices.c.batch_id, func.min(award_batches.c.year).label("year"),
                    func.count().label("sent"), counted(notices.c.read_at).label("read"),
                    counted(notices.c.exported_at).label("exported"),
                    counted(notice_disputes.c.id).label("disputed"))
             .outerjoin(award_batches, award_batches.c.id == notices.c.batch_id)
             .outerjoin(notice_disputes, notice_disputes.c.notice_id == notices.c.id)
             .group_by(notices.c.batch_id).order_by(notices.c.batch_id.desc().nulls_last()))
    if batch_id is not None:
        query = query.where(notices.c.batch_id == batch_id)
    with engine.connect() as conn:
        return [{k: (int(v) if k in ("sent", "read", "exported", "disputed") else v) for k, v in r.items()}
                for r in conn.execute(query).mappings()]


def export_pending(engine: Engine, fmt: str = "csv", *, user: User | str) -> tuple[bytes, int]:
    """The notices not yet handed to the gateway as its import file (CSV, UTF-8 with BOM, the
    columns ``GATEWAY_COLUMNS``, every cell neutralised), marking them exported (audited) in the
    same transaction. Returns the file and how many notices it holds (0: a header only)."""
    if fmt != "csv":
        raise NoticeError("网关文件只支持 CSV 格式")
    name = _office(user)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        rows = conn.execute(select(notices.c.id, notices.c.uscc, notices.c.name, notices.c.message, notices.c.link)
                            .where(notices.c.exported_at.is_(None)).order_by(notices.c.id)
                            .with_for_update()).all()
        ids = [r.id for r in rows]
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(GATEWAY_COLUMNS)
        writer.writerows(neutralised([r.uscc, r.name, r.message, r.link]) for r in rows)
        if ids:
            # By range, not an IN list of every id (SQLite caps bound parameters); the rows are locked.
            conn.execute(update(notices).where(and_(notices.c.id <= ids[-1], notices.c.exported_at.is_(None)))
                         .values(exported_at=now))
            record(conn, actor=name, action="notices.export", object=f"notices:{ids[0]}-{ids[-1]}",
                   detail={"count": len(ids)})
    return buffer.getvalue().encode("utf-8-sig"), len(ids)


def watch_import(policies: PolicyCatalog) -> EligibilityWatch:
    """The watch an enterprise-data import passes to ``import_policy_data`` so that enterprises
    the new data makes eligible hear of it."""
    from .policy.engine import packaged

    return EligibilityWatch(policies, packaged()[1])
