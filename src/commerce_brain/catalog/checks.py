"""Checks every catalog file shares: a mapping with known keys, the required ones present,
and an id that matches its file name. Each failure names the file, the entry and the reason."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml


class CatalogError(ValueError):
    """A catalog file is malformed; the message names the file, the entry and the reason."""


def known_keys(raw: Any, allowed: set[str], where: str) -> dict:
    """``raw`` as a mapping whose keys are all in ``allowed``."""
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}：应为“字段: 值”的映射")
    unknown = {str(k) for k in raw} - allowed
    if unknown:
        raise CatalogError(f"{where}：不认识的字段 {'、'.join(sorted(unknown))}")
    return raw


def required(raw: dict, keys: Iterable[str], where: str) -> None:
    """Every key of ``keys`` present and not empty."""
    for key in keys:
        if raw.get(key) in (None, ""):
            raise CatalogError(f"{where}：缺少必填字段 {key}")


def document(path: Path, allowed: set[str], keys: Iterable[str]) -> dict:
    """A catalog YAML file: known keys, required keys present, ``id`` equal to the file name."""
    data = known_keys(yaml.safe_load(path.read_text(encoding="utf-8")), allowed, path.name)
    required(data, ("id", *keys), path.name)
    if data["id"] != path.stem:
        raise CatalogError(f"{path.name}：id “{data['id']}”应与文件名相同")
    return data
