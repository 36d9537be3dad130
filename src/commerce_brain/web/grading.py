"""亩均效益评价 on the web: the grading table with its filters and the class distribution per
county, an enterprise's score card, the leading-50 lists, and a competitive allocation's result
with its trade-offs. Chinese pages over the functions the CLI and the API call."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
