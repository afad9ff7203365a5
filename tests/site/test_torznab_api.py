"""Torznab and RSS over the API, parsed back as Prowlarr and feed readers parse them."""

from __future__ import annotations

import libtorrent as lt
import pytest
from lxml import etree

from tests.support.payloads import make_torrent
from tests.support.site import member
from torrentstack.bittorrent.bencode import decode

pytestmark = [pytest.mark.database, pytest.mark.libtorrent]
TORZNAB = "{http://torznab.com/schemas/2015/feed}"
ATOM = "{http://www.w3.org/2005/Atom}"


def attrs(item) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for attr in item.iter(f"{TORZNAB}attr"):
        out.setdefault(attr.get("name"), []).append(attr.get("value"))
    return out


@pytest.fixture
async def indexed(make_site, tmp_path):
    client = await make_site(registration="open")
    admin = await member(client(), "admin")
    assert (await admin.http.post("/api/admin/categories/seed")).status_code == 200
    tree = (await client().get("/api/categories")).json()
    tv = next(c for c in tree if c["newznabId"] == 5000)
    tv_hd = next(c for c in tv["children"] if c["newznabId"] == 5040)
    movies = next(c for c in tree if c["newznabId"] == 2000)
    for name, category in (("Some.Show.S01E02.1080p", tv_hd), ("A.Movie.2020.1080p", movies)):
        torrent, _ = make_torrent(tmp_path / "src", name, {name: 30_000})
        reply = await admin.http.post(
            "/api/torrents",
            data={"categoryId": str(category["id"])},
            files={"torrent": ("t.torrent", torrent)},
        )
        assert reply.status_code == 201, reply.text
    me = (await admin.http.get("/api/me")).json()
    return client, admin, me


async def test_caps_needs_no_key_and_lists_newznab_categories(indexed):
    client, _, _ = indexed
    reply = await client().get("/api/torznab/api", params={"t": "caps"})
    caps = etree.fromstring(reply.content)
    ids = {int(c.get("id")) for c in caps.iter("category")}
    assert {2000, 5000, 8000} <= ids
    assert {int(s.get("id")) for s in caps.iter("subcat")} >= {5040}
    head = await client().head("/api/torznab/api", params={"t": "caps"})
    assert head.status_code == 200 and head.content == b""


async def test_search_with_the_members_key(indexed):
    client, _, me = indexed
    key = me["torznabKey"]
    reply = await client().get(
        "/api/torznab/api", params={"t": "search", "q": "show", "apikey": key}
    )
    rss = etree.fromstring(reply.content)
    items = rss.findall("channel/item")
    assert [i.findtext("title") for i in items] == ["Some.Show.S01E02.1080p"]
    found = attrs(items[0])
    assert found["category"] == ["5040"] and found["size"] == ["30000"]
    assert int(found["peers"][0]) == int(found["seeders"][0]) + int(found.get("leechers", ["0"])[0])
    enclosure = items[0].find("enclosure")
    tv = await client().get(
        "/api/torznab/api", params={"t": "tvsearch", "cat": "5000", "apikey": key}
    )
    assert len(etree.fromstring(tv.content).findall("channel/item")) == 1
    movie = await client().get(
        "/api/torznab/api", params={"t": "search", "cat": "2000", "apikey": key}
    )
    assert [
        i.findtext("title") for i in etree.fromstring(movie.content).findall("channel/item")
    ] == ["A.Movie.2020.1080p"]
    # the enclosure downloads the member's own .torrent
    download = await client().get(enclosure.get("url").replace("http://site.test", ""))
    assert download.status_code == 200
    info = lt.torrent_info(lt.bdecode(download.content))
    assert info.priv() and me["passkey"] in decode(download.content)[b"announce"].decode()


async def test_newznab_errors(indexed):
    client, _, _ = indexed
    missing = etree.fromstring(
        (await client().get("/api/torznab/api", params={"t": "search"})).content
    )
    assert (missing.tag, missing.get("code"), missing.get("description")) == (
        "error",
        "200",
        "Missing parameter",
    )
    wrong = etree.fromstring(
        (await client().get("/api/torznab/api", params={"t": "search", "apikey": "0" * 32})).content
    )
    assert wrong.get("code") == "100"
    unknown = etree.fromstring(
        (await client().get("/api/torznab/api", params={"t": "nope"})).content
    )
    assert unknown.get("code") == "202"
    bad = etree.fromstring(
        (
            await client().get(
                "/api/torznab/api", params={"t": "search", "limit": "x", "apikey": "0" * 32}
            )
        ).content
    )
    assert bad.get("code") == "201"
    assert (
        await client().get("/api/torznab/download", params={"id": "0" * 40, "r": "bad"})
    ).status_code == 401


async def test_a_nul_in_a_function_or_an_id_is_an_error_not_a_500(indexed):
    """PostgreSQL takes no NUL: the function asked for is logged, the id looked up (a 500
    there); both answer Newznab errors instead."""
    client, _, me = indexed
    nul = etree.fromstring(
        (await client().get("/api/torznab/api", params={"t": "se\u0000arch"})).content
    )
    assert nul.get("code") == "202"
    for id_ in ("a\u0000b", "nope"):
        params = {"id": id_, "r": me["torznabKey"]}
        reply = await client().get("/api/torznab/download", params=params)
        assert reply.status_code == 404
        assert etree.fromstring(reply.content).get("code") == "300"


async def test_rss_feeds(indexed):
    client, _, _ = indexed
    feed = etree.fromstring((await client().get("/api/rss/latest")).content)
    assert feed.tag == f"{ATOM}feed"
    assert len(feed.findall(f"{ATOM}entry")) == 2
    tree = (await client().get("/api/categories")).json()
    slug = next(c for c in tree if c["newznabId"] == 2000)["slug"]
    movies = etree.fromstring((await client().get(f"/api/rss/category/{slug}")).content)
    assert [e.findtext(f"{ATOM}title") for e in movies.findall(f"{ATOM}entry")] == [
        "A.Movie.2020.1080p"
    ]
    assert (await client().get("/api/rss/category/nope")).status_code == 404


async def test_admin_blocks_and_rotates_keys_and_sees_the_log(indexed):
    client, admin, me = indexed
    key = me["torznabKey"]
    http = client()
    await http.get("/api/torznab/api", params={"t": "search", "q": "show", "apikey": key})
    await http.get("/api/torznab/api", params={"t": "search", "apikey": "0" * 32})
    stats = (await admin.http.get("/api/admin/torznab/stats")).json()
    assert stats["total"] >= 2 and stats["errors"] >= 1
    logs = (await admin.http.get("/api/admin/torznab/logs")).json()
    assert logs[0]["status"] == 100 and logs[1]["username"] == "admin"
    assert key not in str(logs)  # keys are never shown in the log
    users = (await admin.http.get("/api/admin/torznab/users")).json()
    assert [u["keyPrefix"] for u in users] == [key[:6]]
    user_id = me["id"]
    assert (await admin.http.post(f"/api/admin/torznab/users/{user_id}/block")).json()["blocked"]
    blocked = await http.get("/api/torznab/api", params={"t": "search", "apikey": key})
    assert etree.fromstring(blocked.content).get("code") == "100"
    fresh = (await admin.http.post(f"/api/admin/torznab/users/{user_id}/reset")).json()
    assert fresh["torznabKey"] != key
    ok = await http.get("/api/torznab/api", params={"t": "search", "apikey": fresh["torznabKey"]})
    assert etree.fromstring(ok.content).tag == "rss"
    # the switch: 910 while Torznab is off
    reply = await admin.http.put(
        "/api/admin/torznab", json={"enabled": False, "maxLimit": 50, "defaultLimit": 10}
    )
    assert reply.status_code == 200, reply.text
    off = await http.get("/api/torznab/api", params={"t": "caps"})
    assert etree.fromstring(off.content).get("code") == "910"
    assert (await admin.http.get("/api/admin/torznab")).json()["config"]["enabled"] is False
    assert (await admin.http.post("/api/admin/torznab/users/999/block")).status_code == 404
