"""/api/docs: Swagger UI served by the platform itself (from the ``swagger-ui-bundle`` package),
so it works on an intranet without a CDN, and started by a static script under the CSP."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

ASSETS = "/static/swagger-ui"
router = APIRouter(include_in_schema=False)


def mount_assets(app) -> None:
    """Serve the packaged Swagger UI files under ``ASSETS`` (cached like the other static files)."""
    app.mount(ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui")


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> str:
    from .pages import render

    return render(request, "api_docs.html", {"assets": ASSETS, "openapi_url": request.app.openapi_url})
