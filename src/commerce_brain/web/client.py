"""Where a request comes from and whether it arrived over HTTPS.

Behind a reverse proxy the peer is the proxy, and the browser's address and scheme are in
``X-Forwarded-For`` and ``X-Forwarded-Proto``. Anyone can send those headers, so they are read
only when the platform is told it sits behind a proxy (``COMMERCE_BRAIN_TRUST_PROXY=1`` or
``serve --trust-proxy``), and then only the entry the proxy itself appended (the last one).
"""

from __future__ import annotations

from fastapi import Request


def _platform(request: Request):
    return request.app.state.platform


def _forwarded(request: Request, header: str) -> str | None:
    """The last value of a forwarding header, when the proxy is trusted."""
    if not _platform(request).trust_proxy:
        return None
    values = [v.strip() for v in request.headers.get(header, "").split(",") if v.strip()]
    return values[-1] if values else None


def client_address(request: Request) -> str:
    """The browser's address, for the per-address sign-in limit."""
    forwarded = _forwarded(request, "x-forwarded-for")
    if forwarded:
        return forwarded
    return request.client.host if request.client else "unknown"


def served_over_https(request: Request) -> bool:
    """True when the browser talks HTTPS to the platform (directly or to the trusted proxy)."""
    scheme = _forwarded(request, "x-forwarded-proto") or request.url.scheme
    return scheme.lower() == "https"


def secure_cookies(request: Request) -> bool:
    """Cookies get ``Secure`` over HTTPS, and always when the operator asked for it."""
    return _platform(request).secure_cookies or served_over_https(request)
