"""申报: an enterprise files a claim for one rule with its evidence; the award enters the review.

Filing evaluates the enterprise's own figures with the same engine, the same effective rules and
the same subject naming as the 免申即享 batch (``checkup`` applies ``stable_subjects``), so a claim
and a batch compute one award under one key. The awards a claim yields start ``confirmed``: the
enterprise asks for them itself, which is the acceptance a batch award waits for. From there the
policy officer approves or rejects them as any other award.

Nothing of a refused claim is stored: the claim, its attachments, its awards and the audit event
are written in one transaction, and an award key that already exists (from a batch or an earlier
claim) refuses the whole claim — checked first to name the award, and enforced by the
database's unique key for two filings racing each other.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import PurePosixPath

import polars as pl
from sqlalchemy import Connection, Engine, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..access import Scope, User, filter_visible
from ..catalog import Catalog
from ..policy.checkup import checkup
from ..policy.engine import PolicyDataError, PolicyYearError, packaged
from ..io.enterprise_import import PolicyData
from ..policy.fact_registry import OFFICER_FACTS
from ..policy.frames import ENTERPRISE_SCHEMA, EVENT_SCHEMA, FACT_SCHEMA, conform
from ..policy.inputs import EnterpriseInputs, InputError
from ..policy.model import PolicyCatalog
from ..policy.paid_before import with_officer_records, with_paid_before
from ..policy.payer import CITY
from ..policy.vocabulary import UnknownValues, Vocabulary
from ..store.audit import record
from ..store.claims import claim_attachments, claims
from ..store.fulfilment_tables import (
    AWARD_KEY,
    STATE_ZH,
    FulfilmentError,
    NotAllowed,
    NotFound,
    WrongState,
    actor_name,
    awards,
    within_scope,
)
from ..store.enterprise_imports import import_policy_data, registered_enterprise
from .batch import keyed_awards
from .data import load_policy_data
from .payments import paid_before
from ..store.moments import as_utc
from .rule_edits import effective_policies

MAX_FILES = 5
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_STATEMENT = 2000
MAX_FILENAME = 200
# The stored type comes from the extension, never from the browser: a download can then only
# ever be one of these, and none of them is rendered as a page.
CONTENT_TYPES = {
    ".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
    ".ofd": "application/ofd", ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".zip": "application/zip",
}
_UNSAFE = re.compile(r'[<>:"|?*]')


class ClaimRefused(FulfilmentError):
    """A claim the rules refuse (not qualified, bad attachments, …); nothing was stored."""


class OutOfVocabulary(ClaimRefused):
    """A kind, level, rating or org unit outside the catalog's vocabulary; nothing was stored."""


class DuplicateAward(ClaimRefused, WrongState):
    """The claim would create an award that already exists (from a batch or an earlier claim)."""


@dataclass(frozen=True)
class FiledClaim:
    """A stored claim and the awards it created (all ``confirmed``); none while ``pending``
    (待核实: the enterprise is not in the registry yet)."""

    claim_id: int
    award_ids: tuple[int, ...]
    amount_fen: int
    pending: bool = False


def safe_filename(name: str) -> str:
    """The file's base name only (no folders, no control characters, no leading dots), as a
    browser or a script may send ``C:\\scans\\发票.pdf`` or ``../../x.pdf``."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C")
    base = _UNSAFE.sub("_", base).strip().lstrip(".").strip()
    if len(base) > MAX_FILENAME:
        suffix = PurePosixPath(base).suffix[:20]
        base = base[: MAX_FILENAME - len(suffix)] + suffix
    return base


def checked_attachments(attachments: list[tuple[str, str, bytes]]) -> list[dict]:
    """The attachments as rows to store (safe name, type by extension, size, SHA-256), or
    ClaimRefused naming the first file that breaks a rule and how to fix it."""
    if not attachments:
        raise ClaimRefused("请至少上传 1 个证明材料")
    if len(attachments) > MAX_FILES:
        raise ClaimRefused(f"最多上传 {MAX_FILES} 个文件，请合并后再上传")
    rows, seen = [], set()
    for filename, _browser_type, content in attachments:
        row = checked_file(filename, content)
        name = row["filename"]
        if name.lower() in seen:
            raise ClaimRefused(f"文件名重复：{name}，请改名后上传")
        seen.add(name.lower())
        rows.append(row)
    return rows


def checked_file(filename: str, content: bytes, refusal: type[FulfilmentError] = ClaimRefused) -> dict:
    """One evidence file as a row to store (safe name, type by extension, size, SHA-256), or
    ``refusal`` saying what is wrong with it (type, empty, over 10 MB). Claims and the 评审核定
    step's 专家评审意见 take files by the same rules."""
    name = safe_filename(filename)
    suffix = PurePosixPath(name).suffix.lower()
    if not name or suffix not in CONTENT_TYPES:
        allowed = "、".join(s[1:].upper() for s in CONTENT_TYPES)
        raise refusal(f"不支持的文件类型：{name or filename}，只接受 {allowed} 文件")
    if not content:
        raise refusal(f"文件为空：{name}，请重新选择")
    if len(content) > MAX_FILE_BYTES:
        raise refusal(f"文件过大：{name}（超过 10 MB），请压缩或拆分后上传")
    return {"filename": name, "content_type": CONTENT_TYPES[suffix], "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest(), "content": bytes(content)}


def file_claim(engine: Engine, *, user: User, rule: str, year: int, inputs: EnterpriseInputs, statement: str,
               attachments: list[tuple[str, str, bytes]], policies: PolicyCatalog | None = None,
               catalog: Catalog | None = None) -> FiledClaim:
    """File the enterprise's claim for ``rule`` in award ``year`` on its ``inputs``, with
    ``attachments`` as (filename, content type, bytes).

    Only an enterprise user (``file_claims``) for its own USCC (NotAllowed otherwise). Refused
    with ClaimRefused — and nothing stored — when the statement or the files break the rules,
    when the inputs do not earn an award of ``rule`` (the reason is the checkup's), or, as
    DuplicateAward, when such an award already exists. Name, org unit (hence the paying
    treasury) are the registry's; an enterprise not in it gets a 待核实 claim without an award
    (``pending``), evaluated once an officer registers it (``register_enterprise``).
    """
    if not isinstance(user, User):
        raise TypeError("a claim is filed by an enterprise user")
    name = actor_name(user, "file_claims")
    if not user.uscc or inputs.uscc != user.uscc:
        raise NotAllowed("只能为本企业申报")
    statement = (statement or "").strip()
    if not statement:
        raise ClaimRefused("请填写申报说明")
    if len(statement) > MAX_STATEMENT:
        raise ClaimRefused(f"申报说明不能超过 {MAX_STATEMENT} 字")
    files = checked_attachments(attachments)
    policies = policies or effective_policies(engine)
    catalog = catalog or packaged()[1]
    # Reviewer figures are never the enterprise's to give: a 最高… award is proposed at its cap
    # and waits for the 评审核定 step; 补差 counts only what officers and the platform record.
    inputs = inputs.without_reviewer_fields()
    registered = _registered(engine, inputs.uscc)
    # Every kind, level and rating is checked, registered or not; the org unit is the registry's
    # (an unregistered enterprise's own says nothing: the city's stands in for the check).
    checked = replace(inputs, enterprise={**inputs.enterprise, **(registered or {"org_unit": CITY})})
    _check_vocabulary(checked, policies, catalog)
    if registered is None:
        # Region, name and treasury are the registry's to say, not the enterprise's: the claim
        # waits (待核实) without an award until an officer registers the enterprise.
        return _file_pending(engine, name=name, rule=rule, year=year, inputs=inputs, statement=statement,
                             files=files, policies=policies)
    inputs = _with_stored_officer_facts(engine, checked)
    rows = _unclaimed_awards(engine, inputs, rule, year, policies, catalog)
    now = datetime.now(UTC)
    with _clash_as_duplicate(engine, rows), engine.begin() as conn:
        claim_id = conn.execute(insert(claims).values(
            uscc=inputs.uscc, name=inputs.enterprise["name"], org_unit=inputs.enterprise["org_unit"], rule=rule,
            year=year, statement=statement, inputs=inputs.to_json(), filed_by=name, filed_at=now,
        )).inserted_primary_key[0]
        conn.execute(insert(claim_attachments), [{**row, "claim_id": claim_id} for row in files])
        award_ids, amount = _insert_awards(conn, rows, claim_id=claim_id, by=name, now=now)
        record(conn, actor=name, action="claims.file", object=f"claim:{claim_id}", detail={
            "uscc": inputs.uscc, "rule": rule, "year": year, "award_ids": list(award_ids), "amount_fen": amount,
            "attachments": [{"filename": a["filename"], "sha256": a["sha256"]} for a in files]})
    return FiledClaim(claim_id=claim_id, award_ids=award_ids, amount_fen=amount)


def _with_stored_officer_facts(engine: Engine, inputs: EnterpriseInputs) -> EnterpriseInputs:
    """The inputs with each year's officer facts (the 亩均 class, incidents, penalties) as stored
    for the enterprise: an A class counts in a claim only when grading or an officer gave it."""
    stored = load_policy_data(engine, uscc=inputs.uscc).facts
    by_year = {row["year"]: row for row in stored.select("year", *OFFICER_FACTS).to_dicts()}
    facts = tuple({**f, **{n: v for n, v in by_year.get(f["year"], {}).items() if n != "year" and v is not None}}
                  for f in inputs.facts)
    return replace(inputs, facts=facts)


def _registered(engine: Engine, uscc: str) -> dict | None:
    """The registry's name and org unit of ``uscc`` (None when it is not registered): the org
    unit decides the paying treasury and who reviews, which is not the enterprise's to choose."""
    found = registered_enterprise(engine, uscc)
    return None if found is None else {"name": found["name"], "org_unit": found["org_unit"]}


def _register(engine: Engine, user: User, claim_id: int, uscc: str, entry: dict) -> None:
    """Enter the enterprise in the registry as an import of one row (versioned and audited as
    every import of enterprise data is), named after the claim it was registered on."""
    row = {"uscc": uscc, **entry}
    data = PolicyData(conform(pl.DataFrame([row]), ENTERPRISE_SCHEMA), conform(None, FACT_SCHEMA),
                      conform(None, EVENT_SCHEMA))
    digest = hashlib.sha256(json.dumps(row, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
    import_policy_data(engine, data, actor=user, file_name=f"登记企业（第 {claim_id} 号申报）", sha256=digest)


def _file_pending(engine: Engine, *, name: str, rule: str, year: int, inputs: EnterpriseInputs, statement: str,
                  files: list[dict], policies: PolicyCatalog) -> FiledClaim:
    """Store the claim of an unregistered enterprise as 待核实: no org unit (only city-wide
    officers see it), the name it gave kept only as what it said, no award."""
    try:
        policies.rule(rule)
    except KeyError:
        raise ClaimRefused("没有这项奖补条款") from None
    said = str(inputs.enterprise.get("name") or "").strip()[:500] or "（未登记企业）"
    with engine.begin() as conn:
        claim_id = conn.execute(insert(claims).values(
            uscc=inputs.uscc, name=said, org_unit="", rule=rule, year=year, statement=statement,
            inputs=inputs.to_json(), filed_by=name, filed_at=datetime.now(UTC), state="pending",
        )).inserted_primary_key[0]
        conn.execute(insert(claim_attachments), [{**row, "claim_id": claim_id} for row in files])
        record(conn, actor=name, action="claims.file", object=f"claim:{claim_id}", detail={
            "uscc": inputs.uscc, "rule": rule, "year": year, "award_ids": [], "amount_fen": 0, "state": "pending",
            "attachments": [{"filename": a["filename"], "sha256": a["sha256"]} for a in files]})
    return FiledClaim(claim_id=claim_id, award_ids=(), amount_fen=0, pending=True)


def register_enterprise(engine: Engine, claim_id: int, *, user: User, name: str, org_unit: str,
                        policies: PolicyCatalog | None = None, catalog: Catalog | None = None) -> FiledClaim:
    """登记企业: a policy officer registers the enterprise of a 待核实 claim with the name and
    org unit the officer enters (within the city) — an import of one row, versioned and audited
    as any import of enterprise data — and the claim is evaluated on the registry's entry: the
    claim, its awards and the ``claims.verify`` event in one transaction. When the enterprise was
    registered meanwhile (an import), the registry's entry stands and ``name``/``org_unit`` are
    not used.

    NotAllowed without ``review_awards``; WrongState when the claim is not pending (or another
    officer verified it first); ClaimRefused when the name or org unit is missing or unknown
    (nothing stored), or when the claim does not earn an award on the registry's entry (the
    enterprise stays registered, the claim 待核实 with the reason shown)."""
    officer = actor_name(user, "review_awards")
    policies = policies or effective_policies(engine)
    catalog = catalog or packaged()[1]
    claim = get_claim(engine, claim_id, scope=Scope())
    if claim["state"] != "pending":
        raise WrongState("该申报不是“待核实”状态")
    registered = _registered(engine, claim["uscc"])
    entry = registered or {"name": (name or "").strip(), "org_unit": (org_unit or "").strip()}
    if registered is None:
        if not entry["name"] or len(entry["name"]) > 500:
            raise ClaimRefused("请填写企业名称（不超过 500 字）")
        if entry["org_unit"] not in catalog.subtree(CITY):
            raise ClaimRefused("请选择本市的所在地区")
        _register(engine, user, claim_id, claim["uscc"], entry)
    inputs = EnterpriseInputs.from_json(claim["inputs"])
    inputs = replace(inputs, enterprise={**inputs.enterprise, **entry})
    rows = _unclaimed_awards(engine, inputs, claim["rule"], claim["year"], policies, catalog)
    now = datetime.now(UTC)
    with _clash_as_duplicate(engine, rows), engine.begin() as conn:
        moved = conn.execute(update(claims).where(claims.c.id == claim_id, claims.c.state == "pending")
                             .values(state="filed", **entry)).rowcount
        if moved != 1:
            raise WrongState("该申报刚被他人核实，请刷新")
        award_ids, amount = _insert_awards(conn, rows, claim_id=claim_id, by=officer, now=now)
        record(conn, actor=officer, action="claims.verify", object=f"claim:{claim_id}", detail={
            "uscc": claim["uscc"], **entry, "registered_here": registered is None, "award_ids": list(award_ids),
            "amount_fen": amount})
    return FiledClaim(claim_id=claim_id, award_ids=award_ids, amount_fen=amount)


def _unclaimed_awards(engine: Engine, inputs: EnterpriseInputs, rule: str, year: int, policies: PolicyCatalog,
                      catalog: Catalog) -> list[dict]:
    """The award rows the claim earns, refused with the award's name when one is stored already."""
    rows = _claimed_awards(engine, inputs, rule, year, policies, catalog)
    clash = _existing_award(engine, rows)
    if clash:
        raise _duplicate(clash)
    return rows


@contextmanager
def _clash_as_duplicate(engine: Engine, rows: list[dict]):
    """A key someone else stored meanwhile fails the whole transaction: say which award it was."""
    try:
        yield
    except IntegrityError:
        clash = _existing_award(engine, rows)
        if clash:
            raise _duplicate(clash) from None
        raise


def _insert_awards(conn: Connection, rows: list[dict], *, claim_id: int, by: str, now: datetime) -> tuple[tuple, int]:
    """The claim's awards, 企业已确认, one INSERT each; their ids and their sum in fen."""
    award_ids = tuple(conn.execute(insert(awards).values(
        **row, claim_id=claim_id, batch_id=None, state="confirmed", reason=None, updated_by=by,
        updated_at=now)).inserted_primary_key[0] for row in rows)
    return award_ids, sum(row["amount_fen"] for row in rows)


def _check_vocabulary(inputs: EnterpriseInputs, policies: PolicyCatalog, catalog: Catalog) -> None:
    """OutOfVocabulary unless every event kind, level and rating is one the rules know and the org
    unit is the city's: an unknown level would be paid as 其他, an unknown rating silently nothing."""
    try:
        found, facts, events = inputs.frames()
        Vocabulary.of(policies, catalog.subtree(CITY)).check(found, events, facts)
    except InputError as exc:
        raise ClaimRefused(str(exc)) from None
    except UnknownValues as exc:
        raise OutOfVocabulary(f"申报数据有误，未受理：{exc}") from None


def _claimed_awards(engine: Engine, inputs: EnterpriseInputs, rule: str, year: int, policies: PolicyCatalog,
                    catalog: Catalog) -> list[dict]:
    """The award rows of ``rule`` the inputs earn in ``year``, keyed as a batch keys them;
    ClaimRefused with the checkup's reason when there are none. 补差 deducts what officers
    recorded as paid elsewhere (the stored events) and what the platform paid, never what the
    enterprise says (its ``already_paid`` was dropped)."""
    try:
        article = policies.rule(rule).article_label
    except KeyError:
        raise ClaimRefused("没有这项奖补条款") from None
    try:
        found, facts, events = inputs.frames()
        recorded = load_policy_data(engine, uscc=inputs.uscc).events
        events = with_paid_before(with_officer_records(events, recorded), paid_before(engine, uscc=inputs.uscc),
                                  policies)
        # checkup names subject-less events as the batch does (stable_subjects), so the keys match.
        result = checkup(inputs.uscc, found, facts, events, year, policies=policies, catalog=catalog)
    except (InputError, PolicyDataError, PolicyYearError) as exc:
        raise ClaimRefused(str(exc)) from None
    earned = [a for a in result.awards if a["rule"] == rule]
    if not earned:
        reason = next((m["reason"] for m in result.missed if m["rule"] == rule), "计得金额为零")
        raise ClaimRefused(f"按所填数据，{year}年度不符合{article}的条件：{reason}。请核对数据后再申报")
    keyed = keyed_awards(pl.DataFrame(earned, infer_schema_length=None))
    columns = (*AWARD_KEY, "name", "org_unit", "amount_fen", "payer", "settle_with_city", "needs_review",
               "explanation", "figures")
    return [{**{c: award[c] for c in columns}, "amount_fen": int(award["amount_fen"]),
             "settle_with_city": bool(award["settle_with_city"]), "needs_review": bool(award["needs_review"]),
             "figures": award["figures"] or "{}"}
            for award in keyed.iter_rows(named=True)]


def _existing_award(engine: Engine, rows: list[dict]) -> dict | None:
    """The stored award holding one of ``rows``' keys, if any."""
    matches = [and_(*(awards.c[k] == row[k] for k in AWARD_KEY)) for row in rows]
    query = select(awards.c.id, awards.c.state, awards.c.batch_id, awards.c.claim_id).where(or_(*matches))
    with engine.connect() as conn:
        found = conn.execute(query.order_by(awards.c.id).limit(1)).first()
    return dict(found._mapping) if found else None


def _duplicate(award: dict) -> DuplicateAward:
    origin = (f"免申即享第 {award['batch_id']} 批" if award["batch_id"] is not None
              else f"企业申报 {award['claim_id']} 号")
    return DuplicateAward(
        f"该奖补已存在（奖补编号 {award['id']}，{origin}，状态“{STATE_ZH[award['state']]}”），不能重复申报；"
        "请在奖补清单中办理该奖补")


# ---- reading claims, within the reader's scope ------------------------------------------------

CLAIM_SCHEMA = {"id": pl.Int64, "uscc": pl.String, "name": pl.String, "org_unit": pl.String, "rule": pl.String,
                "year": pl.Int32, "filed_by": pl.String, "filed_at": pl.Datetime("us", "UTC"), "state": pl.String}


def list_claims(engine: Engine, *, scope: Scope, limit: int | None = None) -> pl.DataFrame:
    """The claims ``scope`` may see, newest first, each with its number of attachments, its
    awards' total (fen) and their states."""
    query = within_scope(select(*(claims.c[c] for c in CLAIM_SCHEMA)).order_by(claims.c.id.desc()), claims, scope)
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as conn:
        rows = [{**r._mapping, "filed_at": as_utc(r.filed_at)} for r in conn.execute(query)]
        frame = filter_visible(pl.DataFrame(rows, schema=CLAIM_SCHEMA), scope)
        ids = frame["id"].to_list()
        files = conn.execute(select(claim_attachments.c.claim_id, func.count().label("attachments"))
                             .where(claim_attachments.c.claim_id.in_(ids))
                             .group_by(claim_attachments.c.claim_id)).all()
        granted = conn.execute(select(awards.c.claim_id, awards.c.id, awards.c.state, awards.c.amount_fen)
                               .where(awards.c.claim_id.in_(ids))).all()
    files = pl.DataFrame([tuple(r) for r in files], orient="row", schema={"id": pl.Int64, "attachments": pl.Int64})
    granted = (pl.DataFrame([tuple(r) for r in granted], orient="row",
                            schema={"id": pl.Int64, "award_id": pl.Int64, "state": pl.String, "amount_fen": pl.Int64})
               .sort("award_id").group_by("id")
               .agg(pl.col("award_id").alias("award_ids"), pl.col("state").alias("states"), pl.col("amount_fen").sum()))
    return (frame.join(files, on="id", how="left").join(granted, on="id", how="left")
            .with_columns(pl.col("attachments").fill_null(0), pl.col("amount_fen").fill_null(0)))


def get_claim(engine: Engine, claim_id: int, *, scope: Scope) -> dict:
    """One claim with its statement, inputs (JSON), attachments (without their bytes) and awards;
    NotFound when there is none or ``scope`` may not see it (its existence is not revealed)."""
    with engine.connect() as conn:
        row = conn.execute(within_scope(select(claims).where(claims.c.id == claim_id), claims, scope)).first()
        if row is None or not _visible(row._mapping, scope):
            raise NotFound("无此申报")
        files = conn.execute(select(*(claim_attachments.c[c] for c in
                                      ("id", "filename", "content_type", "size", "sha256")))
                             .where(claim_attachments.c.claim_id == claim_id).order_by(claim_attachments.c.id))
        granted = conn.execute(select(*(awards.c[c] for c in
                                        ("id", "rule", "subject", "tranche", "year", "amount_fen", "state",
                                         "needs_review", "reason")))
                               .where(awards.c.claim_id == claim_id).order_by(awards.c.id))
        return {**row._mapping, "filed_at": as_utc(row.filed_at),
                "attachments": [dict(r._mapping) for r in files], "awards": [dict(r._mapping) for r in granted]}


def get_attachment(engine: Engine, attachment_id: int, *, scope: Scope) -> dict:
    """One attachment with its bytes (``content``), if ``scope`` may see its claim; NotFound
    otherwise."""
    query = (select(claim_attachments, claims.c.uscc, claims.c.org_unit)
             .select_from(claim_attachments.join(claims, claims.c.id == claim_attachments.c.claim_id))
             .where(claim_attachments.c.id == attachment_id))
    with engine.connect() as conn:
        row = conn.execute(within_scope(query, claims, scope)).first()
    if row is None or not _visible(row._mapping, scope):
        raise NotFound("无此附件"
)
    return dict(row._mapping)


def _visible(row, scope: Scope) -> bool:
    frame = pl.DataFrame([{"uscc": row["uscc"], "org_unit": row["org_unit"]}],
                         schema={"uscc": pl.String, "org_unit": pl.String})
    return not filter_visible(frame, scope).is_empty()

