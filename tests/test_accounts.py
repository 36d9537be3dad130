"""Accounts on SQLite and PostgreSQL: creation rules, passwords, tokens, and the `users` commands."""

import hashlib
import json
from typing import ClassVar

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from commerce_brain.cli_users import users_app
from commerce_brain.store import accounts
from commerce_brain.store.accounts import (
    AccountError,
    api_tokens,
    authenticate,
    create_user,
    deactivate_user,
    get_user,
    get_user_by_id,
    issue_token,
    list_tokens,
    list_users,
    revoke_token,
    set_password,
    user_for_token,
    users,
)
from commerce_brain.store.schema import connect
from commerce_brain.uscc import make_uscc

USCC = make_uscc("91330802MA2ABCDE1")
PASSWORD = "correct horse 7"

SCOPES = {
    "admin": {},
    "city_analyst": {},
    "county_analyst": {"org_unit": "330802"},
    "policy_officer": {},
    "finance_officer": {},
    "enterprise": {"uscc": USCC},
    "leader": {},
    "project_unit": {"responsible_unit": "衢江区政府"},
    "warning_point": {"responsible_unit": "柯桥区纺织品外贸预警点"},
}


@pytest.fixture
def engine(database_url):
    engine = connect(database_url)
    yield engine
    engine.dispose()


def add(engine, catalog, username="alice", role="city_analyst", password=PASSWORD, **scope):
    return create_user(engine, username=username, password=password, role=role, display_name=f"{username} 张",
                       catalog=catalog, **scope)


def stored(engine, column, username):
    with engine.connect() as conn:
        return conn.execute(select(users.c[column]).where(users.c.username == username)).scalar_one()


def count(engine, table):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


@pytest.mark.parametrize("role", list(SCOPES))
def test_create_each_role(engine, catalog, role):
    made = add(engine, catalog, username=f"u_{role}", role=role, **SCOPES[role])
    assert (made.role, made.org_unit, made.uscc, made.responsible_unit, made.active) == (
        role, SCOPES[role].get("org_unit"), SCOPES[role].get("uscc"), SCOPES[role].get("responsible_unit"), True)
    assert made.created_at.tzinfo is not None
    assert list_users(engine) == [made]


def test_scope_and_username_are_cleaned(engine, catalog):
    made = add(engine, catalog, username="  Ｂｏｂ ", role="enterprise", uscc=f" {USCC.lower()} ")
    assert (made.username, made.uscc, made.display_name) == ("bob", USCC, "Ｂｏｂ  张")
    assert get_user(engine, "BOB") == made
    assert get_user_by_id(engine, made.id) == made
    assert get_user_by_id(engine, made.id + 1) is None


@pytest.mark.parametrize(("role", "scope", "password", "message"), [
    ("root", {}, PASSWORD, "未知角色“root”"),
    ("county_analyst", {}, PASSWORD, "县（市、区）分析员须指定机构"),
    ("county_analyst", {"org_unit": "339999"}, PASSWORD, "未知机构“339999”"),
    ("county_analyst", {"org_unit": "330802", "uscc": USCC}, PASSWORD, "县（市、区）分析员不限定企业"),
    ("enterprise", {}, PASSWORD, "企业用户须填统一社会信用代码"),
    ("enterprise", {"uscc": USCC[:-1] + "0"}, PASSWORD, "校验位错误"),
    ("enterprise", {"uscc": USCC, "org_unit": "330802"}, PASSWORD, "企业用户不限定机构"),
    ("city_analyst", {"org_unit": "330802"}, PASSWORD, "市级分析员不限定机构"),
    ("leader", {"uscc": USCC}, PASSWORD, "领导驾驶舱（只读）不限定企业"),
    ("project_unit", {}, PASSWORD, "项目责任单位须指定责任单位"),
    ("project_unit", {"responsible_unit": "  "}, PASSWORD, "项目责任单位须指定责任单位"),
    # A free name would be an account that sees nothing; a joint list is two units, not one.
    ("project_unit", {"responsible_unit": "某某公司"}, PASSWORD, "未知责任单位“某某公司”"),
    ("project_unit", {"responsible_unit": "衢江区政府、龙游县政府"}, PASSWORD, "未知责任单位"),
    ("project_unit", {"responsible_unit": "衢江区政府", "org_unit": "330803"}, PASSWORD, "项目责任单位不限定机构"),
    ("city_analyst", {"responsible_unit": "衢江区政府"}, PASSWORD, "市级分析员不限定责任单位"),
    # A warning point is one of the catalog's points: not a project's unit, not a free name.
    ("warning_point", {}, PASSWORD, "预警点账户须指定预警点名称"),
    ("warning_point", {"responsible_unit": " "}, PASSWORD, "预警点账户须指定预警点名称"),
    ("warning_point", {"responsible_unit": "衢江区政府"}, PASSWORD, "未知预警点“衢江区政府”"),
    ("warning_point", {"responsible_unit": "某某预警点"}, PASSWORD, "未知预警点“某某预警点”"),
    ("warning_point", {"responsible_unit": "柯桥区纺织品外贸预警点", "org_unit": "330603"}, PASSWORD,
     "预警点不限定机构"),
    ("warning_point", {"responsible_unit": "柯桥区纺织品外贸预警点", "uscc": USCC}, PASSWORD, "预警点不限定企业"),
    ("project_unit", {"responsible_unit": "柯桥区纺织品外贸预警点"}, PASSWORD, "未知责任单位"),
    ("leader", {}, "short pw 12", "密码太短：至少 12 个字符，现为 11 个"),
    ("leader", {}, "AliceAlice-12", None),
])
def test_rejections_store_nothing(engine, catalog, role, scope, password, message):
    username = "aliceAlice-12" if message is None else "alice"
    with pytest.raises(AccountError) as caught:
        add(engine, catalog, username=username, role=role, password=password, **scope)
    assert str(caught.value) == "密码不能与用户名相同" if message is None \
        else message in str(caught.value)
    assert count(engine, users) == 0


@pytest.mark.parametrize("again", ["alice", "ALICE", " ａｌｉｃｅ"])
def test_duplicate_username(engine, catalog, again):
    add(engine, catalog)
    with pytest.raises(AccountError, match="用户名已存在"):
        add(engine, catalog, username=again, role="leader")
    assert count(engine, users) == 1


def test_authenticate(engine, catalog):
    made = add(engine, catalog)
    assert authenticate(engine, "alice", PASSWORD) == made
    assert authenticate(engine, "Alice ", PASSWORD) == made
    assert authenticate(engine, "alice", PASSWORD.upper()) is None
    assert authenticate(engine, "alice", "") is None
    assert authenticate(engine, "mallory", PASSWORD) is None
    deactivate_user(engine, made.id)
    assert authenticate(engine, "alice", PASSWORD) is None
    assert get_user(engine, "alice").active is False


class SpyHasher(PasswordHasher):
    verified: ClassVar[list[str]] = []

    def verify(self, stored_hash, password):
        SpyHasher.verified.append(stored_hash)
        return super().verify(stored_hash, password)


def test_unknown_and_inactive_users_cost_a_verification_too(engine, catalog, monkeypatch):
    made = add(engine, catalog)
    deactivate_user(engine, made.id)
    monkeypatch.setattr(accounts, "_hasher", SpyHasher())
    SpyHasher.verified.clear()
    assert authenticate(engine, "nobody", PASSWORD) is None
    assert authenticate(engine, "alice", PASSWORD) is None
    assert len(SpyHasher.verified) == 2
    assert SpyHasher.verified[0].startswith("$argon2id$")
    assert SpyHasher.verified[1] == stored(engine, "password_hash", "alice")


def test_hashes_are_salted_argon2id_never_the_password(engine, catalog):
    add(engine, catalog, username="alice")
    add(engine, catalog, username="bob")
    first, second = stored(engine, "password_hash", "alice"), stored(engine, "password_hash", "bob")
    assert first.startswith("$argon2id$") and second.startswith("$argon2id$")
    assert first != second
    assert PASSWORD not in first


def test_old_parameters_are_rehashed_on_login_only(engine, catalog):
    add(engine, catalog)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with engine.begin() as conn:
        conn.execute(update(users).values(password_hash=weak))
    assert authenticate(engine, "alice", "wrong password") is None
    assert stored(engine, "password_hash", "alice") == weak
    assert authenticate(engine, "alice", PASSWORD) is not None
    renewed = stored(engine, "password_hash", "alice")
    assert renewed != weak and not PasswordHasher().check_needs_rehash(renewed)
    assert authenticate(engine, "alice", PASSWORD) is not None


def test_set_password(engine, catalog):
    made = add(engine, catalog)
    with pytest.raises(AccountError, match="密码太短"):
        set_password(engine, made.id, "short")
    set_password(engine, made.id, "a new passphrase")
    assert authenticate(engine, "alice", PASSWORD) is None
    assert authenticate(engine, "alice", "a new passphrase") == made
    with pytest.raises(AccountError, match="无此用户（编号 999）"):
        set_password(engine, 999, "a new passphrase")


def test_tokens_are_stored_hashed_and_work(engine, catalog):
    made = add(engine, catalog)
    token = issue_token(engine, made.id, "nightly import")
    assert token.startswith("cb_") and len(token) == 3 + 43
    assert issue_token(engine, made.id, "second") != token
    with engine.connect() as conn:
        row = conn.execute(select(api_tokens).order_by(api_tokens.c.id)).mappings().first()
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {str(v) for v in row.values()}
    assert row["last_used_at"] is None
    assert user_for_token(engine, token) == made
    used = list_tokens(engine, made.id)[0]
    assert (used.name, used.revoked) == ("nightly import", False) and used.last_used_at is not None


@pytest.mark.parametrize("bad", ["", "cb_", "cb_not-a-real-token", "not even prefixed"])
def test_unknown_tokens_are_refused(engine, catalog, bad):
    issue_token(engine, add(engine, catalog).id, "script")
    assert user_for_token(engine, bad) is None


def test_revoked_tokens_and_deactivated_owners_are_refused(engine, catalog):
    alice, bob = add(engine, catalog, username="alice"), add(engine, catalog, username="bob")
    revoked, kept, bobs = (issue_token(engine, alice.id, "a"), issue_token(engine, alice.id, "b"),
                           issue_token(engine, bob.id, "c"))
    first = list_tokens(engine, alice.id)[0]
    assert revoke_token(engine, first.id) is True
    assert revoke_token(engine, first.id) is False
    assert user_for_token(engine, revoked) is None
    assert user_for_token(engine, kept) == alice
    deactivate_user(engine, alice.id)
    assert user_for_token(engine, kept) is None
    assert all(t.revoked for t in list_tokens(engine, alice.id))
    assert user_for_token(engine, bobs) == bob
    with pytest.raises(AccountError, match="账户已停用"):
        issue_token(engine, alice.id, "after")


def test_an_inactive_owner_is_refused_even_with_a_live_token(engine, catalog):
    # Deactivating also revokes; switching the flag alone (by SQL, or a later feature) must suffice.
    alice = add(engine, catalog)
    token = issue_token(engine, alice.id, "a")
    with engine.begin() as conn:
        conn.execute(update(users).values(active=False))
    assert user_for_token(engine, token) is None
    assert list_tokens(engine, alice.id)[0].revoked is False


def test_list_users(engine, catalog):
    add(engine, catalog, username="zoe")
    alice = add(engine, catalog, username="alice", role="enterprise", uscc=USCC)
    deactivate_user(engine, get_user(engine, "zoe").id)
    assert [u.username for u in list_users(engine)] == ["alice", "zoe"]
    assert list_users(engine, include_inactive=False) == [alice]


# --- the `users` commands ---------------------------------------------------------------------

runner = CliRunner()


def cli(url, *args, stdin=None, ok=True):
    result = runner.invoke(users_app, [*args, "--db", url], input=stdin)
    if ok:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code != 0, result.output
    return result


def test_cli_add_prompts_twice_and_never_echoes(database_url):
    result = cli(database_url, "add", "alice", "--role", "county_analyst", "--org-unit", "330802",
                 "--display-name", "王 分析", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert PASSWORD not in result.output
    assert "再次输入密码" in result.output
    engine = connect(database_url)
    made = authenticate(engine, "alice", PASSWORD)
    assert (made.role, made.org_unit, made.display_name) == ("county_analyst", "330802", "王 分析")
    engine.dispose()


def test_cli_add_refuses_mismatched_passwords(database_url):
    cli(database_url, "add", "alice", "--role", "leader", stdin=f"{PASSWORD}\n{PASSWORD}x\n", ok=False)
    engine = connect(database_url)
    assert get_user(engine, "alice") is None
    engine.dispose()


def test_cli_add_password_stdin_and_display_name_default(database_url):
    cli(database_url, "add", "corp", "--role", "enterprise", "--uscc", USCC, "--password-stdin",
        stdin=f"{PASSWORD}\n")
    engine = connect(database_url)
    made = authenticate(engine, "corp", PASSWORD)
    assert (made.uscc, made.display_name) == (USCC, "corp")
    engine.dispose()


def test_cli_add_a_warning_point_and_move_it(database_url):
    cli(database_url, "add", "keqiao", "--role", "warning_point", "--responsible-unit", "柯桥区纺织品外贸预警点",
        "--password-stdin", stdin=f"{PASSWORD}\n")
    listed = json.loads(cli(database_url, "list", "--format", "json").stdout)
    assert [(u["username"], u["role"], u["role_zh"], u["responsible_unit"]) for u in listed] == [
        ("keqiao", "warning_point", "预警点", "柯桥区纺织品外贸预警点")]
    cli(database_url, "role", "keqiao", "--role", "warning_point", "--responsible-unit", "诸暨市袜业外贸预警点")
    engine = connect(database_url)
    assert authenticate(engine, "keqiao", PASSWORD).responsible_unit == "诸暨市袜业外贸预警点"
    engine.dispose()


def test_cli_add_and_move_a_project_unit(database_url):
    cli(database_url, "add", "qujiang", "--role", "project_unit", "--responsible-unit", "衢江区政府",
        "--password-stdin", stdin=f"{PASSWORD}\n")
    listed = json.loads(cli(database_url, "list", "--format", "json").stdout)
    assert [(u["username"], u["role"], u["responsible_unit"]) for u in listed] == [
        ("qujiang", "project_unit", "衢江区政府")]
    cli(database_url, "role", "qujiang", "--role", "project_unit", "--responsible-unit", "龙游县政府")
    engine = connect(database_url)
    assert authenticate(engine, "qujiang", PASSWORD).responsible_unit == "龙游县政府"
    cli(database_url, "role", "qujiang", "--role", "leader")  # the unit goes with the role
    assert get_user(engine, "qujiang").responsible_unit is None
    engine.dispose()


@pytest.mark.parametrize(("args", "message"), [
    (["--role", "root"], "未知角色"),
    (["--role", "enterprise", "--uscc", "123"], "统一社会信用代码无效"),
    (["--role", "project_unit", "--responsible-unit", "随便一个单位"], "未知责任单位"),
    (["--role", "project_unit"], "项目责任单位须指定责任单位"),
    (["--role", "warning_point"], "预警点账户须指定预警点名称"),
    (["--role", "warning_point", "--responsible-unit", "衢江区政府"], "未知预警点"),
])
def test_cli_add_refuses_a_bad_role_before_asking_for_a_password(database_url, args, message):
    result = cli(database_url, "add", "alice", *args, stdin=f"{PASSWORD}\n{PASSWORD}\n", ok=False)
    assert message in result.output
    assert "密码:" not in result.output  # refused before the prompt


def test_cli_add_weak_password_and_duplicate(database_url):
    result = cli(database_url, "add", "alice", "--role", "leader", "--password-stdin", stdin="tooshort\n", ok=False)
    assert "密码太短" in result.output
    cli(database_url, "add", "alice", "--role", "leader", "--password-stdin", stdin=f"{PASSWORD}\n")
    result = cli(database_url, "add", "alice", "--role", "leader", "--password-stdin", stdin=f"{PASSWORD}\n", ok=False)
    assert "用户名已存在" in result.output


def test_cli_list_token_and_deactivate(database_url):
    cli(database_url, "add", "alice", "--role", "county_analyst", "--org-unit", "330881", "--password-stdin",
        stdin=f"{PASSWORD}\n")
    listed = json.loads(cli(database_url, "list", "--format", "json").stdout)
    assert [(u["username"], u["role_zh"], u["org_unit"], u["active"]) for u in listed] == [
        ("alice", "县（市、区）分析员", "330881", True)]
    assert "江山市" in cli(database_url, "list").stdout

    result = cli(database_url, "token", "alice", "--name", "etl")
    token = result.stdout.strip()
    assert token.startswith("cb_") and "\n" not in token
    assert "请妥善保存，此令牌只显示这一次。" in result.stderr
    engine = connect(database_url)
    assert user_for_token(engine, token).username == "alice"

    cli(database_url, "deactivate", "alice")
    assert user_for_token(engine, token) is None
    assert authenticate(engine, "alice", PASSWORD) is None
    assert json.loads(cli(database_url, "list", "--format", "json").stdout)[0]["active"] is False
    engine.dispose()


@pytest.mark.parametrize("command", [["token", "nobody", "--name", "x"], ["deactivate", "nobody"]])
def test_cli_unknown_user(database_url, command):
    assert "无此用户：" in cli(database_url, *command, ok=False).output


# --- the password policy and the audit of account changes (issue 8) ---------------------------

WEAK = ["aaaaaaaaaa", "1234567890", "password12", " " * 10,
        # The same shapes at the minimum length: length alone does not make them acceptable.
        "aaaaaaaaaaaa", "123456789012", "password1234", " " * 12, "qwertyuiop12", "alicealice12"]


@pytest.mark.parametrize("weak", WEAK)
def test_weak_passwords_are_refused_for_an_admin_on_every_path(engine, catalog, database_url, weak):
    # The attack of issue 8: these were accepted for an admin account.
    with pytest.raises(AccountError, match="密码"):
        add(engine, catalog, username="alice", role="admin", password=weak)
    assert count(engine, users) == 0
    made = add(engine, catalog, username="alice", role="admin")
    with pytest.raises(AccountError, match="密码"):
        set_password(engine, made.id, weak)
    assert authenticate(engine, "alice", PASSWORD) == made
    result = cli(database_url, "add", "bob", "--role", "admin", "--password-stdin", stdin=f"{weak}\n", ok=False)
    assert "密码" in result.output and get_user(engine, "bob") is None
    result = cli(database_url, "password", "alice", "--password-stdin", stdin=f"{weak}\n", ok=False)
    assert "密码" in result.output and authenticate(engine, "alice", PASSWORD) == made


@pytest.mark.parametrize(("weak", "reason"), [
    (" " * 10, "密码不能只有空白"),
    ("password12", "密码太短：至少 12 个字符，现为 10 个"),
    ("password1234", "密码太容易被猜到"),
])
def test_the_policy_says_why(weak, reason):
    with pytest.raises(AccountError) as caught:
        accounts.check_password("alice", weak)
    assert reason in str(caught.value)


def test_the_demo_prints_passwords_that_pass_the_policy(engine, catalog):
    from commerce_brain.demo_site import create_demo_accounts

    for account in create_demo_accounts(engine, catalog, enterprise_uscc=USCC):
        accounts.check_password(account.username, account.password)
        assert authenticate(engine, account.username, account.password) is not None


def audit_trail(engine):
    from commerce_brain.store.audit import events

    return [(e["actor"], e["action"], e["object"], e["detail"]) for e in reversed(events(engine, limit=100))]


def test_account_changes_from_the_command_line_are_audited(database_url):
    import getpass

    me = f"cli:{getpass.getuser()}"
    cli(database_url, "add", "alice", "--role", "county_analyst", "--org-unit", "330881", "--password-stdin",
        stdin=f"{PASSWORD}\n")
    cli(database_url, "token", "alice", "--name", "etl")
    cli(database_url, "password", "alice", "--password-stdin", stdin="another horse staple 9\n")
    cli(database_url, "role", "alice", "--role", "city_analyst")
    cli(database_url, "deactivate", "alice")
    engine = connect(database_url)
    assert audit_trail(engine) == [
        (me, "user.add", "user:alice", {"role": "county_analyst", "org_unit": "330881", "uscc": None}),
        (me, "user.token", "user:alice", {"token_id": 1, "name": "etl"}),
        (me, "user.password", "user:alice", {}),
        (me, "user.role", "user:alice", {
            "from": {"role": "county_analyst", "org_unit": "330881", "uscc": None, "responsible_unit": None},
            "to": {"role": "city_analyst", "org_unit": None, "uscc": None, "responsible_unit": None}}),
        (me, "user.deactivate", "user:alice", {"tokens_revoked": 1}),
    ]
    assert authenticate(engine, "alice", "another horse staple 9") is None  # deactivated
    assert get_user(engine, "alice").role == "city_analyst"
    assert "another horse" not in str(audit_trail(engine)) and PASSWORD not in str(audit_trail(engine))
    engine.dispose()


def test_a_refused_change_leaves_no_audit_event(engine, catalog):
    made = add(engine, catalog)
    before = audit_trail(engine)
    with pytest.raises(AccountError):
        accounts.set_role(engine, made.id, "county_analyst", catalog=catalog)  # no org unit
    with pytest.raises(AccountError):
        set_password(engine, made.id, "password1234")
    assert audit_trail(engine) == before and get_user(engine, "alice").role == "city_analyst"
