"""Build the web app in one function: the CLI, the server and the tests all call ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass
import threading
from functools import cached_property
from importlib import resources

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..catalog import Catalog, load_catalog
from ..settings import Settings
from ..store.schema import connect
from .errors import API_ERRORS, BUSY, error_page, http_error, is_api, validation_failed
from .headers import SecurityHeaders
from .replica import ReplicaReader, replica_engine
from .security import Forbidden, NotSignedIn
from .upload_files import ImportsBusy
from .upload_limits import BodyLimitMiddleware, BodyTooLarge, too_large_response


@dataclass
class Platform:
    """What every request needs: the store and the catalogs, loaded once per process."""

    settings: Settings
    secure_cookies: bool = False
    # Read X-Forwarded-For / X-Forwarded-Proto (see web/client.py): only behind a reverse proxy.
    trust_proxy: bool = False

    @cached_property
    def engine(self) -> Engine:
        """The primary: sessions, sign-in, CSRF and every write (and every read without a replica)."""
        return connect(self.settings.database_url)

    @cached_property
    def replica(self) -> ReplicaReader | None:
        """The read replica, when one is configured, with the primary to fall back on."""
        if not self.settings.replica_url:
            return None
        self.engine  # the primary's migrations first: they reach the replica by replication
        return ReplicaReader(replica_engine(self.settings.replica_url), self.engine)

    @property
    def reader(self) -> Engine:
        """Where the monitoring pages (cockpit, 大屏, indicator pages) read their data: the read
        replica when one is configured and answers, else the primary. Never for sessions or
        writes: a user just signed in must not look signed out because the replica lags."""
        return self.replica.engine() if self.replica is not None else self.engine

    @cached_property
    def parse_slots(self) -> threading.BoundedSemaphore:
        """Turns for parsing an upload (``UploadLimits.parallel_parses`` in this process)."""
        return threading.BoundedSemaphore(self.settings.uploads.parallel_parses)

    @cached_property
    def catalog(self) -> Catalog:
        return load_catalog()

    @cached_property
    def lint_findings(self):
        """Plan-lint findings: the catalog does not change while the app runs."""
        from ..indicators.lint import lint_catalog

        return lint_catalog(self.catalog)


def create_app(settings: Settings | None = None, *, secure_cookies: bool = False,
               trust_proxy: bool = False) -> FastAPI:
    """The whole web platform for ``settings`` (the environment's by default)."""
    from . import fdi as fdi_pages
    from . import grading as grading_pages
    from . import grading_api
    from . import library as library_pages
    from . import orders_api
    from . import orders as order_pages
    from . import (accounts, api, api_docs, assessments, awards, calculator, claims, enterprise_imports, imports,
                   imports_api, pages, project_imports, projects, projects_api, warning_pages, warnings_api)
    from . import home, notices
    from . import market as market_pages
    from . import matches
    from . import rules as rule_pages
    from . import supply as supply_pages
    from . import trade as trade_pages

    app = FastAPI(title="商务大脑 Commerce Brain", version="0.1.0", docs_url=None,
                  openapi_url="/api/v1/openapi.json", redoc_url=None,
                  responses=API_ERRORS)
    app.state.platform = Platform(settings or Settings.from_env(), secure_cookies=secure_cookies,
                                  trust_proxy=trust_proxy)
    app.add_middleware(BodyLimitMiddleware, limits=app.state.platform.settings.uploads)
    static = resources.files("commerce_brain.web") / "static"
    # The Swagger UI files first: a mount answers for everything under its path.
    api_docs.mount_assets(app)
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    app.include_router(api_docs.router)
    app.include_router(accounts.router)
    app.include_router(api.router)
    app.include_router(awards.router)
    app.include_router(assessments.router)
    app.include_router(claims.router)
    app.include_router(imports.router)
    app.include_router(imports_api.router)
    app.include_router(enterprise_imports.router)
    app.include_router(pages.router)
    app.include_router(rule_pages.router)
    app.include_router(calculator.router)
    app.include_router(matches.router)
    app.include_router(notices.router)
    app.include_router(home.router)
    app.include_router(fdi_pages.router)
    app.include_router(orders_api.api)
    app.include_router(warnings_api.router)
    app.include_router(warning_pages.router)
    app.include_router(market_pages.router)
    app.include_router(supply_pages.router)
    app.include_router(order_pages.router)
    app.include_router(trade_pages.router)
    app.include_router(grading_pages.router)
    app.include_router(grading_api.api)
    app.include_router(library_pages.router)
    app.include_router(projects.router)
    app.include_router(project_imports.router)
    # Before the projects' API: /api/v1/projects/imports is not a project's id.
    app.include_router(project_imports.api)
    app.include_router(projects_api.api)
    app.add_middleware(SecurityHeaders)

    app.add_exception_handler(RequestValidationError, validation_failed)
    app.add_exception_handler(StarletteHTTPException, http_error)

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "未登录"}
, status_code=401)
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(exc)}, status_code=403)
        return await error_page(request, 403, str(exc))

    @app.exception_handler(ImportsBusy)
    async def imports_busy(request: Request, exc: ImportsBusy):
        if is_api(request):
            return JSONResponse({"detail": BUSY}, status_code=503, headers={"Retry-After": "30"})
        return HTMLResponse(pages.render_plain("busy.html", {}), status_code=503, headers={"Retry-After": "30"})

    @app.exception_handler(BodyTooLarge)
    async def body_too_large(request: Request, exc: BodyTooLarge):
        return too_large_response(request.scope, exc.limit_mb)

    return app


def app_from_env() -> FastAPI:
    """The app as ``commerce-brain serve`` starts it in each worker, from the environment."""
    import os

    return create_app(secure_cookies=bool(os.environ.get("COMMERCE_BRAIN_SECURE_COOKIES")),
                      trust_proxy=bool(os.environ.get("COMMERCE_BRAIN_TRUST_PROXY")))
