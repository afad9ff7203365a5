"""The AllDebrid provider against a loopback fake of its API: the whole life of a torrent,
the service's errors (also in HTTP 200 bodies) and faults, and parsing that fails only with
`ProviderError`."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.debrid_services.alldebrid import FakeAllDebrid, alldebrid_service
from tests.support.debrid_services.catalogue import Content, episode, single_file
from tests.support.debrid_services.harness import (
    ANY_JSON,
    Waits,
    closed_port,
    loopback_settings,
    loose,
    read,
    shaped,
)
from torrentstack.config.debrid import ProviderSettings
from torrentstack.debrid.errors import NotCached, NotFoundRemote, ProviderError, TooManyActive
from torrentstack.debrid.providers import alldebrid
from torrentstack.debrid.providers.alldebrid import AllDebrid
from torrentstack.debrid.providers.base import Provider, RemoteStatus

EPISODE = Content(
    "Show.Name.S01.1080p.WEB-DL-GRP",
    {
        "Show.Name.S01E01.mkv": b"one" * 30_000,
        "Extras/Making.Of.mkv": b"two" * 10_000,
        "Extras/Deeper/notes.txt": b"three",
    },
)
MOVIE = single_file()
UNCACHED = episode("Other.Show.S02E03.720p.HDTV-GRP", 40_000)
UNKNOWN = single_file("Nobody.Seeds.This.2019.mkv", 5_000)
KEY = "ad-test-key"


def make(url: str, waits: Waits, key: str = KEY) -> AllDebrid:
    return AllDebrid(loopback_settings("alldebrid", url, key), sleep=waits)


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
async def fake() -> AsyncIterator[FakeAllDebrid]:
    catalogue = [EPISODE, MOVIE, UNCACHED]
    async with alldebrid_service(catalogue, api_key=KEY, uncached={UNCACHED.info_hash}) as s:
        yield s


@pytest.fixture
async def ad(fake: FakeAllDebrid, waits: Waits) -> AsyncIterator[AllDebrid]:
    provider = make(fake.url, waits)
    yield provider
    await provider.close()


def test_it_is_a_provider() -> None:
    entry = ProviderSettings(provider="alldebrid", api_key=KEY)
    provider: Provider = AllDebrid(entry)
    assert (provider.name, provider.kind, alldebrid.KIND) == ("alldebrid", "alldebrid", "alldebrid")


async def test_a_cached_folder_from_magnet_to_bytes(fake: FakeAllDebrid, ad: AllDebrid) -> None:
    remote_id = await ad.submit_magnet(EPISODE.magnet, uncached=False)
    done = await ad.status(remote_id)
    assert (done.status, done.progress, done.size) == (RemoteStatus.DOWNLOADED, 1.0, EPISODE.size)
    assert (done.info_hash, done.name, done.message) == (EPISODE.info_hash, EPISODE.name, "Ready")
    # the tree, under the torrent's folder, is flattened into paths inside it
    assert [(f.path, f.size) for f in done.files] == [
        (path, len(body)) for path, body in EPISODE.files.items()
    ]
    assert all(f.link for f in done.files)
    assert ("POST", "/v4.1/magnet/files") in fake.requests  # v4.1: not in the status
    await ad.select_files(remote_id, ["0"])  # the service fetches everything: nothing asked
    assert not any("select" in path for _, path in fake.requests)

    listed = await ad.torrents()
    assert [(t.id, t.status, t.info_hash) for t in listed] == [
        (remote_id, RemoteStatus.DOWNLOADED, EPISODE.info_hash)
    ]

    video, extra, notes = done.files
    url = await ad.link(video)
    assert url.startswith("http://127.0.0.1:") and url != video.link
    assert await read(ad, video) == EPISODE.files[video.path]
    assert await read(ad, video, 5, 40_004) == EPISODE.files[video.path][5:40_005]
    assert await read(ad, notes) == b"three"

    assert await ad.check(extra)
    fake.break_link(extra.link)
    assert not await ad.check(extra)
    assert await ad.check(video)
    with pytest.raises(NotFoundRemote, match="LINK_DOWN"):
        await ad.link(extra)

    await ad.delete(remote_id)
    await ad.delete(remote_id)  # already gone: no error
    with pytest.raises(NotFoundRemote, match="MAGNET_INVALID_ID"):
        await ad.status(remote_id)
    assert await ad.torrents() == []


async def test_a_file_tree_inside_the_status_is_used(waits: Waits) -> None:
    async with alldebrid_service([EPISODE], api_key=KEY, files_in_status=True) as fake:
        provider = make(fake.url, waits)
        try:
            remote_id = await provider.submit_magnet(EPISODE.magnet, uncached=False)
            done = await provider.status(remote_id)
            listed = await provider.torrents()
        finally:
            await provider.close()
    assert [f.path for f in done.files] == list(EPISODE.files)
    assert [f.path for f in listed[0].files] == list(EPISODE.files)
    assert not any(path.endswith("/magnet/files") for _, path in fake.requests)


async def test_a_single_file_from_torrent_file(ad: AllDebrid) -> None:
    remote_id = await ad.submit_torrent(MOVIE.torrent, uncached=False)
    done = await ad.status(remote_id)
    assert done.status is RemoteStatus.DOWNLOADED
    (file,) = done.files
    assert (file.id, file.path, file.size) == ("0", MOVIE.name, MOVIE.size)
    body = MOVIE.files[MOVIE.name]
    assert await read(ad, file) == body
    assert await read(ad, file, 100_000, 100_099) == body[100_000:100_100]


async def test_an_uncached_torrent_downloads_when_allowed(
    fake: FakeAllDebrid, ad: AllDebrid
) -> None:
    with pytest.raises(NotCached):
        await ad.submit_torrent(UNCACHED.torrent, uncached=False)
    assert fake.magnets == {}  # what was added is taken back

    remote_id = await ad.submit_torrent(UNCACHED.torrent, uncached=True)
    stages = [await ad.status(remote_id) for _ in range(4)]
    assert [(t.status, t.progress, t.message) for t in stages] == [
        (RemoteStatus.QUEUED, 0.0, "In Queue"),
        (RemoteStatus.DOWNLOADING, 0.0, "Downloading"),
        (RemoteStatus.DOWNLOADING, 0.5, "Downloading"),
        (RemoteStatus.DOWNLOADED, 1.0, "Ready"),
    ]
    assert (stages[2].speed, stages[2].seeders, stages[2].files) == (2_000_000, 9, ())
    assert [f.path for f in stages[-1].files] == list(UNCACHED.files)


async def test_a_hash_nobody_has_never_finishes(fake: FakeAllDebrid, ad: AllDebrid) -> None:
    remote_id = await ad.submit_magnet(UNKNOWN.magnet, uncached=True)
    seen = [(await ad.status(remote_id)).status for _ in range(4)]
    assert seen == [RemoteStatus.QUEUED] + [RemoteStatus.DOWNLOADING] * 3
    assert await ad.free_slots() == 99
    fake.magnets[int(remote_id)].status_code = 7
    failed = await ad.status(remote_id)
    assert failed.status is RemoteStatus.FAILED


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (0, RemoteStatus.QUEUED),
        (1, RemoteStatus.DOWNLOADING),
        (2, RemoteStatus.DOWNLOADING),
        (3, RemoteStatus.DOWNLOADING),
        (4, RemoteStatus.DOWNLOADED),
        (5, RemoteStatus.FAILED),
        (11, RemoteStatus.FAILED),
    ],
)
def test_every_status_code_maps(code: int, expected: RemoteStatus) -> None:
    answer = {"status": "success", "data": {"magnets": {"id": 7, "statusCode": code}}}
    assert alldebrid.parse_status(answer).status is expected


def test_a_list_may_come_as_a_map_by_id() -> None:
    answer = {
        "status": "success",
        "data": {"magnets": {"7": {"id": 7, "statusCode": 4}, "8": {"id": 8, "statusCode": 1}}},
    }
    assert [t.id for t in alldebrid.parse_magnets(answer)] == ["7", "8"]


async def test_profile_and_free_slots(fake: FakeAllDebrid, ad: AllDebrid) -> None:
    profile = await ad.profile()
    assert (profile.username, profile.premium, profile.expires) == ("fake-user", True, 1798761600)
    assert await ad.free_slots() == 100
    await ad.submit_magnet(EPISODE.magnet, uncached=False)  # ready: not active
    await ad.submit_magnet(UNCACHED.magnet, uncached=True)
    assert await ad.free_slots() == 99


async def test_a_bad_key_says_so(fake: FakeAllDebrid, waits: Waits) -> None:
    provider = make(fake.url, waits, key="not-the-key-42")
    try:
        with pytest.raises(ProviderError, match="API key") as caught:
            await provider.submit_magnet(EPISODE.magnet, uncached=True)
    finally:
        await provider.close()
    assert (caught.value.status, caught.value.retryable) == (401, False)
    assert "AUTH_BAD_APIKEY" in caught.value.message
    assert "not-the-key-42" not in str(caught.value)
    assert fake.magnets == {}


async def test_an_error_body_with_http_200_is_an_error(fake: FakeAllDebrid, ad: AllDebrid) -> None:
    fake.fail_next(1, 200)
    with pytest.raises(ProviderError, match="An error occurred") as caught:
        await ad.profile()
    assert not isinstance(caught.value, NotFoundRemote)
    assert (await ad.profile()).username == "fake-user"


async def test_429_waits_for_retry_after(fake: FakeAllDebrid, ad: AllDebrid, waits: Waits) -> None:
    fake.fail_next(2, 429, retry_after=5)
    assert (await ad.profile()).username == "fake-user"
    assert [w for w in waits if w >= 1] == [5.0, 5.0]
    assert fake.requests.count(("GET", "/v4.1/user")) == 3


async def test_too_many_active(fake: FakeAllDebrid, ad: AllDebrid) -> None:
    fake.too_many_active = True
    with pytest.raises(TooManyActive, match="MAGNET_TOO_MANY_ACTIVE") as caught:
        await ad.submit_magnet(EPISODE.magnet, uncached=True)
    assert caught.value.retryable
    with pytest.raises(TooManyActive):
        await ad.submit_torrent(MOVIE.torrent, uncached=True)
    assert fake.magnets == {}


async def test_500_is_retried_then_fails_with_the_services_words(
    fake: FakeAllDebrid, ad: AllDebrid, waits: Waits
) -> None:
    fake.fail_next(1, 500)
    assert await ad.free_slots() == 100

    fake.fail_next(4, 500)
    with pytest.raises(ProviderError, match="An internal error occurred") as caught:
        await ad.torrents()
    assert (caught.value.status, caught.value.retryable) == (500, True)
    assert [w for w in waits if w >= 1] == [1.0, 1.0, 2.0, 4.0]


async def test_an_unreachable_service_is_retryable(waits: Waits) -> None:
    port = closed_port()
    provider = make(f"http://127.0.0.1:{port}/v4.1", waits)
    try:
        with pytest.raises(ProviderError) as caught:
            await provider.status("1")
    finally:
        await provider.close()
    assert caught.value.retryable
    assert "unreachable" in caught.value.message


# Fuzz: documents shaped like the service's answers, any field possibly of any JSON type.
def envelope(data: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    """`{"status", "data"}` mostly, sometimes an error body, sometimes anything."""
    codes = st.sampled_from(["AUTH_BAD_APIKEY", "MAGNET_TOO_MANY_ACTIVE", "LINK_DOWN", "X"])
    error = shaped(("code",), code=codes, message=st.text(max_size=8))
    status = st.sampled_from(["success", "success", "success", "error"])
    body = st.fixed_dictionaries({"status": loose(status), "data": data})
    failed = st.fixed_dictionaries({"status": st.just("error"), "error": error})
    return st.one_of(body, body, body, body, failed, ANY_JSON)


NUMBER = st.integers(-5, 10**12) | st.floats()
NAME = st.text(min_size=1, max_size=8)
TREE = st.recursive(
    shaped(n=NAME, s=NUMBER, l=NAME),
    lambda inner: shaped(n=NAME, e=st.lists(inner, max_size=3)),
    max_leaves=8,
)
MAGNET = shaped(
    ("id",),
    id=st.integers(0, 10**6) | NAME,
    filename=NAME,
    hash=NAME,
    size=NUMBER,
    downloaded=NUMBER,
    statusCode=st.integers(-1, 12),
    status=NAME,
    downloadSpeed=NUMBER,
    seeders=NUMBER,
    files=st.lists(TREE, max_size=3),
    links=st.lists(shaped(link=NAME, filename=NAME, size=NUMBER), max_size=3),
)
ADDED = shaped(
    ("id",), id=st.integers(0, 99), ready=st.booleans(), error=shaped(code=NAME, message=NAME)
)
CASES: list[tuple[Callable[[object], object], st.SearchStrategy[object]]] = [
    (alldebrid.parse_data, envelope(ANY_JSON)),
    (alldebrid.parse_uploaded, envelope(shaped(("magnets",), magnets=st.lists(ADDED, max_size=2)))),
    (
        alldebrid.parse_uploaded_file,
        envelope(shaped(("files",), files=st.lists(ADDED, max_size=2))),
    ),
    (alldebrid.parse_magnet, MAGNET),
    (alldebrid.parse_status, envelope(shaped(("magnets",), magnets=MAGNET))),
    (
        alldebrid.parse_magnets,
        envelope(
            shaped(
                ("magnets",),
                magnets=st.lists(MAGNET, max_size=3) | st.dictionaries(NAME, MAGNET, max_size=3),
            )
        ),
    ),
    (
        alldebrid.parse_magnet_files,
        envelope(shaped(("magnets",), magnets=st.lists(shaped(files=st.lists(TREE)), max_size=2))),
    ),
    (alldebrid.parse_unlocked, envelope(shaped(("link",), link=NAME))),
    (
        alldebrid.parse_link_infos,
        envelope(shaped(("infos",), infos=st.lists(shaped(link=NAME, error=ANY_JSON), max_size=2))),
    ),
    (
        alldebrid.parse_profile,
        envelope(
            shaped(
                ("user",),
                user=shaped(
                    ("username",), username=NAME, isPremium=st.booleans(), premiumUntil=NUMBER
                ),
            )
        ),
    ),
]


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), index=st.integers(0, len(CASES) - 1))
def test_parsing_fails_only_with_provider_error(data: st.DataObject, index: int) -> None:
    parse, shape = CASES[index]
    with contextlib.suppress(ProviderError):
        parse(data.draw(shape))
