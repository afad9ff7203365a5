"""The fan-out: eligible indexers searched in parallel, the others skipped with a reason."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.torznab_server import torznab_server
from torrentstack.crossseed.media import MediaType
from torrentstack.crossseed.release import parse_release
from torrentstack.crossseed.searchee import Candidate
from torrentstack.crossseed.torznab.caps import ALL_CAPS, Caps, Categories
from torrentstack.crossseed.torznab.errors import IndexerUnavailable
from torrentstack.crossseed.torznab.search import search_indexers, skip_reason

pytestmark = pytest.mark.asyncio(loop_scope="module")

EPISODE = parse_release("Show.Name.S01E02.1080p.WEB-DL-GRP")


class FakeIndexer:
    """An indexer answering from a list, recording its queries; optionally slow or failing."""

    def __init__(self, name, caps=ALL_CAPS, found=(), error=None, snoozed=None, gate=None):
        self.name, self.known_caps = name, caps
        self.found, self.error, self.snoozed, self.gate = list(found), error, snoozed, gate
        self.queries = []

    def snoozed_until(self):
        return self.snoozed

    async def search(self, query):
        self.queries.append(query)
        if self.gate is not None:
            await self.gate.wait()
        if self.error is not None:
            raise self.error
        return list(self.found)


def candidate(guid, tracker="T"):
    return Candidate(name=f"Show.Name.S01E02-{guid}", guid=guid, link=None, tracker=tracker)


async def test_results_come_back_per_indexer_in_order():
    a = FakeIndexer("a", found=[candidate("1"), candidate("1"), candidate("2")])
    b = FakeIndexer("b", found=[candidate("3")])
    results = await search_indexers([a, b], EPISODE, MediaType.EPISODE)
    assert [(r.indexer.name, [c.guid for c in r.candidates]) for r in results] == [
        ("a", ["1", "2"]),  # duplicates by guid dropped
        ("b", ["3"]),
    ]
    assert all(r.searched and r.error is None for r in results)
    assert a.queries[0].params() == {"t": "tvsearch", "q": "Show Name", "season": "1", "ep": "2"}


async def test_indexers_are_searched_in_parallel():
    gate = asyncio.Event()
    a, b = FakeIndexer("a", gate=gate), FakeIndexer("b", gate=gate)
    task = asyncio.create_task(search_indexers([a, b], EPISODE, MediaType.EPISODE))
    for _ in range(5):
        await asyncio.sleep(0)
    assert len(a.queries) == len(b.queries) == 1  # both asked before either answered
    gate.set()
    assert len(await task) == 2


async def test_ineligible_indexers_are_skipped_with_a_reason():
    movies_only = Caps(search=True, movie_search=True, categories=Categories(movie=True))
    indexers = [
        FakeIndexer("no caps", caps=None),
        FakeIndexer("no search", caps=Caps(tv_search=True)),
        FakeIndexer("movies", caps=movies_only),
        FakeIndexer("snoozed", snoozed=1.0),
        FakeIndexer("ok", found=[candidate("1")]),
    ]
    results = await search_indexers(indexers, EPISODE, MediaType.EPISODE)
    assert [r.skipped for r in results] == [
        "caps unknown",
        "no search",
        "no episode categories or search mode",
        "backing off",
        None,
    ]
    assert [i.queries for i in indexers[:4]] == [[], [], [], []]
    assert skip_reason(indexers[2], MediaType.MOVIE) is None


async def test_a_failing_indexer_does_not_fail_the_others():
    broken = FakeIndexer("broken", error=IndexerUnavailable("HTTP 500", status=500))
    fine = FakeIndexer("fine", found=[candidate("1")])
    first, second = await search_indexers([broken, fine], EPISODE, MediaType.EPISODE)
    assert isinstance(first.error, IndexerUnavailable) and first.candidates == ()
    assert [c.guid for c in second.candidates] == ["1"]


async def test_the_query_follows_each_indexers_caps():
    # v6 searches an indexer for episodes when it has tv-search or xxx categories; without
    # tv-search the query falls back to t=search with the cleaned name
    search_only = Caps(search=True, categories=Categories(xxx=True))
    full, plain = FakeIndexer("full"), FakeIndexer("plain", caps=search_only)
    await search_indexers([full, plain], EPISODE, MediaType.EPISODE)
    assert full.queries[0].t == "tvsearch"
    assert plain.queries[0].params() == {"t": "search", "q": "Show Name S01E02 1080p WEB-DL-GRP"}


async def test_real_indexers_over_loopback(make_indexer, server):
    async with torznab_server(tracker="Second") as other:
        server.add("Show.Name.S01E02.1080p.WEB-DL-GRP")
        other.add("Show.Name.S01E02.720p.HDTV-OTHER")
        first, second = make_indexer(), make_indexer(url=other.url)
        for indexer in (first, second):
            await indexer.caps()
        server.fail_next(status=429, on="api")
        failed, found = await search_indexers([first, second], EPISODE, MediaType.EPISODE)
        assert isinstance(failed.error, IndexerUnavailable) and failed.error.status == 429
        assert [(c.name, c.tracker) for c in found.candidates] == [
            ("Show.Name.S01E02.720p.HDTV-OTHER", "Second")
        ]
        # the 429 snoozed the first: the next search skips it
        skipped, _ = await search_indexers([first, second], EPISODE, MediaType.EPISODE)
        assert skipped.skipped == "backing off"
