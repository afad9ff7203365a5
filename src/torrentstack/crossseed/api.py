"""The daemon's HTTP API on :2468, as cross-seed v6 answers it (seeds/cross-seed-http-api.md).

Every route but `/api/ping` needs the API key, in an `X-Api-Key` header or an `apikey` query
parameter (401 and the original's sentence otherwise). Bodies are JSON or form-encoded whatever
the Content-Type says (the original tries JSON, then a query string). Errors are plain text, as
the original's. Deliberate differences, documented in docs/crossseed.md: `/api/announce` takes a
`size` (the seed document lists it; v6 refuses it) and a `guid` that is not the `link` (v6
demands they be equal); a daemon with no searchee source answers 503, not 500.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from torrentstack.crossseed.searchee import Candidate

logger = logging.getLogger(__name__)

UNAUTHORIZED = "Specify the API key in an X-Api-Key header or an apikey query param."
JOBS = ("rss", "search", "updateIndexerCaps", "inject", "cleanup")
_HEX40 = re.compile(r"^[0-9a-fA-F]{40}$")
_WEBHOOK_FLAGS = (
    "ignoreCrossSeeds",
    "ignoreExcludeRecentSearch",
    "ignoreExcludeOlder",
    "ignoreBlockList",
    "includeSingleEpisodes",
    "includeNonVideos",
)
_MAX_BODY = 1 << 20


class BadRequest(Exception):
    """A payload the API refuses with 400 and this message."""


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    info_hash: str | None
    path: str | None
    flags: Mapping[str, bool]
    output_dir: str | None = None  # where this search's matches are saved (the document's)


@dataclass(frozen=True, slots=True)
class JobOutcome:
    status: int  # 200 started, 404 disabled, 409 running
    message: str


class Daemon(Protocol):
    """What the API calls; the runtime implements it."""

    async def announce(self, candidate: Candidate) -> tuple[int, str]: ...

    async def webhook(self, request: WebhookRequest) -> None: ...

    async def run_job(self, name: str, flags: Mapping[str, bool]) -> JobOutcome: ...

    def path_exists(self, path: str) -> bool: ...

    def status(self) -> dict[str, Any]: ...


def parse_body(raw: bytes) -> dict[str, Any]:
    """JSON if it is JSON, else a form/query string; anything else is a BadRequest."""
    if len(raw) > _MAX_BODY:
        raise BadRequest("Request body too large")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"Unable to parse request body: {raw[:200]!r}") from exc
    try:
        parsed: Any = json.loads(text)
    except ValueError:
        parsed = dict(parse_qsl(text, keep_blank_values=True))
    if not isinstance(parsed, dict):
        raise BadRequest(f'Unable to parse request body: "{text[:200]}"')
    return parsed


def _is_url(value: Any) -> bool:
    if not isinstance(value, str) or not value.strip():
        return False
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return False
    return bool(parts.scheme) and (bool(parts.netloc) or parts.scheme in ("magnet", "file"))


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def parse_announce(data: Mapping[str, Any]) -> Candidate:
    """The announce payload as a Candidate; the missing or bad fields named in a BadRequest."""
    allowed = {"name", "guid", "link", "tracker", "cookie", "size"}
    problems = sorted(k for k in data if k not in allowed)
    unknown = [f"unrecognized key {k}" for k in problems]
    name, tracker = _text(data, "name"), _text(data, "tracker")
    bad = [k for k, ok in (("name", name), ("tracker", tracker)) if not ok]
    bad += [k for k in ("guid", "link") if not _is_url(data.get(k))]
    size = data.get("size")
    parsed_size: int | None = None
    if size not in (None, ""):
        if isinstance(size, bool) or not isinstance(size, (int, float, str)):
            bad.append("size")
        else:
            try:
                parsed_size = int(float(size))
            except ValueError:
                bad.append("size")
            else:
                if parsed_size < 0:
                    bad.append("size")
    if bad or unknown:
        fields = ", ".join(sorted(bad) + unknown)
        raise BadRequest(
            f"Missing or invalid params: {{{fields}}} (name, guid, link and tracker are required;"
            " guid and link are URLs; size is a number of bytes)"
        )
    return Candidate(
        name=name or "",
        guid=str(data["guid"]).strip(),
        link=str(data["link"]).strip(),
        tracker=tracker or "",
        size=parsed_size or None,
    )


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value == "true"
    return None


def parse_webhook(data: Mapping[str, Any], exists: Callable[[str], bool]) -> WebhookRequest:
    allowed = {"infoHash", "path", "outputDir", *_WEBHOOK_FLAGS}
    message = (
        "A valid infoHash or an accessible path must be provided (infoHash is recommended: see "
        "https://www.cross-seed.org/docs/reference/api#post-apiwebhook)"
    )
    if any(k not in allowed for k in data):
        raise BadRequest(
            f"{message}: unrecognized key(s) {sorted(k for k in data if k not in allowed)}"
        )
    info_hash, path = data.get("infoHash"), data.get("path")
    flags: dict[str, bool] = {}
    for key in _WEBHOOK_FLAGS:
        if key in data:
            value = _flag(data[key])
            if value is None:
                raise BadRequest(f"{message}: {key} must be true or false")
            flags[key] = value
    if info_hash is not None and (not isinstance(info_hash, str) or not _HEX40.match(info_hash)):
        raise BadRequest(f"{message}: infoHash must be 40 hexadecimal characters")
    if path is not None and (not isinstance(path, str) or not path or not exists(path)):
        raise BadRequest(f"{message}: path does not exist")
    if (info_hash is None) == (path is None):
        raise BadRequest(f"{message}: give exactly one of infoHash and path")
    output_dir = data.get("outputDir")
    if output_dir is not None and (
        not isinstance(output_dir, str) or not output_dir.startswith("/")
    ):
        raise BadRequest(f"{message}: outputDir must be an absolute path")
    return WebhookRequest(
        info_hash.lower() if isinstance(info_hash, str) else None, path, flags, output_dir or None
    )


def crossseed_app(daemon: Daemon, api_key: Callable[[], str]) -> FastAPI:
    """The API app; `api_key` returns the key in force."""
    app = FastAPI(title="torrentstack cross-seed", docs_url="/docs", redoc_url=None)

    def authorized(request: Request) -> bool:
        given = request.headers.get("x-api-key")
        if given is None:
            given = request.query_params.get("apikey")
        key = api_key()
        ok = given is not None and hmac.compare_digest(given.encode(), key.encode())
        if not ok:
            logger.warning(
                "unauthorized API request to %s from %s",
                request.url.path,
                request.client.host if request.client else "?",
            )
        return ok

    def guarded(
        handler: Callable[[Request], Awaitable[Response]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            if not authorized(request):
                return PlainTextResponse(UNAUTHORIZED, status_code=401)
            try:
                return await handler(request)
            except BadRequest as exc:
                logger.info("%s: %s", request.url.path, exc)
                return PlainTextResponse(str(exc), status_code=400)
            except Exception:  # a client, indexer or database failing: retryable, never a 500
                logger.exception("%s failed", request.url.path)
                return PlainTextResponse(
                    "The request could not be completed now (see the daemon's log); retry later.",
                    status_code=503,
                )

        endpoint.__name__ = handler.__name__
        endpoint.__doc__ = handler.__doc__
        return endpoint

    async def body(request: Request) -> dict[str, Any]:
        return parse_body(await request.body())

    @app.get("/api/ping", response_class=PlainTextResponse)
    async def ping() -> str:
        """Liveness, without the API key."""
        return "OK"

    async def status(request: Request) -> Response:
        """The daemon's state: searchees, indexers, clients, jobs."""
        return Response(json.dumps(daemon.status()), media_type="application/json")

    async def announce(request: Request) -> Response:
        """An announced listing: 200 injected/saved/already there, 202 the local torrent is
        still downloading (retry), 204 nothing matches."""
        candidate = parse_announce(await body(request))
        code, state = await daemon.announce(candidate)
        logger.info("announce %s from %s: %s (%d)", candidate.name, candidate.tracker, state, code)
        return Response(status_code=code)

    async def webhook(request: Request) -> Response:
        """Search every indexer for one searchee (by info hash or path); 204 at once."""
        parsed = parse_webhook(await body(request), daemon.path_exists)
        await daemon.webhook(parsed)
        return Response(status_code=204)

    async def job(request: Request) -> Response:
        """Run a job ahead of schedule."""
        data = await body(request)
        name = data.get("name")
        if name not in JOBS or any(
            k not in ("name", "ignoreExcludeRecentSearch", "ignoreExcludeOlder") for k in data
        ):
            raise BadRequest(f"Invalid job name or parameters: {name!r} (one of {', '.join(JOBS)})")
        flags = {k: bool(_flag(v)) for k, v in data.items() if k != "name"}
        outcome = await daemon.run_job(str(name), flags)
        return PlainTextResponse(outcome.message, status_code=outcome.status)

    app.add_api_route("/api/status", guarded(status), methods=["GET"])
    app.add_api_route("/api/announce", guarded(announce), methods=["POST"], status_code=200)
    app.add_api_route("/api/webhook", guarded(webhook), methods=["POST"], status_code=204)
    app.add_api_route("/api/job", guarded(job), methods=["POST"])

    @app.exception_handler(StarletteHTTPException)
    async def plain_errors(request: Request, exc: StarletteHTTPException) -> Response:
        return PlainTextResponse(str(exc.detail), status_code=exc.status_code)

    return app
