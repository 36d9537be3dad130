"""What the 预警处置 pages and API share: a warning with its labels in Chinese, and the filters."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from ..access import User, can
from .. import followup as fu
from ..store.warning_tables import LEVELS
from .security import platform, scope


@dataclass(frozen=True)
class WarningFilters:
    """The list's filters, each None when not given or not one of its values (a page's
    filter form sends empty fields)."""

    source: str | None = None
    state: str | None = None
    level: str | None = None
    org_unit: str | None = None
    owner: str | None = None
    period: str | None = None

    @classmethod
    def of(cls, request: Request, **given: str | None) -> "WarningFilters":
        """Known values kept, anything else dropped; an org unit must be one the user may see."""
        known = {"source": fu.SOURCE_ZH, "state": fu.STATE_ZH, "level": dict.fromkeys(LEVELS)}
        kept = {k: v for k, v in given.items() if v and (k not in known or v in known[k])}
        unit = kept.get("org_unit")
        if unit and unit not in platform(request).catalog.org_unit_names():
            kept.pop("org_unit")
        period = kept.get("period")
        if period and not fu.raising.is_period(period):
            kept.pop("period")
        return cls(**kept)


def warnings_for(request: Request, user: User, filters: WarningFilters):
    """The warnings ``user`` may see, narrowed by ``filters`` (an org unit with its subtree)."""
    catalog = platform(request).catalog
    return fu.list_warnings(platform(request).engine, scope(request, user), source=filters.source,
                            state=filters.state, level=filters.level, period=filters.period,
                            responsible_unit=filters.owner,
                            org_units=frozenset(catalog.subtree(filters.org_unit)) if filters.org_unit else None)


def labelled(request: Request, warning: dict) -> dict:
    """A warning with its codes named in Chinese (``*_zh``), its org unit's name and its
    subject's page (None when its kind has none)."""
    names = platform(request).catalog.org_unit_names()
    return {**warning, "level_zh": fu.LEVEL_ZH.get(warning["level"], "预警"),
            "state_zh": fu.STATE_ZH.get(warning["state"], "未知状态"),
            "detector_zh": fu.detector_zh(warning["detector"]),
            "source_zh": fu.SOURCE_ZH.get(warning["source"], "其他"),
            "org_unit_name": names.get(warning["org_unit"], "—") if warning["org_unit"] else "—",
            "subject_link": fu.subject_link(warning["subject_kind"], warning["subject_id"]),
            "due_date": str(warning["due_date"])}


def capabilities(user: User, warning: dict) -> dict[str, bool]:
    """Which forms the warning's page offers ``user`` (the store checks again on submit)."""
    return {action: can(user, fu.handling.required_capability(action, warning)) and warning["state"] in starts
            for action, (_, starts, _) in fu.handling.MOVES.items()}
