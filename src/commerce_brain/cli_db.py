"""`commerce-brain db …`: the database schema."""

from __future__ import annotations

import typer

from .cli_common import DataDirOpt, DbOpt, out

db_app = typer.Typer(help="数据库 Database: migrations.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(db: DbOpt = None, data_dir: DataDirOpt = None) -> None:
    """升级 Bring the database schema up to date (SQLite file or PostgreSQL)."""
    from .settings import Settings
    from .store.migrate import current_revision, head_revision
    from .store.schema import connect

    url = Settings.from_env(database_url=db, data_dir=data_dir).database_url
    engine = connect(url)
    out.print(f"数据库已是最新结构 schema at revision {current_revision(engine)} (head {head_revision()}): "
              f"{engine.url.render_as_string(hide_password=True)}", highlight=False)


@db_app.command("current")
def db_current(db: DbOpt = None, data_dir: DataDirOpt = None) -> None:
    """当前版本 The schema revision the database is at, without changing it."""
    from .settings import Settings
    from .store.migrate import current_revision, head_revision
    from .store.schema import connect

    engine = connect(Settings.from_env(database_url=db, data_dir=data_dir).database_url, migrate=False)
    current = current_revision(engine)
    state = "最新 up to date" if current == head_revision() else f"待升级 behind head {head_revision()}"
    out.print(f"{current or '空数据库 empty'}（{state}）", highlight=False)
