"""Accounts: users with argon2id password hashes, and API tokens stored only as SHA-256.

The tables sit on the shared ``metadata``, so ``connect`` creates them once this module has
been imported. Functions take an engine and return ``commerce_brain.access.User`` values,
which never carry the password hash.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    String,
    Table,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from zxcvbn import zxcvbn

from ..access import ROLES, User
from ..responsible_units import known_responsible_units
from ..warning_points import known_warning_points
from ..uscc import uscc_problem
from .moments import as_utc
from .metadata import metadata

MIN_PASSWORD_LENGTH = 12
# zxcvbn's score 0–4; 3 means "safely unguessable: moderate protection from an offline
# slow-hash scenario" (about 10^8 guesses or more).
MIN_PASSWORD_SCORE = 3
# The estimator's matching grows faster than linearly with length; past this many characters a
# password is long enough that its prefix decides.
ESTIMATED_CHARACTERS = 64
# Who changed an account when no person is named (the demo set-up, tests).
SYSTEM_ACTOR = "system"
log = logging.getLogger(__name__)
TOKEN_PREFIX = "cb_"

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(30), nullable=False),
    Column("org_unit", String(20)),
    Column("uscc", String(18)),
    # The 项目责任单位 a project_unit account answers for (a name, as the projects print it), or
    # the warning point (预警点) a warning_point account is (its name, as the catalog lists it).
    Column("responsible_unit", String(100)),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True)),
    Column("revoked", Boolean, nullable=False, default=False),
)

# argon2-cffi's defaults are argon2id with RFC 9106's low-memory profile. When a later release
# (or this line) raises them, stored hashes are upgraded on the next successful login.
_hasher = PasswordHasher()


def _audit(conn, **event) -> None:
    """Append an account event in the caller's transaction. Imported here, not at the top: the
    schema module imports this one while the audit module may still be loading."""
    from .audit import record

    record(conn, **event)


class AccountError(ValueError):
    """A request the account rules refuse; the message is Chinese, then English."""


@dataclass(frozen=True)
class ApiToken:
    """A token's record, without the token or its hash."""

    id: int
    user_id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


def normalise_username(username: str) -> str:
    """The stored form of a username: NFKC (full-width → half-width), trimmed, case-folded, so
    ``Alice`` and ``ａｌｉｃｅ`` cannot become two accounts."""
    return unicodedata.normalize("NFKC", username).strip().casefold()


def check_password(username: str, password: str, *, display_name: str | None = None) -> None:
    """Raise AccountError unless the password meets the policy: not only whitespace, at least
    12 characters, not the username, and hard to guess by the zxcvbn estimator (score ≥ 3,
    with the username and display name counted as known words)."""
    if not password.strip():
        raise AccountError("密码不能只有空白")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"密码太短：至少 {MIN_PASSWORD_LENGTH} 个字符，现为 {len(password)} 个")
    if normalise_username(password) == normalise_username(username):
        raise AccountError("密码不能与用户名相同")
    known = [word for word in (username, display_name) if word]
    estimate = zxcvbn(password[:ESTIMATED_CHARACTERS], user_inputs=known)
    if estimate["score"] < MIN_PASSWORD_SCORE:
        # The estimator's hint is English: it goes to the log, not to the person.
        log.info("weak password refused: %s", estimate["feedback"]["warning"] or "low score")
        raise AccountError("密码太容易被猜到，请加长或混用不常见的词")


def check_role_scope(role: str, *, org_unit: str | None, uscc: str | None, catalog,
                     responsible_unit: str | None = None,
                     known_units: frozenset[str] | None = None) -> tuple[str | None, str | None, str | None]:
    """Validate a role and its scope; returns the cleaned ``(org_unit, uscc, responsible_unit)``
    or raises AccountError.

    A county analyst needs an org unit of the catalog, an enterprise user a valid USCC, a
    project unit (项目责任单位) one responsible unit that some project names (``known_units``;
    by default the catalog's landmark projects' units), a warning point (预警点) one of the
    catalog's warning points by name, and no other role may carry any of them (a scope on the
    wrong role would be silently ignored later).
    """
    if role not in ROLES:
        known = "、".join(f"{code}（{label}）" for code, label in ROLES.items())
        raise AccountError(f"未知角色“{role}”；可选：{known}")
    org_unit = org_unit.strip() if org_unit and org_unit.strip() else None
    uscc = uscc.strip().upper() if uscc and uscc.strip() else None
    responsible_unit = responsible_unit.strip() if responsible_unit and responsible_unit.strip() else None
    if role == "county_analyst":
        if org_unit is None:
            raise AccountError("县（市、区）分析员须指定机构")
        if org_unit not in catalog.org_unit_names():
            raise AccountError(f"未知机构“{org_unit}”")
    elif org_unit is not None:
        raise AccountError(f"{ROLES[role]}不限定机构")
    if role == "enterprise":
        if uscc is None:
            raise AccountError("企业用户须填统一社会信用代码")
        if problem := uscc_problem(uscc):
            raise AccountError(f"统一社会信用代码无效：“{uscc}”（{problem}）")
    elif uscc is not None:
        raise AccountError(f"{ROLES[role]}不限定企业")
    if role == "project_unit":
        if responsible_unit is None:
            raise AccountError("项目责任单位须指定责任单位")
        known = known_responsible_units() if known_units is None else known_units
        if responsible_unit not in known:
            raise AccountError(f"未知责任单位“{responsible_unit}”：须为某个项目所列的责任单位")
    elif role == "warning_point":
        if responsible_unit is None:
            raise AccountError("预警点账户须指定预警点名称")
        if responsible_unit not in known_warning_points():
            raise AccountError(f"未知预警点“{responsible_unit}”：须为目录所列的省级外贸预警点")
    elif responsible_unit is not None:
        raise AccountError(f"{ROLES[role]}不限定责任单位")
    return org_unit, uscc, responsible_unit


def store_responsible_units(engine: Engine) -> frozenset[str]:
    """The units a project_unit account may answer for: the catalog's, plus those of projects
    imported into the store (the ``projects_extra`` table, once project tracking has made it)."""
    extra = metadata.tables.get("projects_extra")
    if extra is None or "responsible_unit" not in extra.c:
        return known_responsible_units()
    with engine.connect() as conn:
        named = conn.execute(select(extra.c.responsible_unit).distinct()).scalars().all()
    return known_responsible_units(named)


def _check_username(username: str) -> str:
    name = normalise_username(username)
    if not name or len(name) > 100 or any(ch.isspace() or not ch.isprintable() for ch in name):
        raise AccountError(f"用户名无效：“{username}”（应为 1–100 个字符，不含空格）")
    return name


def create_user(engine: Engine, *, username: str, password: str, role: str, display_name: str,
                org_unit: str | None = None, uscc: str | None = None, catalog,
                responsible_unit: str | None = None, actor: str = SYSTEM_ACTOR) -> User:
    """Create an active account (audited as ``user.add`` by ``actor``); raises AccountError for a
    bad role, scope, password or a username already taken."""
    name = _check_username(username)
    org_unit, uscc, responsible_unit = check_role_scope(
        role, org_unit=org_unit, uscc=uscc, catalog=catalog, responsible_unit=responsible_unit,
        known_units=store_responsible_units(engine) if responsible_unit else None)
    check_password(name, password, display_name=display_name)
    taken = AccountError(f"用户名已存在：{name}")
    if get_user(engine, name) is not None:
        raise taken
    fields = {
        "username": name, "display_name": display_name.strip() or name,
        "password_hash": _hasher.hash(password), "role": role, "org_unit": org_unit, "uscc": uscc,
        "responsible_unit": responsible_unit, "active": True, "created_at": datetime.now(UTC),
    }
    try:
        with engine.begin() as conn:
            user_id = conn.execute(insert(users).values(**fields)).inserted_primary_key[0]
            _audit(conn, actor=actor, action="user.add", object=f"user:{name}",
                   detail={"role": role, "org_unit": org_unit, "uscc": uscc,
                           **({"responsible_unit": responsible_unit} if responsible_unit else {})})
    except IntegrityError:
        # Two concurrent creations of one name: the unique constraint decides.
        raise taken from None
    return user_from_row({**fields, "id": user_id})


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def authenticate(engine: Engine, username: str, password: str) -> User | None:
    """The active user with this username and password, or None.

    An unknown username still costs one argon2 verification (against a dummy hash), and an
    inactive user is refused only after verifying, so timing does not reveal which names exist.
    A hash made with older parameters is replaced by a current one.
    """
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == normalise_username(username))).mappings().first()
    try:
        _hasher.verify(row["password_hash"] if row else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or not row["active"]:
        return None
    if _hasher.check_needs_rehash(row["password_hash"]):
        with engine.begin() as conn:
            conn.execute(update(users).where(users.c.id == row["id"]).values(password_hash=_hasher.hash(password)))
    return user_from_row(row)


def set_password(engine: Engine, user_id: int, password: str, *, actor: str = SYSTEM_ACTOR) -> None:
    """Replace a user's password (policy checked; audited as ``user.password``, without the
    password); raises AccountError for an unknown user."""
    user = _require_user(engine, user_id)
    check_password(user.username, password, display_name=user.display_name)
    with engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == user_id).values(password_hash=_hasher.hash(password)))
        _audit(conn, actor=actor, action="user.password", object=f"user:{user.username}", detail={})


def set_role(engine: Engine, user_id: int, role: str, *, org_unit: str | None = None, uscc: str | None = None,
             catalog, responsible_unit: str | None = None, actor: str = SYSTEM_ACTOR) -> User:
    """Give a user another role and scope (checked like a new account's; audited as
    ``user.role`` with the old and the new)."""
    user = _require_user(engine, user_id)
    org_unit, uscc, responsible_unit = check_role_scope(
        role, org_unit=org_unit, uscc=uscc, catalog=catalog, responsible_unit=responsible_unit,
        known_units=store_responsible_units(engine) if responsible_unit else None)
    with engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == user_id).values(
            role=role, org_unit=org_unit, uscc=uscc, responsible_unit=responsible_unit))
        _audit(conn, actor=actor, action="user.role", object=f"user:{user.username}", detail={
            "from": {"role": user.role, "org_unit": user.org_unit, "uscc": user.uscc,
                     "responsible_unit": user.responsible_unit},
            "to": {"role": role, "org_unit": org_unit, "uscc": uscc, "responsible_unit": responsible_unit}})
    return _require_user(engine, user_id)


def deactivate_user(engine: Engine, user_id: int, *, actor: str = SYSTEM_ACTOR) -> None:
    """Switch an account off and revoke its tokens, so re-activating it later does not bring
    old tokens back to life (audited as ``user.deactivate``). The row stays for the audit trail."""
    user = _require_user(engine, user_id)
    with engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == user_id).values(active=False))
        revoked = conn.execute(update(api_tokens).where(api_tokens.c.user_id == user_id, api_tokens.c.revoked.is_(False))
                               .values(revoked=True)).rowcount
        _audit(conn, actor=actor, action="user.deactivate", object=f"user:{user.username}",
               detail={"tokens_revoked": revoked})


def get_user(engine: Engine, username: str) -> User | None:
    """The account with this username (active or not), or None."""
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == normalise_username(username))).mappings().first()
    return user_from_row(row) if row else None


def get_user_by_id(engine: Engine, user_id: int) -> User | None:
    """The account with this id (active or not), or None."""
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.id == user_id)).mappings().first()
    return user_from_row(row) if row else None


def list_users(engine: Engine, *, include_inactive: bool = True) -> list[User]:
    """All accounts, by username."""
    query = select(users).order_by(users.c.username)
    if not include_inactive:
        query = query.where(users.c.active.is_(True))
    with engine.connect() as conn:
        return [user_from_row(row) for row in conn.execute(query).mappings()]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(engine: Engine, user_id: int, name: str, *, actor: str = SYSTEM_ACTOR) -> str:
    """A new API token for an active user (audited as ``user.token``, with its name and id).
    Returned once: only its SHA-256 is stored. A fast hash is enough here because the token is
    256 random bits, unlike a password."""
    user = _require_user(engine, user_id)
    if not user.active:
        raise AccountError(f"账户已停用：{user.username}")
    if not name.strip():
        raise AccountError("令牌须有名称")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        token_id = conn.execute(insert(api_tokens).values(
            user_id=user_id, name=name.strip(), token_hash=_token_hash(token),
            created_at=datetime.now(UTC), last_used_at=None, revoked=False,
        )).inserted_primary_key[0]
        _audit(conn, actor=actor, action="user.token", object=f"user:{user.username}",
               detail={"token_id": token_id, "name": name.strip()})
    return token


def user_for_token(engine: Engine, token: str) -> User | None:
    """The active owner of a live token, recording its use; None for anything else."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    query = (select(users, api_tokens.c.id.label("token_id"))
             .join(api_tokens, api_tokens.c.user_id == users.c.id)
             .where(api_tokens.c.token_hash == _token_hash(token),
                    api_tokens.c.revoked.is_(False), users.c.active.is_(True)))
    with engine.begin() as conn:
        row = conn.execute(query).mappings().first()
        if row is None:
            return None
        conn.execute(update(api_tokens).where(api_tokens.c.id == row["token_id"])
                     .values(last_used_at=datetime.now(UTC)))
    return user_from_row(row)


def revoke_token(engine: Engine, token_id: int) -> bool:
    """Revoke a token by id; True when a live token was revoked."""
    with engine.begin() as conn:
        result = conn.execute(update(api_tokens)
                              .where(api_tokens.c.id == token_id, api_tokens.c.revoked.is_(False))
                              .values(revoked=True))
    return result.rowcount == 1


def list_tokens(engine: Engine, user_id: int) -> list[ApiToken]:
    """A user's tokens, oldest first (for showing and revoking them; the tokens themselves are gone)."""
    query = (select(*(api_tokens.c[k] for k in ApiToken.__dataclass_fields__))
             .where(api_tokens.c.user_id == user_id).order_by(api_tokens.c.id))
    with engine.connect() as conn:
        return [ApiToken(**{**row, "created_at": as_utc(row["created_at"]), "last_used_at": as_utc(row["last_used_at"])})
                for row in conn.execute(query).mappings()]


def _require_user(engine: Engine, user_id: int) -> User:
    user = get_user_by_id(engine, user_id)
    if user is None:
        raise AccountError(f"无此用户（编号 {user_id}）"
)
    return user




def user_from_row(row) -> User:
    """The User of a ``users`` row (a mapping with its columns)."""
    return User(id=row["id"], username=row["username"], display_name=row["display_name"], role=row["role"],
                org_unit=row["org_unit"], uscc=row["uscc"], responsible_unit=row["responsible_unit"],
                active=bool(row["active"]),
                created_at=as_utc(row["created_at"]))
