"""`/healthz`, which every listener answers: the service's name, version and database state."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from torrentstack import __version__

DatabaseCheck = Callable[[], Awaitable[str]]  # "ok", or what is wrong ("unavailable" ...)


def health_app(service: str, database_ok: DatabaseCheck) -> Starlette:
    """Return the ASGI app of a service listener: `/healthz` reports the service and database."""

    async def healthz(_request: Request) -> JSONResponse:
        database = await database_ok()
        healthy = database == "ok"
        body = {
            "status": "ok" if healthy else "degraded",
            "service": service,
            "version": __version__,
            "database": database,
        }
        return JSONResponse(body, status_code=200 if healthy else 503)

    return Starlette(routes=[Route("/healthz", healthz, methods=["GET", "HEAD"])])


def with_healthz(app: ASGIApp, health: ASGIApp) -> ASGIApp:
    """Answer `/healthz` from `health`, everything else from `app`."""

    async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
        target = health if scope["type"] == "http" and scope["path"] == "/healthz" else app
        await target(scope, receive, send)

    return dispatch
