"""Routing of `/api/v2/<scope>/<action>` with qBittorrent's checks, in qBittorrent's order.

1. A method other than GET/POST/HEAD: 405.
2. CSRF (Origin, else Referer, must name the Host) and Host-header validation: 401.
3. `auth/login` (POST only) is answered without a session; everything else needs one (403
   `Forbidden`) unless the client's address is exempt (loopback with `localhost_auth` off, or
   a whitelisted subnet).
4. Unknown endpoint: 404; a POST-only endpoint over GET: 405.
5. Parameters: the query string for GET/HEAD, only the form body (urlencoded or multipart) for
   POST.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from torrentstack.errors import DatabaseError
from torrentstack.qbittorrent.errors import ApiError
from torrentstack.qbittorrent.persona import Persona
from torrentstack.qbittorrent_api.auth import Authenticator, Session
from torrentstack.qbittorrent_api.responses import error, gzipped, text

logger = logging.getLogger(__name__)

COOKIE = "SID"
BANNED = "Your IP address has been banned after too many failed authentication attempts."
_ALL_METHODS = ["GET", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"]


@dataclass(frozen=True, slots=True)
class Call:
    """One API call as a handler sees it."""

    request: Request
    params: Mapping[str, str]
    files: Sequence[tuple[str, bytes]]  # uploaded (file name, content), POST multipart
    session: Session | None  # None for an exempt client
    ip: str


Handler = Callable[[Call], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Origins:
    """The CSRF and Host checks and what they allow."""

    csrf: bool = True
    host_validation: bool = True
    server_domains: str = "*"


class WebApi:
    """The qBittorrent WebUI API: handlers by "scope/action", served as one ASGI app."""

    def __init__(
        self, persona: Persona, auth: Authenticator, origins: Origins | None = None
    ) -> None:
        self.persona = persona
        self.auth = auth
        self.origins = origins or Origins()
        self.handlers: dict[str, Handler] = {}

    def add(self, endpoint: str, handler: Handler) -> None:
        self.handlers[endpoint] = handler

    def app(self, extra_routes: list[BaseRoute] | None = None) -> Starlette:
        routes: list[BaseRoute] = [
            Route("/api/v2/{scope}/{action}", self.dispatch, methods=_ALL_METHODS),
            *(extra_routes or []),
        ]
        return Starlette(routes=routes)

    async def dispatch(self, request: Request) -> Response:
        method = request.method
        if method not in ("GET", "POST", "HEAD"):
            return error(405)
        if self._cross_site(request):
            return error(401)
        endpoint = f"{request.path_params['scope']}/{request.path_params['action']}"
        ip = request.client.host if request.client else ""
        if endpoint == "auth/login":
            if method != "POST":
                return error(405)
            try:
                return await self._login(request, ip)
            except (MultiPartException, HTTPException) as exc:
                return _form_error(exc)
        session = self.auth.session(request.cookies.get(COOKIE))
        if session is None and self.auth.needs_login(ip):
            return error(403)
        handler = self.handlers.get(endpoint) if self.persona.endpoint_exists(endpoint) else None
        if endpoint == "auth/logout":
            handler = self._logout
        if handler is None:
            return error(404)
        if endpoint in self.persona.post_only and method != "POST":
            return error(405)
        try:
            params, files = await _parameters(request)
            reply = await handler(Call(request, params, files, session, ip))
        except ApiError as exc:
            return error(exc.status, exc.message)
        except (MultiPartException, HTTPException) as exc:
            return _form_error(exc)
        except DatabaseError as exc:  # a full disk, a database away: nothing was changed
            logger.warning("WebUI API %s: %s", endpoint, exc)
            return error(409, "The change could not be saved")
        except Exception:
            logger.exception("WebUI API %s failed", endpoint)
            return text("Internal Server Error", 500)
        return gzipped(reply, request)

    async def _login(self, request: Request, ip: str) -> Response:
        if self.auth.banned(ip):
            return error(403, BANNED)
        if self.auth.session(request.cookies.get(COOKIE)) is not None:
            return text("Ok.")
        params, _ = await _parameters(request)
        session = await self.auth.login(ip, params.get("username", ""), params.get("password", ""))
        if session == "banned":  # by attempts that were checked while this one waited
            return error(403, BANNED)
        if session == "failed":
            logger.info("WebUI login failed from %s", ip)
            return text("Fails.")
        reply = text("Ok.")
        reply.set_cookie(COOKIE, session.sid, path="/", httponly=True, samesite="strict")
        return reply

    async def _logout(self, call: Call) -> Response:
        if call.session is not None:
            self.auth.logout(call.session.sid)
        reply = text("")
        reply.set_cookie(COOKIE, "", path="/", expires=0)
        return reply

    def cross_site(self, request: Request) -> bool:
        """True when the CSRF or Host check refuses `request` (for routes beside the API)."""
        return self._cross_site(request)

    def _cross_site(self, request: Request) -> bool:
        """qBittorrent's `isCrossSiteRequest` and `validateHostHeader`: True means refuse."""
        host_header = request.headers.get("host", "")
        origins = self.origins
        if origins.csrf:
            source = request.headers.get("origin") or request.headers.get("referer")
            if source and _host_port(urlsplit(source).netloc) != _host_port(host_header):
                return True
        if origins.host_validation and host_header:
            host, port = _host_port(host_header)
            server = request.scope.get("server")
            if port is not None and server is not None and port != server[1]:
                return True
            if origins.server_domains.strip() != "*" and not _known_domain(
                host, origins.server_domains, server[0] if server else ""
            ):
                return True
        return False


def _form_error(exc: MultiPartException | HTTPException) -> Response:
    """A body that cannot be parsed: 400 (inside an app, starlette's `Request.form()` turns a
    multipart error into an HTTPException)."""
    if isinstance(exc, HTTPException):
        return error(exc.status_code, exc.detail)
    return error(400, str(exc))


def _host_port(netloc: str) -> tuple[str, int | None]:
    netloc = netloc.rsplit("@", 1)[-1].lower()
    if netloc.startswith("["):  # [v6]:port
        host, _, rest = netloc[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port_text = netloc.partition(":")
    try:
        return host, int(port_text) if port_text else None
    except ValueError:
        return host, -1


def _known_domain(host: str, domains: str, local_address: str) -> bool:
    if host == local_address.lower():
        return True
    return any(fnmatch.fnmatch(host, pattern.strip().lower()) for pattern in domains.split(";"))


async def _parameters(request: Request) -> tuple[Mapping[str, str], Sequence[tuple[str, bytes]]]:
    """Query string for GET/HEAD; form fields and uploaded files (by file name) for POST."""
    if request.method in ("GET", "HEAD"):
        return dict(request.query_params.items()), []
    params: dict[str, str] = {}
    files: list[tuple[str, bytes]] = []
    async with request.form(max_files=1000, max_fields=10000) as form:
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                files.append((value.filename or key, await value.read()))
            else:
                params[key] = value
    return params, files
