"""The Debrid-Link provider against a loopback Debrid-Link: the whole life of a torrent, the
service's refusals and faults, and its JSON parsing fuzzed."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.debrid_services.catalogue import Content, episode, single_file
from tests.support.debrid_services.debridlink import FakeDebridLink, debridlink_service
from tests.support.debrid_services.harness import (
    ANY_JSON,
    Waits,
    closed_port,
    loopback_settings,
    read,
)
from torrentstack.config.debrid import ProviderSettings
from torrentstack.debrid.errors import NotFoundRemote, ProviderError, TooManyActive
from torrentstack.debrid.providers import debridlink
from torrentstack.debrid.providers.base import Provider, RemoteFile, RemoteStatus
from torrentstack.debrid.providers.debridlink import DebridLink

KEY = "dl-key-0123456789abcdef"
EPISODE = episode()
MOVIE = single_file()
CACHED = single_file("Cached.Movie.2019.720p.WEB-GRP.mkv", 50_000)
UNKNOWN = "magnet:?xt=urn:btih:" + "ab" * 20 + "&dn=Nobody.Has.It"


def provider_settings(url: str, key: str = KEY) -> ProviderSettings:
    return loopback_settings("debridlink", url, key)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDebridLink]:
    async with debridlink_service(
        [EPISODE, MOVIE, CACHED], api_key=KEY, cached={CACHED.info_hash}
    ) as service:
        yield service


@pytest.fixture
def sleeps() -> Waits:
    return Waits()


@pytest.fixture
async def provider(fake: FakeDebridLink, sleeps: Waits) -> AsyncIterator[DebridLink]:
    client = DebridLink(provider_settings(fake.url), sleep=sleeps)
    yield client
    await client.close()


async def test_it_is_a_provider_named_by_its_settings() -> None:
    settings_ = ProviderSettings(provider="debridlink", name="mine", api_key=KEY)
    provider: Provider = DebridLink(settings_)
    assert (provider.name, provider.kind) == ("mine", "debridlink")
    await provider.close()
    default: Provider = DebridLink(provider_settings(""))
    assert str(default._http.client.base_url) == f"{debridlink.PUBLIC_URL}/"  # type: ignore[attr-defined]
    assert default.name == "debridlink"
    await default.close()


@pytest.mark.parametrize("content", [EPISODE, MOVIE], ids=["multi-file", "single-file"])
@pytest.mark.parametrize("form", ["magnet", "torrent"])
async def test_a_torrent_is_fetched_listed_streamed_checked_and_deleted(
    fake: FakeDebridLink, provider: DebridLink, content: Content, form: str
) -> None:
    if form == "magnet":
        remote_id = await provider.submit_magnet(content.magnet, uncached=True)
    else:
        remote_id = await provider.submit_torrent(content.torrent, uncached=True)

    seen = [await provider.status(remote_id)]
    while seen[-1].status is not RemoteStatus.DOWNLOADED and len(seen) < 10:
        seen.append(await provider.status(remote_id))
    stages = [torrent.status for torrent in seen]
    assert stages[0] is RemoteStatus.QUEUED
    assert RemoteStatus.DOWNLOADING in stages
    assert stages[-1] is RemoteStatus.DOWNLOADED
    progress = [torrent.progress for torrent in seen]
    assert progress == sorted(progress)
    assert progress[-1] == 1.0
    done = seen[-1]
    assert (done.info_hash, done.name, done.size) == (content.info_hash, content.name, content.size)
    assert {f.path: f.size for f in done.files} == {p: len(b) for p, b in content.files.items()}

    listed = await provider.torrents()
    assert [(t.id, t.status) for t in listed] == [(remote_id, RemoteStatus.DOWNLOADED)]

    file = max(done.files, key=lambda f: f.size)
    body = content.files[file.path]
    assert (await provider.link(file)).startswith("http://127.0.0.1:")
    assert await read(provider, file) == body
    assert await read(provider, file, 1_000, 4_999) == body[1_000:5_000]
    assert await read(provider, file, len(body) - 10) == body[-10:]

    assert await provider.check(file) is True
    fake.drop_file(content.info_hash, file.path)
    assert await provider.check(file) is False

    await provider.select_files(remote_id, [file.id])  # nothing to choose on Debrid-Link
    await provider.delete(remote_id)
    await provider.delete(remote_id)
    with pytest.raises(NotFoundRemote):
        await provider.status(remote_id)
    assert await provider.torrents() == []


async def test_a_cached_torrent_is_ready_at_once(provider: DebridLink) -> None:
    remote_id = await provider.submit_magnet(CACHED.magnet, uncached=False)
    torrent = await provider.status(remote_id)
    assert torrent.status is RemoteStatus.DOWNLOADED
    assert [f.path for f in torrent.files] == [CACHED.name]
    assert await read(provider, torrent.files[0]) == CACHED.files[CACHED.name]


async def test_an_unknown_hash_never_finishes(provider: DebridLink) -> None:
    remote_id = await provider.submit_magnet(UNKNOWN, uncached=True)
    for _ in range(8):
        torrent = await provider.status(remote_id)
        assert torrent.status is RemoteStatus.QUEUED
        assert torrent.files == ()
    assert torrent.name == "Nobody.Has.It"


async def test_a_file_without_a_link_yet_has_no_link(provider: DebridLink) -> None:
    file = RemoteFile("x-0", "a.mkv", 10)
    with pytest.raises(ProviderError, match="no download link"):
        await provider.link(file)


async def test_the_account_is_read(provider: DebridLink) -> None:
    profile = await provider.profile()
    assert profile.username == "fake-user"
    assert profile.premium is True
    assert profile.expires > time.time() + 29 * 86400
    assert await provider.free_slots() == debridlink.UNKNOWN_SLOTS


async def test_a_bad_key_is_said_to_be_the_key(fake: FakeDebridLink, sleeps: Waits) -> None:
    client = DebridLink(provider_settings(fake.url, key="wrong"), sleep=sleeps)
    try:
        with pytest.raises(ProviderError) as caught:
            await client.profile()
    finally:
        await client.close()
    assert "API key" in caught.value.message
    assert caught.value.status == 401
    assert not caught.value.retryable
    assert caught.value.provider == "debridlink"


async def test_a_429_is_waited_out_as_retry_after_says(
    fake: FakeDebridLink, provider: DebridLink, sleeps: Waits
) -> None:
    fake.fail_next(1, 429, retry_after=7)
    assert (await provider.profile()).username == "fake-user"
    assert 7.0 in sleeps
    assert fake.requests.count(("GET", "/api/v2/account/infos")) == 2


async def test_too_many_active_is_its_own_error(fake: FakeDebridLink, provider: DebridLink) -> None:
    fake.too_many_active = True
    with pytest.raises(TooManyActive) as caught:
        await provider.submit_magnet(EPISODE.magnet, uncached=True)
    assert "maxTorrent" in caught.value.message
    fake.too_many_active = False
    assert await provider.submit_magnet(EPISODE.magnet, uncached=True)


async def test_a_500_is_retried_then_fails_with_the_service_words(
    fake: FakeDebridLink, provider: DebridLink, sleeps: Waits
) -> None:
    fake.fail_next(10, 500)
    with pytest.raises(ProviderError) as caught:
        await provider.torrents()
    assert "internalError" in caught.value.message
    assert (caught.value.status, caught.value.retryable) == (500, True)
    assert fake.requests.count(("GET", "/api/v2/seedbox/list")) == 4  # one try, three retries
    assert sleeps.count(1.0) >= 1


async def test_a_refusal_with_http_200_is_an_error(
    fake: FakeDebridLink, provider: DebridLink
) -> None:
    fake.fail_next(1, 200, error="notDebrid")
    with pytest.raises(ProviderError) as caught:
        await provider.submit_magnet(EPISODE.magnet, uncached=True)
    assert type(caught.value) is ProviderError
    assert "notDebrid" in caught.value.message


async def test_an_unreachable_service_is_a_retryable_error(sleeps: Waits) -> None:
    port = closed_port()
    client = DebridLink(provider_settings(f"http://127.0.0.1:{port}/api/v2"), sleep=sleeps)
    try:
        with pytest.raises(ProviderError) as caught:
            await client.profile()
    finally:
        await client.close()
    assert caught.value.retryable
    assert "unreachable" in caught.value.message


# --- the parsing, fed anything JSON can hold ---

_FILE = st.fixed_dictionaries(
    {}, optional={key: ANY_JSON for key in ("id", "name", "size", "downloadUrl", "downloadPercent")}
)
_TORRENT_KEYS = (
    "id", "name", "hashString", "status", "wait", "error", "errorString", "downloadPercent",
    "totalSize", "downloadSpeed", "peersConnected",
)  # fmt: skip
_TORRENT = st.fixed_dictionaries(
    {},
    optional={key: ANY_JSON for key in _TORRENT_KEYS}
    | {"files": st.lists(_FILE, max_size=3) | ANY_JSON},
)
_ACCOUNT = st.fixed_dictionaries(
    {}, optional={key: ANY_JSON for key in ("pseudo", "username", "accountType", "premiumLeft")}
)
_VALUE = _TORRENT | st.lists(_TORRENT, max_size=3) | _ACCOUNT | ANY_JSON
_BODY = ANY_JSON | st.fixed_dictionaries(
    {"success": st.booleans() | ANY_JSON},
    optional={"value": _VALUE, "error": st.sampled_from(list(debridlink._MESSAGES)) | ANY_JSON},
)


@settings(max_examples=400)
@given(body=_BODY, status=st.sampled_from([200, 400, 401, 404, 429, 500, 503]))
def test_any_answer_is_read_or_refused_with_a_provider_error(body: object, status: int) -> None:
    assert isinstance(debridlink.refusal("dl", body, status), ProviderError)
    readers = (
        lambda value: debridlink.parse_torrent("dl", value),
        lambda value: debridlink.parse_torrents("dl", value),
        lambda value: debridlink.parse_profile("dl", value, 1_700_000_000.0),
    )
    for reader in readers:
        with contextlib.suppress(ProviderError):
            reader(debridlink.unwrap("dl", body))
