"""Request-body limits at the edge: 413 as soon as a body passes its route's limit.

A pure ASGI middleware (not ``BaseHTTPMiddleware``, which would buffer the body): a declared
``Content-Length`` past the limit is answered before a byte of the body is read, and the bytes
actually received are counted as they stream in, so a chunked upload without a length is cut
off at the limit too rather than being spooled whole. The answer is a Chinese page for pages
and JSON for ``/api``.
"""

from __future__ import annotations

import json
import re

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..settings import MB, UploadLimits

# (method, path pattern, the UploadLimits field in MB); the first match wins, else form_mb.
ROUTE_LIMITS = [
    ("POST", re.compile(r"^/(imports/(preview|confirm)|api/v1/imports/actuals|api/v1/fdi/imports|fdi/import)$"), "actuals_mb"),
    # Project reports: a city's monthly list is tiny; 数据导入's limit is ample.
    ("POST", re.compile(r"^/(project-imports/(preview|confirm)|api/v1/projects/imports)$"), "actuals_mb"),
    ("POST", re.compile(r"^/(claims/new|api/v1/claims)$"), "claim_mb"),
    # A pot's applications: a list like any imported table.
    ("POST", re.compile(r"^/(grading/allocations|api/v1/grading/allocations)$"), "actuals_mb"),
    ("POST", re.compile(r"^/enterprise-imports/(preview|confirm)$"), "enterprise_mb"),
    ("POST", re.compile(r"^/(awards/\d+/assess|api/v1/awards/\d+/assessment|warnings/\d+/action"
                        r"|api/v1/warnings/\d+/action)$"), "evidence_mb"),
]


class BodyTooLarge(HTTPException):
    """The request body passed its route's limit (413); ``limit_mb`` is that limit."""

    def __init__(self, limit_mb: int):
        super().__init__(status_code=413, detail=too_large_message(limit_mb))
        self.limit_mb = limit_mb


def too_large_message(limit_mb: int) -> str:
    return f"上传的内容过大：此处上限为 {limit_mb} MB，请拆分或压缩后再上传"


def limit_mb(limits: UploadLimits, method: str, path: str) -> int:
    """The body limit in MB for a request to ``path``."""
    for route_method, pattern, field in ROUTE_LIMITS:
        if method == route_method and pattern.match(path):
            return getattr(limits, field)
    return limits.form_mb


class BodyLimitMiddleware:
    """Answer 413 once a request's body passes ``limit_mb`` for its route."""

    def __init__(self, app: ASGIApp, limits: UploadLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        allowed_mb = limit_mb(self.limits, scope["method"], scope["path"])
        allowed = allowed_mb * MB
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > allowed:
            await too_large_response(scope, allowed_mb)(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > allowed:
                    raise BodyTooLarge(allowed_mb)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            # Raised where no handler turned it into the page (outside FastAPI's routes).
            if started:
                raise
            await too_large_response(scope, allowed_mb)(scope, receive, send)


def too_large_response(scope: Scope, allowed_mb: int):
    """The 413 answer: JSON for the API, a Chinese page otherwise."""
    from starlette.responses import HTMLResponse, Response

    message = too_large_message(allowed_mb)
    if scope["path"].startswith("/api/"):
        body = json.dumps({"detail": message + f" request body too large (limit {allowed_mb} MB)"},
                          ensure_ascii=False)
        return Response(body, status_code=413, media_type="application/json",
                        headers={"Connection": "close"})
    from .pages import render_plain

    return HTMLResponse(render_plain("too_large.html", {"message": message}), status_code=413,
                        headers={"Connection": "close"})
