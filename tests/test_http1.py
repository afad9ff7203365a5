"""The small HTTP/1.1 server: keep-alive, pipelining, inline and task paths, bad requests."""

from __future__ import annotations

import asyncio

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from torrentstack.serving.http1 import serve_http1
from torrentstack.serving.server import bind_tcp


async def echo(request: Request) -> PlainTextResponse:
    """The same answers as InlineApp, through Starlette (which needs a task per request)."""
    body = await request.body()
    await asyncio.sleep(0.01 if request.query_params.get("slow") else 0)
    return PlainTextResponse(f"{request.method} {request.url.path} {request.url.query} {body!r}")


ROUTES = [Route("/{p:path}", echo, methods=["GET", "POST"])]


class InlineApp:
    """A raw ASGI app that asks to run inline: it awaits only plain asyncio futures."""

    def runs_inline(self, scope) -> bool:
        return True

    async def __call__(self, scope, receive, send) -> None:
        message = await receive()
        if b"slow" in scope["query_string"]:  # suspends after all: finished by a task
            waited = asyncio.get_running_loop().create_future()
            asyncio.get_running_loop().call_later(0.01, waited.set_result, None)
            await waited
        body = (
            f"{scope['method']} {scope['path']} {scope['query_string'].decode()} "
            f"{message['body']!r}"
        ).encode()
        headers = [(b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@pytest.fixture(params=["task", "inline"])
async def server(request):
    app = InlineApp() if request.param == "inline" else Starlette(routes=ROUTES)
    sock = bind_tcp("127.0.0.1", 0)
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(serve_http1(app, [sock], stop, ready))
    await asyncio.wait_for(ready.wait(), 5)
    yield sock.getsockname()[1]
    stop.set()
    await asyncio.wait_for(task, 5)
    sock.close()


async def read_response(reader: asyncio.StreamReader) -> tuple[bytes, dict[bytes, bytes], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head[:-4].split(b"\r\n")
    headers = dict(line.split(b": ", 1) for line in lines[1:])
    body = await reader.readexactly(int(headers[b"content-length"]))
    return lines[0], headers, body


async def test_keep_alive_and_pipelining_keep_order(server):
    reader, writer = await asyncio.open_connection("127.0.0.1", server)
    writer.write(
        b"GET /a?slow=1 HTTP/1.1\r\nHost: x\r\n\r\n"
        b"POST /b%20c?q=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
        b"GET /c HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    bodies = [(await read_response(reader))[2] for _ in range(3)]
    assert bodies == [b"GET /a slow=1 b''", b"POST /b c q=1 b'hello'", b"GET /c  b''"]
    writer.write(b"GET /d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    status, headers, _ = await read_response(reader)
    assert status == b"HTTP/1.1 200 OK" and headers[b"connection"] == b"close"
    assert await reader.read() == b""  # closed after the reply
    writer.close()


async def test_http10_closes_after_the_reply(server):
    reader, writer = await asyncio.open_connection("127.0.0.1", server)
    writer.write(b"GET /x HTTP/1.0\r\n\r\n")
    assert (await read_response(reader))[2] == b"GET /x  b''"
    assert await reader.read() == b""
    writer.close()


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"garbage\r\n\r\n", b"400"),
        (b"GET / HTTP/1.1\r\nno colon here\r\n\r\n", b"400"),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", b"501"),
        (b"POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", b"413"),
        (b"GET / HTTP/1.1\r\nX: " + b"a" * 20000, b"431"),
    ],
)
async def test_bad_requests_get_a_status_and_the_connection_closes(server, request_bytes, status):
    reader, writer = await asyncio.open_connection("127.0.0.1", server)
    writer.write(request_bytes)
    reply = await reader.read()
    assert reply.split(b" ")[1] == status
    writer.close()
