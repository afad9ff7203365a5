"""A backend with only some parts: the endpoints of the parts it lacks answer as qBittorrent
answers a method it does not have (404 `Not Found`), after the session check (403)."""

from __future__ import annotations

from tests.qbittorrent_api.memory_backend import register_reading_only
from tests.qbittorrent_api.qbt import MakeQbt, login

UNSUPPORTED = (
    ("POST", "torrents/add"),
    ("POST", "torrents/delete"),
    ("POST", "torrents/pause"),
    ("POST", "torrents/setLocation"),
    ("POST", "torrents/createCategory"),
    ("GET", "torrents/categories"),
    ("GET", "torrents/tags"),
    ("GET", "transfer/info"),
    ("GET", "sync/maindata"),
    ("GET", "sync/torrentPeers"),
)


async def test_parts_a_backend_lacks_are_404_and_the_rest_works(make_qbt: MakeQbt):
    qbt = make_qbt(factory=register_reading_only)
    registered = set(qbt.api.handlers)
    assert not registered & {endpoint for _, endpoint in UNSUPPORTED}
    async with qbt.client() as anonymous:
        for method, endpoint in UNSUPPORTED:
            reply = await anonymous.request(method, f"/api/v2/{endpoint}")
            assert (reply.status_code, reply.text) == (403, "Forbidden"), endpoint
    async with qbt.client() as http:
        await login(http)
        for method, endpoint in UNSUPPORTED:
            reply = await http.request(method, f"/api/v2/{endpoint}")
            assert (reply.status_code, reply.text) == (404, "Not Found"), endpoint
            assert reply.headers["content-type"] == "text/plain; charset=UTF-8"
        assert (await http.get("/api/v2/app/version")).text == "v4.6.7"
        assert (await http.get("/api/v2/torrents/info")).json() == []
        assert (await http.get("/api/v2/log/main")).json() == []
