"""JSON API under /api/v1: the same functions as the pages and the CLI, the same scopes."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from ..access import User
from ..render import clean
from .params import YearQuery
from .security import current_user, platform, require, scope
from .views import DEFAULT_YEAR, evaluation

router = APIRouter(prefix="/api/v1", tags=["api"])
EVALUATION_KEYS = ("plan", "indicator", "name_zh", "org_unit", "year", "actual", "achieved_growth",
                   "implied_growth", "required_growth", "progress", "time_elapsed", "projected_value",
                   "status", "status_zh", "explanation")


@router.get("/me")
def me(user: User = Depends(current_user)) -> dict:
    """The signed-in account: role and scope."""
    return {"username": user.username, "display_name": user.display_name, "role": user.role,
            "role_zh": user.role_zh, "org_unit": user.org_unit, "uscc": user.uscc}


@router.get("/plans")
def plans(request: Request, user: User = Depends(current_user)) -> list[dict]:
    """Every plan and its indicators (the catalog)."""
    require(user, "view_plans")
    catalog = platform(request).catalog
    return [{"id": p.id, "title": p.title, "doc_number": p.doc_number, "period": list(p.period),
             "org_unit": p.org_unit, "indicators": [i.id for i in p.indicators]} for p in catalog.plans]


@router.get("/evaluation")
def evaluate(request: Request, year: YearQuery = DEFAULT_YEAR, org_unit: str | None = None,
             user: User = Depends(current_user)) -> list[dict]:
    """One row per indicator for an org unit within the user's scope (as of ``year``)."""
    require(user, "view_plans")
    p = platform(request)
    frame = evaluation(p.engine, p.catalog, scope(request, user), year=year, org_unit=org_unit)
    return [{k: clean(row[k]) for k in EVALUATION_KEYS} for row in frame.iter_rows(named=True)]
