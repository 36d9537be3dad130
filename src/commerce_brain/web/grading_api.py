"""``/api/v1/grading/…``: the same evaluation, re-grading, leading lists and allocation as the
CLI and the pages, for scripts (English keys, Chinese ``detail`` on errors)."""

from __future__ import annotations

from fastapi import APIRouter

api = APIRouter(prefix="/api/v1/grading", tags=["亩均效益评价 grading"])
