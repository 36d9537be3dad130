"""`commerce-brain db …`: the database schema."""

from __future__ import annotations

import json

import typer

from .cli_common import DataDirOpt, DbOpt, Format, FormatOpt, announce_store, out, store_url

db_app = typer.Typer(help="数据库 Database: migrations.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(db: DbOpt = None, data_dir: DataDirOpt = None) -> None:
    """升级 Bring the database schema up to date (SQLite file or PostgreSQL)."""
    from .store.migrate import current_revision, head_revision
    from .store.schema import connect

    url = store_url(db, data_dir)
    announce_store(url)
    engine = connect(url)
    from .library_board import sync_catalog_documents

    changed = sync_catalog_documents(engine)  # the policy library's documents, as packaged
    if changed:
        out.print(f"政策库：写入 {changed} 份文件的新版本", highlight=False)
    out.print(f"数据库已是最新结构（版本 {current_revision(engine)}，最新 {head_revision()}）："
              f"{engine.url.render_as_string(hide_password=True)}", highlight=False)


@db_app.command("current")
def db_current(db: DbOpt = None, data_dir: DataDirOpt = None, fmt: FormatOpt = Format.table) -> None:
    """当前版本 The schema revision the database is at, without changing it (a missing SQLite
    file is reported empty, not created)."""
    from .store.migrate import current_revision, head_revision
    from .store.schema import connect

    url = store_url(db, data_dir)
    missing = announce_store(url)
    current = None
    if not missing:
        engine = connect(url, migrate=False)
        current = current_revision(engine)
        engine.dispose()
    head = head_revision()
    if fmt is Format.json:
        out.print_json(json.dumps({"current": current, "head": head, "up_to_date": current == head,
                                   "exists": not missing}))
        return
    state = "已是最新" if current == head else f"待升级，最新为 {head}"
    out.print(f"{current or '空数据库'}（{state}）", highlight=False)
