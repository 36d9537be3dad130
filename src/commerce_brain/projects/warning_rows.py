"""The warnings a month's status raises, in the shape every engine hands to
``followup.raise_warnings``: one per project with a yellow or red light."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from .catalog import ProjectSettings

WARNING_COLUMNS = ["source", "detector", "subject_kind", "subject_id", "subject_name", "org_unit",
                   "responsible_unit", "level", "reason", "period", "due_date"]
# light_rule → detector; the Chinese names go to followup/detectors.py.
DETECTORS = {"behind": "schedule_behind", "far_behind": "schedule_behind", "not_started": "not_started",
             "not_finished": "not_finished"}
DETECTOR_ZH = {"schedule_behind": "落后序时进度", "not_started": "应开工未开工", "not_finished": "应竣工未竣工"}


def warning_candidates(status: pl.DataFrame, settings: ProjectSettings, today: date) -> pl.DataFrame:
    """WARNING_COLUMNS for every yellow or red project of ``status``; due ``answer_within_days``
    after ``today``. The period is the status month, so raising the same month twice is one warning."""
    due = today + timedelta(days=settings.answer_within_days)
    return status.filter(pl.col("light").is_in(["yellow", "red"])).select(
        pl.lit("projects").alias("source"),
        pl.col("light_rule").replace_strict(DETECTORS, return_dtype=pl.String).alias("detector"),
        pl.lit("project").alias("subject_kind"),
        pl.col("id").alias("subject_id"),
        pl.col("name_zh").alias("subject_name"),
        pl.col("org_unit"),
        pl.col("responsible_unit"),
        pl.col("light").alias("level"),
        pl.col("reason"),
        pl.col("month").alias("period"),
        pl.lit(due, pl.Date).alias("due_date"),
    )
