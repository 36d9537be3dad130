"""`commerce-brain warning market` and `warning supply`: the consumer market dashboard
(消费市场监测) and the emergency-supply status sheet (应急保供) over the store, as the web shows them."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer

from .cli_common import DataDirOpt, DbOpt, Format, FormatOpt, load_catalog_or_exit, month_or_exit, open_store, out
from .cli_warning import warning_app

PeriodOpt = Annotated[str | None, typer.Option("--month", "-m", help="The month, YYYY-MM (default: the newest stored).")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="Review date YYYY-MM-DD (default: the newest report).")]


def _clean(rows: list[dict]) -> list[dict]:
    return [{k: (v.isoformat() if isinstance(v, date) else v) for k, v in r.items()} for r in rows]


@warning_app.command("market")
def warning_market(period: PeriodOpt = None, db: DbOpt = None, data_dir: DataDirOpt = None,
                   fmt: FormatOpt = Format.table) -> None:
    """消费市场监测 Retail sales of a month: 累计, 累计同比, 环比, and the plan target's pace."""
    from .access import Scope
    from .market_board import market_view, wan_yuan
    from .render import pct, simple_table
    from .warning.market_catalog import load_market_catalog

    view = market_view(open_store(db, data_dir, reads_only=True), Scope(), load_catalog_or_exit(),
                       load_market_catalog(), period=month_or_exit(period) if period else None)
    if fmt is Format.json:
        out.print_json(json.dumps({"period": view["period"], "series": view["series"]}, ensure_ascii=False))
        return
    if view["period"] is None:
        out.print("还没有消费市场数据：先用 warning import retail 导入月度零售额。")
        return
    verdict = {True: "低于目标所需增速", False: "达到目标所需增速", None: "—"}
    simple_table(f"消费市场 {view['period']}（金额：万元）",
                 ["地区", "类别", "名称", "当月", "环比", "累计", "累计同比", "目标所需增速", "余下月份所需", "判断"],
                 [[s["org_unit_name"], s["kind_zh"], s["series_zh"] or "—", wan_yuan(s["month_fen"]),
                   pct(s["mom_growth"]), wan_yuan(s["ytd_fen"]), pct(s["ytd_growth"]), pct(s["target_growth"]),
                   pct(s["needed_growth"]), verdict[s["behind_pace"]]] for s in view["series"]], out)


@warning_app.command("supply")
def warning_supply(as_of: AsOfOpt = None, db: DbOpt = None, data_dir: DataDirOpt = None,
                   fmt: FormatOpt = Format.table) -> None:
    """应急保供 The supply status sheet: days of cover and price jumps by outlet and good."""
    from .access import Scope
    from .render import pct, simple_table
    from .supply_board import supply_sheet
    from .warning.supply_catalog import load_supply_catalog

    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise typer.BadParameter(f"日期格式应为 YYYY-MM-DD，实为“{as_of}”", param_hint="--as-of") from None
    sheet = supply_sheet(open_store(db, data_dir, reads_only=True), Scope(), load_catalog_or_exit(),
                         load_supply_catalog(), as_of=day)
    if fmt is Format.json:
        out.print_json(json.dumps({"as_of": sheet["as_of"] and sheet["as_of"].isoformat(),
                                   "outlets": _clean(sheet["outlets"]), "totals": sheet["totals"]}, ensure_ascii=False))
        return
    if sheet["as_of"] is None:
        out.print("还没有应急保供物资报表：先用 warning import supply 导入。")
        return
    level = {"red": "红灯", "yellow": "黄灯", None: ""}
    simple_table(f"应急保供物资状况 截至 {sheet['as_of'].isoformat()}",
                 ["地区", "网点", "物资", "可供天数", "保障线", "价格（元）", "近4周中位数", "涨幅", "可供天数预警", "价格预警"],
                 [[o["org_unit_name"], o["outlet"], o["item_zh"],
                   "—" if o["days_of_cover"] is None else f"{o['days_of_cover']:.1f}", f"{o['cover_floor_days']:g}",
                   f"{o['price_fen'] / 100:.2f}",
                   "—" if o["median_price_fen"] is None else f"{o['median_price_fen'] / 100:.2f}",
                   pct(o["price_jump"]), level[o["cover_level"]], level[o["price_level"]]] for o in sheet["outlets"]],
                 out)
