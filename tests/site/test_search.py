"""Torrent search and browse (`site.torrents.search`) on both backends: words, filters, sorts,
paging and totals, and input that must not break the query."""

from __future__ import annotations

import unicodedata
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from torrentstack.site.models import Category, Tag, Torrent, TorrentTag, User
from torrentstack.site.torrents import search as search_module
from torrentstack.site.torrents.search import (
    MAX_SEARCH_TEXT_CHARS,
    MAX_WORD_CHARS,
    TorrentQuery,
    expand_categories,
    search,
    search_words,
)

pytestmark = pytest.mark.database

START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def sessions(site_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(site_engine, expire_on_commit=False)


@pytest.fixture
async def db(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessions() as session:
        yield session


def make_torrent(number: int, title: str, **columns) -> Torrent:
    name = columns.pop("name", title)
    values = {
        "id": number,
        "info_hash": f"{number:040x}",
        "info_hash_v2": None,
        "name": name,
        "title": title,
        "description": "",
        "nfo": None,
        "category_id": None,
        "uploader_id": None,
        "size": 1000 * number,
        "file_count": 1,
        "files": "[]",
        "info": b"d4:name4:teste",
        "comment": "",
        "created_by": "",
        "content_signature": f"{number:064x}",
        "search_text": search_words(title, name),
        "status": "accepted",
        "deleted": False,
        "seeders": 0,
        "leechers": 0,
        "snatches": 0,
        "created_at": START + timedelta(minutes=number),
        "updated_at": START + timedelta(minutes=number),
    }
    values.update(columns)
    return Torrent(**values)


async def add(db: AsyncSession, *titles: str, **columns) -> list[Torrent]:
    """Torrents with ids 1, 2, ... after those already there, in the order given."""
    first = await db.scalar(select(func.coalesce(func.max(Torrent.id), 0)))
    torrents = [make_torrent(first + i, title, **columns) for i, title in enumerate(titles, 1)]
    db.add_all(torrents)
    await db.commit()
    return torrents


async def found(db: AsyncSession, **fields) -> list[str]:
    page = await search(db, TorrentQuery(limit=100, **fields))
    return [t.title for t in page.torrents]


# -- the stored words -------------------------------------------------------------------------


def test_search_words_of_release_names():
    assert search_words("Some.Show.S01E02.1080p.WEB-DL") == "some show s01e02 1080p web dl"
    assert search_words("Some Show", "Some.Show.S01_x264") == "some show s01 x264"
    assert search_words("Amélie (2001) [FR]") == "amélie 2001 fr"
    fullwidth = "\uff26\uff35\uff2c\uff2c\u3000\uff28\uff24"  # FULL HD, ideographic space
    assert search_words(fullwidth, "Straße") == "full hd strasse"  # NFKC, casefold
    hindi = unicodedata.normalize("NFKC", "हिन्दी फ़िल्म")
    assert search_words("हिन्दी फ़िल्म") == hindi  # combining marks stay in their word
    assert search_words("a \u0301 b") == "a b"  # a mark on its own is no word
    assert search_words("", "...", "-_-") == ""
    assert search_words("x" * 500) == "x" * MAX_WORD_CHARS
    many = search_words(" ".join(f"word{i}" for i in range(10_000)))
    assert 0 < len(many) <= MAX_SEARCH_TEXT_CHARS and many.endswith(str(len(many.split()) - 1))


@given(st.lists(st.text(max_size=80), max_size=4))
def test_search_words_is_normal_and_idempotent(texts):
    words = search_words(*texts)
    assert search_words(words) == words
    split = words.split()
    assert len(split) == len(set(split))
    assert len(words) <= MAX_SEARCH_TEXT_CHARS
    for word in split:
        assert 0 < len(word) <= MAX_WORD_CHARS
        assert all(unicodedata.category(c)[0] in "LMN" for c in word)


@given(st.lists(st.from_regex(r"[A-Za-z0-9]{1,10}", fullmatch=True), min_size=1, max_size=8))
def test_any_punctuation_separates_words(words):
    expected = search_words(" ".join(words))
    for separator in ".-_[]() +&'\"*:":
        assert search_words(separator.join(words)) == expected


# -- matching ---------------------------------------------------------------------------------


async def test_every_word_must_match_and_each_dotted_word_finds(db):
    await add(
        db,
        "Some.Show.S01E02.1080p.WEB-DL.x264-GRP",
        "Some.Show.S01E03.720p.HDTV.x264-GRP",
        "Other.Show.S01E02.1080p.WEB-DL.x265-NTB",
    )
    some, some3, other = (
        "Some.Show.S01E02.1080p.WEB-DL.x264-GRP",
        "Some.Show.S01E03.720p.HDTV.x264-GRP",
        "Other.Show.S01E02.1080p.WEB-DL.x265-NTB",
    )
    assert await found(db, q="some show 1080p") == [some]
    assert await found(db, q="1080p") == [other, some]
    assert await found(db, q="S01E02") == [other, some]
    for word in ("web", "DL", "grp", "x264"):
        assert some in await found(db, q=word)
    assert await found(db, q="show") == [other, some3, some]
    assert await found(db, q="Some.Show") == [some3, some]
    assert await found(db, q="some other") == []
    assert await found(db, q="ntb x264") == []


async def test_the_index_follows_search_text(db):
    (torrent,) = await add(db, "Old.Name.2020")
    torrent.title = "New.Title.2021"
    torrent.search_text = search_words(torrent.title, torrent.name)
    await db.commit()
    assert await found(db, q="title") == ["New.Title.2021"]
    assert await found(db, q="old 2020") == ["New.Title.2021"]  # still the name's words
    torrent.name = torrent.title
    torrent.search_text = search_words(torrent.title, torrent.name)
    await db.commit()
    assert await found(db, q="old") == []
    await db.delete(torrent)
    await db.commit()
    assert await found(db, q="title") == []


async def test_whole_words_only_unless_prefix(db):
    await add(db, "Category.Theory.2020.1080p", "The.Cat.2019.720p")
    assert await found(db, q="cat") == ["The.Cat.2019.720p"]  # not "category"
    assert await found(db, q="categ") == []
    assert await found(db, q="categ", prefix=True) == ["Category.Theory.2020.1080p"]
    assert await found(db, q="cat", prefix=True) == [
        "The.Cat.2019.720p",
        "Category.Theory.2020.1080p",
    ]
    assert await found(db, q="theory cat", prefix=True) == ["Category.Theory.2020.1080p"]
    assert await found(db, q="cat theory", prefix=True) == []  # only the last word
    assert await found(db, q="2020 1080", prefix=True) == ["Category.Theory.2020.1080p"]


async def test_unicode_titles(db):
    await add(db, "Amélie.2001.1080p", "攻殻機動隊.1995", "Straße.der.Sehnsucht")
    assert await found(db, q="AMÉLIE") == ["Amélie.2001.1080p"]
    assert await found(db, q="攻殻機動隊") == ["攻殻機動隊.1995"]
    assert await found(db, q="strasse") == ["Straße.der.Sehnsucht"]
    assert await found(db, q="STRASSE der") == ["Straße.der.Sehnsucht"]


HOSTILE = [
    '"',
    '""',
    '"unterminated',
    "*",
    "show*",
    "NEAR(show, some)",
    "NEAR(",
    "some OR nothing",
    "OR",
    "AND NOT",
    "-show",
    "some -show",
    "(show)",
    "((",
    "^show",
    "col:show",
    "search_text:show",
    "' OR '1'='1",
    "'; DROP TABLE site_torrents; --",
    "show' & 'x",
    "a:*",
    "!show & | <-> <2>",
    "\\",
    "\\'",
    "\x00",
    "show\x00some",
    "\ud800",
    "\u0301",
    "\U0001f600",
    "\u200b\u200b",
    "%",
    "_",
    "%show%",
]


@pytest.mark.parametrize("prefix", [False, True])
async def test_hostile_queries_are_words_or_nothing(db, prefix):
    await add(db, "Some.Show.S01.NEAR.OR.AND.NOT-GRP")
    for q in HOSTILE:
        page = await search(db, TorrentQuery(q=q, prefix=prefix))
        expected = search_words(q).split()
        if not expected:
            assert page.total == 0 and page.torrents == (), q
        else:
            assert page.total in (0, 1), q
    assert await found(db, q="NEAR(show, some)", prefix=prefix) == [
        "Some.Show.S01.NEAR.OR.AND.NOT-GRP"
    ]
    assert await found(db, q='"or" -and NOT*', prefix=prefix) == [
        "Some.Show.S01.NEAR.OR.AND.NOT-GRP"
    ]
    assert await found(db, q="' OR '1'='1", prefix=prefix) == []
    assert len(await found(db, q="")) == 1
    assert len(await found(db, q="   ")) == 1  # blank: browse


@pytest.mark.parametrize(
    "fields",
    [
        {"q": None},
        {"q": "x" * 10_000},
        {"q": " ".join(["word"] * 10) + " " + " ".join(f"w{i}" for i in range(17))},
        {"limit": 0},
        {"limit": 101},
        {"page": 0},
        {"page": 100_000},
        {"sort": "random"},
        {"categories": (0,)},
        {"categories": (2**31,)},
        {"categories": (True,)},
        {"uploader_id": -1},
        {"tags": ("",)},
        {"tags": ("a\x00",)},
        {"tags": ("\ud800",)},
        {"tags": ("x" * 65,)},
        {"tags": tuple(f"t{i}" for i in range(17))},
        {"status": ""},
    ],
)
def test_bad_requests_are_value_errors(fields):
    with pytest.raises(ValueError):  # noqa: PT011 - the route turns any of them into a 400
        TorrentQuery(**fields)


# -- filters ----------------------------------------------------------------------------------


async def test_categories_with_subcategories(db):
    db.add_all(
        [
            Category(id=1, name="TV", slug="tv", newznab_id=5000),
            Category(id=2, name="HD", slug="tv-hd", parent_id=1, newznab_id=5040),
            Category(id=3, name="SD", slug="tv-sd", parent_id=1, newznab_id=5030),
            Category(id=4, name="WEB", slug="tv-hd-web", parent_id=2),
            Category(id=5, name="Movies", slug="movies", newznab_id=2000),
        ]
    )
    await db.commit()
    await add(db, "Show.One", category_id=2)
    await add(db, "Show.Two", category_id=4)
    await add(db, "Show.Three", category_id=3)
    await add(db, "Movie.Show", category_id=5)
    await add(db, "Show.Nowhere")
    assert await expand_categories(db, [1]) == (1, 2, 3, 4)
    assert await expand_categories(db, [2, 5]) == (2, 4, 5)
    assert await expand_categories(db, [99]) == (99,)
    assert await expand_categories(db, []) == ()
    tv = await expand_categories(db, [1])
    assert await found(db, categories=tv) == ["Show.Three", "Show.Two", "Show.One"]
    assert await found(db, q="show", categories=await expand_categories(db, [2])) == [
        "Show.Two",
        "Show.One",
    ]
    assert await found(db, categories=(5,)) == ["Movie.Show"]
    # a loop in the tree (an admin's mistake) does not hang the walk
    await db.execute(update(Category).where(Category.id == 1).values(parent_id=4))
    await db.commit()
    assert await expand_categories(db, [2]) == (1, 2, 3, 4)


async def test_tags_must_all_match(db):
    hdr, remux, other = Tag(id=1, name="hdr"), Tag(id=2, name="remux"), Tag(id=3, name="other")
    db.add_all([hdr, remux, other])
    await db.commit()
    await add(db, "Both", "Hdr.Only", "None")
    db.add_all([TorrentTag(torrent_id=1, tag_id=1), TorrentTag(torrent_id=1, tag_id=2)])
    db.add(TorrentTag(torrent_id=2, tag_id=1))
    await db.commit()
    assert await found(db, tags=("hdr",)) == ["Hdr.Only", "Both"]
    assert await found(db, tags=("hdr", "remux")) == ["Both"]
    assert await found(db, tags=("remux", "hdr", "hdr")) == ["Both"]
    assert await found(db, tags=("hdr", "other")) == []
    assert await found(db, tags=("hdr", "no-such-tag")) == []
    assert await found(db, q="only", tags=("hdr",)) == ["Hdr.Only"]


async def test_deleted_pending_and_uploader(db):
    db.add_all(
        User(
            id=i,
            username=f"u{i}",
            username_key=f"u{i}",
            salt="00",
            verifier="00",
            passkey=f"{i:032x}",
            torznab_key=f"{i + 100:032x}",
            created_at=START,
        )
        for i in (1, 2)
    )
    await db.commit()
    await add(db, "Accepted.Show", uploader_id=1)
    await add(db, "Pending.Show", status="pending", uploader_id=1)
    await add(db, "Deleted.Show", deleted=True, uploader_id=2)
    await add(db, "Rejected.Show", status="rejected", uploader_id=2)
    assert await found(db, q="show") == ["Accepted.Show"]
    assert await found(db) == ["Accepted.Show"]
    assert await found(db, q="show", status="pending") == ["Pending.Show"]
    assert await found(db, status=None) == ["Rejected.Show", "Pending.Show", "Accepted.Show"]
    assert await found(db, status=None, include_deleted=True, uploader_id=2) == [
        "Rejected.Show",
        "Deleted.Show",
    ]
    assert await found(db, uploader_id=2) == []


# -- order, pages, totals ---------------------------------------------------------------------


async def test_sort_orders(db):
    await add(db, "b.show", size=30, seeders=5, leechers=1, snatches=9)
    await add(db, "c.show", size=10, seeders=5, leechers=7, snatches=0)
    await add(db, "a.show", size=20, seeders=1, leechers=3, snatches=4)
    expected = {
        "newest": ["a.show", "c.show", "b.show"],
        "oldest": ["b.show", "c.show", "a.show"],
        "name": ["a.show", "b.show", "c.show"],
        "size": ["b.show", "a.show", "c.show"],
        "seeders": ["c.show", "b.show", "a.show"],  # a tie: the newer first
        "leechers": ["c.show", "a.show", "b.show"],
        "snatches": ["b.show", "a.show", "c.show"],
    }
    assert set(expected) == set(search_module.SORTS)
    for sort, titles in expected.items():
        assert await found(db, sort=sort) == titles, sort
        assert await found(db, q="show", sort=sort) == titles, sort


async def test_pages_and_totals(db):
    titles = [f"Show.{i:02d}" for i in range(1, 26)]
    await add(db, *titles)
    newest = titles[::-1]
    for page, rows in ((1, newest[:10]), (2, newest[10:20]), (3, newest[20:]), (4, [])):
        result = await search(db, TorrentQuery(q="show", page=page, limit=10))
        assert [t.title for t in result.torrents] == rows
        assert (result.total, result.total_exact, result.page, result.limit) == (25, True, page, 10)
    result = await search(db, TorrentQuery(q="nothing", page=3, limit=10))
    assert (result.torrents, result.total, result.total_exact) == ((), 0, True)


async def test_beyond_the_cap_total_is_an_estimate_or_the_cap(db, db_backend, monkeypatch):
    monkeypatch.setattr(search_module, "COUNT_CAP", 5)
    await add(db, *(f"Show.{i:02d}" for i in range(1, 26)))
    await add(db, "Other.Thing")
    if db_backend == "postgresql":
        await db.execute(text("ANALYZE site_torrents"))  # the estimate comes from statistics
    about = (lambda n: 20 <= n <= 30) if db_backend == "postgresql" else None

    async def total(**fields):
        result = await search(db, TorrentQuery(q="show", limit=4, **fields))
        return len(result.torrents), result.total, result.total_exact

    rows, counted, exact = await total()
    assert (rows, exact) == (4, False)
    assert about(counted) if about else counted == 5  # SQLite: "5+"
    rows, counted, exact = await total(page=3)  # 12 known: more than the cap, no count
    assert (rows, exact) == (4, False)
    assert about(counted) if about else counted == 12
    assert await total(page=7) == (1, 25, True)  # the last, short page: exact
    rows, counted, exact = await total(page=8)
    assert (rows, exact) == (0, False)
    assert about(counted) if about else counted == 5
    result = await search(db, TorrentQuery(q="thing", limit=4))  # under the cap: exact
    assert (len(result.torrents), result.total, result.total_exact) == (1, 1, True)


async def test_listing_rows_leave_the_heavy_columns_behind(db, sessions):
    await add(db, "Some.Show")
    async with sessions() as fresh:
        (torrent,) = (await search(fresh, TorrentQuery(q="show"))).torrents
        assert (torrent.title, torrent.size, torrent.search_text) == (
            "Some.Show",
            1000,
            "some show",
        )
        with pytest.raises(InvalidRequestError):
            _ = torrent.info


async def test_postgresql_plans_each_search_for_its_words(db, db_backend):
    if db_backend != "postgresql":
        pytest.skip("PostgreSQL settings")
    await add(db, "Some.Show")
    await search(db, TorrentQuery(q="show"))
    assert await db.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
    assert await db.scalar(text("SHOW jit")) == "off"
    await db.commit()  # only for the search's transaction
    assert await db.scalar(text("SHOW plan_cache_mode")) == "auto"
