"""The announce pipeline's own rules, over real parts where they are cheap: which outcome of
several searchees the endpoint answers (cross-seed's fold), one download per listing, actions
stopping the walk; and the store keeping downloads and decisions (a known guid is not fetched
again)."""

from __future__ import annotations

from pathlib import Path

import pytest

from torrentstack.crossseed.actions import Actions, ActionSettings
from torrentstack.crossseed.decision import ActionResult, Decision
from torrentstack.crossseed.library import Library
from torrentstack.crossseed.pipeline import Assessment, CrossSeeder, Response, _keeps, respond
from torrentstack.crossseed.prefilter import FilterOptions
from torrentstack.crossseed.searchee import Candidate, Metafile, Searchee, files_of

NAME = "Show.Name.S01.1080p.WEB-DL-GRP"
FILES = files_of([(f"{NAME}/Show.Name.S01E0{i}.1080p.WEB-DL-GRP.mkv", 1000 + i) for i in (1, 2, 3)])
SEARCHEE = Searchee(NAME, FILES, info_hash="a" * 40, save_path="/data", client="fake")
META = Metafile(NAME, "b" * 40, 16384, FILES, raw=b"d4:infod4:name1:xee")
LINK = "http://127.0.0.1:9/dl/1.torrent"
CANDIDATE = Candidate(NAME, LINK, LINK, "Other", size=META.length)


def _a(action: ActionResult | None, decision: Decision = Decision.MATCH) -> Assessment:
    return Assessment(SEARCHEE, decision, META, action)


@pytest.mark.parametrize(
    ("final", "response"),
    [
        (None, Response.NOTHING),
        (_a(ActionResult.INJECTED), Response.DONE),
        (_a(ActionResult.SAVED), Response.DONE),
        (_a(ActionResult.FAILURE), Response.DONE),
        (_a(ActionResult.ALREADY_EXISTS), Response.DONE),
        (_a(None, Decision.INFO_HASH_ALREADY_EXISTS), Response.DONE),
        (_a(ActionResult.TORRENT_NOT_COMPLETE), Response.INCOMPLETE),
    ],
)
def test_respond(final, response):
    assert respond(final) is response


def test_which_outcome_stands():
    assert _keeps(_a(ActionResult.INJECTED), ActionResult.TORRENT_NOT_COMPLETE)
    assert _keeps(_a(ActionResult.TORRENT_NOT_COMPLETE), ActionResult.FAILURE)
    assert _keeps(_a(ActionResult.ALREADY_EXISTS), ActionResult.TORRENT_NOT_COMPLETE)
    assert not _keeps(_a(ActionResult.FAILURE), ActionResult.TORRENT_NOT_COMPLETE)
    assert not _keeps(None, ActionResult.FAILURE)


class FakeClient:
    """Records injections; answers as told (a stand-in for the real clients' own tests)."""

    label, readonly = "fake", False

    def __init__(self, complete: bool = True, result: ActionResult = ActionResult.INJECTED):
        self.complete, self.result, self.injected = complete, result, []

    async def is_complete(self, info_hash: str) -> bool | None:
        return self.complete

    async def inject(self, meta, searchee, decision, **kwargs) -> ActionResult:
        self.injected.append((meta.info_hash, decision))
        return self.result


def _seeder(tmp_path: Path, client: FakeClient, snatches: list[str], action: str = "inject"):
    library = Library()
    library.add(SEARCHEE)

    async def snatch(candidate: Candidate) -> Metafile | Decision:
        snatches.append(candidate.link or "")
        return META

    async def existing() -> set[str]:
        return {SEARCHEE.info_hash or ""}

    actions = Actions(ActionSettings(action, tmp_path / "out"), [client])  # type: ignore[list-item]
    return CrossSeeder(library, FilterOptions(), actions, snatch, existing)


async def test_a_match_is_injected_once_and_answers_200(tmp_path):
    client, snatches = FakeClient(), []
    outcome = await _seeder(tmp_path, client, snatches).announce(CANDIDATE)
    assert outcome.response is Response.DONE
    assert client.injected == [("b" * 40, Decision.MATCH)]
    assert snatches == [LINK]


async def test_an_incomplete_source_answers_202_and_saves_the_torrent(tmp_path):
    client, snatches = FakeClient(complete=False), []
    outcome = await _seeder(tmp_path, client, snatches).announce(CANDIDATE)
    assert outcome.response is Response.INCOMPLETE
    assert client.injected == []
    assert [p.name for p in (tmp_path / "out").iterdir()] == [
        f"[pack][Other]{NAME}[{'b' * 40}].torrent"
    ]


async def test_a_failed_injection_is_saved_for_the_retry(tmp_path):
    client = FakeClient(result=ActionResult.FAILURE)
    seeder = _seeder(tmp_path, client, [])
    outcome = await seeder.announce(CANDIDATE)
    assert outcome.response is Response.DONE  # as the original: "Saved"
    assert [p.name for p in (tmp_path / "out").iterdir()] == [
        f"[pack][Other]{NAME}[{'b' * 40}].torrent"
    ]


async def test_save_action_saves_even_an_incomplete_source(tmp_path):
    client, snatches = FakeClient(complete=False), []
    outcome = await _seeder(tmp_path, client, snatches, action="save").announce(CANDIDATE)
    assert outcome.response is Response.DONE
    assert client.injected == []
    assert len(list((tmp_path / "out").glob("*.torrent"))) == 1


async def test_a_name_that_pairs_with_nothing_downloads_nothing(tmp_path):
    snatches: list[str] = []
    other = Candidate("Another.Show.S03.720p-X", LINK, LINK, "Other", size=5)
    outcome = await _seeder(tmp_path, FakeClient(), snatches).announce(other)
    assert outcome.response is Response.NOTHING and snatches == []


@pytest.mark.database
async def test_the_store_keeps_downloads_and_decisions(database_settings, tmp_path):
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from torrentstack.bittorrent.metainfo import parse
    from torrentstack.cli.torrent_builder import CreateOptions, build_torrent
    from torrentstack.crossseed.store import CrossseedStore
    from torrentstack.db import migrate
    from torrentstack.db.engine import create_engine

    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "f.mkv").write_bytes(b"x" * 40000)
    meta = Metafile.from_metainfo(
        parse(build_torrent(tmp_path / "c", CreateOptions(version="v1", creation_date=0)))
    )
    engine = create_engine(database_settings, tmp_path)
    try:
        await migrate.upgrade(engine)
        store = CrossseedStore(async_sessionmaker(engine, expire_on_commit=False), lambda: 1.8e9)
        assert await store.cached(LINK) is None
        await store.remember(SEARCHEE, CANDIDATE, meta, Decision.MATCH, 0.02)
        await store.remember(SEARCHEE, CANDIDATE, meta, Decision.MATCH_SIZE_ONLY, 0.02)
        again = await store.cached(LINK)
        assert again is not None and again.info_hash == meta.info_hash
        assert await store.decision(SEARCHEE, LINK) is Decision.MATCH_SIZE_ONLY
        await store.searched(SEARCHEE, "site")
        await store.searched(SEARCHEE, "site")
        assert list(await store.last_searched(SEARCHEE)) == ["site"]
        await store.saw_guid("site", "g-1")
        assert await store.last_seen_guid("site") == "g-1"
        from datetime import UTC, datetime

        assert await store.cleanup(datetime.fromtimestamp(2e9, UTC)) == 1
        assert await store.cached(LINK) is None
    finally:
        await engine.dispose()
