"""A guard against other web pages changing an MLflow store through ``mlflow server``.

MLflow's own security middleware refuses a foreign ``Origin`` on its API paths, but a request
without ``Origin`` passes, and browsers mark every request with ``Sec-Fetch-Site``: a
cross-site form post (``Sec-Fetch-Site: cross-site``) reached the viewer of ``netyard ui
mlflow`` and changed the store. ``CrossSiteGuard`` wraps the server's ASGI app and answers 403
to every request that may change state (any method but GET and HEAD, CORS preflights
included) from another site or another origin, as ``engine.sweeps``' guard does for
optuna-dashboard. Programs (MLflow's client, ``curl``) send neither header and pass.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

READ_METHODS = frozenset({"GET", "HEAD"})
# Sec-Fetch-Site values a browser sends for a page's requests to its own origin and for a
# URL the user typed or bookmarked.
OWN_FETCH_SITES = frozenset({"same-origin", "none"})

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable, Callable], Awaitable[None]]


def cross_site_refusal(method: str, headers: dict[str, str]) -> str | None:
    """Why a request is refused (``headers`` with lower-case names), or None when it passes."""
    method = method.upper()
    if method in READ_METHODS:
        return None
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site.lower() not in OWN_FETCH_SITES:
        return f"Cross-site {method} refused (Sec-Fetch-Site: {fetch_site})."
    origin = headers.get("origin")
    host = headers.get("host", "")
    if origin is not None and origin.lower() not in (f"http://{host}", f"https://{host}"):
        return f"Cross-origin {method} from {origin!r} refused."
    return None


class CrossSiteGuard:
    """ASGI middleware: ``cross_site_refusal`` answered with 403 and one line of text."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in scope.get("headers", [])
        }
        reason = cross_site_refusal(scope["method"], headers)
        if reason is None:
            await self.app(scope, receive, send)
            return
        body = (reason + "\n").encode()
        await send({
            "type": "http.response.start",
            "status": 403,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        })  # fmt: skip
        await send({"type": "http.response.body", "body": body})
