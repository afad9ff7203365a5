"""The daemon API's surface: authentication, payload parsing and status codes, against a daemon
that records what it was asked (the pipeline behind it is tested on its own and end to end)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx
import pytest

from torrentstack.crossseed.api import (
    UNAUTHORIZED,
    BadRequest,
    JobOutcome,
    WebhookRequest,
    crossseed_app,
    parse_announce,
    parse_body,
)
from torrentstack.crossseed.searchee import Candidate

KEY = "k" * 32
LINK = "http://127.0.0.1:9/dl/1.torrent"
ANNOUNCE = {"name": "Show.S01E01.1080p-GRP", "guid": LINK, "link": LINK, "tracker": "Other"}


class RecordingDaemon:
    def __init__(self) -> None:
        self.announces: list[Candidate] = []
        self.webhooks: list[WebhookRequest] = []
        self.jobs: list[tuple[str, Mapping[str, bool]]] = []
        self.answer = (204, "NOTHING")

    async def announce(self, candidate: Candidate) -> tuple[int, str]:
        self.announces.append(candidate)
        return self.answer

    async def webhook(self, request: WebhookRequest) -> None:
        self.webhooks.append(request)

    async def run_job(self, name: str, flags: Mapping[str, bool]) -> JobOutcome:
        self.jobs.append((name, flags))
        return JobOutcome(200, f"{name} started")

    def path_exists(self, path: str) -> bool:
        return path == "/data/Show.S01"

    def status(self) -> dict[str, Any]:
        return {"searchees": 3}


@pytest.fixture
def daemon() -> RecordingDaemon:
    return RecordingDaemon()


@pytest.fixture
async def http(daemon: RecordingDaemon):
    app = crossseed_app(daemon, lambda: KEY)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:2468") as client:
        yield client


AUTHED = [
    ("GET", "/api/status", None),
    ("POST", "/api/announce", ANNOUNCE),
    ("POST", "/api/webhook", {"infoHash": "a" * 40}),
    ("POST", "/api/job", {"name": "rss"}),
]


@pytest.mark.parametrize(("method", "path", "payload"), AUTHED)
@pytest.mark.parametrize(
    ("headers", "query"),
    [
        ({}, {}),
        ({"X-Api-Key": "wrong" * 6}, {}),
        ({}, {"apikey": "wrong" * 6}),
        ({"X-Api-Key": ""}, {}),
    ],
)
async def test_every_route_but_ping_needs_the_key(
    http: httpx.AsyncClient, daemon: RecordingDaemon, method, path, payload, headers, query
):
    r = await http.request(method, path, json=payload, headers=headers, params=query)
    assert r.status_code == 401
    assert r.text == UNAUTHORIZED
    assert not daemon.announces and not daemon.webhooks and not daemon.jobs


@pytest.mark.parametrize(("method", "path", "payload"), AUTHED)
async def test_the_key_in_a_header_or_the_query(http: httpx.AsyncClient, method, path, payload):
    by_header = await http.request(method, path, json=payload, headers={"X-Api-Key": KEY})
    by_query = await http.request(method, path, json=payload, params={"apikey": KEY})
    assert by_header.status_code == by_query.status_code
    assert by_header.status_code in (200, 204)


async def test_ping_needs_no_key(http: httpx.AsyncClient):
    r = await http.get("/api/ping")
    assert (r.status_code, r.text) == (200, "OK")


async def test_status_reports_the_daemon(http: httpx.AsyncClient):
    r = await http.get("/api/status", headers={"X-Api-Key": KEY})
    assert r.status_code == 200
    assert r.json() == {"searchees": 3}


@pytest.mark.parametrize("answer", [(200, "INJECTED"), (202, "TORRENT_NOT_COMPLETE"), (204, "")])
async def test_announce_answers_the_daemons_status(http, daemon, answer):
    daemon.answer = answer
    r = await http.post("/api/announce", json=ANNOUNCE, headers={"X-Api-Key": KEY})
    assert r.status_code == answer[0]
    assert r.content == b""


async def test_announce_as_json_and_as_a_form_with_a_size(http, daemon):
    await http.post("/api/announce", json={**ANNOUNCE, "size": 1234}, headers={"X-Api-Key": KEY})
    await http.post("/api/announce", data={**ANNOUNCE, "size": "1234"}, headers={"X-Api-Key": KEY})
    assert [c.size for c in daemon.announces] == [1234, 1234]
    assert all(c.name == ANNOUNCE["name"] and c.link == LINK for c in daemon.announces)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({k: v for k, v in ANNOUNCE.items() if k != "name"}, "name"),
        ({**ANNOUNCE, "name": "   "}, "name"),
        ({k: v for k, v in ANNOUNCE.items() if k != "link"}, "link"),
        ({**ANNOUNCE, "link": "not a url"}, "link"),
        ({**ANNOUNCE, "guid": ""}, "guid"),
        ({k: v for k, v in ANNOUNCE.items() if k != "tracker"}, "tracker"),
        ({**ANNOUNCE, "size": "big"}, "size"),
        ({**ANNOUNCE, "size": -1}, "size"),
        ({**ANNOUNCE, "size": True}, "size"),
        ({**ANNOUNCE, "extra": 1}, "extra"),
    ],
)
async def test_bad_announces_are_400_naming_the_field(http, daemon, payload, field):
    r = await http.post("/api/announce", json=payload, headers={"X-Api-Key": KEY})
    assert r.status_code == 400
    assert field in r.text
    assert not daemon.announces


@pytest.mark.parametrize("body", [b"", b"[1, 2]", b'"text"', b"\xff\xfe", b"{not json"])
async def test_unreadable_bodies_are_400(http, daemon, body):
    for path in ("/api/announce", "/api/webhook", "/api/job"):
        r = await http.post(path, content=body, headers={"X-Api-Key": KEY})
        assert r.status_code == 400, (path, body)
    assert not daemon.announces and not daemon.webhooks and not daemon.jobs


async def test_webhook_by_info_hash_or_path(http, daemon):
    h = {"X-Api-Key": KEY}
    assert (
        await http.post("/api/webhook", data={"infoHash": "AB" * 20}, headers=h)
    ).status_code == 204
    r = await http.post(
        "/api/webhook",
        json={"path": "/data/Show.S01", "includeSingleEpisodes": "true", "ignoreCrossSeeds": False},
        headers=h,
    )
    assert r.status_code == 204
    assert daemon.webhooks[0] == WebhookRequest("ab" * 20, None, {})
    assert daemon.webhooks[1].path == "/data/Show.S01"
    assert daemon.webhooks[1].flags == {"includeSingleEpisodes": True, "ignoreCrossSeeds": False}
    r = await http.post(
        "/api/webhook", data={"infoHash": "c" * 40, "outputDir": "/srv/out"}, headers=h
    )
    assert r.status_code == 204
    assert daemon.webhooks[2].output_dir == "/srv/out"


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"infoHash": "a" * 39},
        {"infoHash": "g" * 40},
        {"path": "/missing"},
        {"infoHash": "a" * 40, "path": "/data/Show.S01"},
        {"infoHash": "a" * 40, "includeNonVideos": 3},
        {"infoHash": "a" * 40, "outputDir": "/x", "bogus": 1},
        {"infoHash": "a" * 40, "outputDir": "relative/dir"},
    ],
)
async def test_bad_webhooks_are_400(http, daemon, payload):
    r = await http.post("/api/webhook", json=payload, headers={"X-Api-Key": KEY})
    assert r.status_code == 400
    assert "infoHash" in r.text
    assert not daemon.webhooks


async def test_jobs(http, daemon):
    h = {"X-Api-Key": KEY}
    assert (await http.post("/api/job", json={"name": "search"}, headers=h)).status_code == 200
    assert (await http.post("/api/job", json={"name": "nope"}, headers=h)).status_code == 400
    assert daemon.jobs == [("search", {})]


async def test_wrong_method_and_unknown_path(http):
    h = {"X-Api-Key": KEY}
    assert (await http.get("/api/announce", headers=h)).status_code == 405
    assert (await http.post("/api/ping")).status_code == 405
    assert (await http.get("/api/nothing", headers=h)).status_code == 404


def test_parse_body_reads_json_then_a_query_string():
    assert parse_body(b'{"a": 1}') == {"a": 1}
    assert parse_body(b"a=1&b=x%20y") == {"a": "1", "b": "x y"}
    with pytest.raises(BadRequest):
        parse_body(json.dumps([1]).encode())


def test_parse_announce_trims_and_keeps_guid_apart_from_link():
    c = parse_announce({**ANNOUNCE, "name": "  X.S01E01  ", "guid": "http://site/t/1"})
    assert (c.name, c.guid, c.link, c.size) == ("X.S01E01", "http://site/t/1", LINK, None)


async def test_a_failing_daemon_is_a_503_never_a_500(http, daemon, caplog):
    async def broken(candidate):
        raise RuntimeError("database gone")

    daemon.announce = broken
    r = await http.post("/api/announce", json=ANNOUNCE, headers={"X-Api-Key": KEY})
    assert r.status_code == 503
    assert "retry later" in r.text
    assert "database gone" not in r.text
