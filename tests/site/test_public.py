"""The public routes: branding, runtime config (announce URLs without a passkey), the
announcement, homepage content, public counters, and the tracker health probe."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.support.site import member
from torrentstack.bittorrent.tracker_udp import ConnectRequest, encode_connect, parse_request
from torrentstack.site.models import Torrent
from torrentstack.site.public.tracker_probe import Target, http_target, probe_udp, udp_target

pytestmark = pytest.mark.database


async def add_torrent(engine, n: int, status: str, *, deleted=False, seeders=0, leechers=0):
    now = datetime.now(UTC)
    async with AsyncSession(engine) as db:
        row = Torrent(
            info_hash=f"{n:040x}", name=f"t{n}", title=f"Torrent {n}", size=1000 * n,
            file_count=1, files="[]", info=b"d4:name1:xe", content_signature=f"{n:064x}",
            status=status, deleted=deleted, seeders=seeders, leechers=leechers, snatches=n,
            created_at=now, updated_at=now,
        )  # fmt: skip
        db.add(row)
        await db.flush()
        torrent_id = row.id
        await db.commit()
        return torrent_id


async def test_defaults_before_any_setting(site):
    http = site()
    branding = (await http.get("/api/branding")).json()
    assert branding == {
        "title": "torrentstack", "tagline": "", "logoUrl": "", "faviconUrl": "",
        "features": {"registration": True, "invites": True, "torznab": True, "udp": True},
    }  # fmt: skip
    config = (await http.get("/api/runtime-config")).json()
    # no announce URL configured: the request's host and the tracker's port, no passkey
    assert config["announceHttp"] == "http://site.test:6969/announce"
    assert config["announceUdp"] == "udp://site.test:6969/announce"  # the same port
    assert config["announceUrls"] == [config["announceHttp"], config["announceUdp"]]
    assert config["registration"] == {"mode": "open", "note": ""}  # the first member's turn
    reply = await http.get("/api/announcement")
    assert reply.status_code == 200 and reply.json() is None
    assert (await http.get("/api/homepage-content")).json() == {"featured": [], "blocks": []}
    stats = (await http.get("/api/stats/public")).json()
    assert stats == {
        "users": 0, "torrents": 0, "seeders": 0, "leechers": 0, "peers": 0, "snatches": 0,
        "udp": {"enabled": True, "announceUrl": "udp://site.test:6969/announce"},
    }  # fmt: skip


async def test_configured_announce_urls_and_registration_mode(make_site):
    client = await make_site(
        announce_http="https://tracker.example/announce",
        announce_udp="udp://tracker.example:6969/announce",
        registration="closed",
    )
    await member(client(), "alice")
    config = (await client().get("/api/runtime-config")).json()
    assert config["announceUrls"] == [
        "https://tracker.example/announce",
        "udp://tracker.example:6969/announce",
    ]
    assert config["registration"]["mode"] == "closed"
    assert (await client().get("/api/branding")).json()["features"]["registration"] is False
    stats = (await client().get("/api/stats/public")).json()
    assert stats["udp"] == {"enabled": True, "announceUrl": "udp://tracker.example:6969/announce"}
    assert stats["users"] == 1


async def test_public_url_names_the_fallback_host(make_site):
    client = await make_site(public_url="https://site.example.org")
    config = (await client().get("/api/runtime-config")).json()
    assert config["announceHttp"] == "http://site.example.org:6969/announce"


async def test_operator_settings_reach_the_public_routes(site, site_engine):
    admin = await member(site(), "alice")
    shown = await add_torrent(site_engine, 1, "accepted", seeders=3)
    pending = await add_torrent(site_engine, 2, "pending")
    gone = await add_torrent(site_engine, 3, "accepted", deleted=True)
    later = await add_torrent(site_engine, 4, "accepted", leechers=1)
    settings = {
        "title": "My Tracker",
        "tagline": "Linux ISOs",
        "logoUrl": "/logo.png",
        "announcement": {"text": "Maintenance at 10:00", "level": "warning"},
        "registrationNote": "Ask on IRC",
        "features": {"invites": False},
        "homepageContent": {
            "featured": [{"title": "Picks", "torrentIds": [later, pending, gone, 999, shown]}],
            "blocks": [{"title": "Rules", "body": "Seed to 1.0"}],
        },
    }
    reply = await admin.http.put("/api/admin/settings", json=settings)
    assert reply.status_code == 200, reply.text
    http = site()
    branding = (await http.get("/api/branding")).json()
    assert (branding["title"], branding["tagline"], branding["logoUrl"]) == (
        "My Tracker", "Linux ISOs", "/logo.png",
    )  # fmt: skip
    assert branding["features"]["invites"] is False
    assert (await http.get("/api/announcement")).json() == settings["announcement"]
    assert (await http.get("/api/runtime-config")).json()["registration"] == {
        "mode": "invite", "note": "Ask on IRC",
    }  # fmt: skip
    home = (await http.get("/api/homepage-content")).json()
    # only accepted, not deleted torrents, in the operator's order
    assert [t["id"] for t in home["featured"][0]["torrents"]] == [later, shown]
    assert home["featured"][0]["torrents"][1]["infoHash"] == f"{1:040x}"
    assert home["blocks"] == [{"title": "Rules", "body": "Seed to 1.0"}]
    stats = (await http.get("/api/stats/public")).json()
    assert (stats["torrents"], stats["seeders"], stats["leechers"], stats["peers"]) == (2, 3, 1, 4)
    assert stats["snatches"] == 1 + 4
    await admin.http.put("/api/admin/settings", json={"announcement": None})
    assert (await http.get("/api/announcement")).json() is None


class _HttpTracker:
    """A loopback TCP server answering any request like a tracker's bare announce."""

    def __init__(self) -> None:
        self.requests: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.requests.append(await reader.readline())
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()


class _UdpTracker(asyncio.DatagramProtocol):
    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        request = parse_request(data)
        assert isinstance(request, ConnectRequest)
        self.transport.sendto(encode_connect(request.transaction_id, 42), addr)


def _free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_tracker_health_probes_the_configured_tracker(make_site, clock):
    tracker = _HttpTracker()
    server = await asyncio.start_server(tracker.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    loop = asyncio.get_running_loop()
    udp, _ = await loop.create_datagram_endpoint(_UdpTracker, local_addr=("127.0.0.1", 0))
    udp_port = udp.get_extra_info("sockname")[1]
    try:
        client = await make_site(
            announce_http=f"http://127.0.0.1:{port}/announce",
            announce_udp=f"udp://127.0.0.1:{udp_port}/announce",
        )
        health = (await client().get("/api/tracker-health")).json()
        assert health["status"] == "up"
        assert health["http"] == {
            "url": f"http://127.0.0.1:{port}/announce", "configured": True, "up": True,
        }  # fmt: skip
        assert health["udp"]["up"] is True and health["udp"]["configured"] is True
        assert tracker.requests == [b"GET /announce HTTP/1.0\r\n"]  # no passkey, no query
        # within 10 s the result is reused: no second probe
        again = (await client().get("/api/tracker-health")).json()
        assert again["checkedAt"] == health["checkedAt"] and len(tracker.requests) == 1
        clock.advance(11)
        server.close()
        await server.wait_closed()
        later = (await client().get("/api/tracker-health")).json()
        assert (later["status"], later["http"]["up"], later["udp"]["up"]) == (
            "degraded",
            False,
            True,
        )
    finally:
        udp.close()
        server.close()


async def test_tracker_health_when_nothing_answers(make_site):
    client = await make_site(announce_http=f"http://127.0.0.1:{_free_port(socket.SOCK_STREAM)}/a")
    health = (await client().get("/api/tracker-health")).json()
    assert health["status"] == "down"
    assert (health["http"]["up"], health["udp"]) == (
        False, {"url": "udp://site.test:6969/announce", "configured": False, "up": None},
    )  # fmt: skip
    assert await probe_udp(Target("udp", "127.0.0.1", _free_port(socket.SOCK_DGRAM)), 0.5) is False


def test_probe_targets_come_from_settings_only():
    assert http_target("", 6969) == Target("http", "127.0.0.1", 6969, "/announce")
    assert http_target("https://t.example/ann", 1) == Target("https", "t.example", 443, "/ann")
    assert http_target("ftp://t.example/", 1) is None
    assert http_target("http://t.example:99999/", 1) is None
    assert udp_target("") is None and udp_target("udp://t.example/") is None  # no port
    assert udp_target("udp://t.example:1337/announce") == Target("udp", "t.example", 1337)


async def test_the_openapi_document_shows_the_models(site):
    spec = (await site().get("/openapi.json")).json()
    names = {name.split("-")[0] for name in spec["components"]["schemas"]}
    assert {"Branding", "RuntimeConfig", "Homepage", "PublicStats", "TrackerHealth"} <= names
    assert {"SiteOptions", "SiteOptionsPatch", "UserDirectory", "BanReply", "MyInvites"} <= names
    assert spec["paths"]["/api/admin/users/{user_id}/role"]["put"]["deprecated"] is True
    assert "/api/admin/system/update" not in spec["paths"]
    branding = spec["paths"]["/api/branding"]["get"]["responses"]["200"]["content"]
    assert branding["application/json"]["schema"] == {"$ref": "#/components/schemas/Branding"}
