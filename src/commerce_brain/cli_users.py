"""`commerce-brain users …`: accounts for the web app and the API."""

from __future__ import annotations

import getpass
import json
from typing import Annotated

import typer

from .access import ROLES
from .cli_common import (
    DataDirOpt,
    DbOpt,
    Format,
    FormatOpt,
    OrgOpt,
    err,
    load_catalog_or_exit,
    open_store,
    out,
)

users_app = typer.Typer(help="账户 Accounts", no_args_is_help=True)

UsernameArg = Annotated[str, typer.Argument(help="Login name (stored trimmed and lower-case).")]
UsccOpt = Annotated[str | None, typer.Option("--uscc", help="统一社会信用代码, for the enterprise role.")]
DisplayNameOpt = Annotated[str | None, typer.Option(
    "--display-name", help="Name shown in the app (default: the username).")]
UnitOpt = Annotated[str | None, typer.Option(
    "--responsible-unit", help="项目责任单位 for the project_unit role, as the projects name it (e.g. 衢江区政府); "
    "the warning point's name for the warning_point role, as the catalog lists it (e.g. 柯桥区纺织品外贸预警点).")]
PasswordStdinOpt = Annotated[bool, typer.Option("--password-stdin", help="Read the password from one line of stdin.")]


def _store(db: str | None, data_dir, *, reads_only: bool = False):
    # Importing the module registers its tables on the shared metadata before connect() creates them.
    from .store import accounts

    return accounts, open_store(db, data_dir, reads_only=reads_only)


def _actor() -> str:
    """Who changes accounts from the command line, for the audit log: the operating-system user."""
    return f"cli:{getpass.getuser()}"


def _fail(message: str) -> typer.Exit:
    err.print(message, style="red", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(1)


def _user_or_exit(accounts, engine, username: str):
    user = accounts.get_user(engine, username)
    if user is None:
        raise _fail(f"无此用户：{username}")
    return user


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        # One line from a pipe or a secrets manager; only the line ending is removed.
        return typer.get_text_stream("stdin").readline().rstrip("\r\n")
    return typer.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")


@users_app.command("add")
def users_add(
    username: UsernameArg,
    role: Annotated[str, typer.Option("--role", help="One of: " + ", ".join(f"{c} {n}" for c, n in ROLES.items()))],
    org_unit: OrgOpt = None,
    uscc: UsccOpt = None,
    responsible_unit: UnitOpt = None,
    display_name: DisplayNameOpt = None,
    password_stdin: PasswordStdinOpt = False,
    db: DbOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """新建账户 Create an account; the password is prompted for twice and never echoed."""
    catalog = load_catalog_or_exit()
    accounts, engine = _store(db, data_dir)
    try:
        # Refuse a bad role or scope before asking for a password that would be thrown away.
        accounts.check_role_scope(role, org_unit=org_unit, uscc=uscc, catalog=catalog,
                                  responsible_unit=responsible_unit,
                                  known_units=accounts.store_responsible_units(engine))
        password = _read_password(password_stdin)
        user = accounts.create_user(engine, username=username, password=password, role=role,
                                    display_name=display_name or username, org_unit=org_unit, uscc=uscc,
                                    responsible_unit=responsible_unit, catalog=catalog, actor=_actor())
    except accounts.AccountError as exc:
        raise _fail(str(exc)) from None
    scope = user.org_unit or user.uscc or user.responsible_unit
    out.print(f"已创建 {user.username}（{user.role_zh}{'，' + scope if scope else ''}）", highlight=False)


@users_app.command("list")
def users_list(fmt: FormatOpt = Format.table, db: DbOpt = None, data_dir: DataDirOpt = None) -> None:
    """账户清单 All accounts, active or not."""
    accounts, engine = _store(db, data_dir, reads_only=True)
    found = accounts.list_users(engine)
    if fmt is Format.json:
        out.print_json(json.dumps([{
            "username": u.username, "display_name": u.display_name, "role": u.role, "role_zh": u.role_zh,
            "org_unit": u.org_unit, "uscc": u.uscc, "responsible_unit": u.responsible_unit, "active": u.active, "created_at": u.created_at.isoformat(),
        } for u in found], ensure_ascii=False))
        return
    from .render import simple_table

    names = load_catalog_or_exit().org_unit_names()
    headers = ["用户名", "姓名", "角色", "机构", "统一社会信用代码", "责任单位", "状态", "创建时间"]
    simple_table(f"账户（{len(found)}）", headers,
                 [[u.username, u.display_name, u.role_zh,
                   f"{u.org_unit} {names.get(u.org_unit, '')}".strip() if u.org_unit else None,
                   u.uscc, u.responsible_unit, "启用" if u.active else "停用", f"{u.created_at.astimezone():%Y-%m-%d %H:%M}"] for u in found], out)


@users_app.command("token")
def users_token(
    username: UsernameArg,
    name: Annotated[str, typer.Option("--name", help="What the token is for, e.g. the script's name.")],
    db: DbOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """签发令牌 Issue an API token. It is printed once, alone on stdout; only its hash is kept."""
    accounts, engine = _store(db, data_dir)
    user = _user_or_exit(accounts, engine, username)
    try:
        token = accounts.issue_token(engine, user.id, name, actor=_actor())
    except accounts.AccountError as exc:
        raise _fail(str(exc)) from None
    typer.echo(token)
    err.print("请妥善保存，此令牌只显示这一次。")


@users_app.command("deactivate")
def users_deactivate(username: UsernameArg, db: DbOpt = None, data_dir: DataDirOpt = None) -> None:
    """停用账户 Deactivate an account and revoke its tokens (the record is kept)."""
    accounts, engine = _store(db, data_dir)
    user = _user_or_exit(accounts, engine, username)
    accounts.deactivate_user(engine, user.id, actor=_actor())
    out.print(f"已停用 {user.username}", highlight=False)


@users_app.command("password")
def users_password(username: UsernameArg, password_stdin: PasswordStdinOpt = False, db: DbOpt = None,
                   data_dir: DataDirOpt = None) -> None:
    """修改密码 Set a new password (same policy as `users add`; prompted twice, never echoed)."""
    accounts, engine = _store(db, data_dir)
    user = _user_or_exit(accounts, engine, username)
    try:
        accounts.set_password(engine, user.id, _read_password(password_stdin), actor=_actor())
    except accounts.AccountError as exc:
        raise _fail(str(exc)) from None
    out.print(f"已修改 {user.username} 的密码", highlight=False)


@users_app.command("role")
def users_role(
    username: UsernameArg,
    role: Annotated[str, typer.Option("--role", help="The new role: " + ", ".join(ROLES))],
    org_unit: OrgOpt = None,
    uscc: UsccOpt = None,
    responsible_unit: UnitOpt = None,
    db: DbOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """修改角色 Give an account another role and scope."""
    catalog = load_catalog_or_exit()
    accounts, engine = _store(db, data_dir)
    user = _user_or_exit(accounts, engine, username)
    try:
        changed = accounts.set_role(engine, user.id, role, org_unit=org_unit, uscc=uscc, catalog=catalog,
                                    responsible_unit=responsible_unit, actor=_actor())
    except accounts.AccountError as exc:
        raise _fail(str(exc)) from None
    out.print(f"已修改角色：{changed.username} → {changed.role_zh}", highlight=False)


@users_app.command("unlock")
def users_unlock(username: UsernameArg, db: DbOpt = None, data_dir: DataDirOpt = None) -> None:
    """解除锁定 Lift a sign-in lock after too many wrong passwords, and clear the account's failures."""
    from .store import sign_in

    accounts, engine = _store(db, data_dir)
    user = _user_or_exit(accounts, engine, username)
    had = sign_in.unlock(engine, user.username, actor=_actor())
    out.print(f"已解锁 {user.username}" if had else
              f"{user.username} 未被锁定，也没有登录失败记录", highlight=False)
