"""optuna-dashboard on loopback behind a guard against other web pages.

optuna-dashboard checks neither the Host nor the Origin of a request, so any page a user
visits could read studies through DNS rebinding or create and delete them with cross-origin
requests. ``LoopbackGuard`` wraps its WSGI app the way MLflow's security middleware guards
``mlflow server``: only the loopback address and port are accepted as Host, a request from
another origin and every CORS preflight is refused, and requests that change state are refused
unless the dashboard was started with writes allowed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

READ_METHODS = frozenset({"GET", "HEAD"})
# Sec-Fetch-Site values a browser sends for the dashboard's own pages and for a typed URL.
OWN_FETCH_SITES = frozenset({"same-origin", "none"})

WSGIApp = Callable[[dict[str, Any], Callable], Iterable[bytes]]


def loopback_hosts(port: int) -> frozenset[str]:
    """The Host header values that name this server: loopback by address or name, on ``port``."""
    return frozenset(f"{name}:{port}" for name in ("127.0.0.1", "localhost", "[::1]"))


class LoopbackGuard:
    """WSGI middleware: refuse foreign hosts and origins, preflights and (by default) writes."""

    def __init__(self, app: WSGIApp, port: int, allow_writes: bool = False) -> None:
        self.app = app
        self.hosts = loopback_hosts(port)
        self.origins = frozenset(f"http://{host}" for host in self.hosts)
        self.allow_writes = allow_writes

    def refusal(self, environ: dict[str, Any]) -> str | None:
        """Why the request is refused, or None when it may reach the dashboard."""
        host = environ.get("HTTP_HOST", "").lower()
        if host not in self.hosts:
            return f"Invalid Host header {host!r}: this dashboard answers only on loopback."
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if method == "OPTIONS":
            return "Cross-origin requests are not allowed."
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and origin.lower() not in self.origins:
            return f"Cross-origin request from {origin!r} refused."
        if method in READ_METHODS:
            return None
        fetch_site = environ.get("HTTP_SEC_FETCH_SITE")
        if fetch_site is not None and fetch_site.lower() not in OWN_FETCH_SITES:
            return f"Cross-site {method} refused (Sec-Fetch-Site: {fetch_site})."
        if not self.allow_writes:
            return (
                f"The dashboard is read-only: {method} refused; "
                "start it with `netyard ui optuna --allow-writes` to edit studies."
            )
        return None

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        reason = self.refusal(environ)
        if reason is None:
            return self.app(environ, start_response)
        body = (reason + "\n").encode()
        start_response(
            "403 Forbidden",
            [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
        )
        return [body]


def dashboard_server(storage: Any, port: int = 0, allow_writes: bool = False) -> Any:
    """optuna-dashboard bound to 127.0.0.1:``port`` (0: a free one) behind the guard.

    The socket is bound before this returns, so the URL printed from ``server_port`` already
    accepts connections; call ``serve_forever()`` on the result.
    """
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from optuna_dashboard import wsgi

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = make_server("127.0.0.1", port, lambda environ, start: [], handler_class=QuietHandler)
    server.set_app(LoopbackGuard(wsgi(storage), server.server_port, allow_writes=allow_writes))
    return server
