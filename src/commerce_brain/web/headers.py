"""Security headers on every answer, as one pure ASGI middleware (no per-request task or body
copy, unlike ``BaseHTTPMiddleware``).

The Content-Security-Policy allows scripts only from the platform's own files (no inline
script, no ``on…=`` attributes, no eval), nothing from other sites, and no framing. Inline
``style`` attributes stay allowed: status colours are set in place, ECharts styles the SVG it
draws, and a style cannot run code. The charts' data rides in ``<script type="application/json">``
blocks, which the browser never runs, so they need no exception either. Every answer that is not a static file is ``Cache-Control: no-store``: pages
and API answers carry money and enterprise data that must not stay in a shared or browser cache.
"""

from __future__ import annotations

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "referrer-policy": "same-origin",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",  # frame-ancestors for browsers that predate it
}
STATIC_PREFIXES = ("/static/",)


class SecurityHeaders:
    """Adds ``SECURITY_HEADERS`` to every HTTP answer and ``Cache-Control: no-store`` to every
    answer outside ``STATIC_PREFIXES``; a header the route set itself is kept."""

    def __init__(self, app, static_prefixes: tuple[str, ...] = STATIC_PREFIXES) -> None:
        self.app = app
        self.static_prefixes = static_prefixes
        self._encoded = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = list(self._encoded)
        if not scope["path"].startswith(self.static_prefixes):
            wanted.append((b"cache-control", b"no-store"))

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in wanted if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
