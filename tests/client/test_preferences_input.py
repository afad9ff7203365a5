"""`app/setPreferences` refuses what would break the client, whole calls at a time, and what it
keeps survives a restart: the API answers and the engine runs whatever was sent."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.webui import login
from torrentstack.qbittorrent.preferences import DEFAULTS

pytestmark = pytest.mark.database  # the store runs on SQLite and on PostgreSQL

POISON = [
    '{"save_path": "/tmp/\\ud800x", "dht": false}',
    '{"dl_limit": 1180591620717411303424, "dht": false}',
    '{"listen_port": 70000, "dht": false}',
    '{"max_ratio": Infinity, "max_ratio_enabled": true}',
    '{"max_ratio": NaN}',
    '{"save_path": "/tmp/a\\u0000b"}',
    '{"web_ui_session_timeout": 0}',
    '{"scan_dirs": {"\\udfff": 1}}',
    '{"up_limit": "' + "9" * 5000 + '"}',
    '{"listen_port": ' + "9" * 5000 + "}",
    "[" * 5000 + "]" * 5000,
]


async def healthy(http: httpx.AsyncClient) -> dict:
    prefs = await http.get("/api/v2/app/preferences")
    assert prefs.status_code == 200
    json.loads(prefs.content.decode("utf-8"), parse_constant=_no_constants)
    maindata = await http.get("/api/v2/sync/maindata", params={"rid": 0})
    assert maindata.status_code == 200
    json.loads(maindata.content.decode("utf-8"), parse_constant=_no_constants)
    return prefs.json()


def _no_constants(name: str) -> None:
    raise AssertionError(f"{name} is not JSON")


async def test_values_that_would_break_the_client_are_refused_whole(start_webui, tmp_path):
    data = tmp_path / "state"
    webui = await start_webui(data)
    async with httpx.AsyncClient(base_url=webui.url, timeout=10) as http:
        assert (await login(http)).text == "Ok."
        before = await healthy(http)
        for body in POISON:
            reply = await http.post("/api/v2/app/setPreferences", data={"json": body})
            assert reply.status_code == 400, (body[:60], reply.status_code, reply.text)
            assert await healthy(http) == before, body[:60]  # not even the good keys
        good = await http.post(
            "/api/v2/app/setPreferences", data={"json": '{"dl_limit": 2048, "dht": false}'}
        )
        assert good.status_code == 200
    await webui.runtime.backend.close()
    webui.stop.set()
    again = await start_webui(data)
    async with httpx.AsyncClient(base_url=again.url, timeout=10) as http:
        assert (await login(http)).text == "Ok."
        after = await healthy(http)
    assert (after["dl_limit"], after["dht"], after["listen_port"]) == (
        2048,
        False,
        before["listen_port"],
    )


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**31, max_value=2**80)
    | st.floats()
    | st.text(st.characters(codec="utf-8") | st.sampled_from(["\x00", "/"]), max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


# keys that would send traffic off this machine (DHT, LSD, UPnP, proxies, I2P, mail, DynDNS)
# stay out of the fuzz: tests talk to loopback only
OFF_LOOPBACK = ("dht", "lsd", "upnp", "web_ui_upnp", "i2p_", "proxy_", "announce_ip", "current_",
                "dyndns_", "mail_", "add_trackers", "embedded_tracker")  # fmt: skip
FUZZED = sorted(key for key in DEFAULTS if not key.startswith(OFF_LOOPBACK))


@pytest.mark.slow
async def test_random_preferences_never_break_the_client(webui):
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient(base_url=webui.url, timeout=10) as http:
        assert (await login(http)).text == "Ok."

        @settings(
            max_examples=150,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
        @given(st.dictionaries(st.sampled_from(FUZZED), json_values, max_size=3))
        def check(values):
            async def send() -> None:
                body = json.dumps(values, allow_nan=True)
                reply = await http.post("/api/v2/app/setPreferences", data={"json": body})
                assert reply.status_code in (200, 400), (body[:100], reply.status_code)
                await healthy(http)

            asyncio.run_coroutine_threadsafe(send(), loop).result(30)

        await asyncio.to_thread(check)
        # whatever was kept still drives a working engine
        assert (await http.get("/api/v2/transfer/info")).status_code == 200
