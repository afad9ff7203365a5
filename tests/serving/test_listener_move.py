"""A uvicorn listener moved while it serves: to TLS and back, to another port, refused moves
(a bad certificate, a port in use) leave it serving as it was. Real sockets on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from tests.support.certificates import self_signed
from torrentstack.serving.server import Listener, ListenError, Tls, TlsError, bind_tcp, serve


async def hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse(f"hello over {request.url.scheme}")


APP = Starlette(routes=[Route("/", hello)])


@contextlib.asynccontextmanager
async def served(tls: Tls | None = None) -> AsyncIterator[Listener]:
    listener = Listener(name="movable", host="127.0.0.1", port=0, app=APP, tls=tls)
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(serve([listener], stop, ready))
    await asyncio.wait_for(ready.wait(), 10)
    try:
        yield listener
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def get(url: str, verify: ssl.SSLContext | bool = True) -> str:
    async with httpx.AsyncClient(verify=verify, timeout=5) as client:
        reply = await client.get(url)
        return reply.text


def trusting(cert: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert))


async def test_to_tls_and_back_on_the_same_port(tmp_path: Path) -> None:
    files = self_signed(tmp_path)
    async with served() as listener:
        port = listener.bound_port
        assert await get(f"http://127.0.0.1:{port}/") == "hello over http"
        await listener.move("127.0.0.1", port or 0, Tls(str(files.cert), str(files.key)))
        assert listener.bound_port == port
        assert await get(f"https://127.0.0.1:{port}/", trusting(files.cert)) == "hello over https"
        with pytest.raises(httpx.HTTPError):
            await get(f"http://127.0.0.1:{port}/")
        await listener.move("127.0.0.1", port or 0, None)
        assert await get(f"http://127.0.0.1:{port}/") == "hello over http"
        with pytest.raises(httpx.ConnectError):
            await get(f"https://127.0.0.1:{port}/", trusting(files.cert))


async def test_started_with_tls(tmp_path: Path) -> None:
    files = self_signed(tmp_path)
    async with served(Tls(str(files.cert), str(files.key))) as listener:
        url = f"https://localhost:{listener.bound_port}/"
        assert await get(url, trusting(files.cert)) == "hello over https"


async def test_to_another_port(tmp_path: Path) -> None:
    async with served() as listener:
        old = listener.bound_port
        await listener.move("127.0.0.1", 0)
        new = listener.bound_port
        assert new != old
        assert await get(f"http://127.0.0.1:{new}/") == "hello over http"
        with pytest.raises(httpx.ConnectError):  # no longer accepted, at once
            await get(f"http://127.0.0.1:{old}/")


async def test_bad_certificate_leaves_it_serving(tmp_path: Path) -> None:
    (tmp_path / "junk.crt").write_text("not a certificate")
    async with served() as listener:
        port = listener.bound_port or 0
        for tls in (
            Tls(str(tmp_path / "missing.crt"), str(tmp_path / "missing.key")),
            Tls(str(tmp_path / "junk.crt"), str(tmp_path / "junk.crt")),
        ):
            with pytest.raises(TlsError):
                await listener.move("127.0.0.1", port, tls)
            assert listener.tls is None and listener.bound_port == port
            assert await get(f"http://127.0.0.1:{port}/") == "hello over http"


async def test_port_in_use_leaves_it_serving() -> None:
    taken = bind_tcp("127.0.0.1", 0)
    try:
        async with served() as listener:
            port = listener.bound_port
            with pytest.raises(ListenError):
                await listener.move("127.0.0.1", taken.getsockname()[1])
            assert listener.bound_port == port
            assert await get(f"http://127.0.0.1:{port}/") == "hello over http"
    finally:
        taken.close()
