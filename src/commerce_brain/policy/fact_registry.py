"""The registry of an enterprise's yearly facts (年度数据): ``facts:`` in the policy catalog's
``variables.yaml``.

Each fact has a name, a Chinese name, a unit, a kind and bounds; the import's 年度数据 sheet, its
template, the calculator, the store and the engine all read this one list, so a new yearly
figure is a catalog entry (stored long in ``enterprise_fact_values``, no migration) rather than
a column in five places.

Kinds and how values are held in frames and the store (never float):
``money`` integer fen (元 in files); ``number`` whole numbers; ``decimal`` an integer × 10^scale
(12.35 亩 with scale 2 is 1235); ``bool``; ``class`` text from the fact's vocabulary; ``text``.

``COMMERCE_BRAIN_FACT_REGISTRY`` may name another variables.yaml (a deployment's, or a test's
with an extra fact); the packaged one is read otherwise.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import yaml

from ..catalog.load import default_catalog_dir

REGISTRY_ENV = "COMMERCE_BRAIN_FACT_REGISTRY"
PACKAGED = default_catalog_dir() / "policies" / "variables.yaml"
KINDS = ("money", "number", "decimal", "bool", "class", "text")
INTEGER_KINDS = ("money", "number", "decimal")
DTYPES = {"money": pl.Int64, "number": pl.Int64, "decimal": pl.Int64, "bool": pl.Boolean,
          "class": pl.String, "text": pl.String}
KEYS = {"kind", "name_zh", "unit", "bounds", "aliases", "scale", "vocabulary", "stored", "required", "officer"}
# A text fact without stated bounds is limited to this many characters (a parcel number, a note).
TEXT_LENGTH = 200


class RegistryError(ValueError):
    """The registry file is malformed (the message names the fact and what is wrong)."""


@dataclass(frozen=True)
class Fact:
    """One yearly fact. ``bounds`` are in the file's unit (元, 亩, 人; characters for text);
    ``scale`` is the number of decimal places a ``decimal`` keeps; ``column`` says it is stored
    as a column of ``enterprise_facts`` rather than long."""

    name: str
    name_zh: str
    unit: str
    kind: str
    bounds: tuple[int, int] | None
    scale: int = 0
    vocabulary: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    column: bool = False
    required: bool = False
    officer: bool = False  # set by officers or grading, never taken from the enterprise

    @property
    def dtype(self) -> pl.DataType:
        """The Polars type of the fact's column in the engine's frames."""
        return DTYPES[self.kind]

    @property
    def factor(self) -> int:
        """Stored integer per file unit: 100 fen per 元, 10^scale for a decimal, 1 otherwise."""
        return 100 if self.kind == "money" else 10 ** self.scale

    @property
    def stored_bounds(self) -> tuple[int, int] | None:
        """``bounds`` in the stored unit (fen, hundredths of a 亩 …)."""
        if self.bounds is None or self.kind not in INTEGER_KINDS:
            return None
        return self.bounds[0] * self.factor, self.bounds[1] * self.factor


def load_registry(path: Path) -> tuple[Fact, ...]:
    """The facts of a variables.yaml, checked (RegistryError names the first problem)."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    entries = raw.get("facts") or {}
    if not isinstance(entries, dict) or not entries:
        raise RegistryError(f"{path}: facts 应为非空的映射")
    return tuple(_fact(name, spec) for name, spec in entries.items())


def _fact(name: str, spec: dict) -> Fact:
    if not isinstance(spec, dict) or not name.isidentifier() or name.startswith("prev__"):
        raise RegistryError(f"facts.{name}: 名称应为标识符，定义应为映射")
    extra = set(spec) - KEYS
    if extra:
        raise RegistryError(f"facts.{name}: 未知的键 {', '.join(sorted(extra))}")
    kind = spec.get("kind")
    if kind not in KINDS:
        raise RegistryError(f"facts.{name}: kind 应为 {'/'.join(KINDS)} 之一")
    if not spec.get("name_zh"):
        raise RegistryError(f"facts.{name}: 缺少 name_zh")
    bounds = spec.get("bounds")
    if bounds is not None and not (isinstance(bounds, list) and len(bounds) == 2
                                   and all(isinstance(b, int) and not isinstance(b, bool) for b in bounds)
                                   and bounds[0] <= bounds[1]):
        raise RegistryError(f"facts.{name}: bounds 应为 [最小, 最大] 两个整数")
    if kind == "text" and bounds is None:
        bounds = [0, TEXT_LENGTH]
    if kind == "text" and not 0 <= bounds[0] <= bounds[1] <= TEXT_LENGTH:
        raise RegistryError(f"facts.{name}: 文字的长度上限不能超过 {TEXT_LENGTH}")
    scale = spec.get("scale", 0)
    if kind == "decimal" and not (isinstance(scale, int) and 1 <= scale <= 6):
        raise RegistryError(f"facts.{name}: decimal 须有 scale（1–6 位小数）")
    vocabulary = tuple(str(v) for v in spec.get("vocabulary") or ())
    if (kind == "class") != bool(vocabulary):
        raise RegistryError(f"facts.{name}: 只有 class 有 vocabulary，且 class 必须有")
    stored = spec.get("stored", "long")
    if stored not in ("column", "long"):
        raise RegistryError(f"facts.{name}: stored 应为 column 或 long")
    return Fact(name=name, name_zh=str(spec["name_zh"]), unit=str(spec.get("unit") or ""), kind=kind,
                bounds=None if bounds is None else (bounds[0], bounds[1]),
                scale=scale if kind == "decimal" else 0, vocabulary=vocabulary,
                aliases=tuple(str(a) for a in spec.get("aliases") or ()),
                column=stored == "column", required=bool(spec.get("required", False)),
                officer=bool(spec.get("officer", False)))


def registry_path() -> Path:
    """The registry in force: ``COMMERCE_BRAIN_FACT_REGISTRY`` or the packaged variables.yaml."""
    return Path(os.environ.get(REGISTRY_ENV) or PACKAGED)


FACTS: tuple[Fact, ...] = load_registry(registry_path())
BY_NAME: dict[str, Fact] = {f.name: f for f in FACTS}
# Stored as columns of enterprise_facts (the two the platform began with); the rest long.
COLUMN_FACTS = tuple(f.name for f in FACTS if f.column)
LONG_FACTS = tuple(f.name for f in FACTS if not f.column)
OFFICER_FACTS = tuple(f.name for f in FACTS if f.officer)


def fact_schema() -> dict[str, pl.DataType]:
    """Every fact's column and Polars type, in registry order."""
    return {f.name: f.dtype for f in FACTS}


def fact(name: str) -> Fact:
    """The registry's fact of that name (KeyError when there is none)."""
    return BY_NAME[name]


def value_problems(facts: pl.DataFrame) -> list[str]:
    """Why the frame's fact columns (stored units: fen, scaled decimals) cannot be kept: each
    fact with values outside its bounds or its vocabulary, in Chinese, with how many rows. Columnar."""
    found = []
    for name in [c for c in facts.columns if c in BY_NAME]:
        f, col = BY_NAME[name], pl.col(name)
        if f.kind == "class":
            bad = col.is_not_null() & ~col.is_in(list(f.vocabulary))
            rule = f"应为 {'/'.join(f.vocabulary)} 之一"
        elif f.kind == "text":
            bad = col.str.len_chars() > f.bounds[1]
            rule = f"最多 {f.bounds[1]} 个字"
        elif f.stored_bounds is not None:
            low, high = f.stored_bounds
            bad = ~col.is_between(low, high)
            rule = f"应在 {f.bounds[0]:,} 到 {f.bounds[1]:,}{f.unit} 之间"
        else:
            continue
        count = facts.select(bad.fill_null(False).sum()).item()
        if count:
            found.append(f"{f.name_zh}有 {count} 行超出范围：{rule}")
    return found
