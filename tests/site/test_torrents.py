"""The torrents domain over the API: upload (private flag forced before hashing, rules,
duplicates), browse and search, detail, the personalised download, edits, soft delete, tags,
comments, favorites, cross-seed siblings; moderation and its thread."""

from __future__ import annotations

import libtorrent as lt
import pytest

from tests.support.payloads import make_torrent
from tests.support.site import member
from torrentstack.bittorrent.bencode import decode

pytestmark = [pytest.mark.database, pytest.mark.libtorrent]


def error(reply, status: int) -> dict:
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert set(body) == {"url", "statusCode", "statusMessage", "message", "data"}
    return body


async def upload(http, torrent: bytes, **fields):
    data = {k: str(v) for k, v in fields.items()}
    return await http.post("/api/torrents", data=data, files={"torrent": ("x.torrent", torrent)})


@pytest.fixture
async def members(make_site, tmp_path):
    client = await make_site(registration="open")
    admin = await member(client(), "admin")
    bob = await member(client(), "bob")
    carol = await member(client(), "carol")
    return client, admin, bob, carol


def torrent_of(tmp_path, name: str, size: int = 50_000) -> bytes:
    data, _ = make_torrent(tmp_path / "src", name, {name: size})
    return data


async def test_upload_forces_private_and_download_keeps_the_hash(members, tmp_path):
    _client, admin, bob, _ = members
    original = torrent_of(tmp_path, "Some.Show.S01E02.1080p.WEB-DL")
    reply = await upload(admin.http, original, title="Some Show S01E02", description="d")
    assert reply.status_code == 201, reply.text
    data = reply.json()["data"]
    assert data["isApproved"] is True  # staff uploads skip moderation
    assert data["infoHash"] != str(lt.torrent_info(lt.bdecode(original)).info_hash())
    assert data["magnetLink"].startswith("magnet:?xt=urn:btih:" + data["infoHash"])
    me = (await bob.http.get("/api/me")).json()
    reply = await bob.http.get(f"/api/torrents/{data['infoHash']}/download")
    assert reply.headers["content-type"] == "application/x-bittorrent"
    info = lt.torrent_info(lt.bdecode(reply.content))
    assert str(info.info_hash()) == data["infoHash"] and info.priv()
    announce = decode(reply.content)[b"announce"].decode()
    assert announce.endswith(f"/announce/{me['passkey']}")
    error(await upload(bob.http, original), 409)  # the same torrent again: 409


async def test_plain_members_uploads_wait_and_are_hidden(members, tmp_path):
    client, admin, bob, carol = members
    reply = await upload(bob.http, torrent_of(tmp_path, "Pending.Thing"))
    assert reply.status_code == 201
    ih = reply.json()["data"]["infoHash"]
    assert reply.json()["data"]["isApproved"] is False
    assert (await bob.http.get(f"/api/torrents/{ih}")).status_code == 200  # the uploader
    assert (await admin.http.get(f"/api/torrents/{ih}")).status_code == 200  # staff
    error(await carol.http.get(f"/api/torrents/{ih}"), 404)
    error(await client().get(f"/api/torrents/{ih}"), 404)
    assert (await client().get("/api/torrents")).json()["total"] == 0
    queue = (await admin.http.get("/api/mod/torrents/pending")).json()
    assert [t["infoHash"] for t in queue["torrents"]] == [ih]
    # the thread: uploader and staff; 404 for anyone else
    error(await carol.http.get(f"/api/torrents/{ih}/moderation/messages"), 404)
    error(await admin.http.post(f"/api/mod/torrents/{ih}/reject", json={}), 400)  # no message
    reply = await admin.http.post(
        f"/api/mod/torrents/{ih}/request-changes", json={"message": "NFO?"}
    )
    assert reply.json()["status"] == "changes_requested"
    reply = await bob.http.post(
        f"/api/torrents/{ih}/moderation/messages", json={"message": "added"}
    )
    assert reply.status_code == 201
    thread = (await bob.http.get(f"/api/torrents/{ih}/moderation/messages")).json()
    assert [m["message"] for m in thread["messages"]] == ["NFO?", "added"]
    assert (await admin.http.post(f"/api/mod/torrents/{ih}/approve", json={})).status_code == 200
    error(await admin.http.post(f"/api/mod/torrents/{ih}/reset", json={"message": "x"}), 409)
    assert (await client().get(f"/api/torrents/{ih}")).status_code == 200
    dash = (await admin.http.get("/api/mod/dashboard")).json()
    assert (dash["pendingUploads"], dash["accepted"]) == (0, 1)
    error(await bob.http.get("/api/mod/dashboard"), 403)


async def test_browse_search_sort_and_tags(members, tmp_path):
    client, admin, _, _ = members
    names = ["Alpha.Movie.2020.1080p", "Beta.Show.S01.720p", "Gamma.Movie.2021.2160p"]
    for index, name in enumerate(names):
        reply = await upload(admin.http, torrent_of(tmp_path, name, 10_000 * (index + 1)),
                             tags='["hd", "x264"]' if index != 1 else '["sd"]')  # fmt: skip
        assert reply.status_code == 201, reply.text
    http = client()
    found = (await http.get("/api/torrents", params={"q": "movie"})).json()
    assert sorted(t["name"] for t in found["torrents"]) == [names[0], names[2]]
    assert found["total"] == 2
    assert (await http.get("/api/torrents", params={"q": "movie 2160p"})).json()["total"] == 1
    assert (await http.get("/api/torrents", params={"tags": "sd"})).json()["total"] == 1
    by_size = (await http.get("/api/torrents", params={"sort": "size"})).json()["torrents"]
    assert [t["name"] for t in by_size] == names[::-1]
    paged = (await http.get("/api/torrents", params={"limit": 1, "page": 2})).json()
    assert len(paged["torrents"]) == 1 and paged["total"] == 3
    error(await http.get("/api/torrents", params={"sort": "nope"}), 400)
    error(await http.get("/api/torrents", params={"limit": 1000}), 400)
    for hostile in ('"', "NEAR(", "a OR b", "*", "'; DROP TABLE site_torrents; --"):
        assert (await http.get("/api/torrents", params={"q": hostile})).status_code == 200


async def test_edit_delete_tags_comments_favorites(members, tmp_path):
    client, admin, bob, carol = members
    reply = await upload(bob.http, torrent_of(tmp_path, "Edit.Me"))
    ih = reply.json()["data"]["infoHash"]
    await admin.http.post(f"/api/mod/torrents/{ih}/approve", json={})
    error(await carol.http.patch(f"/api/torrents/{ih}", json={"title": "x"}), 403)
    reply = await bob.http.patch(f"/api/torrents/{ih}", json={"title": "Edited Title"})
    assert reply.json()["title"] == "Edited Title"
    assert (await client().get("/api/torrents", params={"q": "edited"})).json()["total"] == 1
    reply = await bob.http.put(f"/api/torrents/{ih}/tags", json={"tags": ["One", "two"]})
    assert reply.json()["tags"] == ["one", "two"]
    comment = (
        await carol.http.post(f"/api/torrents/{ih}/comments", json={"body": "thanks"})
    ).json()
    error(await bob.http.delete(f"/api/torrents/comments/{comment['id']}"), 403)
    assert (await carol.http.delete(f"/api/torrents/comments/{comment['id']}")).status_code == 200
    assert (await carol.http.post(f"/api/torrents/{ih}/favorite")).status_code == 200
    assert (await carol.http.post(f"/api/torrents/{ih}/favorite")).status_code == 200  # idempotent
    favorites = (await carol.http.get("/api/me/favorites")).json()
    assert [t["infoHash"] for t in favorites["torrents"]] == [ih]
    assert (await carol.http.delete(f"/api/torrents/{ih}/favorite")).status_code == 200
    assert (await carol.http.get("/api/me/favorites")).json()["total"] == 0
    uploads = (await client().get(f"/api/users/{bob.user['id']}/uploads")).json()
    assert uploads["total"] == 1
    assert (await bob.http.delete(f"/api/torrents/{ih}")).status_code == 200
    error(await carol.http.get(f"/api/torrents/{ih}"), 404)
    assert (await client().get("/api/torrents")).json()["total"] == 0


async def test_cross_seed_siblings_share_the_content(members, tmp_path):
    _, admin, bob, _ = members
    one, _ = make_torrent(tmp_path / "a", "Same", {"Same": 40_000}, piece_length=16384)
    two, _ = make_torrent(tmp_path / "a", "Same", {"Same": 40_000}, piece_length=32768)
    h1 = (await upload(admin.http, one)).json()["data"]["infoHash"]
    h2 = (await upload(admin.http, two)).json()["data"]["infoHash"]
    assert h1 != h2
    siblings = (await bob.http.get(f"/api/torrents/{h1}/cross-seeds")).json()
    assert [s["infoHash"] for s in siblings] == [h2]
    stats = (await bob.http.get(f"/api/torrents/{h1}/cross-seed-stats")).json()
    assert stats["siblings"] == 1


async def test_bad_uploads_are_400(members, tmp_path):
    _, admin, bob, _ = members
    error(await upload(bob.http, b"not a torrent"), 400)
    error(await upload(bob.http, torrent_of(tmp_path, "x"), categoryId=999), 400)
    error(await upload(bob.http, torrent_of(tmp_path, "y"), tags="{bad"), 400)
    reply = await admin.http.put("/api/admin/upload-rules", json={"descriptionMinLength": 10})
    assert reply.status_code == 200, reply.text
    body = error(await upload(bob.http, torrent_of(tmp_path, "z"), description="short"), 400)
    assert body["data"]["violations"]
    assert (await bob.http.get("/api/upload-rules")).json()["descriptionMinLength"] == 10
    error(await bob.http.put("/api/admin/upload-rules", json={}), 403)


async def test_check_before_upload_and_admin_rules(members, tmp_path):
    client, admin, bob, carol = members
    torrent = torrent_of(tmp_path, "Checked")
    ih = (await upload(bob.http, torrent)).json()["data"]["infoHash"]
    seen = (await bob.http.post("/api/torrents/check", json={"infoHash": ih})).json()
    assert seen["exists"] is True and seen["torrent"]["infoHash"] == ih
    hidden = (await carol.http.post("/api/torrents/check", json={"infoHash": ih})).json()
    assert hidden == {"exists": True, "torrent": None}  # pending: its details stay hidden
    assert (await bob.http.post("/api/torrents/check", json={"infoHash": "0" * 40})).json()[
        "exists"
    ] is False
    error(await client().post("/api/torrents/check", json={"infoHash": ih}), 401)
    rules = (await admin.http.get("/api/admin/upload-rules")).json()
    assert rules == (await client().get("/api/upload-rules")).json()
    error(await bob.http.get("/api/admin/upload-rules"), 403)


async def test_out_of_range_ids_and_pages_are_400_not_500(members):
    """Found by test_schema_fuzz: ids beyond the id columns' range and a page past the
    deepest offset reached the database (or the query's checks) and answered 500."""
    client, admin, bob, _ = members
    huge = 9223372036854775808
    error(await client().get(f"/api/users/{huge}/uploads"), 400)
    error(await client().get(f"/api/users/{bob.user['id']}/uploads?page=100000&limit=100"), 400)
    error(await admin.http.delete(f"/api/torrents/comments/{huge}"), 400)
    error(await admin.http.delete("/api/torrents/comments/999"), 404)


async def test_a_nul_character_in_a_form_field_is_400(members, tmp_path):
    _client, _, bob, _ = members
    torrent = torrent_of(tmp_path, "Nul.Title")
    for field in ("title", "description", "tags"):
        error(await upload(bob.http, torrent, **{field: "a\u0000b"}), 400)
    assert (await upload(bob.http, torrent, title="fine")).status_code == 201
