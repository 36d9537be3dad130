"""The early-warning catalog (``catalog/warning/``): the settings of every engine with their
stated defaults (``settings.yaml``) and the vocabularies of the 订单+清单 orders file
(``orders.yaml``: warning points, problem codes, markets, industries). Validated at load: a bad
entry refuses the whole catalog, naming the file, the entry and the reason."""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from ..catalog.checks import CatalogError, known_keys, required
from ..catalog.citation import cite
from ..catalog.load import default_catalog_dir
from ..projects.fdi_catalog import _yaml
from ..warning_points import load_warning_points


@dataclass(frozen=True)
class OrderSettings:
    """The 订单+清单 detectors' settings (settings.yaml ``orders``); fractions are shares (0.30 = 30%)."""

    yoy_fall: float = 0.30
    mom_fall: float = 0.30
    consecutive_falls: int = 3
    seasonal_k: float = 3.0
    seasonal_min_years: int = 2
    seasonal_max_years: int = 5
    seasonal_min_band: float = 0.10
    size_floor_usd: int = 50_000
    red_yoy_fall: float = 0.50
    red_findings: int = 3
    answer_within_days: int = 15


@dataclass(frozen=True)
class OrdersCatalog:
    """The vocabularies of the orders file (code → Chinese name), the warning points (name → the
    county it lies in: ``catalog/warning/warning_points.yaml``, the list accounts are scoped to)
    and the settings."""

    warning_points: dict[str, str]
    problems: dict[str, str]
    markets: dict[str, str]
    industries: dict[str, str]
    settings: OrderSettings
    citations: dict[str, str]


def warning_catalog_dir(directory: Path | None = None) -> Path:
    """The folder of the early-warning catalog (inside ``directory``, the packaged catalog by default)."""
    return Path(directory or default_catalog_dir()) / "warning"


def load_order_settings(directory: Path | None = None) -> OrderSettings:
    """``settings.yaml`` ``orders``: shares between 0 and 1, counts ≥ 1, red stricter than yellow."""
    path = warning_catalog_dir(directory) / "settings.yaml"
    data = _yaml(path)
    given = known_keys(data.get("orders") or {}, {f.name for f in fields(OrderSettings)}, f"{path.name} orders")
    values = {}
    for f in fields(OrderSettings):
        raw = given.get(f.name, f.default)
        values[f.name] = _number(raw, f.name, path.name, whole=f.type == "int")
    settings = OrderSettings(**values)
    shares = ("yoy_fall", "mom_fall", "seasonal_min_band", "red_yoy_fall")
    if not all(0 < getattr(settings, s) < 1 for s in shares):
        raise CatalogError(f"{path.name} orders：{'、'.join(shares)} 应在 0 与 1 之间")
    if settings.red_yoy_fall < settings.yoy_fall:
        raise CatalogError(f"{path.name} orders：red_yoy_fall 不应小于 yoy_fall")
    if min(settings.consecutive_falls, settings.seasonal_min_years, settings.red_findings) < 1 \
            or settings.seasonal_max_years < settings.seasonal_min_years or settings.seasonal_k <= 0:
        raise CatalogError(f"{path.name} orders：次数与年数应为正整数，seasonal_max_years ≥ seasonal_min_years")
    return settings


def _number(raw, name: str, file: str, *, whole: bool):
    if whole:
        if not isinstance(raw, int) or isinstance(raw, bool) or raw < 0:
            raise CatalogError(f"{file} orders：{name} 应为不小于 0 的整数（现为 {raw!r}）")
        return raw
    try:
        # Written as quoted decimals in the file so that 0.30 reads as written.
        return float(Decimal(str(raw)))
    except InvalidOperation:
        raise CatalogError(f"{file} orders：{name} 应为小数（现为 {raw!r}）") from None


@cache
def load_orders_catalog(directory: Path | None = None) -> OrdersCatalog:
    """Load and validate ``orders.yaml`` and the orders settings. Raises CatalogError."""
    folder = warning_catalog_dir(directory)
    path = folder / "orders.yaml"
    data = known_keys(_yaml(path), {"title", "doc_number", "citations", "problems", "markets", "industries"},
                      path.name)
    required(data, ("title",), path.name)
    points = load_warning_points(directory)
    citations = {k: cite(data["title"], data.get("doc_number"), v["section"], v.get("quote"))
                 for k, v in (data.get("citations") or {}).items()}
    return OrdersCatalog(dict(points.org_units), _vocabulary(data, "problems", path), _vocabulary(data, "markets", path),
                         _vocabulary(data, "industries", path), load_order_settings(directory), citations)


def _vocabulary(data: dict, key: str, path: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for raw in data.get(key) or []:
        raw = known_keys(raw, {"code", "name_zh"}, f"{path.name} {key}")
        required(raw, ("code", "name_zh"), f"{path.name} {key}")
        code, name = str(raw["code"]), str(raw["name_zh"])
        # A code must not read as another entry's name: a cell is matched against both.
        if code in found or name in found.values() or code in found.values() or name in found:
            raise CatalogError(f"{path.name} {key}：{code} 或 {name} 重复")
        found[code] = name
    if not found:
        raise CatalogError(f"{path.name}：{key} 为空")
    return found
