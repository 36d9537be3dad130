"""The trade-frictions catalog (贸易摩擦与境外投资风险): the kinds of trade remedy case, the risk
levels of the country risk table, the countries and regions (the orders catalog's 主要市场) and
the settings of the remedy warning, loaded from ``catalog/warning/trade.yaml`` and validated at
load: a bad entry refuses the whole catalog, naming it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..catalog import CatalogError
from ..projects.fdi_catalog import _yaml
from .catalog import load_orders_catalog
from .market_catalog import catalog_file, citer


@dataclass(frozen=True)
class TradeSettings:
    """The window a case is news in, the org unit and owner of its warning, the answer period."""

    open_window_days: int
    org_unit: str
    owner: str
    answer_within_days: int


@dataclass(frozen=True)
class TradeCatalog:
    """Vocabularies (code → Chinese name): ``remedy_kinds``, ``risk_levels`` (lowest first),
    ``countries`` (the orders catalog's markets); the settings and citations."""

    remedy_kinds: dict[str, str]
    risk_levels: dict[str, str]
    countries: dict[str, str]
    settings: TradeSettings
    citations: dict[str, str]


def _codes(data: dict, key: str, path: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for entry in data.get(key) or []:
        code, name = entry.get("code"), entry.get("name_zh")
        if not code or not name or code in found or name in found.values():
            raise CatalogError(f"{path.name}: {key} entry {code!r} needs a unique code and name_zh")
        found[code] = name
    if not found:
        raise CatalogError(f"{path.name}: {key} is empty")
    return found


@cache
def load_trade_catalog(path: Path | None = None) -> TradeCatalog:
    """Load and validate the trade catalog (the packaged one by default). Raises CatalogError."""
    path = Path(path or catalog_file("trade.yaml"))
    data = _yaml(path)
    _, citations = citer(path, data)
    given = data.get("settings") or {}
    try:
        settings = TradeSettings(int(given["open_window_days"]), str(given["org_unit"]), str(given["owner"]),
                                 int(given["answer_within_days"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise CatalogError(f"{path.name}: settings incomplete or not numbers ({exc})") from None
    if settings.open_window_days < 1:
        raise CatalogError(f"{path.name}: open_window_days must be at least 1")
    return TradeCatalog(_codes(data, "remedy_kinds", path), _codes(data, "risk_levels", path),
                        load_orders_catalog().markets, settings, citations)
