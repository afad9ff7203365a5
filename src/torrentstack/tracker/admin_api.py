"""The Torrust-compatible admin REST API: legacy `/api/...` paths and the `/api/v1/...` set.

Every route but the health check needs `?token=` with one of the configured access tokens.
Responses copy Torrust's JSON shapes and error texts; the one deliberate difference is that a
missing or wrong token gets 401 (Torrust answers 500), documented in docs/tracker.md.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from torrentstack.bittorrent.announce import unpack_endpoint
from torrentstack.bittorrent.peer_id import identify
from torrentstack.cache import CacheError
from torrentstack.errors import DatabaseError
from torrentstack.tracker.policy import KEY_LENGTH, AuthKey, generate_key, is_valid_key
from torrentstack.tracker.service import Tracker, event_name
from torrentstack.tracker.swarm import Peer, SwarmCounts

LEGACY_DEFAULT_LIMIT = 1000
MAX_LEGACY_LIMIT = 4000  # the legacy API caps `limit`; v1 does not
V1_DEFAULT_LIMIT = 4000
LEGACY_PEERS_SHOWN = 74
MAX_SECONDS_VALID = 100 * 365 * 86400  # Torrust panics on huge values; we refuse them

Handler = Callable[[Request], Awaitable[Response]]


def _ok() -> JSONResponse:
    return JSONResponse({"status": "ok"})


def _bad_request(message: str) -> PlainTextResponse:
    return PlainTextResponse(message, 400)


def _parse_info_hash(text: str) -> bytes | None:
    if len(text) != 40:
        return None
    try:
        return bytes.fromhex(text)
    except ValueError:
        return None


def _bad_info_hash(text: str) -> PlainTextResponse:
    return _bad_request(
        f'Invalid URL: invalid infohash param: string "{text}", expected a 40 character long string'
    )


async def _with_path_hash(request: Request, action: Callable[[bytes], Awaitable[None]]) -> Response:
    """Run `action` on the path's `{info_hash}`: `{"status":"ok"}`, or 400 when malformed."""
    text = request.path_params["info_hash"]
    info_hash = _parse_info_hash(text)
    if info_hash is None:
        return _bad_info_hash(text)
    await action(info_hash)
    return _ok()


def _counts(info_hash: bytes, counts: SwarmCounts) -> dict[str, Any]:
    return {
        "info_hash": info_hash.hex(),
        "seeders": counts.complete,
        "completed": counts.downloaded,
        "leechers": counts.incomplete,
    }


def _client_name(peer_id: bytes) -> str | None:
    found = identify(peer_id)
    return None if found is None else found.name


def _address(endpoint: bytes) -> str:
    ip, port = unpack_endpoint(endpoint)
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def _peer_v1(peer: Peer, now: float) -> dict[str, Any]:
    return {
        "peer_id": {"id": "0x" + peer.peer_id.hex(), "client": _client_name(peer.peer_id)},
        "peer_addr": _address(peer.endpoint),
        "updated": int(peer.updated * 1000),
        "updated_milliseconds_ago": max(int((now - peer.updated) * 1000), 0),
        "uploaded": peer.uploaded,
        "downloaded": peer.downloaded,
        "left": peer.left,
        "event": event_name(peer.event),
    }


def _peer_legacy(peer: Peer) -> list[dict[str, Any]]:
    return [
        {"id": peer.peer_id.hex(), "client": _client_name(peer.peer_id)},
        {
            "ip": _address(peer.endpoint),
            "updated": int(peer.updated),
            "uploaded": peer.uploaded,
            "downloaded": peer.downloaded,
            "left": peer.left,
            "event": event_name(peer.event),
        },
    ]


def _key_response(key: AuthKey, *, legacy: bool) -> JSONResponse:
    until = None if key.valid_until is None else int(key.valid_until)
    body: dict[str, Any] = {"key": key.key, "valid_until": until}
    if legacy:
        return JSONResponse(body)
    body["expiry_time"] = None if key.valid_until is None else _expiry_text(key.valid_until)
    return JSONResponse(body, media_type="application/json; charset=utf-8")


def _rejection(reason: str, status: int) -> PlainTextResponse:
    """Torrust's `Unhandled rejection` body; Torrust answers it 500 whatever the cause, we say
    what happened: 404 (no such key), 409 (a duplicate), 503 (the database is away)."""
    escaped = reason.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return PlainTextResponse(f'Unhandled rejection: Err {{ reason: "{escaped}" }}', status)


def _expiry_text(epoch: float) -> str:
    """chrono's `DateTime<Utc>` display, as Torrust prints `expiry_time`."""
    moment = datetime.fromtimestamp(epoch, UTC)
    fraction = f".{moment.microsecond:06d}" if moment.microsecond else ""
    return moment.strftime("%Y-%m-%d %H:%M:%S") + fraction + " UTC"


class AdminApi:
    """Builds the ASGI app of the admin API for one tracker."""

    def __init__(self, tracker: Tracker, tokens: Sequence[str]) -> None:
        self.tracker = tracker
        self.tokens = [t.encode() for t in tokens]

    def app(self) -> FastAPI:
        api = FastAPI(
            title="torrentstack tracker admin API (Torrust-compatible)",
            docs_url="/api/docs",
            redoc_url=None,
            openapi_url="/api/openapi.json",
        )
        api.add_api_route("/api/health_check", self.health_check, methods=["GET"])
        routes: list[tuple[str, str, Handler]] = []
        for prefix, legacy in (("/api", True), ("/api/v1", False)):
            routes += [
                ("GET", f"{prefix}/stats", self.stats),
                ("GET", f"{prefix}/torrents", self._torrents(legacy)),
                ("GET", f"{prefix}/torrent/{{info_hash}}", self._torrent(legacy)),
                ("GET", f"{prefix}/whitelist/reload", self.whitelist_reload),
                ("POST", f"{prefix}/whitelist/{{info_hash}}", self.whitelist_add),
                ("DELETE", f"{prefix}/whitelist/{{info_hash}}", self.whitelist_remove),
                ("POST", f"{prefix}/key/{{seconds_valid}}", self._key_generate(legacy)),
                ("DELETE", f"{prefix}/key/{{key}}", self._key_delete(legacy)),
                ("GET", f"{prefix}/keys/reload", self.keys_reload),
            ]
        routes.append(("POST", "/api/v1/keys", self.keys_add))
        for method, path, handler in routes:
            api.add_api_route(path, self._authenticated(handler), methods=[method])
        return api

    def _token(self, request: Request) -> str | None:
        """The token from `Authorization: Bearer` (newer Torrust; wins) or `?token=`."""
        header = request.headers.get("authorization")
        if header is not None and (header == "Bearer" or header.startswith("Bearer ")):
            return header[len("Bearer ") :]
        return request.query_params.get("token")

    def _authenticated(self, handler: Handler) -> Handler:
        async def guarded(request: Request) -> Response:
            # The check comes first: Torrust's legacy API ran the action before it (a hole).
            token = self._token(request)
            if token is None:
                return _unauthorized("unauthorized")
            given = token.encode()
            if not any(hmac.compare_digest(given, known) for known in self.tokens):
                return _unauthorized("token not valid")
            try:
                return await handler(request)
            except DatabaseError as exc:
                return _rejection(f"database error: {exc}", 503)
            except CacheError as exc:
                return _rejection(f"swarm store unavailable: {type(exc).__name__}", 503)

        guarded.__name__ = handler.__name__
        guarded.__doc__ = handler.__doc__
        return guarded

    async def health_check(self) -> JSONResponse:
        """Report that the API answers (no token needed)."""
        return JSONResponse({"status": "Ok"})

    async def stats(self, request: Request) -> Response:
        """Tracker-wide torrent/peer totals and request counters."""
        totals = await self.tracker.store.totals()
        body = {
            "torrents": totals.torrents,
            "seeders": totals.seeders,
            "completed": totals.completed,
            "leechers": totals.leechers,
            **self.tracker.counters.as_dict(),
        }
        return JSONResponse(body)

    def _torrents(self, legacy: bool) -> Handler:
        async def torrents(request: Request) -> Response:
            """List tracked torrents by info hash (offset/limit, or repeated `info_hash`)."""
            params = request.query_params
            store = self.tracker.store
            wanted = [] if legacy else params.getlist("info_hash")
            if wanted:  # v1: pagination ignored, request order, unknown skipped
                hashes = []
                for text in wanted:
                    info_hash = _parse_info_hash(text)
                    if info_hash is None:
                        return _bad_info_hash(text)
                    hashes.append(info_hash)
                found = await store.scrape(hashes)
                rows = [_counts(h, c) for h, c in zip(hashes, found, strict=True) if c is not None]
                return JSONResponse(rows)
            offset = _count_param(params.get("offset"), 0)
            limit = _count_param(
                params.get("limit"), LEGACY_DEFAULT_LIMIT if legacy else V1_DEFAULT_LIMIT
            )
            if offset is None or limit is None:
                return _bad_request(
                    "Invalid query string"
                    if legacy
                    else "Failed to deserialize query string: invalid digit found in string"
                )
            if legacy:
                limit = min(limit, MAX_LEGACY_LIMIT)
            listed = await store.torrents(offset, limit)
            return JSONResponse([_counts(h, c) for h, c in listed])

        return torrents

    def _torrent(self, legacy: bool) -> Handler:
        async def torrent(request: Request) -> Response:
            """One torrent's counts and peers (ordered by peer id)."""
            text = request.path_params["info_hash"]
            info_hash = _parse_info_hash(text)
            if info_hash is None:
                return _bad_info_hash(text)
            found = await self.tracker.store.torrent(info_hash)
            if found is None:  # no swarm now: known still if its completed count is on record
                completed = self.tracker.completed.get(info_hash)
                if not completed:
                    return JSONResponse("torrent not known")
                found = (SwarmCounts(0, 0, completed), [])
            counts, peers = found
            peers.sort(key=lambda p: p.peer_id)
            body = _counts(info_hash, counts)
            if legacy:
                body["peers"] = [_peer_legacy(p) for p in peers[:LEGACY_PEERS_SHOWN]]
            else:
                now = self.tracker.clock()
                body["peers"] = [_peer_v1(p, now) for p in peers]
            return JSONResponse(body)

        return torrent

    async def whitelist_add(self, request: Request) -> Response:
        """Add a hash to the whitelist (used in `listed` and `private_listed` modes)."""
        return await _with_path_hash(request, self.tracker.whitelist_add)

    async def whitelist_remove(self, request: Request) -> Response:
        """Remove a hash from the whitelist (a hash not listed is fine, as in Torrust v1)."""
        return await _with_path_hash(request, self.tracker.whitelist_remove)

    async def whitelist_reload(self, request: Request) -> Response:
        """Reload the whitelist from the database."""
        await self.tracker.whitelist_reload()
        return _ok()

    def _key_generate(self, legacy: bool) -> Handler:
        async def key_generate(request: Request) -> Response:
            """Make a random key valid for `seconds_valid` seconds (deprecated in Torrust v1)."""
            text = request.path_params["seconds_valid"]
            seconds = _count_param(text, None)
            if seconds is None or seconds > MAX_SECONDS_VALID:
                return _bad_request(f'Invalid URL: Cannot parse `"{text}"` to a `u64`')
            key = AuthKey(generate_key(), self.tracker.clock() + seconds)
            if not await self.tracker.key_add(key):
                return _rejection("failed to generate key: duplicate key", 409)
            return _key_response(key, legacy=legacy)

        return key_generate

    async def keys_add(self, request: Request) -> Response:
        """Add a key from `{"key": null|KEY, "seconds_valid": null|N}` (null: random/permanent)."""
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json" and not content_type.endswith("+json"):
            return PlainTextResponse("Expected request with `Content-Type: application/json`", 415)
        raw = await request.body()
        if len(raw) > MAX_JSON_BODY:
            return PlainTextResponse(
                "Failed to buffer the request body: length limit exceeded", 413
            )
        body, error = read_json(raw)
        if error is not None:
            return _bad_request(f"Failed to parse the request body as JSON: {error}")
        problem = _key_form_problem(body)
        if problem is not None:
            return PlainTextResponse(
                f"Failed to deserialize the JSON body into the target type: {problem}", 422
            )
        given, seconds = body["key"], body["seconds_valid"]
        if given is not None and not is_valid_key(given):
            reason = (
                "Invalid key length. Key must be have 32 chars"
                if len(given) != KEY_LENGTH
                else "Invalid chars for key. Key can only alphanumeric chars (0-9, a-z, A-Z)"
            )
            return _bad_request(f'Invalid URL: invalid auth key: string "{given}", {reason}')
        if seconds is not None and seconds > MAX_SECONDS_VALID:
            return _bad_request(f'Invalid URL: invalid auth key duration: "{seconds}"')
        until = None if seconds is None else self.tracker.clock() + seconds
        key = AuthKey(given if given is not None else generate_key(), until)
        if not await self.tracker.key_add(key):
            return _rejection("failed to generate key: UNIQUE constraint failed: keys.key", 409)
        return _key_response(key, legacy=False)

    def _key_delete(self, legacy: bool) -> Handler:
        async def key_delete(request: Request) -> Response:
            """Delete a key, revoking it at once."""
            key = request.path_params["key"]
            if not legacy and not is_valid_key(key):
                return _bad_request(f'Invalid auth key id param "{key}"')
            if not await self.tracker.key_remove(key):
                return _rejection("failed to delete key: no such key", 404)
            return _ok()

        return key_delete

    async def keys_reload(self, request: Request) -> Response:
        """Reload keys from the database."""
        await self.tracker.keys_reload()
        return _ok()


MAX_JSON_BODY = 64 * 1024  # a key form is a few dozen bytes


def read_json(raw: bytes) -> tuple[Any, str | None]:
    """Parse a JSON body; (value, None), or (None, what is wrong) for any bad input.

    Beyond syntax errors: nesting too deep for the parser (RecursionError) and integers over
    Python's digit limit (ValueError) are bad input too, answered 400 rather than 500.
    """
    try:
        value = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return None, str(exc)
    except RecursionError:
        return None, "recursion limit exceeded"
    except ValueError:
        return None, "number out of range"
    if _has_lone_surrogate(value):  # "\\ud800" is valid JSON but no string of Unicode text
        return None, "lone surrogate in hex escape"
    return value, None


def _has_lone_surrogate(value: object) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
    return False


def _unauthorized(reason: str) -> PlainTextResponse:
    # Torrust answers these with 500; a clean 401 is the documented difference.
    return PlainTextResponse(f'Unhandled rejection: Err {{ reason: "{reason}" }}', 401)


def _count_param(text: str | None, default: int | None) -> int | None:
    """Parse an unsigned decimal query value; absent/empty means `default`, bad means None."""
    if text is None or text == "":
        return default
    if not text.isascii() or not text.isdigit() or len(text) > 20:
        return None
    return int(text)


def _key_form_problem(body: object) -> str | None:
    """What serde would say about a key form that is not `{key: str|null, seconds_valid: u64|null}`."""
    if not isinstance(body, dict):
        return "invalid type: expected struct AddKeyForm"
    for field in ("key", "seconds_valid"):
        if field not in body:
            return f"missing field `{field}`"
    key, seconds = body["key"], body["seconds_valid"]
    if key is not None and not isinstance(key, str):
        return f"key: invalid type: {json.dumps(key)}, expected a string"
    if seconds is not None and (
        isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0
    ):
        return f"seconds_valid: invalid type: {json.dumps(seconds)}, expected u64"
    return None
