"""/api/docs: Swagger UI served by the platform itself (the files the ``fastapi-offline`` package
ships: Swagger UI 5, which reads the OpenAPI 3.1 that FastAPI writes), so it works on an
intranet without a CDN, and started by a static script under the CSP."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/static/swagger-ui"
router = APIRouter(include_in_schema=False)


def mount_assets(app) -> None:
    """Serve the packaged Swagger UI files under ``ASSETS`` (cached like the other static files)."""
    app.mount(ASSETS, StaticFiles(directory=str(resources.files("fastapi_offline") / "static")), name="swagger-ui")


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> str:
    from .pages import render

    return render(request, "api_docs.html", {"assets": ASSETS, "openapi_url": request.app.openapi_url})
