"""The Real-Debrid provider against a loopback fake of its API: the whole life of a torrent,
the service's errors and faults, and parsing that fails only with `ProviderError`."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.debrid_services.catalogue import episode, single_file
from tests.support.debrid_services.harness import (
    ANY_JSON,
    Waits,
    closed_port,
    loopback_settings,
    loose,
    read,
    shaped,
)
from tests.support.debrid_services.realdebrid import FakeRealDebrid, realdebrid_service
from torrentstack.config.debrid import ProviderSettings
from torrentstack.debrid.errors import NotFoundRemote, ProviderError, TooManyActive
from torrentstack.debrid.providers import realdebrid
from torrentstack.debrid.providers.base import Provider, RemoteFile, RemoteStatus
from torrentstack.debrid.providers.realdebrid import RealDebrid

EPISODE = episode()
MOVIE = single_file()
UNKNOWN = single_file("Nobody.Seeds.This.2019.mkv", 5_000)
KEY = "rd-test-key"


def make(url: str, waits: Waits, key: str = KEY) -> RealDebrid:
    return RealDebrid(loopback_settings("realdebrid", url, key), sleep=waits)


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
async def fake() -> AsyncIterator[FakeRealDebrid]:
    async with realdebrid_service([EPISODE, MOVIE], api_key=KEY, uncached={MOVIE.info_hash}) as s:
        yield s


@pytest.fixture
async def rd(fake: FakeRealDebrid, waits: Waits) -> AsyncIterator[RealDebrid]:
    provider = make(fake.url, waits)
    yield provider
    await provider.close()


def test_it_is_a_provider() -> None:
    entry = ProviderSettings(provider="realdebrid", name="rd1", api_key=KEY)
    provider: Provider = RealDebrid(entry)
    assert (provider.name, provider.kind, realdebrid.KIND) == ("rd1", "realdebrid", "realdebrid")


async def test_a_cached_folder_from_magnet_to_bytes(fake: FakeRealDebrid, rd: RealDebrid) -> None:
    remote_id = await rd.submit_magnet(EPISODE.magnet, uncached=False)
    converting = await rd.status(remote_id)
    assert (converting.status, converting.message) == (RemoteStatus.QUEUED, "magnet_conversion")

    selecting = await rd.status(remote_id)
    assert selecting.status is RemoteStatus.SELECTING
    assert selecting.info_hash == EPISODE.info_hash
    assert selecting.name == EPISODE.name
    assert [(f.path, f.size, f.link) for f in selecting.files] == [
        (path, len(body), "") for path, body in EPISODE.files.items()
    ]

    await rd.select_files(remote_id, [f.id for f in selecting.files])
    done = await rd.status(remote_id)
    assert (done.status, done.progress, done.size) == (RemoteStatus.DOWNLOADED, 1.0, EPISODE.size)
    assert [f.path for f in done.files] == list(EPISODE.files)
    assert all(f.link for f in done.files)
    assert ("POST", f"/rest/1.0/torrents/selectFiles/{remote_id}") in fake.requests

    listed = await rd.torrents()
    assert [(t.id, t.info_hash, t.status) for t in listed] == [
        (remote_id, EPISODE.info_hash, RemoteStatus.DOWNLOADED)
    ]

    video, nfo = done.files
    url = await rd.link(video)
    assert url.startswith("http://127.0.0.1:") and url != video.link
    body = EPISODE.files[video.path]
    assert await read(rd, video) == body
    assert await read(rd, video, 1000, 70_000) == body[1000:70_001]
    assert await read(rd, nfo, 10) == EPISODE.files[nfo.path][10:]

    assert await rd.check(nfo)
    fake.break_link(nfo.link)
    assert not await rd.check(nfo)
    assert await rd.check(video)
    with pytest.raises(NotFoundRemote):
        await rd.link(nfo)

    await rd.delete(remote_id)
    await rd.delete(remote_id)  # already gone: no error
    with pytest.raises(NotFoundRemote):
        await rd.status(remote_id)
    assert await rd.torrents() == []


async def test_an_uncached_single_file_from_torrent_file(rd: RealDebrid) -> None:
    remote_id = await rd.submit_torrent(MOVIE.torrent, uncached=True)
    seen = [await rd.status(remote_id) for _ in range(2)]
    assert [t.status for t in seen] == [RemoteStatus.QUEUED, RemoteStatus.SELECTING]
    (file,) = seen[-1].files
    assert (file.path, file.size) == (MOVIE.name, MOVIE.size)

    await rd.select_files(remote_id, [])  # none named: all
    stages = [await rd.status(remote_id) for _ in range(4)]
    assert [(t.status, t.progress) for t in stages] == [
        (RemoteStatus.QUEUED, 0.0),
        (RemoteStatus.DOWNLOADING, 0.0),
        (RemoteStatus.DOWNLOADING, 0.5),
        (RemoteStatus.DOWNLOADED, 1.0),
    ]
    assert (stages[2].speed, stages[2].seeders) == (1_000_000, 7)
    (ready,) = stages[-1].files
    assert await read(rd, ready) == MOVIE.files[MOVIE.name]
    assert await read(rd, ready, 199_990) == MOVIE.files[MOVIE.name][199_990:]


async def test_a_hash_nobody_has_stays_converting(fake: FakeRealDebrid, rd: RealDebrid) -> None:
    remote_id = await rd.submit_magnet(UNKNOWN.magnet, uncached=False)
    seen = {(await rd.status(remote_id)).status for _ in range(4)}
    assert seen == {RemoteStatus.QUEUED}
    fake.torrents[remote_id].status = "dead"
    dead = await rd.status(remote_id)
    assert (dead.status, dead.message) == (RemoteStatus.FAILED, "dead")


async def test_an_outage_does_not_make_files_look_broken(
    fake: FakeRealDebrid, rd: RealDebrid
) -> None:
    remote_id = await rd.submit_magnet(EPISODE.magnet, uncached=False)
    await rd.status(remote_id)
    await rd.status(remote_id)
    await rd.select_files(remote_id, ["1"])
    (video,) = (await rd.status(remote_id)).files
    assert video.path == f"{EPISODE.name}.mkv"

    fake.fail_next(1, 503)  # service_unavailable, not unavailable_file
    with pytest.raises(ProviderError, match="service_unavailable") as caught:
        await rd.check(video)
    assert caught.value.retryable
    assert fake.requests.count(("POST", "/rest/1.0/unrestrict/check")) == 1  # asked once
    assert await rd.check(video)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("magnet_error", RemoteStatus.FAILED),
        ("magnet_conversion", RemoteStatus.QUEUED),
        ("waiting_files_selection", RemoteStatus.SELECTING),
        ("queued", RemoteStatus.QUEUED),
        ("downloading", RemoteStatus.DOWNLOADING),
        ("downloaded", RemoteStatus.DOWNLOADED),
        ("error", RemoteStatus.FAILED),
        ("virus", RemoteStatus.FAILED),
        ("compressing", RemoteStatus.DOWNLOADING),
        ("uploading", RemoteStatus.DOWNLOADING),
        ("dead", RemoteStatus.FAILED),
    ],
)
def test_every_status_maps(status: str, expected: RemoteStatus) -> None:
    torrent = realdebrid.parse_torrent({"id": "X", "status": status, "progress": 42})
    assert (torrent.status, torrent.progress, torrent.message) == (expected, 0.42, status)


def test_links_follow_the_selected_files_only() -> None:
    torrent = realdebrid.parse_torrent(
        {
            "id": "X",
            "status": "downloaded",
            "files": [
                {"id": 1, "path": "/a/one.mkv", "bytes": 10, "selected": 1},
                {"id": 2, "path": "/two.txt", "bytes": 3, "selected": 0},
                {"id": 3, "path": "/three.mkv", "bytes": 5, "selected": 1},
            ],
            "links": ["https://real-debrid.com/d/A", "https://real-debrid.com/d/C"],
        }
    )
    assert torrent.files == (
        RemoteFile("1", "a/one.mkv", 10, "https://real-debrid.com/d/A"),
        RemoteFile("3", "three.mkv", 5, "https://real-debrid.com/d/C"),
    )


async def test_profile_and_free_slots(fake: FakeRealDebrid, rd: RealDebrid) -> None:
    profile = await rd.profile()
    assert (profile.username, profile.premium, profile.expires) == ("fake-user", True, 1798761600)
    assert await rd.free_slots() == 50
    remote_id = await rd.submit_magnet(MOVIE.magnet, uncached=True)
    await rd.status(remote_id)
    await rd.status(remote_id)
    await rd.select_files(remote_id, ["1"])
    assert await rd.free_slots() == 49


async def test_a_bad_key_says_so(fake: FakeRealDebrid, waits: Waits) -> None:
    provider = make(fake.url, waits, key="not-the-key-42")
    try:
        with pytest.raises(ProviderError, match="API key") as caught:
            await provider.submit_magnet(EPISODE.magnet, uncached=True)
    finally:
        await provider.close()
    assert (caught.value.status, caught.value.retryable) == (401, False)
    assert "not-the-key-42" not in str(caught.value)
    assert fake.torrents == {}


async def test_429_waits_for_retry_after(
    fake: FakeRealDebrid, rd: RealDebrid, waits: Waits
) -> None:
    fake.fail_next(2, 429, retry_after=7)
    assert (await rd.profile()).username == "fake-user"
    assert [w for w in waits if w >= 1] == [7.0, 7.0]
    assert fake.requests.count(("GET", "/rest/1.0/user")) == 3


async def test_too_many_active(fake: FakeRealDebrid, rd: RealDebrid) -> None:
    fake.fail_next(1, 509)
    with pytest.raises(TooManyActive) as caught:
        await rd.submit_magnet(EPISODE.magnet, uncached=True)
    assert caught.value.status == 509
    assert caught.value.retryable

    remote_id = await rd.submit_magnet(EPISODE.magnet, uncached=True)
    fake.too_many_active = True
    with pytest.raises(TooManyActive):
        await rd.submit_torrent(MOVIE.torrent, uncached=True)
    await rd.status(remote_id)
    await rd.status(remote_id)
    with pytest.raises(TooManyActive):
        await rd.select_files(remote_id, ["1", "2"])
    assert await rd.free_slots() == 0


async def test_500_is_retried_then_fails_with_the_services_words(
    fake: FakeRealDebrid, rd: RealDebrid, waits: Waits
) -> None:
    fake.fail_next(1, 500)
    assert (await rd.free_slots()) == 50

    fake.fail_next(4, 500)
    with pytest.raises(ProviderError, match="internal_error") as caught:
        await rd.torrents()
    assert (caught.value.status, caught.value.retryable) == (500, True)
    assert [w for w in waits if w >= 1] == [1.0, 1.0, 2.0, 4.0]


async def test_an_unreachable_service_is_retryable(waits: Waits) -> None:
    port = closed_port()
    provider = make(f"http://127.0.0.1:{port}/rest/1.0", waits)
    try:
        with pytest.raises(ProviderError) as caught:
            await provider.status("X")
    finally:
        await provider.close()
    assert caught.value.retryable
    assert "unreachable" in caught.value.message


# Fuzz: documents shaped like the service's answers, any field possibly of any JSON type.
NUMBER = st.integers(-5, 10**12) | st.floats() | st.text(max_size=6)
FILE = st.fixed_dictionaries(
    {"id": loose(st.integers(0, 99))},
    optional={"path": loose(st.text(max_size=12)), "bytes": NUMBER, "selected": NUMBER},
)
TORRENT = shaped(
    ("id",),
    id=st.text(min_size=1, max_size=6),
    hash=st.text(max_size=40),
    filename=st.text(max_size=12),
    bytes=NUMBER,
    status=st.sampled_from(sorted(realdebrid.STATUSES)) | st.text(max_size=6),
    progress=NUMBER,
    speed=NUMBER,
    seeders=NUMBER,
    files=st.lists(FILE, max_size=4),
    links=st.lists(st.text(max_size=10) | ANY_JSON, max_size=4),
)
CASES: list[tuple[Callable[[object], object], st.SearchStrategy[object]]] = [
    (
        realdebrid.parse_added,
        shaped(("id",), id=st.text(min_size=1, max_size=6), uri=st.text(max_size=6)),
    ),
    (realdebrid.parse_torrent, TORRENT),
    (realdebrid.parse_listed, loose(st.lists(TORRENT, max_size=3))),
    (
        realdebrid.parse_unrestricted,
        shaped(("download",), download=st.text(min_size=1, max_size=10)),
    ),
    (
        realdebrid.parse_profile,
        shaped(
            ("username",),
            username=st.text(min_size=1, max_size=6),
            type=st.sampled_from(["premium", "free"]),
            expiration=st.datetimes().map(str) | st.text(max_size=30),
        ),
    ),
    (realdebrid.parse_slots, shaped(nb=NUMBER, limit=NUMBER)),
]


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), index=st.integers(0, len(CASES) - 1))
def test_parsing_fails_only_with_provider_error(data: st.DataObject, index: int) -> None:
    parse, shape = CASES[index]
    with contextlib.suppress(ProviderError):
        parse(data.draw(shape))
