"""A small HTTP/1.1 server for ASGI apps on a hot path (the tracker's announce listener).

uvicorn spends most of an announce's time in its own request cycle; this server parses a
request head with one `find`, keeps connections alive, answers pipelined requests in order, and runs
a request with no task at all when the app says it will not wait (the in-memory swarm). Request bodies are read and handed over whole; streaming, chunked bodies and upgrades
are not supported (a tracker never needs them): such requests get 501 and the connection closes.

It keeps the listener's `limits`: a connection over the gate's cap gets 503; a head over the
size limit 431 (414 for the request line alone), also when it arrives in one piece; a head, body
or idle keep-alive that takes too long is closed (408 where nothing was answered yet). Answers a
client does not read stop the reading of its next requests (backpressure), so a pipelining
client that never reads holds a bounded amount of memory.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import socket
import time
import typing
from collections.abc import Coroutine, Sequence
from typing import Any
from urllib.parse import unquote

from starlette.types import ASGIApp, Message

from torrentstack.serving.limits import OVER_CAPACITY, Gate, Limits

logger = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
MAX_PENDING = 32  # parsed requests waiting for their turn before reading stops
_REASONS = {200: b"OK", 400: b"Bad Request", 404: b"Not Found", 405: b"Method Not Allowed",
            408: b"Request Timeout", 413: b"Content Too Large", 414: b"URI Too Long",
            431: b"Request Header Fields Too Large", 500: b"Internal Server Error",
            501: b"Not Implemented", 503: b"Service Unavailable"}  # fmt: skip
_STATUS_LINES = {
    status: b"HTTP/1.1 %d %s\r\n" % (status, reason) for status, reason in _REASONS.items()
}


def _run_inline(coro: Coroutine[Any, Any, None]) -> asyncio.Future[None] | None:
    """Run `coro` now; return a future finishing it only if it suspended after all.

    Only for apps that say a request runs inline (`runs_inline(scope)`): their coroutine awaits
    nothing but plain asyncio futures, so resuming it from another task is sound.
    """
    try:
        waiting = coro.send(None)
    except StopIteration:
        return None

    async def rest(waiting: Any) -> None:
        while True:
            if waiting is None:
                await asyncio.sleep(0)
            else:
                # The coroutine's own await marked the future "blocking" (a task would clear
                # that when it takes the future over); clear it so this await can wait on it.
                waiting._asyncio_future_blocking = False
                with contextlib.suppress(BaseException):  # the coroutine sees it when resumed
                    await waiting
            try:
                waiting = coro.send(None)
            except StopIteration:
                return

    return asyncio.ensure_future(rest(waiting))


class _Connection(asyncio.Protocol):
    def __init__(
        self, app: ASGIApp, server_address: tuple[str, int], limits: Limits, gate: Gate
    ) -> None:
        self.app = app
        self.server_address = server_address
        self.limits = limits
        self.gate = gate
        self.transport: asyncio.Transport | None = None
        self.client: tuple[str, int] | None = None
        self.buffer = bytearray()
        self.busy: asyncio.Future[None] | None = None
        self.closing = False
        self.admitted = False
        self.pending: collections.deque[dict[str, Any]] = collections.deque()
        self.write_paused = False
        self.read_paused = False
        self.phase = ""  # what the deadline is for: "idle", "head", "body", "write" or none
        self.since = 0.0  # when that phase began (the serve loop's sweep checks the deadlines)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport but behave as one
        self.transport = typing.cast(asyncio.Transport, transport)
        if not self.gate.admit():
            self.closing = True
            self.transport.write(OVER_CAPACITY)
            self.transport.close()
            return
        self.admitted = True
        peer = transport.get_extra_info("peername")
        self.client = (peer[0], peer[1]) if peer else None
        self._arm("head")  # a connection that sends nothing is dropped too

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self.pending.clear()
        self._arm("")
        if self.admitted:
            self.admitted = False
            self.gate.release()

    def data_received(self, data: bytes) -> None:
        if self.closing:
            return
        self.buffer += data
        self._parse()
        self._next()
        self._watch()

    def pause_writing(self) -> None:
        self.write_paused = True
        self._pause_reading()
        self._watch()

    def resume_writing(self) -> None:
        self.write_paused = False
        self._next()
        self._watch()

    def _pause_reading(self) -> None:
        if not self.read_paused and self.transport is not None and not self.closing:
            self.read_paused = True
            self.transport.pause_reading()

    def _resume_reading(self) -> None:
        if self.read_paused and self.transport is not None and not self.closing:
            self.read_paused = False
            self.transport.resume_reading()

    def _watch(self) -> None:
        """Set the deadline for what the connection waits on now (kept while that stays)."""
        if self.closing:
            return
        if self.write_paused:
            self._arm("write")
        elif self.busy is not None or self.pending:
            self._arm("")  # the app is answering: no client deadline
        elif not self.buffer:
            self._arm("idle")
        elif self.buffer.find(b"\r\n\r\n") < 0:
            self._arm("head")
        else:
            self._arm("body")

    def _arm(self, phase: str) -> None:
        if phase != self.phase:  # a client that drips bytes does not push its deadline back
            self.phase = phase
            self.since = time.monotonic()

    def overdue(self, now: float) -> bool:
        """Whether the deadline of what the connection waits on has passed (then: close it)."""
        limits = self.limits
        seconds = {
            "idle": limits.keep_alive_timeout,
            "head": limits.header_timeout,
            "body": limits.body_timeout,
            "write": limits.body_timeout,
        }.get(self.phase)
        return seconds is not None and now - self.since > seconds

    def expire(self) -> None:
        if self.phase in ("head", "body"):
            self._fail(408)
        elif self.transport is not None:
            self.closing = True
            self.transport.close()

    def _parse(self) -> None:
        buffer = self.buffer
        limit = self.limits.max_header_bytes
        while not self.closing:
            if len(self.pending) >= MAX_PENDING:
                self._pause_reading()  # read on when the queue has been answered
                return
            end = buffer.find(b"\r\n\r\n", 0, limit + 4)
            if end < 0:
                if len(buffer) > limit:
                    line_end = buffer.find(b"\r\n", 0, limit + 2)
                    self._fail(414 if line_end < 0 else 431)
                return
            head = bytes(buffer[:end])
            lines = head.split(b"\r\n")
            parts = lines[0].split(b" ")
            if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
                self._fail(400)
                return
            method, target, version = parts
            headers = []
            length = 0
            keep_alive = version == b"HTTP/1.1"
            for line in lines[1:]:
                name, sep, value = line.partition(b":")
                if not sep:
                    self._fail(400)
                    return
                name = name.strip().lower()
                value = value.strip()
                headers.append((name, value))
                if name == b"content-length":
                    if not value.isdigit():
                        self._fail(400)
                        return
                    length = int(value)
                elif name == b"connection":
                    token = value.lower()
                    keep_alive = token != b"close" and (keep_alive or token == b"keep-alive")
                elif name == b"transfer-encoding":
                    self._fail(501)
                    return
            if length > MAX_BODY:
                self._fail(413)
                return
            if len(buffer) < end + 4 + length:
                return  # the body is still arriving
            body = bytes(buffer[end + 4 : end + 4 + length])
            del buffer[: end + 4 + length]
            raw_path, _, query = target.partition(b"?")
            text = raw_path.decode("latin-1")
            self.pending.append(
                {
                    "scope": {
                        "type": "http",
                        "asgi": {"version": "3.0", "spec_version": "2.3"},
                        "http_version": version[5:].decode("latin-1"),
                        "method": method.decode("latin-1"),
                        "scheme": "http",
                        "path": unquote(text) if "%" in text else text,
                        "raw_path": raw_path,
                        "query_string": query,
                        "root_path": "",
                        "headers": headers,
                        "client": self.client,
                        "server": self.server_address,
                    },
                    "body": body,
                    "keep_alive": keep_alive,
                }
            )

    def _next(self) -> None:
        while self.pending and self.busy is None and not self.closing and not self.write_paused:
            request = self.pending.popleft()
            self.phase = ""
            inline = getattr(self.app, "runs_inline", None)
            if inline is not None and inline(request["scope"]):
                task = _run_inline(self._respond(request))
                if task is None:
                    continue
            else:
                task = asyncio.ensure_future(self._respond(request))
            self.busy = task
            task.add_done_callback(self._done)

    def _done(self, _task: asyncio.Future[None]) -> None:
        self.busy = None
        if not self.write_paused and len(self.pending) < MAX_PENDING // 2:
            self._resume_reading()
            if self.buffer and len(self.pending) < MAX_PENDING:
                self._parse()  # what was read before reading stopped
        self._next()
        self._watch()

    async def _respond(self, request: dict[str, Any]) -> None:
        transport = self.transport
        if transport is None:
            return
        keep_alive: bool = request["keep_alive"]
        head_only = request["scope"]["method"] == "HEAD"
        body_sent = False
        started = False

        async def receive() -> Message:
            nonlocal body_sent
            if not body_sent:
                body_sent = True
                return {"type": "http.request", "body": request["body"], "more_body": False}
            return {"type": "http.disconnect"}

        head: list[bytes] = []

        async def send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                line = _STATUS_LINES.get(status)
                head.append(line or b"HTTP/1.1 %d Unknown\r\n" % status)
                for name, value in message.get("headers", ()):
                    head.extend((name, b": ", value, b"\r\n"))
                if not keep_alive:
                    head.append(b"connection: close\r\n")
                head.append(b"\r\n")
            elif message["type"] == "http.response.body":
                # head and body in one write: one send() system call per response
                if not head_only:  # a HEAD answer has the headers of a GET and no body
                    head.append(message.get("body", b""))
                if not message.get("more_body", False):
                    transport.write(b"".join(head))
                    head.clear()

        try:
            await self.app(request["scope"], receive, send)
        except Exception:
            logger.exception("unhandled error answering %s", request["scope"]["path"])
            if not started:
                transport.write(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n")
            keep_alive = False
        if not keep_alive:
            self.closing = True
            transport.close()

    def _fail(self, status: int) -> None:
        if self.transport is not None and not self.closing:
            reason = _REASONS[status]
            self.transport.write(
                b"HTTP/1.1 %d %s\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                % (status, reason)
            )
            self.transport.close()
        self.closing = True


async def serve_http1(
    app: ASGIApp,
    sockets: Sequence[socket.socket],
    stop: asyncio.Event,
    ready: asyncio.Event,
    limits: Limits | None = None,
    gate: Gate | None = None,
) -> None:
    """Serve `app` on the listening `sockets` until `stop` is set."""
    loop = asyncio.get_running_loop()
    limits = limits if limits is not None else Limits()
    gate = gate if gate is not None else Gate("http", 1 << 30)
    connections: list[_Connection] = []
    servers = []

    def factory_for(address: tuple[str, int]) -> typing.Callable[[], _Connection]:
        def factory() -> _Connection:
            connection = _Connection(app, address, limits, gate)
            connections[:] = [c for c in connections if not c.closing]
            connections.append(connection)
            return connection

        return factory

    for sock in sockets:
        host, port = sock.getsockname()[:2]
        servers.append(await loop.create_server(factory_for((host, port)), sock=sock))
    ready.set()
    # One sweep a fraction of the shortest timeout checks every connection's deadline: no timer
    # per request on the hot path.
    interval = min(limits.header_timeout, limits.body_timeout, limits.keep_alive_timeout) / 4
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
            now = time.monotonic()
            for connection in connections:
                if not connection.closing and connection.overdue(now):
                    connection.expire()
    finally:
        for server in servers:
            server.close()
        for connection in connections:
            if connection.transport is not None:
                connection.transport.close()
        for server in servers:
            await server.wait_closed()
