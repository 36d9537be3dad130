"""预警处置: warnings someone must answer — one store and one workflow for every engine.

Engines (project schedules, the foreign-investment pipeline, later trade) hand their warnings
over as rows of one shape to ``raise_warnings``; the owning unit acknowledges and records
actions, the bureau's analysts escalate and close (``handling``); ``detectors`` names every
code in Chinese. The tables are ``store.warning_tables``. Named ``followup`` because the
standard library already has a ``warnings`` module.
"""

from __future__ import annotations

from . import handling, raising
from .detectors import ACTION_ZH, DETECTOR_ZH, LEVEL_ZH, SOURCE_ZH, STATE_ZH, detector_zh, subject_link
from .handling import (
    WarningRefused,
    acknowledge,
    act,
    close,
    count_warnings,
    escalate,
    get_warning,
    json_rows,
    list_warnings,
    record_action,
    warning_counts,
    warning_file,
    warning_history,
)
from .owners import owner_level_counts
from .raising import WARNING_SCHEMA, Raised, WarningRowsInvalid, check_rows, raise_warnings

__all__ = [
    "ACTION_ZH", "DETECTOR_ZH", "LEVEL_ZH", "SOURCE_ZH", "STATE_ZH", "WARNING_SCHEMA", "Raised",
    "WarningRefused", "WarningRowsInvalid", "acknowledge", "act", "check_rows", "close", "count_warnings", "detector_zh", "escalate",
    "get_warning", "json_rows", "list_warnings", "owner_level_counts", "raise_warnings", "record_action", "subject_link", "warning_counts",
    "warning_file", "warning_history",
]
