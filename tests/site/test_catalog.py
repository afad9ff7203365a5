"""The catalogue: the category tree (slugs, cycles, deletion moving things up, the seeded
default tree with Newznab ids), the tag list (normal form, autocomplete, unbinding on delete),
and the service functions other domains call; on SQLite and on PostgreSQL."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.support.site import member
from torrentstack.site.catalog import categories as category_service
from torrentstack.site.catalog import tags as tag_service
from torrentstack.site.catalog.default_tree import DEFAULT_TREE
from torrentstack.site.errors import InvalidRequest
from torrentstack.site.models import Category, Tag, Torrent, TorrentTag

pytestmark = pytest.mark.database

CATEGORIES = "/api/admin/categories"
TAGS = "/api/admin/tags"


def assert_error(reply: httpx.Response, status: int, url: str) -> dict:
    body = reply.json()
    assert reply.status_code == status, reply.text
    assert set(body) == {"url", "statusCode", "statusMessage", "message", "data"}
    assert (body["url"], body["statusCode"]) == (url, status)
    return body


@dataclass
class People:
    anonymous: httpx.AsyncClient
    user: httpx.AsyncClient
    admin: httpx.AsyncClient


@pytest.fixture
async def people(make_site) -> AsyncIterator[People]:
    client = await make_site(registration="open")
    admin, user, anonymous = client(), client(), client()
    await member(admin, "admin")  # the first member is admin
    await member(user, "bob")
    yield People(anonymous, user, admin)
    for http in (admin, user, anonymous):
        await http.aclose()


async def create(http: httpx.AsyncClient, **body) -> dict:
    reply = await http.post(CATEGORIES, json=body)
    assert reply.status_code == 201, reply.text
    return reply.json()


async def tree(http: httpx.AsyncClient) -> list[dict]:
    reply = await http.get("/api/categories")
    assert reply.status_code == 200, reply.text
    return reply.json()


def shape(nodes: list[dict]) -> list:
    """The tree as (slug, [children...]) pairs, in the order the API gives."""
    return [(n["slug"], shape(n["children"])) for n in nodes]


def flat(nodes: list[dict]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for node in nodes:
        found[node["slug"]] = node
        found.update(flat(node["children"]))
    return found


async def add_torrent(
    engine: AsyncEngine,
    category_id: int | None = None,
    status: str = "accepted",
    tag_ids: tuple[int, ...] = (),
    deleted: bool = False,
) -> int:
    now = datetime.now(UTC)
    async with AsyncSession(engine) as db:
        torrent = Torrent(
            info_hash=secrets.token_hex(20),
            name="Some.Release",
            title="Some Release",
            category_id=category_id,
            size=1,
            file_count=1,
            files="[]",
            info=b"d4:name1:xe",
            content_signature=secrets.token_hex(32),
            search_text="some release",
            status=status,
            deleted=deleted,
            created_at=now,
            updated_at=now,
        )
        db.add(torrent)
        await db.flush()
        torrent_id = torrent.id
        for tag_id in tag_ids:
            db.add(TorrentTag(torrent_id=torrent_id, tag_id=tag_id))
        await db.commit()
    return torrent_id


async def category_of(engine: AsyncEngine, torrent_id: int) -> int | None:
    async with AsyncSession(engine) as db:
        return await db.scalar(select(Torrent.category_id).where(Torrent.id == torrent_id))


# --- the tree ---------------------------------------------------------------------------------


async def test_the_tree_nests_children_by_position_then_name(people):
    assert await tree(people.anonymous) == []
    tv = await create(people.admin, name="TV", position=2)
    movies = await create(people.admin, name="Movies", position=1, newznabId=2000)
    await create(people.admin, name="Audio", position=2)
    await create(people.admin, name="zeta", parentId=movies["id"])
    await create(people.admin, name="Alpha", parentId=movies["id"])
    await create(people.admin, name="Last", parentId=movies["id"], position=5)
    await create(people.admin, name="HD", parentId=tv["id"])
    assert movies == {
        "id": movies["id"],
        "name": "Movies",
        "slug": "movies",
        "parentId": None,
        "newznabId": 2000,
        "position": 1,
    }
    nodes = await tree(people.anonymous)  # public
    assert shape(nodes) == [
        ("movies", [("movies-alpha", []), ("movies-zeta", []), ("movies-last", [])]),
        ("audio", []),
        ("tv", [("tv-hd", [])]),
    ]
    assert set(nodes[0]) == {"id", "name", "slug", "parentId", "newznabId", "position", "children"}
    assert nodes[0]["children"][0]["parentId"] == movies["id"]


async def test_slugs_are_derived_from_names_unique_and_explicit_ones_kept(people):
    admin = people.admin
    series = await create(admin, name="  Séries  TV! ")
    assert (series["name"], series["slug"]) == ("Séries  TV!", "series-tv")
    movies = await create(admin, name="Movies")
    hd = await create(admin, name="HD", parentId=movies["id"])
    assert hd["slug"] == "movies-hd"
    assert (await create(admin, name="4K", slug="uhd", parentId=movies["id"]))["slug"] == "uhd"
    # the same slug, derived or given, is a conflict
    for body in ({"name": "movies"}, {"name": "Other", "slug": "uhd"}):
        error = assert_error(await admin.post(CATEGORIES, json=body), 409, CATEGORIES)
        assert error["message"] == "A category with this slug exists"
    # a name of no ASCII letter or digit makes no slug: give one
    assert_error(await admin.post(CATEGORIES, json={"name": "日本"}), 400, CATEGORIES)
    assert (await create(admin, name="日本", slug="japan"))["slug"] == "japan"
    # a derived slug longer than the column is cut
    long = await create(admin, name="x" * 64, parentId=movies["id"])
    assert long["slug"] == ("movies-" + "x" * 64)[:64]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "   "},
        {"name": None},
        {"name": 5},
        {"name": "x" * 65},
        {"name": "nul\x00byte"},
        {"name": "tab\there"},
        {"name": "A", "slug": "Upper"},
        {"name": "A", "slug": "two  words"},
        {"name": "A", "slug": "-lead"},
        {"name": "A", "slug": ""},
        {"name": "A", "slug": "x" * 65},
        {"name": "A", "parentId": 0},
        {"name": "A", "parentId": 99999},
        {"name": "A", "parentId": 2**40},
        {"name": "A", "parentId": "one"},
        {"name": "A", "newznabId": 12},
        {"name": "A", "newznabId": 10**9},
        {"name": "A", "position": 10**12},
        {"name": "A", "position": 1.5},
        {"name": "A", "color": "#fff"},
        ["name", "A"],
    ],
)
async def test_bad_category_bodies_are_400(people, body):
    assert_error(await people.admin.post(CATEGORIES, json=body), 400, CATEGORIES)
    assert await tree(people.admin) == []


async def test_a_body_that_is_not_json_is_400(people):
    reply = await people.admin.post(
        CATEGORIES, content=b"{nope", headers={"content-type": "application/json"}
    )
    assert_error(reply, 400, CATEGORIES)


async def test_admin_routes_refuse_anonymous_401_and_members_403(people):
    movies = await create(people.admin, name="Movies")
    tag = (await people.admin.post(TAGS, json={"name": "x264"})).json()
    calls = [
        ("POST", CATEGORIES, {"name": "TV"}),
        ("POST", CATEGORIES, {"bad": "body"}),  # refused as unauthenticated before validation
        ("POST", f"{CATEGORIES}/seed", None),
        ("PUT", f"{CATEGORIES}/{movies['id']}", {"name": "Films"}),
        ("PUT", f"{CATEGORIES}/999", {"name": "Films"}),
        ("DELETE", f"{CATEGORIES}/{movies['id']}", None),
        ("POST", TAGS, {"name": "h264"}),
        ("DELETE", f"{TAGS}/{tag['id']}", None),
    ]
    for method, url, body in calls:
        reply = await people.anonymous.request(method, url, json=body)
        assert assert_error(reply, 401, url)["message"] == "Not authenticated"
        reply = await people.user.request(method, url, json=body)
        assert assert_error(reply, 403, url)["message"] == "Admin permission required"
    # nothing changed
    assert shape(await tree(people.anonymous)) == [("movies", [])]
    assert [t["name"] for t in (await people.user.get("/api/tags")).json()] == ["x264"]


async def test_edit_changes_only_the_fields_given(people):
    admin = people.admin
    movies = await create(admin, name="Movies", newznabId=2000, position=3)
    url = f"{CATEGORIES}/{movies['id']}"
    reply = await admin.put(url, json={"name": "Films"})
    assert reply.status_code == 200, reply.text
    assert reply.json() == movies | {"name": "Films"}  # the slug stays: feed URLs keep working
    reply = await admin.put(url, json={"slug": "films", "newznabId": None, "position": 0})
    changed = movies | {"name": "Films", "slug": "films", "newznabId": None, "position": 0}
    assert reply.json() == changed
    assert (await admin.put(url, json={})).json() == changed
    # slug null derives it again from the name (and the parent)
    tv = await create(admin, name="TV")
    hd = await create(admin, name="HD", slug="hd-video")
    reply = await admin.put(f"{CATEGORIES}/{hd['id']}", json={"parentId": tv["id"], "slug": None})
    assert (reply.json()["parentId"], reply.json()["slug"]) == (tv["id"], "tv-hd")
    reply = await admin.put(f"{CATEGORIES}/{hd['id']}", json={"parentId": None})
    assert (reply.json()["parentId"], reply.json()["slug"]) == (None, "tv-hd")
    assert shape(await tree(admin)) == [("films", []), ("tv-hd", []), ("tv", [])]  # by name
    # unknown ids
    for missing in ("999", str(2**40)):
        missing_url = f"{CATEGORIES}/{missing}"
        error = assert_error(await admin.put(missing_url, json={"name": "X"}), 404, missing_url)
        assert error["message"] == "Category not found"
    assert_error(await admin.put(f"{CATEGORIES}/abc", json={}), 400, f"{CATEGORIES}/abc")
    # a taken slug; bad values
    assert_error(await admin.put(url, json={"slug": "tv"}), 409, url)
    for body in (
        {"name": None},
        {"position": None},
        {"name": ""},
        {"slug": "Not A Slug"},
        {"parentId": 424242},
        {"newznabId": 1},
        {"extra": 1},
    ):
        assert_error(await admin.put(url, json=body), 400, url)
    assert (await admin.put(url, json={})).json() == changed


async def test_a_category_cannot_become_its_own_ancestor(people):
    admin = people.admin
    top = await create(admin, name="Top")
    middle = await create(admin, name="Middle", parentId=top["id"])
    bottom = await create(admin, name="Bottom", parentId=middle["id"])
    for target, new_parent in ((top, top), (top, middle), (top, bottom), (middle, bottom)):
        url = f"{CATEGORIES}/{target['id']}"
        error = assert_error(await admin.put(url, json={"parentId": new_parent["id"]}), 400, url)
        assert error["message"] == "A category cannot be moved under itself"
    # moving down a side branch is fine
    side = await create(admin, name="Side")
    reply = await admin.put(f"{CATEGORIES}/{middle['id']}", json={"parentId": side["id"]})
    assert reply.status_code == 200, reply.text
    assert shape(await tree(admin)) == [
        ("side", [("top-middle", [("top-middle-bottom", [])])]),
        ("top", []),
    ]


async def test_categories_nest_at_most_eight_levels(people):
    admin = people.admin
    parent = None
    chain = []
    for level in range(1, 9):
        body = {"name": f"L{level}"} | ({"parentId": parent} if parent else {})
        parent = (await create(admin, **body))["id"]
        chain.append(parent)
    error = assert_error(
        await admin.post(CATEGORIES, json={"name": "L9", "parentId": parent}), 400, CATEGORIES
    )
    assert "8 levels" in error["message"]
    # moving a two-level branch under level 7 would make nine
    branch = await create(admin, name="Branch")
    await create(admin, name="Leaf", parentId=branch["id"])
    url = f"{CATEGORIES}/{branch['id']}"
    assert_error(await admin.put(url, json={"parentId": chain[6]}), 400, url)
    assert (await admin.put(url, json={"parentId": chain[5]})).status_code == 200


async def test_delete_moves_children_and_torrents_up_to_the_parent(people, site_engine):
    admin = people.admin
    movies = await create(admin, name="Movies")
    hd = await create(admin, name="HD", parentId=movies["id"])
    hevc = await create(admin, name="HEVC", parentId=hd["id"])
    in_hd = await add_torrent(site_engine, hd["id"])
    in_movies = await add_torrent(site_engine, movies["id"])
    in_hevc = await add_torrent(site_engine, hevc["id"])

    url = f"{CATEGORIES}/{hd['id']}"
    reply = await admin.delete(url)
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"success": True, "message": "Category deleted"}
    assert shape(await tree(admin)) == [("movies", [("movies-hd-hevc", [])])]
    assert await category_of(site_engine, in_hd) == movies["id"]
    assert await category_of(site_engine, in_hevc) == hevc["id"]
    assert_error(await admin.delete(url), 404, url)

    # a top category: its children become top categories, its torrents have none
    url = f"{CATEGORIES}/{movies['id']}"
    assert (await admin.delete(url)).status_code == 200
    assert shape(await tree(admin)) == [("movies-hd-hevc", [])]
    assert await category_of(site_engine, in_movies) is None
    assert await category_of(site_engine, in_hd) is None
    async with AsyncSession(site_engine) as db:
        assert await db.scalar(select(func.count()).select_from(Torrent)) == 3
    for missing in ("424242", str(2**40)):
        assert_error(await admin.delete(f"{CATEGORIES}/{missing}"), 404, f"{CATEGORIES}/{missing}")


# --- the default tree -------------------------------------------------------------------------


EXPECTED_NEWZNAB = {
    "movies": 2000,
    "movies-sd": 2030,
    "movies-hd": 2040,
    "movies-uhd": 2045,
    "movies-bluray": 2050,
    "movies-3d": 2060,
    "tv": 5000,
    "tv-sd": 5030,
    "tv-hd": 5040,
    "tv-uhd": 5045,
    "tv-sport": 5060,
    "tv-anime": 5070,
    "tv-documentary": 5080,
    "audio": 3000,
    "audio-mp3": 3010,
    "audio-audiobook": 3030,
    "audio-lossless": 3040,
    "pc": 4000,
    "pc-software": None,
    "pc-games": 4050,
    "books": 7000,
    "books-ebook": 7020,
    "books-comics": 7030,
    "other": 8000,
}


async def test_seed_makes_the_default_tree_once(people):
    reply = await people.admin.post(f"{CATEGORIES}/seed")
    assert reply.status_code == 200, reply.text
    first = reply.json()
    assert (first["success"], first["created"]) == (True, len(EXPECTED_NEWZNAB))
    assert [c["slug"] for c in first["categories"]][:3] == ["movies", "movies-sd", "movies-hd"]
    nodes = await tree(people.anonymous)
    assert [n["name"] for n in nodes] == ["Movies", "TV", "Audio", "PC", "Books", "Other"]
    assert {slug: n["newznabId"] for slug, n in flat(nodes).items()} == EXPECTED_NEWZNAB
    assert [c["slug"] for c in nodes[0]["children"]] == [
        "movies-sd",
        "movies-hd",
        "movies-uhd",
        "movies-bluray",
        "movies-3d",
    ]
    # every slug of the default tree is the one a name would derive
    for top in DEFAULT_TREE:
        for child in top.children:
            assert child.slug == f"{top.slug}-{child.name.lower()}"

    again = (await people.admin.post(f"{CATEGORIES}/seed")).json()
    assert again == {"success": True, "created": 0, "categories": []}
    assert await tree(people.anonymous) == nodes


async def test_seed_skips_existing_slugs_and_fills_the_gaps(people):
    admin = people.admin
    mine = await create(admin, name="Films", slug="movies", newznabId=2000, position=99)
    await admin.post(f"{CATEGORIES}/seed")
    nodes = flat(await tree(admin))
    assert nodes["movies"] == mine | {"children": nodes["movies"]["children"]}
    assert len(nodes["movies"]["children"]) == 5  # the default children went under it
    anime = nodes["tv-anime"]
    assert (await admin.delete(f"{CATEGORIES}/{anime['id']}")).status_code == 200
    reply = (await admin.post(f"{CATEGORIES}/seed")).json()
    assert reply["created"] == 1
    assert reply["categories"][0] | {"id": 0} == {
        "id": 0,
        "name": "Anime",
        "slug": "tv-anime",
        "parentId": nodes["tv"]["id"],
        "newznabId": 5070,
        "position": anime["position"],
    }


# --- the service functions other domains call --------------------------------------------------


async def test_newznab_ids_are_inherited_from_the_nearest_ancestor(people, site_engine):
    admin = people.admin
    await admin.post(f"{CATEGORIES}/seed")
    nodes = flat(await tree(admin))
    software = nodes["pc-software"]
    deeper = await create(admin, name="Windows", parentId=software["id"])
    hd = nodes["movies-hd"]
    remux = await create(admin, name="Remux", parentId=hd["id"])
    loose = await create(admin, name="Loose")
    async with AsyncSession(site_engine) as db:
        ids = await category_service.newznab_ids(db)
    assert ids[software["id"]] == 4000
    assert ids[deeper["id"]] == 4000
    assert ids[remux["id"]] == 2040
    assert ids[hd["id"]] == 2040
    assert loose["id"] not in ids
    assert {slug: ids.get(n["id"]) for slug, n in nodes.items()} == EXPECTED_NEWZNAB | {
        "pc-software": 4000
    }


async def test_category_ids_with_descendants(people, site_engine):
    admin = people.admin
    movies = await create(admin, name="Movies")
    hd = await create(admin, name="HD", parentId=movies["id"])
    hevc = await create(admin, name="HEVC", parentId=hd["id"])
    sd = await create(admin, name="SD", parentId=movies["id"])
    tv = await create(admin, name="TV")
    async with AsyncSession(site_engine) as db:
        within = category_service.category_ids_with_descendants
        assert await within(db, [movies["id"]]) == {movies["id"], hd["id"], hevc["id"], sd["id"]}
        assert await within(db, {hd["id"], tv["id"]}) == {hd["id"], hevc["id"], tv["id"]}
        assert await within(db, [hevc["id"], 424242]) == {hevc["id"]}
        assert await within(db, []) == set()


# --- tags -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("  Science   Fiction ", "science.fiction"),
        ("Sci-Fi", "sci-fi"),
        ("C++", "c++"),
        ("x264", "x264"),
        ("Dolby.Vision..HDR", "dolby.vision.hdr"),
        ("\uff21\uff22\uff23", "abc"),  # NFKC: full-width letters
        ("Ünïcödé", "ünïcödé"),
        ("t" * 64, "t" * 64),
    ],
)
async def test_tag_names_are_normalised(people, given, stored):
    reply = await people.admin.post(TAGS, json={"name": given})
    assert reply.status_code == 201, reply.text
    assert reply.json() == {"id": reply.json()["id"], "name": stored, "usageCount": 0}


async def test_tags_conflict_in_normal_form_and_bad_names_are_400(people):
    admin = people.admin
    assert (await admin.post(TAGS, json={"name": "Science Fiction"})).status_code == 201
    for same in ("science fiction", "SCIENCE.FICTION", " science  fiction "):
        error = assert_error(await admin.post(TAGS, json={"name": same}), 409, TAGS)
        assert error["data"] == {"name": "science.fiction"}
    for body in (
        {"name": ""},
        {"name": "   "},
        {"name": "..."},
        {"name": "a,b"},
        {"name": "semi;colon"},
        {"name": "nul\x00"},
        {"name": "t" * 65},
        {"name": "x" * 257},
        {"name": None},
        {"name": ["list"]},
        {},
        {"name": "ok", "color": "#fff"},
    ):
        assert_error(await admin.post(TAGS, json=body), 400, TAGS)
    tags = (await people.anonymous.get("/api/tags")).json()
    assert [t["name"] for t in tags] == ["science.fiction"]


async def test_tag_list_sorts_by_name_filters_by_prefix_and_limits(people, site_engine):
    admin = people.admin
    names = ["sci-fi", "science.fiction", "scifi", "drama", "x264", "x_265", "xa", "100"]
    ids = {}
    for name in names:
        ids[name] = (await admin.post(TAGS, json={"name": name})).json()["id"]
    public = people.anonymous

    async def listed(**params) -> list[str]:
        reply = await public.get("/api/tags", params=params)
        assert reply.status_code == 200, reply.text
        return [t["name"] for t in reply.json()]

    # code-point order on both databases: '-' < '.' < digits < '_' < letters
    assert await listed() == [
        "100",
        "drama",
        "sci-fi",
        "science.fiction",
        "scifi",
        "x264",
        "x_265",
        "xa",
    ]
    assert await listed(q="sci") == ["sci-fi", "science.fiction", "scifi"]
    assert await listed(q="Science F") == ["science.fiction"]  # folded like a name
    assert await listed(q="x_") == ["x_265"]  # '_' and '%' are literal, not patterns
    assert await listed(q="%") == []
    assert await listed(q="x\x00") == []  # no tag holds it (PostgreSQL refuses NUL in text)
    assert await listed(q="sci", limit=2) == ["sci-fi", "science.fiction"]
    assert await listed(q="nothing") == []
    assert await listed(q="") == await listed()
    for params in ({"limit": 0}, {"limit": 1001}, {"limit": "x"}, {"q": "q" * 65}):
        assert_error(await public.get("/api/tags", params=params), 400, "/api/tags")

    # usage counts: accepted, not deleted torrents only
    await add_torrent(site_engine, tag_ids=(ids["drama"], ids["x264"]))
    await add_torrent(site_engine, tag_ids=(ids["drama"],))
    await add_torrent(site_engine, status="pending", tag_ids=(ids["drama"],))
    await add_torrent(site_engine, deleted=True, tag_ids=(ids["drama"],))
    counts = {t["name"]: t["usageCount"] for t in (await public.get("/api/tags")).json()}
    assert counts == dict.fromkeys(counts, 0) | {"drama": 2, "x264": 1}


async def test_deleting_a_tag_unbinds_it_from_every_torrent(people, site_engine):
    admin = people.admin
    drama = (await admin.post(TAGS, json={"name": "drama"})).json()
    kept = (await admin.post(TAGS, json={"name": "x264"})).json()
    one = await add_torrent(site_engine, tag_ids=(drama["id"], kept["id"]))
    two = await add_torrent(site_engine, status="pending", tag_ids=(drama["id"],))

    url = f"{TAGS}/{drama['id']}"
    reply = await admin.delete(url)
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"success": True, "message": "Tag deleted"}
    async with AsyncSession(site_engine) as db:
        bindings = (await db.execute(select(TorrentTag.torrent_id, TorrentTag.tag_id))).all()
        assert sorted(bindings) == [(one, kept["id"])]
        assert await db.scalar(select(func.count()).select_from(Torrent)) == 2
        assert await db.get(Torrent, two) is not None
    assert [t["name"] for t in (await admin.get("/api/tags")).json()] == ["x264"]
    assert_error(await admin.delete(url), 404, url)
    for missing in ("0", str(2**40)):
        assert_error(await admin.delete(f"{TAGS}/{missing}"), 404, f"{TAGS}/{missing}")
    assert_error(await admin.delete(f"{TAGS}/abc"), 400, f"{TAGS}/abc")


async def test_tags_by_name_finds_and_makes_tags(people, site_engine):
    async with AsyncSession(site_engine, expire_on_commit=False) as db:
        made = await tag_service.tags_by_name(db, ["Drama", "Sci Fi", "drama", " DRAMA "], True)
        assert [t.name for t in made] == ["drama", "sci.fi"]
        await db.commit()
    async with AsyncSession(site_engine) as db:
        again = await tag_service.tags_by_name(db, ["sci fi", "Drama", "new"], True)
        assert [t.name for t in again] == ["sci.fi", "drama", "new"]
        assert [t.id for t in again[:2]] == [made[1].id, made[0].id]
        await db.rollback()  # the caller's transaction decides: "new" is gone
    async with AsyncSession(site_engine) as db:
        found = await tag_service.tags_by_name(db, ["new", "bad,name", "DRAMA", ""], False)
        assert [t.name for t in found] == ["drama"]
        assert await tag_service.tags_by_name(db, [], True) == []
        with pytest.raises(InvalidRequest):
            await tag_service.tags_by_name(db, ["fine", "not;fine"], True)
        assert await db.scalar(select(func.count()).select_from(Tag)) == 2


async def test_tags_by_name_in_two_sessions_makes_one_tag(people, site_engine):
    sessions = (AsyncSession(site_engine, expire_on_commit=False) for _ in range(2))
    async with next(sessions) as first, next(sessions) as second:
        one = await tag_service.tags_by_name(first, ["race"], True)
        await first.commit()
        two = await tag_service.tags_by_name(second, ["race"], True)
        await second.commit()
        assert one[0].id == two[0].id


async def test_openapi_shows_the_catalogue_schemas(people):
    spec = (await people.anonymous.get("/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    for name in ("CategoryNode", "CategoryOut", "CategoryCreate", "CategoryPatch", "TagOut"):
        assert name in schemas
    assert "children" in schemas["CategoryNode"]["properties"]
    assert "newznabId" in schemas["CategoryCreate"]["properties"]
    paths = spec["paths"]
    assert {"/api/categories", "/api/tags", "/api/admin/categories/seed"} <= set(paths)


async def test_the_stored_rows_match_the_api(people, site_engine):
    movies = await create(people.admin, name="Movies", newznabId=2000)
    async with AsyncSession(site_engine) as db:
        row = await db.get(Category, movies["id"])
        assert row is not None
        assert (row.name, row.slug, row.parent_id, row.newznab_id, row.position) == (
            "Movies",
            "movies",
            None,
            2000,
            0,
        )
