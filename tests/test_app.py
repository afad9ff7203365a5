from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.support.waiting import eventually
from torrentstack import __version__, app
from torrentstack.config import SERVICES, Settings
from torrentstack.db import migrate
from torrentstack.db.engine import create_engine
from torrentstack.db.health import database_check
from torrentstack.errors import ConfigError
from torrentstack.serving.health import health_app
from torrentstack.serving.server import ListenError, bind_tcp


def loopback_settings(database_settings, tmp_path, **overrides) -> Settings:
    tree = {name: {"host": "127.0.0.1", "port": 0} for name in SERVICES}
    tree["tracker"]["api_port"] = 0
    tree["client"]["listen_port"] = 0
    tree["client"]["preferences"] = {"dht": False, "lsd": False, "pex": False, "upnp": False}
    for name, value in overrides.items():
        tree[name].update(value)
    return Settings.model_validate(
        {
            "paths": {"data_dir": str(tmp_path / "data")},
            "database": database_settings.model_dump(),
            **tree,
        }
    )


@contextlib.asynccontextmanager
async def running(settings: Settings, services=()) -> AsyncIterator[list]:
    stop, ready = asyncio.Event(), asyncio.Event()
    listeners: list = []
    original = app.serve

    async def capture(found, stop_event, ready_event, **limits):
        listeners.extend(found)
        await original(found, stop_event, ready_event, **limits)

    app.serve = capture  # type: ignore[assignment]
    try:
        task = asyncio.create_task(app.run(settings, services, stop=stop, ready=ready))
        waiter = asyncio.create_task(ready.wait())
        done, _ = await asyncio.wait({task, waiter}, timeout=30, return_when="FIRST_COMPLETED")
        if task in done:
            waiter.cancel()
            task.result()  # raises what went wrong
        assert ready.is_set(), "services did not become ready"
        yield listeners
        stop.set()
        await asyncio.wait_for(task, 30)
    finally:
        app.serve = original  # type: ignore[assignment]


def test_selected_services_default_to_enabled():
    settings = Settings.model_validate({"site": {"enabled": False}})
    assert app.selected_services(settings) == ["tracker", "client", "crossseed", "debrid"]
    assert app.selected_services(settings, ["site", "site"]) == ["site"]


def test_unknown_service_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown service 'trakcer'"):
        app.selected_services(Settings(), ["trakcer"])


def test_all_disabled_is_a_config_error():
    tree = {name: {"enabled": False} for name in SERVICES}
    with pytest.raises(ConfigError, match="every service is disabled"):
        app.selected_services(Settings.model_validate(tree))


@pytest.mark.database
async def test_serve_every_service_answers_healthz_and_migrates(database_settings, tmp_path):
    settings = loopback_settings(database_settings, tmp_path)
    async with running(settings) as listeners:
        names = [listener.name for listener in listeners]
        assert names == ["tracker", "tracker-api", *SERVICES[1:]]
        async with httpx.AsyncClient() as client:
            for listener in listeners:
                response = await client.get(f"http://127.0.0.1:{listener.bound_port}/healthz")
                assert response.status_code == 200
                assert response.json() == {
                    "status": "ok",
                    "service": listener.name.removesuffix("-api"),
                    "version": __version__,
                    "database": "ok",
                }
                missing = await client.get(f"http://127.0.0.1:{listener.bound_port}/nothing")
                assert missing.status_code == 404
    engine = create_engine(settings.database, settings.data_dir())
    try:
        assert await migrate.current_revision(engine) == migrate.heads()[0]
    finally:
        await engine.dispose()


@pytest.mark.database
async def test_serve_a_subset(database_settings, tmp_path):
    settings = loopback_settings(database_settings, tmp_path)
    async with running(settings, ["tracker"]) as listeners:
        assert [listener.name for listener in listeners] == ["tracker", "tracker-api"]


@pytest.mark.database
async def test_port_in_use_is_a_listen_error(database_settings, tmp_path):
    busy = bind_tcp("127.0.0.1", 0)
    try:
        port = busy.getsockname()[1]
        settings = loopback_settings(database_settings, tmp_path, client={"port": port})
        with pytest.raises(ListenError, match=rf"client: cannot listen on 127\.0\.0\.1:{port}"):
            await app.run(settings, ["client"], stop=asyncio.Event())
        # the client's engine, started before the listener failed, was stopped too
        assert not [t for t in threading.enumerate() if t.name == "libtorrent" and t.is_alive()]
    finally:
        busy.close()


async def test_healthz_reports_an_unreachable_database(tmp_path):
    from torrentstack.config import DatabaseSettings

    engine = create_engine(
        DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path}/no/such/dir/x.db"), tmp_path
    )
    # the SQLite factory creates the directory: remove it so connecting fails
    (tmp_path / "no" / "such" / "dir").rmdir()
    before = set(threading.enumerate())
    try:
        health = health_app("tracker", database_check(engine))
        transport = httpx.ASGITransport(app=health)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["database"] == "unavailable"
    finally:
        await engine.dispose()
        # aiosqlite stops the worker thread of a failed connect without awaiting it: let it end
        # while this loop runs, or it posts its result to a closed loop during the next test
        await eventually(
            lambda: (
                not [
                    t
                    for t in set(threading.enumerate()) - before
                    if t.name.endswith("(_connection_worker_thread)")
                ]
            ),
            message="the failed connection's aiosqlite thread did not end",
        )


@pytest.mark.database
async def test_tracker_token_is_generated_shown_once_and_accepted(
    database_settings, tmp_path, caplog
):
    settings = loopback_settings(database_settings, tmp_path)
    caplog.set_level("WARNING", logger="torrentstack.services")
    for start in range(2):
        async with running(settings, ["tracker"]) as listeners:
            api = next(item for item in listeners if item.name == "tracker-api")
            token = (settings.data_dir() / "secrets" / "tracker-api-token").read_text().strip()
            async with httpx.AsyncClient() as client:
                base = f"http://127.0.0.1:{api.bound_port}/api/v1/stats"
                assert (await client.get(f"{base}?token={token}")).status_code == 200
                assert (await client.get(f"{base}?token=nope")).status_code == 401
        shown = [
            r.getMessage() for r in caplog.records if "generated access token" in r.getMessage()
        ]
        assert len(shown) == 1, start  # the first start only
        assert token in shown[0]


class _Recorder:
    """A service that records its calls; it fails where told to."""

    def __init__(self, name: str, calls: list[str], fail: str = "") -> None:
        self.name, self.calls, self.fail = name, calls, fail

    def _step(self, what: str) -> None:
        self.calls.append(f"{self.name}.{what}")
        if self.fail == what:
            raise RuntimeError(f"{self.name} {what} failed on purpose")

    async def start(self, health):
        self._step("start")
        return []

    async def run(self, stop):
        self._step("run")
        await stop.wait()

    async def close(self):
        self._step("close")


def _catalogue(monkeypatch, calls: list[str], fail: dict[str, str]) -> None:
    from torrentstack import services

    fake = {
        name: (lambda shared, name=name: _Recorder(name, calls, fail.get(name, "")))
        for name in SERVICES
    }
    monkeypatch.setattr(app, "CATALOGUE", fake)
    assert services.CATALOGUE is not fake  # app runs what its own name points at


@pytest.mark.database
async def test_a_failing_start_closes_every_service_started_so_far(
    database_settings, tmp_path, monkeypatch
):
    calls: list[str] = []
    _catalogue(monkeypatch, calls, {"client": "start", "tracker": "close"})
    settings = loopback_settings(database_settings, tmp_path)
    with pytest.raises(RuntimeError, match="client start failed on purpose"):
        await app.run(settings, ["tracker", "site", "client", "debrid"], stop=asyncio.Event())
    # debrid never started; the others are closed in reverse, the tracker's failing close last
    assert calls == [
        "tracker.start",
        "site.start",
        "client.start",
        "client.close",
        "site.close",
        "tracker.close",
    ]


@pytest.mark.database
async def test_services_run_until_stop_and_are_each_closed(
    database_settings, tmp_path, monkeypatch
):
    calls: list[str] = []
    _catalogue(monkeypatch, calls, {"site": "close"})
    settings = loopback_settings(database_settings, tmp_path)
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(app.run(settings, ["tracker", "site"], stop=stop, ready=ready))
    await asyncio.wait_for(ready.wait(), 30)
    stop.set()
    await asyncio.wait_for(task, 30)  # a failing close is logged, not raised
    assert sorted(calls) == sorted(
        ["tracker.start", "site.start", "tracker.run", "site.run", "site.close", "tracker.close"]
    )
    assert calls[-2:] == ["site.close", "tracker.close"]


@pytest.mark.database
async def test_a_second_process_on_the_same_data_directory_is_refused(database_settings, tmp_path):
    from torrentstack.data_lock import DataDirectoryInUse

    settings = loopback_settings(database_settings, tmp_path)
    async with running(settings, ["site"]):
        with pytest.raises(DataDirectoryInUse, match=r"data directory .* is in use .*\(pid \d+\)"):
            await app.run(settings, ["site"], stop=asyncio.Event())
    # released when the first one stops
    async with running(settings, ["site"]) as listeners:
        assert [listener.name for listener in listeners] == ["site"]
