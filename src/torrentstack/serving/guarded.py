"""uvicorn's httptools protocol with the `limits` every listener enforces.

uvicorn itself caps neither open connections (its `limit_concurrency` still accepts them) nor the
size of a request head, and a request head that arrives in pieces is never timed out. This
subclass adds, per listener: the connection `Gate`, the head size limit (431, or 414 for the
request line alone), a deadline for a whole head (also for a connection that sends nothing),
one for a body, and one for a response the client stopped reading.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from torrentstack.serving.limits import OVER_CAPACITY, Gate, Limits

_STATUS = {408: b"408 Request Timeout", 414: b"414 URI Too Long", 431: b"431 Request Header Fields Too Large"}  # fmt: skip


class _HeadTooLarge(Exception):
    """Raised inside the parser's callbacks to stop it; httptools wraps it in a parser error."""


def refusal(status: int) -> bytes:
    """A bodiless answer that closes the connection."""
    return b"HTTP/1.1 %s\r\ncontent-length: 0\r\nconnection: close\r\n\r\n" % _STATUS[status]


class GuardedHttpTools(HttpToolsProtocol):
    """One connection of a uvicorn listener, within its listener's limits."""

    gate: Gate
    limits: Limits

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._admitted = False
        self._refused = False
        self._head_bytes = 0
        self._url_bytes = 0
        self._too_large = 0
        self._deadline: asyncio.TimerHandle | None = None

    # -- the connection's place --

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if not self.gate.admit():
            self._refused = True
            transport.write(OVER_CAPACITY)
            transport.close()
            return
        self._admitted = True
        super().connection_made(transport)
        self._arm(self.limits.header_timeout)  # a connection that sends nothing is dropped

    def connection_lost(self, exc: Exception | None) -> None:
        if self._refused:
            return
        self._disarm()
        if self._admitted:
            self._admitted = False
            self.gate.release()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused or self._too_large:
            return
        super().data_received(data)

    # -- the head's size and deadline --

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = self._url_bytes = 0
        self._arm(self.limits.header_timeout)

    def on_url(self, url: bytes) -> None:
        self._url_bytes += len(url)
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def _count(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > self.limits.max_header_bytes:
            self._too_large = 414 if self._url_bytes > self.limits.max_header_bytes else 431
            raise _HeadTooLarge

    def send_400_response(self, msg: str) -> None:
        if not self._too_large:
            super().send_400_response(msg)
            return
        self._disarm()
        self.transport.write(refusal(self._too_large))
        self.transport.close()

    def on_headers_complete(self) -> None:
        self._arm(self.limits.body_timeout)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    # -- a client that stops reading --

    def on_response_complete(self) -> None:
        # uvicorn reads on after each answer and parses all it read into its pipeline, so a
        # client that pipelines without reading grows the queue by a whole read per answer:
        # read on only when the queue is empty
        super().on_response_complete()
        if self.pipeline and not self.transport.is_closing():
            self.flow.pause_reading()

    def pause_writing(self) -> None:
        super().pause_writing()
        self._arm(self.limits.body_timeout)

    def resume_writing(self) -> None:
        self._disarm()
        super().resume_writing()

    # -- deadlines --

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = asyncio.get_running_loop().call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if self.transport is None or self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is None or cycle.response_complete or not cycle.response_started:
            self.transport.write(refusal(408))  # nothing being answered: say why
        self.transport.close()


def guarded_protocol(gate: Gate, limits: Limits) -> type[GuardedHttpTools]:
    """The protocol class of one listener (uvicorn builds one instance per connection)."""
    return type("GuardedHttpTools", (GuardedHttpTools,), {"gate": gate, "limits": limits})
