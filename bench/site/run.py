"""Benchmark the site's torrent search (`site.torrents.search`) against Trackarr's query shape on
PostgreSQL: `title ILIKE '%word%'` for each word, newest first, LIMIT 100 OFFSET, and a count(*).

Run: .venv/bin/python bench/site/run.py [--torrents N] [--runs N] [--reload]
Loads N (default 1,000,000) generated torrents into `torrentstack_bench` (other N:
`torrentstack_bench_<N>`; load.py), kept for the next run (`--reload` rebuilds it), then runs
every case ours and ILIKE
alternately, warm-up first, and prints p50/p95 of each as a markdown table. Each timing is a
whole request's database work: a session, (ours) the category expansion, the page, the count.
Needs the PostgreSQL of `scripts/services`; never part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import platform
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from load import bench_url, database_name, prepare
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from torrentstack.site.torrents.search import (
    Sort,
    TorrentQuery,
    expand_categories,
    search,
    search_words,
)

ADMIN_URL = "postgresql://postgres:postgres@127.0.0.1:5432/postgres"
LIMIT = 100
TV, MOVIES = 8, 1  # category roots in releases.CATEGORIES
_LIST_COLUMNS = (
    "id, info_hash, info_hash_v2, name, title, nfo, category_id, uploader_id, size, file_count, "
    "comment, created_by, content_signature, search_text, status, deleted, seeders, leechers, "
    "snatches, created_at, updated_at"
)  # what ours loads too: all but description, files, info


@dataclass
class Case:
    name: str
    q: str = ""
    categories: tuple[int, ...] = ()  # roots: ours expands them, ILIKE gets them expanded
    tags: tuple[str, ...] = ()
    page: int = 1
    sort: Sort = "newest"
    expanded: tuple[int, ...] = ()


def cases(terms: dict[str, str]) -> list[Case]:
    return [
        Case(f"common word `{terms['common']}`", q=terms["common"]),
        Case(f"~1% word `{terms['medium']}`", q=terms["medium"]),
        Case(f"rare word `{terms['rare']}`", q=terms["rare"]),
        Case(f"two words `{terms['second']} {terms['common']}`",
             q=f"{terms['second']} {terms['common']}"),
        Case(f"`{terms['common']}` in TV (9 subcategories)", q=terms["common"], categories=(TV,)),
        Case(f"`{terms['paging']}`, offset 500", q=terms["paging"], page=6),
        Case("browse: Movies + tag `hdr`", categories=(MOVIES,), tags=("hdr",)),
        Case("browse: everything", ),
        # beyond the brief's cases: sorted by a column no index has (see docs/benchmarks.md)
        Case(f"~1% word `{terms['medium']}` by seeders", q=terms["medium"], sort="seeders"),
        Case("browse: everything by seeders", sort="seeders"),
    ]  # fmt: skip


async def ours(sessions: async_sessionmaker[AsyncSession], case: Case) -> str:
    async with sessions() as db:
        categories = await expand_categories(db, case.categories) if case.categories else ()
        query = TorrentQuery(
            q=case.q,
            categories=categories,
            tags=case.tags,
            page=case.page,
            limit=LIMIT,
            sort=case.sort,
        )
        page = await search(db, query)
        return f"{page.total:,}" + ("" if page.total_exact else "+")


def _where(case: Case, ilike: bool) -> tuple[str, dict[str, Any]]:
    """The filters as SQL: each word `ILIKE '%word%'` on the name (Trackarr), or our words."""
    where = ["status = 'accepted'", "NOT deleted"]
    params: dict[str, Any] = {}
    if ilike:
        for i, word in enumerate(case.q.split()):
            where.append(f"title ILIKE :w{i}")
            params[f"w{i}"] = f"%{word}%"
    elif case.q:
        where.append("search_vector @@ to_tsquery('simple', :q)")
        params["q"] = " & ".join(f"'{word}'" for word in search_words(case.q).split())
    if case.expanded:
        where.append("category_id = ANY(:categories)")
        params["categories"] = list(case.expanded)
    for i, tag in enumerate(case.tags):
        where.append(
            "EXISTS (SELECT 1 FROM site_torrent_tags tt JOIN site_tags g ON g.id = tt.tag_id "  # noqa: S608
            f"WHERE tt.torrent_id = site_torrents.id AND g.name = :t{i})"
        )
        params[f"t{i}"] = tag
    return " AND ".join(where), params


def _ilike_sql(case: Case) -> tuple[str, str, dict[str, Any]]:
    """Trackarr's shape: the ILIKE filters, newest first, LIMIT/OFFSET, and a count(*)."""
    condition, params = _where(case, ilike=True)
    order = "created_at DESC" if case.sort == "newest" else f"{case.sort} DESC"
    page = (
        f"SELECT {_LIST_COLUMNS} FROM site_torrents WHERE {condition} "  # noqa: S608 - no values
        f"ORDER BY {order} LIMIT {LIMIT} OFFSET {(case.page - 1) * LIMIT}"
    )
    count = f"SELECT count(*) FROM site_torrents WHERE {condition}"  # noqa: S608
    return page, count, params


async def exact(sessions: async_sessionmaker[AsyncSession], case: Case) -> int:
    """How many torrents our search really matches (counted once, not timed)."""
    condition, params = _where(case, ilike=False)
    async with sessions() as db:
        query = text(f"SELECT count(*) FROM site_torrents WHERE {condition}")  # noqa: S608
        return int(await db.scalar(query, params) or 0)


async def ilike(sessions: async_sessionmaker[AsyncSession], case: Case) -> str:
    page, count, params = _ilike_sql(case)
    async with sessions() as db:
        await db.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))  # as ours
        (await db.execute(text(page), params)).all()
        return f"{await db.scalar(text(count), params):,}"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


async def measure(
    run: Callable[[], Awaitable[str]], other: Callable[[], Awaitable[str]], runs: int
) -> tuple[list[float], list[float], str, str]:
    """Time `run` and `other` alternately, `runs` times each after 5 warm-ups; ms."""
    mine: list[float] = []
    theirs: list[float] = []
    found = ("", "")
    for i in range(5 + runs):
        started = time.perf_counter()
        ours_total = await run()
        middle = time.perf_counter()
        their_total = await other()
        ended = time.perf_counter()
        if i >= 5:
            mine.append((middle - started) * 1000)
            theirs.append((ended - middle) * 1000)
        found = (ours_total, their_total)
    return mine, theirs, *found


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--torrents", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=50, help="timed runs per case and side")
    parser.add_argument("--reload", action="store_true", help="rebuild the loaded database")
    parser.add_argument("--postgres-url", default=ADMIN_URL, help="an admin URL of the server")
    args = parser.parse_args()
    meta = await prepare(args.postgres_url, args.torrents, args.reload)
    engine = create_async_engine(bench_url(args.postgres_url, args.torrents))
    sessions = async_sessionmaker(engine)
    async with sessions() as db:
        server = await db.scalar(text("SELECT version()"))
        settings = {
            name: await db.scalar(text(f"SHOW {name}"))
            for name in ("shared_buffers", "work_mem", "jit")
        }
    print(f"\n{date.today()}: {meta['torrents']:,} torrents in {database_name(args.torrents)}, "
          f"{LIMIT} per page, "
          f"{args.runs} runs per side after 5 warm-ups; {platform.processor() or platform.machine()}"
          f", {server.split(' on ')[0]}, {settings}\n")  # fmt: skip
    print("| case | ours: total (exact) | ILIKE: count | ours p50 ms | ours p95 ms "
          "| ILIKE p50 ms | ILIKE p95 ms | ours/ILIKE p50 | ours/ILIKE p95 |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for case in cases(meta["terms"]):
        if case.categories:
            async with sessions() as db:
                case.expanded = await expand_categories(db, case.categories)
        mine, theirs, ours_total, their_total = await measure(
            lambda case=case: ours(sessions, case),
            lambda case=case: ilike(sessions, case),
            args.runs,
        )
        ours_total += f" ({await exact(sessions, case):,})"
        cells = [percentile(mine, 50), percentile(mine, 95)]
        cells += [percentile(theirs, 50), percentile(theirs, 95)]
        print(f"| {case.name} | {ours_total} | {their_total} | "
              + " | ".join(f"{c:.1f}" for c in cells)
              + f" | {cells[0] / cells[2]:.3f}x | {cells[1] / cells[3]:.3f}x |", flush=True)  # fmt: skip
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
