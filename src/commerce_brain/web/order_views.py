"""What the 订单+清单 pages show, from ``orders_board``'s frames: the roll-up of a month with its
chart, and an enterprise's months with its seasonal band. Labels in Chinese; amounts as 万美元
text (display only: the figures stay integer US dollars)."""

from __future__ import annotations

from ..fdi_board import share, usd_wan
from ..warning.catalog import OrdersCatalog
from ..warning.orders import DETECTOR_ZH, ROLLUP_BY

# One colour per group in the roll-up's chart (repeats past eight groups).
PALETTE = ("#1565c0", "#b42318", "#2e7d32", "#b54708", "#6a1b9a", "#00838f", "#5d4037", "#455a64")
UNGROUPED = "未分组"


def group_labels(by: str, catalog: OrdersCatalog, org_unit_names: dict[str, str]) -> dict[str, str]:
    """Code → Chinese name of the groups of ``by`` (a warning point is its own name)."""
    return {"warning_point": {p: p for p in catalog.warning_points}, "org_unit": org_unit_names,
            "industry": catalog.industries, "market": catalog.markets}[by]


def problems_zh(codes: str | None, catalog: OrdersCatalog) -> str:
    """A report's ``;``-list of problem codes as their names (“关税上调、汇率波动”), or —."""
    named = [catalog.problems.get(c, "其他问题") for c in (codes or "").split(";") if c]
    return "、".join(named) or "—"


def rollup_view(found: dict, month: str | None, catalog: OrdersCatalog, org_unit_names: dict[str, str]) -> dict:
    """The roll-up of ``month`` (default: the newest) as table rows, with its problems most
    reported by name, and the chart of the share of orders at risk month by month per group."""
    by = found["by"]
    labels = group_labels(by, catalog, org_unit_names)
    months = sorted({r["month"] for r in found["rollup"]})
    month = month if month in months else (months[-1] if months else None)
    problems: dict[str | None, list[str]] = {}
    for p in found["problems"]:
        if p["month"] == month:
            problems.setdefault(p[by], []).append(f"{catalog.problems.get(p['problem'], '其他问题')}（{p['reports']}）")
    rows = [{"group": labels.get(r[by], UNGROUPED) if r[by] else UNGROUPED, "enterprises": r["enterprises"],
             "at_risk": r["at_risk"], "new_orders": usd_wan(r["new_orders_usd"]), "in_hand": usd_wan(r["in_hand_usd"]),
             "share": share(r["share_at_risk"]), "problems": "、".join(problems.get(r[by], [])) or "—"}
            for r in found["rollup"] if r["month"] == month]
    groups = sorted({r[by] for r in found["rollup"]}, key=lambda g: (g is None, g or ""))
    at = {(r["month"], r[by]): r["share_at_risk"] for r in found["rollup"]}
    series = [{"name": labels.get(g, UNGROUPED) if g else UNGROUPED, "colour": PALETTE[i % len(PALETTE)],
               "dashed": False,
               "values": [None if at.get((m, g)) is None else round(at[(m, g)] * 100, 1) for m in months]}
              for i, g in enumerate(groups)]
    chart = {"years": months, "unit": "风险订单占比（%）", "series": series}
    return {"by": by, "by_zh": ROLLUP_BY[by], "month": month, "months": months[::-1], "rows": rows,
            "charts": {"trends": [chart]} if months else {}}


def history_view(history: dict, catalog: OrdersCatalog, org_unit_names: dict[str, str]) -> dict:
    """An enterprise's months (newest first) with the figures in words, and the chart of its new
    orders against its seasonal band (median ± the band's half-width, in 万美元)."""
    months = history["months"]
    rows = [{"month": m["month"], "new_orders": usd_wan(m["new_orders_usd"]),
             "in_hand": usd_wan(m["orders_in_hand_usd"]), "expected": usd_wan(m["expected_exports_usd"]),
             "market": catalog.markets.get(m["market"], "—") if m["market"] else "—",
             "product": f"第{m['product_hs']}章" if m["product_hs"] else "—",
             "problems": problems_zh(m["problems"], catalog),
             "yoy": share(m["yoy"]), "mom": share(m["mom"]),
             "band": usd_wan(round(m["season_low"])) if m["season_low"] is not None else "—",
             "level": m["level"], "detector_zh": DETECTOR_ZH.get(m["detector"]) if m["detector"] else None,
             "reason": m["reason"]} for m in months][::-1]

    def wan(value) -> float | None:
        return None if value is None else round(value / 10_000, 1)

    band = {"months": [m["month"] for m in months],
            "actual": [wan(m["new_orders_usd"]) for m in months],
            "median": [wan(m["season_median"]) for m in months],
            "low": [wan(m["season_low"]) for m in months],
            # The band drawn symmetric about the median; the detector only reads its lower edge.
            "width": [None if m["season_low"] is None else wan(2 * (m["season_median"] - m["season_low"]))
                      for m in months],
            "flagged": [wan(m["new_orders_usd"]) if m["detector"] else None for m in months]}
    return {"name": history.get("name") or f"企业 {history['uscc']}", "uscc": history["uscc"],
            "warning_point": history.get("warning_point") or "—",
            "org_unit": org_unit_names.get(history.get("org_unit") or "", "—"),
            "industry": catalog.industries.get(history.get("industry") or "", "—"),
            "rows": rows, "charts": {"band": band}}
