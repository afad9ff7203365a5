"""Schemathesis against the site's own OpenAPI document, as the admin (session cookie): no
operation may answer 5xx, whatever the generated input (valid or not).

In process, over ASGI. Schemathesis runs every ASGI app it calls on one event loop of its own,
in a thread (an anyio blocking portal), not on the test's loop; an async engine (asyncpg's
connections, aiosqlite's) only works on the loop that opened it. So `FuzzedSite` makes the
site, its database and engine included, in the ASGI lifespan startup, which Schemathesis runs
on that same loop. Schemathesis ends every lifespan after each test (its plugin's
`pytest_runtest_teardown`) but keeps the loop: the site outlives those shutdowns, so one site
serves every operation's cases, and only the module's teardown takes it down (a last lifespan
whose shutdown closes it, on that loop).

The schema is the app's own OpenAPI document (`app.openapi()`, what `/openapi.json` serves),
read at import without a database, so every operation is a test of its own. (Loading it from
a fixture, `schemathesis.pytest.from_fixture`, fails under pytest 9.2: Schemathesis 4.32 sets
`Node._nodeid`, which pytest no longer has.)

Bounded and repeatable: a fixed seed, at most `MAX_EXAMPLES` generated cases per operation
(plus Schemathesis's explicit examples and boundary "coverage" cases), no example database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import cast

import httpx
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.python.asgi import get_client, shutdown_lifespans
from schemathesis.schemas import BaseSchema
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.support.clock import FakeClock
from tests.support.database import fresh_database
from tests.support.payloads import make_torrent
from tests.support.site import FAST, member
from torrentstack.config import SiteSettings
from torrentstack.db import migrate
from torrentstack.db.engine import create_engine
from torrentstack.site.accounts.sessions import COOKIE
from torrentstack.site.app import site_app
from torrentstack.site.context import SiteContext
from torrentstack.site.runtime import SiteRuntime

pytestmark = [pytest.mark.slow, pytest.mark.database, pytest.mark.libtorrent]

SEED = 20261204
MAX_EXAMPLES = 25
CONFIG = {
    "seed": SEED,
    "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
}
# operations left out, and why
EXCLUDED = {
    ("POST", "/api/auth/logout"): "would end the admin's session for every later case "
    "(test_auth_matrix calls it for every caller)",
}


class FuzzedSite:
    """The site as an ASGI app whose lifespan makes it on the loop that serves it: a fresh
    database, an admin member with a session, a plain member, a category, an approved
    torrent."""

    def __init__(self, backend: str, postgres_url: str, directory: Path) -> None:
        self.backend, self.postgres_url, self.directory = backend, postgres_url, directory
        self.cookie = ""
        self.closing = False  # the next lifespan shutdown closes the site
        self._app: ASGIApp | None = None
        self._stack = AsyncExitStack()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        assert self._app is not None, "the lifespan has not started the site"
        await self._app(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    if self._app is None:
                        await self._start()
                except BaseException as exc:
                    await self._stack.aclose()
                    await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                    raise
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.closing:
                    self._app = None
                    await self._stack.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _start(self) -> None:
        database = await self._stack.enter_async_context(
            fresh_database(self.backend, self.postgres_url, self.directory)
        )
        engine = create_engine(database, self.directory)
        self._stack.push_async_callback(engine.dispose)
        await migrate.upgrade(engine)
        settings = SiteSettings(**(FAST | {"registration": "open"}))
        runtime = SiteRuntime(settings, database=engine, clock=FakeClock(), secret=b"s" * 32)
        self._stack.push_async_callback(runtime.close)
        self._app = await runtime.app()
        transport = httpx.ASGITransport(app=self._app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://site.test") as http:
            await member(http, "alice")  # the first member: admin
            self.cookie = http.cookies[COOKIE]
            reply = await http.post("/api/admin/categories", json={"name": "Fuzz"})
            assert reply.status_code == 201, reply.text
            name = "Fuzz.Torrent"
            data, _ = make_torrent(self.directory / "src", name, {name: 20_000})
            form = {"title": "Fuzz", "categoryId": str(reply.json()["id"])}
            files = {"torrent": ("x.torrent", data)}
            reply = await http.post("/api/torrents", data=form, files=files)
            assert reply.status_code == 201, reply.text
        async with httpx.AsyncClient(transport=transport, base_url="http://site.test") as http:
            await member(http, "bob")


@pytest.fixture(scope="module")
def fuzzed_site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FuzzedSite]:
    site = FuzzedSite(
        request.config.getoption("--db"),
        request.config.getoption("--postgres-url"),
        tmp_path_factory.mktemp("fuzz"),
    )
    with get_client(site):  # runs the lifespan startup now: setup errors surface here
        assert site.cookie
    try:
        yield site
    finally:
        site.closing = True
        with get_client(site):
            pass
        shutdown_lifespans()  # this shutdown closes the engine and drops the database


def _schema() -> BaseSchema:
    document = site_app(cast(SiteContext, None)).openapi()  # no database needed
    loaded = schemathesis.openapi.from_dict(document, config=SchemathesisConfig.from_dict(CONFIG))
    for method, path in EXCLUDED:
        loaded = loaded.exclude(method=method, path=path)
    return loaded


schema = _schema()


@schema.parametrize()
def test_no_operation_answers_a_server_error(case, fuzzed_site):
    response = case.call(app=fuzzed_site, cookies={COOKIE: fuzzed_site.cookie})
    case.validate_response(response, checks=[not_a_server_error])


def test_the_cases_ran_as_the_admin_to_the_end(fuzzed_site):
    """After every operation's cases (this test runs last): the cookie still opens the admin
    surface, so no case ran signed out (or as anyone else)."""
    with get_client(fuzzed_site) as client:
        me = client.get("/api/me", cookies={COOKIE: fuzzed_site.cookie})
        assert me.status_code == 200, me.text
        assert me.json()["username"] == "alice" and "canAccessAdmin" in me.json()["permissions"]
        users = client.get("/api/admin/users", cookies={COOKIE: fuzzed_site.cookie})
        assert users.status_code == 200, users.text
