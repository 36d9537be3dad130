"""The emergency-supply catalog (应急保供): the key goods (the list is data) with their units and
floors of days of cover, and the price-jump settings, loaded from ``catalog/warning/supply.yaml``
and validated at load: a bad entry refuses the whole catalog, naming it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import polars as pl

from ..catalog import CatalogError
from ..projects.fdi_catalog import _yaml
from .market_catalog import catalog_file, citer

GOODS_SCHEMA = {"item": pl.String, "item_zh": pl.String, "unit": pl.String, "cover_floor_days": pl.Float64}


@dataclass(frozen=True)
class SupplySettings:
    """The price-jump window and thresholds (percent), the owner's suffix, the answer period."""

    price_window_days: int
    price_jump_percent: float
    red_jump_percent: float
    owner_suffix: str
    answer_within_days: int


@dataclass(frozen=True)
class SupplyCatalog:
    """``goods``: one row per key good (GOODS_SCHEMA), in the catalog's order."""

    goods: pl.DataFrame
    settings: SupplySettings
    citations: dict[str, str]

    @property
    def names(self) -> dict[str, str]:
        """Good code → its Chinese name."""
        return dict(zip(self.goods["item"], self.goods["item_zh"], strict=True))


@cache
def load_supply_catalog(path: Path | None = None) -> SupplyCatalog:
    """Load and validate the supply catalog (the packaged one by default). Raises CatalogError."""
    path = Path(path or catalog_file("supply.yaml"))
    data = _yaml(path)
    _, citations = citer(path, data)
    rows, seen = [], set()
    for entry in data.get("goods") or []:
        code, name, unit, floor = (entry.get(k) for k in ("code", "name_zh", "unit", "cover_floor_days"))
        if not code or not name or not unit or code in seen or name in {r["item_zh"] for r in rows}:
            raise CatalogError(f"{path.name}: good {code!r} needs a unique code and name_zh and a unit")
        if not isinstance(floor, int | float) or isinstance(floor, bool) or floor <= 0:
            raise CatalogError(f"{path.name}: good {code} needs cover_floor_days > 0")
        seen.add(code)
        rows.append({"item": code, "item_zh": name, "unit": unit, "cover_floor_days": float(floor)})
    if not rows:
        raise CatalogError(f"{path.name}: goods is empty")
    given = data.get("settings") or {}
    try:
        settings = SupplySettings(int(given["price_window_days"]), float(given["price_jump_percent"]),
                                  float(given["red_jump_percent"]), str(given["owner_suffix"]),
                                  int(given["answer_within_days"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise CatalogError(f"{path.name}: settings incomplete or not numbers ({exc})") from None
    if settings.price_window_days < 7 or not 0 < settings.price_jump_percent <= settings.red_jump_percent:
        raise CatalogError(f"{path.name}: settings need price_window_days >= 7 and "
                           "0 < price_jump_percent <= red_jump_percent")
    return SupplyCatalog(pl.DataFrame(rows, schema=GOODS_SCHEMA), settings, citations)
