"""The foreign-investment pipeline's catalog (外资项目全流程跟踪): its eight stages in order, what
counts as 落地, the vocabularies of the pipeline file (industries, countries or regions) and the
FDI settings, loaded from ``catalog/projects/fdi_stages.yaml`` and ``settings.yaml`` and
validated at load: a bad entry refuses the whole catalog, naming it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import polars as pl
import yaml

from ..catalog import CatalogError
from ..catalog.citation import cite
from .catalog import load_project_settings

STAGE_SCHEMA = {"stage": pl.String, "stage_zh": pl.String, "stage_order": pl.Int64,
                "skippable": pl.Boolean, "landing": pl.Boolean, "citation": pl.String}


# The FDI catalog is refused like the rest of the catalog: the message names the file, the entry
# and the reason.
FdiCatalogError = CatalogError


@dataclass(frozen=True)
class FdiSettings:
    """The settings of the pipeline engine (settings.yaml, read by ``load_project_settings``)."""

    overdue_grace_days: int = 0  # a stage is overdue this many days after its planned date + 1
    red_after_days: int = 30  # overdue by more than this many days: red, else yellow
    answer_within_days: int = 15  # a raised warning is due this many days after the review date


@dataclass(frozen=True)
class FdiCatalog:
    """The stages (``stages``: one row per stage in order, STAGE_SCHEMA), the codes of the stages
    that make a project landed, the vocabularies (code → Chinese name) and the settings."""

    stages: pl.DataFrame
    landed: tuple[str, ...]
    industries: dict[str, str]
    countries: dict[str, str]
    settings: FdiSettings
    citations: dict[str, str]

    @property
    def stage_codes(self) -> list[str]:
        """The stage codes in pipeline order."""
        return self.stages["stage"].to_list()

    @property
    def stage_names(self) -> dict[str, str]:
        """Stage code → its Chinese name."""
        return dict(zip(self.stages["stage"], self.stages["stage_zh"], strict=True))

    @property
    def landed_zh(self) -> str:
        """What 落地 means here, in words (注册+到资)."""
        return "+".join(self.stage_names[s] for s in self.landed)


def _catalog_dir() -> Path:
    return Path(str(resources.files("commerce_brain") / "catalog" / "projects"))


@cache
def load_fdi_catalog(directory: Path | None = None) -> FdiCatalog:
    """Load and validate the FDI catalog (the packaged one by default). Raises FdiCatalogError."""
    directory = Path(directory or _catalog_dir())
    path = directory / "fdi_stages.yaml"
    data = _yaml(path)
    title, number = data.get("title"), data.get("doc_number")
    if not title:
        raise FdiCatalogError(f"{path.name}: missing title")

    def citation(entry: dict, where: str) -> str:
        given = entry.get("citation") or {}
        if not given.get("section") or not given.get("quote"):
            raise FdiCatalogError(f"{path.name}: {where} has no citation (section and quote)")
        return cite(title, number, given["section"], given["quote"])

    stages = data.get("stages") or []
    rows, seen = [], set()
    for position, stage in enumerate(stages, start=1):
        code = stage.get("code")
        where = f"stage {code or position}"
        if not code or not stage.get("name_zh"):
            raise FdiCatalogError(f"{path.name}: {where} needs a code and a name_zh")
        if code in seen:
            raise FdiCatalogError(f"{path.name}: {where} is given twice")
        if stage.get("order") != position:
            raise FdiCatalogError(f"{path.name}: {where} has order {stage.get('order')!r}, expected {position}")
        seen.add(code)
        rows.append({"stage": code, "stage_zh": stage["name_zh"], "stage_order": position,
                     "skippable": bool(stage.get("skippable", False)), "landing": False,
                     "citation": citation(stage, where)})
    if len(rows) < 2:
        raise FdiCatalogError(f"{path.name}: needs the pipeline's stages")
    landed = tuple((data.get("landed") or {}).get("stages") or ())
    citation(data.get("landed") or {}, "landed")
    if not landed or not set(landed) <= seen:
        raise FdiCatalogError(f"{path.name}: landed.stages {list(landed)} must name known stages")
    if rows[0]["stage"] in landed or any(r["skippable"] for r in rows if r["stage"] in landed):
        raise FdiCatalogError(f"{path.name}: landed stages may be neither the first stage nor skippable")
    frame = pl.DataFrame(rows, schema=STAGE_SCHEMA).with_columns(landing=pl.col("stage").is_in(list(landed)))
    return FdiCatalog(
        stages=frame, landed=landed,
        industries=_vocabulary(data, "industries", path, citation),
        countries=_vocabulary(data, "countries", path, citation),
        settings=_settings(directory),
        citations={k: cite(title, number, v["section"], v["quote"]) for k, v in (data.get("citations") or {}).items()},
    )


def _vocabulary(data: dict, key: str, path: Path, citation) -> dict[str, str]:
    entries = data.get(key) or []
    found: dict[str, str] = {}
    for entry in entries:
        code, name = entry.get("code"), entry.get("name_zh")
        if not code or not name or code in found or name in found.values():
            raise FdiCatalogError(f"{path.name}: {key} entry {code!r} needs a unique code and name_zh")
        citation(entry, f"{key} {code}")
        found[code] = name
    if not found:
        raise FdiCatalogError(f"{path.name}: {key} is empty")
    return found


def _settings(directory: Path) -> FdiSettings:
    # load_project_settings takes the catalog folder (it reads projects/settings.yaml in it).
    settings = load_project_settings(directory.parent)
    return FdiSettings(settings.fdi_overdue_grace_days, settings.fdi_red_after_days, settings.answer_within_days)


def _yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise FdiCatalogError(f"{path.name}: cannot be read ({exc})") from None
    if not isinstance(data, dict):
        raise FdiCatalogError(f"{path.name}: expected a mapping at the top")
    return data
