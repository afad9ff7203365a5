"""The HTTP tracker front end: a raw ASGI app for `/announce[/KEY]` and `/scrape[/KEY]`.

Raw ASGI rather than Starlette routes: the announce path is the hot path, and its query must be
read as bytes (`info_hash` and `peer_id` are binary). Every failure is a bencoded `failure reason`
with status 200, as clients expect; other paths go to the `fallback` app (`/healthz`).
"""

from __future__ import annotations

import ipaddress
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from torrentstack.bittorrent.announce import EndpointError, pack_endpoint
from torrentstack.bittorrent.tracker_http import (
    TrackerRequestError,
    encode_announce,
    encode_failure,
    encode_scrape,
    parse_announce_query,
    parse_scrape_query,
)
from torrentstack.tracker.memory_store import MemorySwarmStore
from torrentstack.tracker.policy import REASON_BAD_KEY, TrackerMode, is_valid_key
from torrentstack.tracker.service import Rejected, Tracker

logger = logging.getLogger(__name__)

_HEADERS = [(b"content-type", b"text/plain; charset=utf-8"), (b"cache-control", b"no-cache")]
_HEALTH = b'{"status":"Ok"}'
_INLINE_MODES = (TrackerMode.PUBLIC, TrackerMode.LISTED)


class _ClientAddressError(Exception):
    """No usable client address (a reverse proxy that sent no X-Forwarded-For)."""


def _split_key(path: str, prefix: str) -> tuple[bool, str | None]:
    """Match `/prefix` or `/prefix/KEY`; return (matched, key)."""
    if path == prefix:
        return True, None
    if path.startswith(prefix + "/"):
        key = path[len(prefix) + 1 :].rstrip("/")
        return ("/" not in key), (key or None)
    return False, None


class TrackerHttpApp:
    """ASGI app serving announce and scrape for one `Tracker`."""

    def __init__(self, tracker: Tracker, fallback: ASGIApp) -> None:
        self.tracker = tracker
        self.fallback = fallback
        settings = tracker.settings
        self.on_reverse_proxy = settings.on_reverse_proxy
        self.inline_store = isinstance(tracker.store, MemorySwarmStore)
        self.external_ip = (
            ipaddress.ip_address(settings.external_ip).packed if settings.external_ip else None
        )

    def runs_inline(self, scope: Scope) -> bool:
        """Tell `http1` this request never waits: announce/scrape on the in-memory swarm
        without a registry lookup (public and listed modes)."""
        path: str = scope["path"]
        return (
            self.inline_store
            and self.tracker.policy.mode in _INLINE_MODES
            and (path.startswith("/announce") or path.startswith("/scrape"))
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.fallback(scope, receive, send)
            return
        path: str = scope["path"]
        matched, key = _split_key(path, "/announce")
        if matched:
            body = await self._announce(scope, key)
        else:
            matched, key = _split_key(path, "/scrape")
            if matched:
                body = await self._scrape(scope, key)
            elif path == "/health_check":
                await _reply(send, _HEALTH, [(b"content-type", b"application/json")])
                return
            else:
                await self.fallback(scope, receive, send)
                return
        await _reply(send, body, _HEADERS)

    def _client_ip(self, scope: Scope) -> bytes:
        if self.on_reverse_proxy:
            forwarded = b""
            for name, value in scope["headers"]:
                if name == b"x-forwarded-for":
                    forwarded = value
            text = forwarded.rsplit(b",", 1)[-1].strip().decode("latin-1")
            if not text:
                raise _ClientAddressError("missing or invalid the right most X-Forwarded-For IP")
        else:
            client = scope.get("client")
            if not client:
                raise _ClientAddressError("unknown client address")
            text = client[0]
        try:
            packed = pack_endpoint(text, 0)[:-2]  # IPv4-mapped IPv6 becomes IPv4, zones go
        except EndpointError:
            raise _ClientAddressError(
                "missing or invalid the right most X-Forwarded-For IP"
            ) from None
        if self.external_ip is not None and _is_loopback(packed):
            packed = self.external_ip
        return packed

    async def _announce(self, scope: Scope, key: str | None) -> bytes:
        tracker = self.tracker
        if key is not None and not is_valid_key(key):
            return encode_failure(REASON_BAD_KEY)  # in every mode, as Torrust
        try:
            ip = self._client_ip(scope)
            request = parse_announce_query(scope["query_string"])
        except (TrackerRequestError, _ClientAddressError) as exc:
            return encode_failure(str(exc))
        transport = "tcp4" if len(ip) == 4 else "tcp6"
        tracker.counters.count(transport, "connections")
        tracker.counters.count(transport, "announces")
        announce = request.announce
        result = await tracker.announce(
            announce,
            endpoint=pack_endpoint(ip, announce.port),
            key=key,
            both_families=True,
        )
        if isinstance(result, Rejected):
            return encode_failure(result.reason)
        peers = result.peers
        compact = request.compact
        return encode_announce(
            interval=result.interval,
            min_interval=result.min_interval,
            complete=result.complete,
            incomplete=result.incomplete,
            peers=() if compact else [(p.peer_id, p.endpoint) for p in peers],
            endpoints=[p.endpoint for p in peers] if compact else None,
            compact=compact,
            no_peer_id=request.no_peer_id,
            external_ip=ip,
        )

    async def _scrape(self, scope: Scope, key: str | None) -> bytes:
        tracker = self.tracker
        if key is not None and not is_valid_key(key):
            return encode_failure(REASON_BAD_KEY)
        try:
            ip = self._client_ip(scope)
            hashes = parse_scrape_query(scope["query_string"])
        except (TrackerRequestError, _ClientAddressError) as exc:
            return encode_failure(str(exc))
        if not hashes:
            return encode_failure("missing info_hash (full scrape is not supported)")
        transport = "tcp4" if len(ip) == 4 else "tcp6"
        tracker.counters.count(transport, "connections")
        tracker.counters.count(transport, "scrapes")
        return encode_scrape(await tracker.scrape(hashes, key))


def _is_loopback(packed: bytes) -> bool:
    return packed[0] == 127 if len(packed) == 4 else packed == bytes(15) + b"\x01"


async def _reply(send: Send, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    start: Message = {
        "type": "http.response.start",
        "status": 200,
        "headers": [*headers, (b"content-length", str(len(body)).encode())],
    }
    await send(start)
    await send({"type": "http.response.body", "body": body})
