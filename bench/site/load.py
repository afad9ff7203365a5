"""Load the site search benchmark's database (`database_name`), migrated with
`torrentstack.db.migrate`, N generated torrents (releases.py) with tags, categories and
uploaders bulk-loaded with COPY, indexes built afterwards, the original's GiST trigram index on
the title added, and a `bench_meta` row that lets the next run reuse it.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from releases import CATEGORIES, TAGS, Releases
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from torrentstack.db import migrate
from torrentstack.site.torrents.search import search_words

DEFAULT_TORRENTS = 1_000_000
GENERATOR = 2  # bump when releases.py or the rows below change, so old databases are reloaded
BATCH = 50_000
_TORRENT_COLUMNS = [
    "id", "info_hash", "name", "title", "description", "category_id", "uploader_id", "size",
    "file_count", "files", "info", "comment", "created_by", "content_signature", "search_text",
    "status", "deleted", "seeders", "leechers", "snatches", "created_at", "updated_at",
]  # fmt: skip
_USERS = 2_000
_TECHNICAL = {"1080p", "720p", "2160p", "480p", "x264", "x265", "web", "dl", "webrip", "bluray"}


Rows = list[tuple[Any, ...]]


def _torrent_rows(count: int, words: Counter[str]) -> Iterator[tuple[Rows, Rows]]:
    """Yield (torrent rows, tag rows) in batches; count every stored word into `words`."""
    rng = random.Random(7)
    start, step = datetime(2021, 1, 1, tzinfo=UTC), timedelta(days=5 * 365) / count
    torrents: Rows = []
    tags: Rows = []
    for number, release in enumerate(Releases().take(count), 1):
        stored = search_words(release.title, release.name)
        words.update(stored.split())
        size = int(rng.lognormvariate(21, 1.5))
        roll = rng.random()
        status = "accepted" if roll < 0.96 else ("pending" if roll < 0.98 else "rejected")
        created = start + step * number
        name = release.name.encode()
        torrents.append(
            (
                number,
                hashlib.sha1(b"%d" % number, usedforsecurity=False).hexdigest(),
                release.name,
                release.title,
                "",
                release.category_id,
                rng.randint(1, _USERS),
                size,
                1,
                json.dumps([[release.name, size]]),
                b"d6:lengthi%de4:name%d:%s12:piece lengthi262144ee" % (size, len(name), name),
                "",
                "torrentstack bench",
                hashlib.sha256(b"%d" % number).hexdigest(),
                stored,
                status,
                rng.random() < 0.01,
                min(int(rng.paretovariate(1.2)) - 1, 50_000),
                min(int(rng.paretovariate(1.5)) - 1, 10_000),
                min(int(rng.paretovariate(1.1)) - 1, 100_000),
                created,
                created,
            )
        )
        tags.extend((number, tag) for tag in release.tags)
        if len(torrents) == BATCH:
            yield torrents, tags
            torrents, tags = [], []
    if torrents:
        yield torrents, tags


def _closest(words: Counter[str], target: float) -> str:
    usable = [(w, n) for w, n in words.items() if w.isalpha() and w not in _TECHNICAL]
    return min(usable, key=lambda item: (abs(item[1] - target), item[0]))[0]


async def _load(dsn: str, sqlalchemy_url: str, count: int) -> dict[str, Any]:
    engine = create_async_engine(sqlalchemy_url)
    await migrate.upgrade(engine)
    await engine.dispose()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SET maintenance_work_mem = '1GB'")
        categories = [(i, n, n.lower().replace("/", "-"), p, z, i) for i, n, p, z in CATEGORIES]
        await conn.copy_records_to_table(
            "site_categories",
            records=categories,
            columns=["id", "name", "slug", "parent_id", "newznab_id", "position"],
        )
        tag_rows = [(i, name) for i, name in enumerate(TAGS, 1)]
        await conn.copy_records_to_table("site_tags", records=tag_rows, columns=["id", "name"])
        await _load_users(conn)
        # the indexes are built once after COPY (faster than kept up row by row): their
        # definitions are read back from the migrated schema, so they are the migration's
        indexes = await conn.fetch(
            "SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS ddl "
            "FROM pg_index i WHERE indrelid IN ('site_torrents'::regclass, "
            "'site_torrent_tags'::regclass) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
        )
        for index in indexes:
            await conn.execute(f"DROP INDEX {index['name']}")
        words: Counter[str] = Counter()
        started = time.perf_counter()
        for torrents, tags in _torrent_rows(count, words):
            await conn.copy_records_to_table(
                "site_torrents", records=torrents, columns=_TORRENT_COLUMNS
            )
            await conn.copy_records_to_table(
                "site_torrent_tags", records=tags, columns=["torrent_id", "tag_id"]
            )
            print(f"  {torrents[-1][0]:,} torrents ({time.perf_counter() - started:.0f} s)")
        await conn.execute(f"SELECT setval('site_torrents_id_seq', {count})")
        for index in indexes:
            print(f"  index {index['name']}")
            await conn.execute(index["ddl"])
        print("  index bench_trgm_title (the original's GiST trigram index)")
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        await conn.execute(
            "CREATE INDEX bench_trgm_title ON site_torrents USING gist (title gist_trgm_ops)"
        )
        print("  vacuum analyze")
        await conn.execute("VACUUM ANALYZE")
        terms = {
            "common": "1080p",
            "paging": "x264",
            "medium": _closest(words, count / 100),
            "second": _closest(words, count / 50),
            "rare": _closest(words, max(3.0, count / 50_000)),
        }
        meta = {"torrents": count, "generator": GENERATOR, "terms": terms}
        await conn.execute("CREATE TABLE bench_meta (value jsonb NOT NULL)")
        await conn.execute("INSERT INTO bench_meta VALUES ($1::jsonb)", json.dumps(meta))
        return meta
    finally:
        await conn.close()


async def _load_users(conn: asyncpg.Connection) -> None:
    created = datetime(2020, 1, 1, tzinfo=UTC)
    users = [
        (i, f"user{i}", f"user{i}", "00", "00", f"{i:032x}", f"{i + _USERS:032x}", False, "",
         "", "en", "system", False, 0, 0, 0, 0, False, "", "", created)
        for i in range(1, _USERS + 1)
    ]  # fmt: skip
    columns = [
        "id", "username", "username_key", "salt", "verifier", "passkey", "torznab_key",
        "torznab_blocked", "display_name", "bio", "locale", "theme", "hide_last_seen", "uploaded",
        "downloaded", "bonus_points", "invites_remaining", "banned", "ban_reason", "last_ip",
        "created_at",
    ]  # fmt: skip
    await conn.copy_records_to_table("site_users", records=users, columns=columns)


def database_name(count: int) -> str:
    """`torrentstack_bench`, or `torrentstack_bench_<N>` for another size (a smoke run does
    not replace the million torrents that took minutes to load)."""
    return "torrentstack_bench" + ("" if count == DEFAULT_TORRENTS else f"_{count}")


def bench_url(admin_url: str, count: int) -> str:
    """The SQLAlchemy URL of the benchmark's database on the server of `admin_url`."""
    url = make_url(admin_url).set(database=database_name(count), drivername="postgresql+asyncpg")
    return url.render_as_string(hide_password=False)


async def prepare(admin_url: str, count: int, reload: bool) -> dict[str, Any]:
    """The loaded database's metadata, loading it first unless it holds `count` torrents."""
    admin = make_url(admin_url)
    name = database_name(count)
    bench = admin.set(database=name)
    dsn = bench.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(admin.set(drivername="postgresql").render_as_string(False))
    try:
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            if not reload:
                meta = await _meta(dsn)
                if meta and meta["torrents"] == count and meta["generator"] == GENERATOR:
                    print(f"reusing {name} ({count:,} torrents)")
                    return meta
            await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    print(f"loading {count:,} torrents into {name}")
    started = time.perf_counter()
    meta = await _load(
        dsn, bench.set(drivername="postgresql+asyncpg").render_as_string(False), count
    )
    print(f"loaded in {time.perf_counter() - started:.0f} s")
    return meta


async def _meta(dsn: str) -> dict[str, Any] | None:
    conn = await asyncpg.connect(dsn)
    try:
        if not await conn.fetchval("SELECT to_regclass('bench_meta') IS NOT NULL"):
            return None
        meta: dict[str, Any] = json.loads(await conn.fetchval("SELECT value FROM bench_meta"))
        if await conn.fetchval("SELECT count(*) FROM site_torrents") != meta["torrents"]:
            return None
        return meta
    finally:
        await conn.close()
