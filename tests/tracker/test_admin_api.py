"""The Torrust-compatible admin API: every route of the seed and of v1, shapes and errors."""

from __future__ import annotations

import re

import pytest

from tests.support.tracker import API_TOKEN, client_for
from tests.support.wire import HASH_A, HASH_B, announce_query
from torrentstack.tracker.admin_api import AdminApi
from torrentstack.tracker.http import TrackerHttpApp

pytestmark = pytest.mark.database

T = f"token={API_TOKEN}"
KEY = "Abcdefghijklmnopqrstuvwxyz012345"

STATS_FIELDS = [
    "torrents", "seeders", "completed", "leechers",
    "tcp4_connections_handled", "tcp4_announces_handled", "tcp4_scrapes_handled",
    "tcp6_connections_handled", "tcp6_announces_handled", "tcp6_scrapes_handled",
    "udp4_connections_handled", "udp4_announces_handled", "udp4_scrapes_handled",
    "udp6_connections_handled", "udp6_announces_handled", "udp6_scrapes_handled",
]  # fmt: skip

# every authenticated route: (method, path)
ROUTES = [
    ("GET", "/api/stats"),
    ("GET", "/api/torrents"),
    ("GET", f"/api/torrent/{HASH_A.hex()}"),
    ("POST", f"/api/whitelist/{HASH_A.hex()}"),
    ("DELETE", f"/api/whitelist/{HASH_A.hex()}"),
    ("GET", "/api/whitelist/reload"),
    ("POST", "/api/key/60"),
    ("DELETE", f"/api/key/{KEY}"),
    ("GET", "/api/keys/reload"),
    ("GET", "/api/v1/stats"),
    ("GET", "/api/v1/torrents"),
    ("GET", f"/api/v1/torrent/{HASH_A.hex()}"),
    ("POST", f"/api/v1/whitelist/{HASH_A.hex()}"),
    ("DELETE", f"/api/v1/whitelist/{HASH_A.hex()}"),
    ("GET", "/api/v1/whitelist/reload"),
    ("POST", "/api/v1/key/60"),
    ("POST", "/api/v1/keys"),
    ("DELETE", f"/api/v1/key/{KEY}"),
    ("GET", "/api/v1/keys/reload"),
]


@pytest.fixture
async def api(make_runtime):
    runtime = await make_runtime()
    tracker = runtime.tracker
    return tracker, AdminApi(tracker, [API_TOKEN, "second-token"]).app()


async def seed_swarm(tracker):
    app = TrackerHttpApp(tracker, AdminApi(tracker, []).app())
    for n, ip, left in ((1, "10.0.0.1", 0), (2, "10.0.0.2", 5), (3, "2001:db8::3", 0)):
        async with client_for(app, ip) as client:
            await client.get(f"/announce?{announce_query(n=n, left=left, event='started')}")
    async with client_for(app, "10.0.0.9") as client:
        await client.get(f"/announce?{announce_query(HASH_B, n=9, left=0)}")


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(
    ("query", "headers", "reason"),
    [
        ("", {}, "unauthorized"),
        ("token=wrong", {}, "token not valid"),
        ("token=", {}, "token not valid"),
        ("", {"Authorization": "Bearer wrong"}, "token not valid"),
        (T, {"Authorization": "Bearer wrong"}, "token not valid"),  # the header wins
    ],
)
async def test_every_route_refuses_a_missing_or_wrong_token(
    api, method, path, query, headers, reason
):
    tracker, app = api
    async with client_for(app) as client:
        response = await client.request(method, f"{path}?{query}", headers=headers, json=None)
    assert response.status_code == 401
    assert response.text == f'Unhandled rejection: Err {{ reason: "{reason}" }}'
    assert not tracker.policy.whitelist and not tracker.policy.keys  # nothing happened


async def test_bearer_header_and_any_configured_token_are_accepted(api):
    _, app = api
    async with client_for(app) as client:
        assert (await client.get("/api/v1/stats?token=second-token")).status_code == 200
        header = {"Authorization": f"Bearer {API_TOKEN}"}
        assert (await client.get("/api/v1/stats", headers=header)).status_code == 200


async def test_health_check_needs_no_token(api):
    _, app = api
    async with client_for(app) as client:
        response = await client.get("/api/health_check")
    assert response.json() == {"status": "Ok"}


@pytest.mark.parametrize("prefix", ["/api", "/api/v1"])
async def test_stats_fields(api, prefix):
    tracker, app = api
    await seed_swarm(tracker)
    async with client_for(app) as client:
        stats = (await client.get(f"{prefix}/stats?{T}")).json()
    assert list(stats) == STATS_FIELDS
    assert (stats["torrents"], stats["seeders"], stats["leechers"]) == (2, 3, 1)
    assert stats["tcp4_announces_handled"] == 3 and stats["tcp6_announces_handled"] == 1


@pytest.mark.parametrize("prefix", ["/api", "/api/v1"])
async def test_torrent_list_is_ordered_and_paginated(api, prefix):
    tracker, app = api
    await seed_swarm(tracker)
    async with client_for(app) as client:
        full = (await client.get(f"{prefix}/torrents?{T}")).json()
        page = (await client.get(f"{prefix}/torrents?{T}&offset=1&limit=1")).json()
        empty = (await client.get(f"{prefix}/torrents?{T}&limit=0")).json()
        bad = await client.get(f"{prefix}/torrents?{T}&limit=x")
    assert full == [
        {"info_hash": HASH_B.hex(), "seeders": 1, "completed": 0, "leechers": 0},
        {"info_hash": HASH_A.hex(), "seeders": 2, "completed": 0, "leechers": 1},
    ]
    assert page == full[1:] and empty == []
    assert bad.status_code == 400
    expected = "Invalid query string" if prefix == "/api" else "invalid digit found in string"
    assert expected in bad.text


async def test_v1_torrent_list_filters_by_repeated_info_hash(api):
    tracker, app = api
    await seed_swarm(tracker)
    unknown = "f" * 40
    async with client_for(app) as client:
        query = f"{T}&info_hash={HASH_A.hex()}&info_hash={unknown}&info_hash={HASH_A.hex()}"
        rows = (await client.get(f"/api/v1/torrents?{query}&limit=0")).json()
        bad = await client.get(f"/api/v1/torrents?{T}&info_hash=xyz")
    assert [r["info_hash"] for r in rows] == [HASH_A.hex(), HASH_A.hex()]
    assert bad.status_code == 400 and 'invalid infohash param: string "xyz"' in bad.text


async def test_v1_torrent_detail(api, clock):
    tracker, app = api
    await seed_swarm(tracker)
    clock.advance(2.5)
    async with client_for(app) as client:
        detail = (await client.get(f"/api/v1/torrent/{HASH_A.hex()}?{T}")).json()
    assert (detail["info_hash"], detail["seeders"], detail["leechers"]) == (HASH_A.hex(), 2, 1)
    first = detail["peers"][0]
    assert list(first) == [
        "peer_id", "peer_addr", "updated", "updated_milliseconds_ago",
        "uploaded", "downloaded", "left", "event",
    ]  # fmt: skip
    assert first["peer_id"] == {
        "id": "0x2d7142343635302d000000000000000000000001",
        "client": "qBittorrent",
    }
    assert first["peer_addr"] == "10.0.0.1:6881"
    assert first["updated"] == int((clock() - 2.5) * 1000)
    assert first["updated_milliseconds_ago"] == 2500
    assert first["event"] == "Started"
    assert [p["peer_addr"] for p in detail["peers"]] == [
        "10.0.0.1:6881", "10.0.0.2:6881", "[2001:db8::3]:6881"
    ]  # fmt: skip


async def test_legacy_torrent_detail_has_the_seed_shape(api):
    tracker, app = api
    await seed_swarm(tracker)
    async with client_for(app) as client:
        detail = (await client.get(f"/api/torrent/{HASH_A.hex()}?{T}")).json()
    peer_id, peer = detail["peers"][0]
    assert peer_id == {"id": "2d7142343635302d000000000000000000000001", "client": "qBittorrent"}
    assert list(peer) == ["ip", "updated", "uploaded", "downloaded", "left", "event"]
    assert peer["ip"] == "10.0.0.1:6881" and peer["event"] == "Started"


@pytest.mark.parametrize("prefix", ["/api", "/api/v1"])
async def test_unknown_and_malformed_torrent(api, prefix):
    _, app = api
    async with client_for(app) as client:
        unknown = await client.get(f"{prefix}/torrent/{'e' * 40}?{T}")
        bad = await client.get(f"{prefix}/torrent/{'e' * 39}?{T}")
    assert unknown.status_code == 200 and unknown.json() == "torrent not known"
    assert bad.status_code == 400
    assert bad.text == (
        f'Invalid URL: invalid infohash param: string "{"e" * 39}", '
        "expected a 40 character long string"
    )


@pytest.mark.parametrize("prefix", ["/api", "/api/v1"])
async def test_whitelist_add_remove_reload(api, prefix):
    tracker, app = api
    async with client_for(app) as client:
        for _ in range(2):  # adding twice is fine
            added = await client.post(f"{prefix}/whitelist/{HASH_A.hex()}?{T}")
            assert added.json() == {"status": "ok"}
        assert tracker.policy.whitelist == {HASH_A}
        tracker.policy.whitelist.clear()  # as if another process changed the database
        assert (await client.get(f"{prefix}/whitelist/reload?{T}")).json() == {"status": "ok"}
        assert tracker.policy.whitelist == {HASH_A}
        removed = await client.delete(f"{prefix}/whitelist/{HASH_A.hex()}?{T}")
        assert removed.json() == {"status": "ok"} and not tracker.policy.whitelist
        bad = await client.post(f"{prefix}/whitelist/nothex?{T}")
    assert bad.status_code == 400


async def test_legacy_key_generation(api, clock):
    tracker, app = api
    async with client_for(app) as client:
        made = (await client.post(f"/api/key/3600?{T}")).json()
    assert list(made) == ["key", "valid_until"]
    assert re.fullmatch(r"[A-Za-z0-9]{32}", made["key"])
    assert made["valid_until"] == int(clock() + 3600)
    assert tracker.policy.keys[made["key"]].valid_until == clock() + 3600


async def test_v1_key_generation_and_bad_duration(api, clock):
    _, app = api
    async with client_for(app) as client:
        made = await client.post(f"/api/v1/key/60?{T}")
        bad = await client.post(f"/api/v1/key/-1?{T}")
    assert made.headers["content-type"] == "application/json; charset=utf-8"
    body = made.json()
    assert list(body) == ["key", "valid_until", "expiry_time"]
    assert body["expiry_time"] == "2027-01-15 08:01:00 UTC"  # clock() + 60 in chrono's format
    assert bad.status_code == 400 and bad.text == 'Invalid URL: Cannot parse `"-1"` to a `u64`'


async def test_v1_keys_body(api, clock):
    tracker, app = api
    async with client_for(app) as client:
        random_permanent = (
            await client.post(f"/api/v1/keys?{T}", json={"key": None, "seconds_valid": None})
        ).json()
        chosen = await client.post(
            f"/api/v1/keys?{T}", json={"key": KEY, "seconds_valid": 10, "extra": 1}
        )
        duplicate = await client.post(f"/api/v1/keys?{T}", json={"key": KEY, "seconds_valid": 1})
    assert random_permanent["valid_until"] is None and random_permanent["expiry_time"] is None
    assert tracker.policy.keys[random_permanent["key"]].valid_until is None
    assert chosen.json()["key"] == KEY and chosen.json()["valid_until"] == int(clock() + 10)
    assert duplicate.status_code == 409 and "failed to generate key" in duplicate.text


@pytest.mark.parametrize(
    ("body", "content_type", "status", "text"),
    [
        ('{"key": null, "seconds_valid": null}', "text/plain", 415, "Content-Type"),
        ("{not json", "application/json", 400, "Failed to parse the request body as JSON"),
        ('{"key": null}', "application/json", 422, "missing field `seconds_valid`"),
        ('{"key": null, "seconds_valid": "1"}', "application/json", 422, "seconds_valid"),
        ('{"key": null, "seconds_valid": -1}', "application/json", 422, "seconds_valid"),
        ('{"key": 5, "seconds_valid": null}', "application/json", 422, "key: invalid type"),
        ('{"key": "short", "seconds_valid": null}', "application/json", 400, "Key must be"),
        (f'{{"key": "{"!" * 32}", "seconds_valid": null}}', "application/json", 400, "chars"),
        ("[" * 100_000 + "]" * 100_000, "application/json", 413, "length limit"),
        ('{"a":' * 50_000 + "1" + "}" * 50_000, "application/json", 413, "length limit"),
        ("[" * 30_000 + "]" * 30_000, "application/json", 400, "recursion limit exceeded"),
        (
            '{"key": null, "seconds_valid": ' + "9" * 5000 + "}",
            "application/json",
            400,
            "out of range",
        ),
        ('{"key": null, "seconds_valid": ' + "9" * 4000 + "}", "application/json", 400, "duration"),
        ('{"key": null, "seconds_valid": -' + "9" * 4000 + "}", "application/json", 422, "u64"),
        ('{"key": null, "seconds_valid": 1e999}', "application/json", 422, "u64"),
        ('{"key": "\\ud800", "seconds_valid": null}', "application/json", 400, "lone surrogate"),
        ('{"key": null, "seconds_valid": null, "x": ["\\udfff"]}', "application/json", 400, "lone"),
        (b"\xff\xfe", "application/json", 400, "Failed to parse"),
    ],
)
async def test_v1_keys_bad_bodies(api, body, content_type, status, text):
    tracker, app = api
    async with client_for(app) as client:
        response = await client.post(
            f"/api/v1/keys?{T}", content=body, headers={"content-type": content_type}
        )
    assert response.status_code == status
    assert text in response.text
    assert not tracker.policy.keys


@pytest.mark.parametrize("prefix", ["/api", "/api/v1"])
async def test_key_delete_and_reload(api, prefix):
    tracker, app = api
    async with client_for(app) as client:
        await client.post(f"/api/v1/keys?{T}", json={"key": KEY, "seconds_valid": None})
        tracker.policy.keys.clear()
        assert (await client.get(f"{prefix}/keys/reload?{T}")).json() == {"status": "ok"}
        assert KEY in tracker.policy.keys
        assert (await client.delete(f"{prefix}/key/{KEY}?{T}")).json() == {"status": "ok"}
        assert KEY not in tracker.policy.keys
        again = await client.delete(f"{prefix}/key/{KEY}?{T}")
        assert again.status_code == 404 and "failed to delete key" in again.text
        await client.get(f"{prefix}/keys/reload?{T}")
        assert KEY not in tracker.policy.keys  # gone from the database too


async def test_v1_key_delete_checks_the_format(api):
    _, app = api
    async with client_for(app) as client:
        bad = await client.delete(f"/api/v1/key/short?{T}")
    assert bad.status_code == 400 and bad.text == 'Invalid auth key id param "short"'
