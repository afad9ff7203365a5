"""The HTTP client against a real loopback indexer: caps, search, back-off, RSS paging, snatches."""

from __future__ import annotations

import logging

import pytest

from tests.support.qbittorrent_api import torrent_file
from torrentstack import __version__
from torrentstack.crossseed.decision import Decision
from torrentstack.crossseed.searchee import Candidate, Metafile
from torrentstack.crossseed.torznab.client import Timeouts
from torrentstack.crossseed.torznab.errors import (
    IndexerUnavailable,
    TorznabApiError,
    TorznabXmlError,
)
from torrentstack.crossseed.torznab.limits import IndexerLimits, IndexerStatus, LimitPolicy
from torrentstack.crossseed.torznab.queries import Query

pytestmark = pytest.mark.asyncio(loop_scope="module")

EPISODE = Query("tvsearch", "Show Name", season=1, ep=2)


async def test_caps_are_fetched_and_kept(server, make_indexer):
    indexer = make_indexer()
    caps = await indexer.caps()
    assert caps.tv_search and caps.movie_search and not caps.book_search
    assert caps.limits.max == 100 and caps.limits.default == 50
    assert indexer.known_caps == caps
    (request,) = server.received()
    assert request.params == {"apikey": server.apikey, "t": "caps"}
    assert request.headers["user-agent"] == f"torrentstack-crossseed/{__version__}"


async def test_search_returns_candidates(server, make_indexer, clock):
    wanted = server.add("Show.Name.S01E02.1080p.WEB-DL-GRP", size=1234)
    server.add("Show.Name.S01E03.1080p.WEB-DL-GRP")
    server.add("Other.Show.S01E02.1080p.WEB-DL-GRP")
    indexer = make_indexer(name="Loopback", indexer_id=4)
    assert await indexer.search(EPISODE) == [
        Candidate(
            name=wanted.title,
            guid=wanted.guid,
            link=server.link(wanted),
            tracker="LoopbackTracker",
            size=1234,
            pub_date=wanted.pub_date,
            indexer_id=4,
        )
    ]
    assert server.received()[-1].params == {
        "apikey": server.apikey, "t": "tvsearch", "q": "Show Name", "season": "1", "ep": "2",
    }  # fmt: skip


async def test_the_indexer_name_is_the_tracker_when_items_name_none(make_indexer, server):
    server.tracker = None
    server.add("Show.Name.S01E02.1080p.WEB-DL-GRP")
    (found,) = await make_indexer(name="My Indexer").search(EPISODE)
    assert found.tracker == "My Indexer"


async def test_429_with_retry_after_backs_off_until_then(server, make_indexer, clock):
    indexer = make_indexer()
    server.fail_next(status=429, retry_after="120")
    with pytest.raises(IndexerUnavailable) as raised:
        await indexer.search(EPISODE)
    assert (raised.value.status, raised.value.retry_at) == (429, clock.now + 120)
    assert indexer.limits.status(indexer.key, clock()) is IndexerStatus.RATE_LIMITED
    asked = len(server.requests)
    with pytest.raises(IndexerUnavailable, match="backing off"):
        await indexer.search(EPISODE)
    assert len(server.requests) == asked  # not asked while backing off
    clock.advance(120)
    assert await indexer.search(EPISODE) == []
    assert len(server.requests) == asked + 1


@pytest.mark.parametrize(("status", "backoff"), [(429, 3600), (500, 600), (502, 600)])
async def test_failures_without_retry_after_back_off_the_configured_time(
    server, make_indexer, clock, status, backoff
):
    indexer = make_indexer()
    server.fail_next(status=status)
    with pytest.raises(IndexerUnavailable) as raised:
        await indexer.search(EPISODE)
    assert raised.value.retry_at == clock.now + backoff
    assert indexer.snoozed_until() == clock.now + backoff


async def test_a_wrong_apikey_is_an_http_failure(server, make_indexer):
    indexer = make_indexer(url=server.url.replace(server.apikey, "wrong"))
    with pytest.raises(IndexerUnavailable) as raised:
        await indexer.search(EPISODE)
    assert raised.value.status == 401


async def test_newznab_request_limit_is_a_rate_limit(server, make_indexer, clock):
    server.respond_next(b'<error code="500" description="Request limit reached"/>', on="api")
    indexer = make_indexer()
    with pytest.raises(TorznabApiError) as raised:
        await indexer.search(EPISODE)
    assert raised.value.code == 500
    assert indexer.limits.status(indexer.key, clock()) is IndexerStatus.RATE_LIMITED
    assert indexer.snoozed_until() == clock.now + 3600


async def test_other_newznab_errors_back_off_as_failures(server, make_indexer, clock):
    server.respond_next(b'<error code="100" description="Incorrect user credentials"/>')
    indexer = make_indexer()
    with pytest.raises(TorznabApiError, match="Incorrect user credentials"):
        await indexer.search(EPISODE)
    assert indexer.limits.status(indexer.key, clock()) is IndexerStatus.UNKNOWN_ERROR


async def test_garbage_is_a_typed_error(server, make_indexer):
    server.garbage_next(on="api")
    with pytest.raises(TorznabXmlError):
        await make_indexer().search(EPISODE)


async def test_a_stalled_search_times_out_and_backs_off(server, make_indexer, clock):
    indexer = make_indexer(timeouts=Timeouts(search=0.2))
    server.stall_next(on="api")
    with pytest.raises(IndexerUnavailable, match="timed out") as raised:
        await indexer.search(EPISODE)
    assert raised.value.status is None
    assert indexer.snoozed_until() == clock.now + 600


async def test_an_unreachable_indexer_backs_off(make_indexer, clock):
    indexer = make_indexer(url="http://127.0.0.1:9/api?apikey=k")  # discard port: refused
    with pytest.raises(IndexerUnavailable, match="ConnectError"):
        await indexer.search(EPISODE)
    assert indexer.snoozed_until() == clock.now + 600


async def test_requests_are_spaced(server, make_indexer, clock):
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(seconds)

    indexer = make_indexer(limits=IndexerLimits(LimitPolicy(min_interval=5)), sleep=sleep)
    await indexer.search(EPISODE)
    await indexer.search(EPISODE)
    clock.advance(30)
    await indexer.search(EPISODE)
    assert waits == [5]


# --- RSS -------------------------------------------------------------------------------------


def add_many(server, count: int) -> list:
    return [server.add(f"Release.{n:03d}.1080p.WEB-DL-GRP") for n in range(count)]


async def test_rss_pages_until_the_last_seen_guid(server, make_indexer):
    items = add_many(server, 25)
    result = await make_indexer().rss(items[7].guid, page_size=10)
    assert [c.guid for c in result.candidates] == [i.guid for i in reversed(items[8:])]
    assert result.last_seen_guid == items[-1].guid
    assert (result.pages, result.complete) == (2, True)
    offsets = [(r.params["q"], r.params["limit"], r.params["offset"]) for r in server.received()]
    assert offsets == [("", "10", "0"), ("", "10", "10")]


async def test_rss_stops_at_max_pages_and_max_items(server, make_indexer):
    items = add_many(server, 45)
    result = await make_indexer().rss(None, page_size=10, max_pages=3)
    assert len(result.candidates) == 30 and result.pages == 3
    result = await make_indexer().rss(None, page_size=10, max_items=15)
    assert [c.guid for c in result.candidates] == [i.guid for i in reversed(items)][:15]


async def test_rss_stops_on_an_empty_page(server, make_indexer):
    add_many(server, 12)
    result = await make_indexer().rss("never-seen", page_size=10)
    assert (len(result.candidates), result.pages) == (12, 3)


async def test_rss_takes_the_page_size_from_caps(server, make_indexer):
    indexer = make_indexer()
    await indexer.caps()
    await indexer.rss(None)
    assert server.received()[-1].params["limit"] == "100"


async def test_rss_without_the_guid_pages_back_by_time_since_the_last_run(server, make_indexer):
    items = add_many(server, 10)  # one a minute
    result = await make_indexer().rss("gone", page_size=5, time_since_last_run=150)
    assert [c.guid for c in result.candidates] == [i.guid for i in reversed(items[-3:])]
    assert result.pages == 1


async def test_rss_first_page_failure_raises(server, make_indexer):
    add_many(server, 25)
    server.fail_next(status=500)
    with pytest.raises(IndexerUnavailable):
        await make_indexer().rss(None, page_size=10)


async def test_rss_later_page_failure_ends_the_run(server, make_indexer):
    add_many(server, 25)
    server.fail_next(status=502, after=1)
    result = await make_indexer().rss(None, page_size=10)
    assert (len(result.candidates), result.pages, result.complete) == (10, 1, False)


# --- snatches --------------------------------------------------------------------------------


async def candidate_for(server, make_indexer, title="Show.Name.S01E02.1080p-GRP", **kw):
    torrent = kw.pop("torrent", None) or torrent_file(title + ".mkv")
    server.add(title, torrent=torrent, **kw)
    indexer = make_indexer(**({"limits": kw.pop("limits")} if "limits" in kw else {}))
    (candidate,) = await indexer.search(Query("search", title))
    return indexer, candidate


async def test_snatch_downloads_and_parses_the_torrent(server, make_indexer):
    indexer, candidate = await candidate_for(server, make_indexer)
    metafile = await indexer.snatch(candidate)
    assert isinstance(metafile, Metafile)
    assert metafile.name == "Show.Name.S01E02.1080p-GRP.mkv"
    assert metafile.length == 40_000
    download = server.received(f"/dl/{server.items[0].id}.torrent")[0]
    assert download.headers["user-agent"] == f"torrentstack-crossseed/{__version__}"


async def test_snatch_of_a_magnet_redirect(server, make_indexer):
    indexer, candidate = await candidate_for(server, make_indexer)
    server.magnet_next()
    assert await indexer.snatch(candidate) is Decision.MAGNET_LINK


async def test_snatch_without_a_link_or_with_a_magnet_link():
    from torrentstack.crossseed.torznab.client import TorznabIndexer

    async with TorznabIndexer("http://127.0.0.1:9/api?apikey=k") as indexer:
        bare = Candidate(name="x", guid="g", link=None, tracker="T")
        assert await indexer.snatch(bare) is Decision.NO_DOWNLOAD_LINK
        magnet = Candidate(name="x", guid="g", link="magnet:?xt=urn:btih:" + "b" * 40, tracker="T")
        assert await indexer.snatch(magnet) is Decision.MAGNET_LINK


async def test_snatch_429_backs_off_the_indexer(server, make_indexer, clock):
    indexer, candidate = await candidate_for(server, make_indexer)
    server.fail_next(status=429, on="dl")
    assert await indexer.snatch(candidate) is Decision.RATE_LIMITED
    assert indexer.snoozed_until() == clock.now + 3600
    asked = len(server.requests)
    assert await indexer.snatch(candidate) is Decision.RATE_LIMITED
    assert len(server.requests) == asked


@pytest.mark.parametrize("fault", ["500", "404", "garbage", "stall", "too large"])
async def test_snatch_failures(server, make_indexer, fault):
    indexer, candidate = await candidate_for(server, make_indexer)
    if fault == "500":
        server.fail_next(status=500, on="dl")
    elif fault == "404":
        candidate = Candidate(candidate.name, candidate.guid, server.base + "/dl/99.torrent?apikey=" + server.apikey, candidate.tracker)  # fmt: skip
    elif fault == "garbage":
        server.garbage_next(on="dl")
    elif fault == "stall":
        server.stall_next(on="dl")
        indexer.timeouts = Timeouts(snatch=0.2)
    else:
        indexer.max_torrent_size = 100
    assert await indexer.snatch(candidate) is Decision.DOWNLOAD_FAILED
    assert indexer.snoozed_until() is None  # a failed download does not snooze the indexer


@pytest.mark.parametrize(
    "link", ["http://127.0.0.1:9/x.torrent", "ftp://127.0.0.1/x.torrent", "http://[::1/x"]
)
async def test_snatch_of_a_bad_or_unreachable_link(make_indexer, link):
    indexer = make_indexer()
    bad = Candidate(name="x", guid="g", link=link, tracker="T")
    assert await indexer.snatch(bad) is Decision.DOWNLOAD_FAILED


async def test_a_link_that_keeps_failing_is_given_up(server, make_indexer):
    indexer, candidate = await candidate_for(server, make_indexer)
    server.fail_next(10, status=500, on="dl")
    for _ in range(6):
        assert await indexer.snatch(candidate) is Decision.DOWNLOAD_FAILED
    asked = len(server.requests)
    assert await indexer.snatch(candidate) is Decision.DOWNLOAD_FAILED
    assert len(server.requests) == asked


# --- URLs and secrets ------------------------------------------------------------------------


async def test_the_apikey_never_reaches_a_log_line_or_an_error(server, make_indexer, caplog):
    caplog.set_level(logging.DEBUG)
    indexer, candidate = await candidate_for(server, make_indexer)
    assert server.apikey in candidate.link  # Prowlarr-style links carry it
    errors: list[str] = [repr(indexer), str(indexer.url)]
    server.fail_next(status=500, on="dl")
    await indexer.snatch(candidate)
    server.garbage_next(on="dl")
    await indexer.snatch(candidate)
    server.fail_next(status=500, on="api")
    for _ in range(2):
        try:
            await indexer.search(EPISODE)
        except IndexerUnavailable as exc:
            errors.append(str(exc))
    ours = [r for r in caplog.records if r.name.startswith("torrentstack")]
    assert ours, "expected the client to log its failures"
    for text in [r.getMessage() for r in ours] + errors:
        assert server.apikey not in text
