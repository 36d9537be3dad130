"""The consumer market's catalog (消费市场监测): the series kinds of the retail file and the plan
indicator each serves, the goods categories, and the settings of the market warnings, loaded
from ``catalog/warning/market.yaml`` and validated at load: a bad entry refuses the whole
catalog, naming it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from ..catalog import CatalogError
from ..catalog.citation import cite
from ..projects.fdi_catalog import _yaml

NAME_RULES = ("none", "category", "free")  # a row names nothing, a catalog category, or a retailer


@dataclass(frozen=True)
class MarketSettings:
    """The thresholds of the market warnings (percent and percentage points, as people say them)."""

    red_gap_points: float
    yellow_fall_percent: float
    red_fall_percent: float
    owner_suffix: str
    answer_within_days: int


@dataclass(frozen=True)
class MarketCatalog:
    """``kinds``: code → Chinese name; ``indicators``: kind → plan indicator id (the totals);
    ``name_rules``: kind → none/category/free; ``categories``: code → Chinese name."""

    kinds: dict[str, str]
    indicators: dict[str, str]
    name_rules: dict[str, str]
    categories: dict[str, str]
    settings: MarketSettings
    citations: dict[str, str]


def catalog_file(name: str) -> Path:
    """The packaged catalog file ``catalog/warning/{name}``."""
    return Path(str(resources.files("commerce_brain") / "catalog" / "warning" / name))


def citer(path: Path, data: dict) -> tuple[Callable[[dict, str], str], dict[str, str]]:
    """For a catalog file's ``data``: the function that reads an entry's citation as printed (or
    refuses the file when the entry has none), and the file's own ``citations`` as printed."""
    title, number = data.get("title"), data.get("doc_number")
    if not title:
        raise CatalogError(f"{path.name}: missing title")

    def citation(entry: dict, where: str) -> str:
        given = entry.get("citation") or {}
        if not given.get("section") or not given.get("quote"):
            raise CatalogError(f"{path.name}: {where} has no citation (section and quote)")
        return cite(title, number, given["section"], given["quote"])

    return citation, {k: citation({"citation": v}, f"citation {k}") for k, v in (data.get("citations") or {}).items()}


@cache
def load_market_catalog(path: Path | None = None) -> MarketCatalog:
    """Load and validate the market catalog (the packaged one by default). Raises CatalogError."""
    path = Path(path or catalog_file("market.yaml"))
    data = _yaml(path)
    citation, citations = citer(path, data)
    kinds, indicators, rules = {}, {}, {}
    for entry in data.get("series_kinds") or []:
        code, name, rule = entry.get("code"), entry.get("name_zh"), entry.get("name")
        if not code or not name or code in kinds or rule not in NAME_RULES:
            raise CatalogError(f"{path.name}: series kind {code!r} needs a unique code, a name_zh and "
                               f"name one of {', '.join(NAME_RULES)}")
        citation(entry, f"series kind {code}")
        kinds[code], rules[code] = name, rule
        if entry.get("indicator"):
            indicators[code] = entry["indicator"]
    categories = {}
    for entry in data.get("categories") or []:
        code, name = entry.get("code"), entry.get("name_zh")
        if not code or not name or code in categories or name in categories.values():
            raise CatalogError(f"{path.name}: category {code!r} needs a unique code and name_zh")
        categories[code] = name
    if not kinds or not categories:
        raise CatalogError(f"{path.name}: needs series_kinds and categories")
    given = data.get("settings") or {}
    try:
        settings = MarketSettings(float(given["red_gap_points"]), float(given["yellow_fall_percent"]),
                                  float(given["red_fall_percent"]), str(given["owner_suffix"]),
                                  int(given["answer_within_days"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise CatalogError(f"{path.name}: settings incomplete or not numbers ({exc})") from None
    if not 0 < settings.yellow_fall_percent <= settings.red_fall_percent or settings.red_gap_points < 0:
        raise CatalogError(f"{path.name}: settings need 0 < yellow_fall_percent <= red_fall_percent "
                           "and red_gap_points >= 0")
    return MarketCatalog(kinds, indicators, rules, categories, settings, citations)
