"""The TorBox provider against a loopback TorBox: the whole life of a torrent, cached-only adds,
the service's refusals and faults, the key kept out of the logs, and its JSON parsing fuzzed."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.debrid_services.catalogue import Content, episode, single_file
from tests.support.debrid_services.harness import (
    ANY_JSON,
    Waits,
    closed_port,
    loopback_settings,
    read,
)
from tests.support.debrid_services.torbox import FakeTorBox, torbox_service
from torrentstack.config.debrid import ProviderSettings
from torrentstack.debrid.errors import NotCached, NotFoundRemote, ProviderError, TooManyActive
from torrentstack.debrid.providers import torbox
from torrentstack.debrid.providers.base import Provider, RemoteFile, RemoteStatus, RemoteTorrent
from torrentstack.debrid.providers.torbox import TorBox

KEY = "tb-key-fedcba9876543210"
EPISODE = episode()
MOVIE = single_file()
CACHED = episode("Cached.Show.S02E01.720p.WEB-GRP", 80_000)
UNKNOWN = "magnet:?xt=urn:btih:" + "cd" * 20 + "&dn=Nobody.Has.It"


def provider_settings(url: str, key: str = KEY) -> ProviderSettings:
    return loopback_settings("torbox", url, key)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTorBox]:
    async with torbox_service(
        [EPISODE, MOVIE, CACHED], api_key=KEY, cached={CACHED.info_hash}, plan=1
    ) as service:
        yield service


@pytest.fixture
def sleeps() -> Waits:
    return Waits()


@pytest.fixture
async def provider(fake: FakeTorBox, sleeps: Waits) -> AsyncIterator[TorBox]:
    client = TorBox(provider_settings(fake.url), sleep=sleeps)
    yield client
    await client.close()


async def run_to_the_end(
    provider: TorBox, content: Content, form: str
) -> tuple[str, list[RemoteTorrent]]:
    if form == "magnet":
        remote_id = await provider.submit_magnet(content.magnet, uncached=True)
    else:
        remote_id = await provider.submit_torrent(content.torrent, uncached=True)
    seen = [await provider.status(remote_id)]
    while seen[-1].status is not RemoteStatus.DOWNLOADED and len(seen) < 10:
        seen.append(await provider.status(remote_id))
    return remote_id, seen


async def test_it_is_a_provider_named_by_its_settings() -> None:
    settings_ = ProviderSettings(provider="torbox", name="mine", api_key=KEY)
    provider: Provider = TorBox(settings_)
    assert (provider.name, provider.kind) == ("mine", "torbox")
    await provider.close()
    default: Provider = TorBox(provider_settings(""))
    assert str(default._http.client.base_url) == f"{torbox.PUBLIC_URL}/"  # type: ignore[attr-defined]
    assert default.name == "torbox"
    await default.close()


@pytest.mark.parametrize("content", [EPISODE, MOVIE], ids=["multi-file", "single-file"])
@pytest.mark.parametrize("form", ["magnet", "torrent"])
async def test_a_torrent_is_fetched_listed_streamed_checked_and_deleted(
    fake: FakeTorBox, provider: TorBox, content: Content, form: str
) -> None:
    remote_id, seen = await run_to_the_end(provider, content, form)
    stages = [torrent.status for torrent in seen]
    assert stages[0] is RemoteStatus.QUEUED  # metaDL
    assert RemoteStatus.DOWNLOADING in stages  # downloading, "stalled (no seeds)"
    assert stages[-1] is RemoteStatus.DOWNLOADED
    progress = [torrent.progress for torrent in seen]
    assert progress == sorted(progress)
    assert progress[-1] == 1.0
    done = seen[-1]
    assert (done.info_hash, done.name, done.size) == (content.info_hash, content.name, content.size)
    # the torrent's folder is cut from the file names
    assert {f.path: f.size for f in done.files} == {p: len(b) for p, b in content.files.items()}

    listed = await provider.torrents()
    assert [(t.id, t.status) for t in listed] == [(remote_id, RemoteStatus.DOWNLOADED)]

    file = max(done.files, key=lambda f: f.size)
    body = content.files[file.path]
    assert (await provider.link(file)).startswith("http://127.0.0.1:")
    assert await read(provider, file) == body
    assert await read(provider, file, 1_000, 4_999) == body[1_000:5_000]

    assert await provider.check(file) is True
    fake.drop_file(content.info_hash, file.path)
    assert await provider.check(file) is False

    await provider.select_files(remote_id, [file.id])  # TorBox fetches everything
    await provider.delete(remote_id)
    await provider.delete(remote_id)
    with pytest.raises(NotFoundRemote):
        await provider.status(remote_id)
    assert await provider.torrents() == []
    assert await provider.check(file) is False  # the torrent is gone: so is the file


async def test_cached_only_takes_a_cached_torrent_and_refuses_the_others(
    fake: FakeTorBox, provider: TorBox
) -> None:
    remote_id = await provider.submit_magnet(CACHED.magnet, uncached=False)
    torrent = await provider.status(remote_id)
    assert torrent.status is RemoteStatus.DOWNLOADED
    assert sorted(f.path for f in torrent.files) == sorted(CACHED.files)

    with pytest.raises(NotCached):
        await provider.submit_magnet(EPISODE.magnet, uncached=False)
    with pytest.raises(NotCached):
        await provider.submit_torrent(MOVIE.torrent, uncached=False)
    assert [t.id for t in await provider.torrents()] == [remote_id]


async def test_an_unknown_hash_never_finishes(provider: TorBox) -> None:
    remote_id = await provider.submit_magnet(UNKNOWN, uncached=True)
    for _ in range(8):
        torrent = await provider.status(remote_id)
        assert torrent.status is RemoteStatus.QUEUED
        assert torrent.files == ()


async def test_slots_are_the_plan_s_minus_the_active_ones(provider: TorBox) -> None:
    assert await provider.free_slots() == torbox.PLAN_SLOTS[1]
    await provider.submit_magnet(EPISODE.magnet, uncached=True)
    await provider.submit_magnet(CACHED.magnet, uncached=True)  # ready: takes no slot
    assert await provider.free_slots() == torbox.PLAN_SLOTS[1] - 1


async def test_the_account_is_read(provider: TorBox) -> None:
    profile = await provider.profile()
    assert (profile.username, profile.premium) == ("fake-user@example.invalid", True)
    assert profile.expires == 1_811_808_000  # 2027-06-01T00:00:00Z


async def test_a_file_link_that_is_not_torbox_s_is_refused(provider: TorBox) -> None:
    with pytest.raises(ProviderError, match="not a TorBox file link"):
        await provider.link(RemoteFile("1", "a.mkv", 10, "https://elsewhere.invalid/a.mkv"))


async def test_a_bad_key_is_said_to_be_the_key(fake: FakeTorBox, sleeps: Waits) -> None:
    client = TorBox(provider_settings(fake.url, key="wrong"), sleep=sleeps)
    try:
        with pytest.raises(ProviderError) as caught:
            await client.submit_magnet(EPISODE.magnet, uncached=True)
    finally:
        await client.close()
    assert "API key" in caught.value.message
    assert "BAD_TOKEN" in caught.value.message
    assert (caught.value.status, caught.value.retryable) == (401, False)


async def test_a_429_is_waited_out_as_retry_after_says(
    fake: FakeTorBox, provider: TorBox, sleeps: Waits
) -> None:
    fake.fail_next(2, 429, retry_after=3)
    assert await provider.torrents() == []
    assert sleeps.count(3.0) == 2
    assert fake.requests.count(("GET", "/v1/api/torrents/mylist")) == 3


async def test_too_many_active_is_its_own_error(fake: FakeTorBox, provider: TorBox) -> None:
    fake.too_many_active = True
    with pytest.raises(TooManyActive) as caught:
        await provider.submit_magnet(EPISODE.magnet, uncached=False)
    assert "ACTIVE_LIMIT" in caught.value.message
    assert caught.value.retryable


async def test_a_500_is_retried_then_fails_with_the_service_words(
    fake: FakeTorBox, provider: TorBox
) -> None:
    fake.fail_next(10, 502, error="DOWNLOAD_SERVER_ERROR")
    with pytest.raises(ProviderError) as caught:
        await provider.profile()
    assert "DOWNLOAD_SERVER_ERROR" in caught.value.message
    assert "HTTP 502 from the fake" in caught.value.message  # TorBox's `detail`
    assert (caught.value.status, caught.value.retryable) == (502, True)
    assert fake.requests.count(("GET", "/v1/api/user/me")) == 4


async def test_a_refusal_with_http_200_is_an_error(fake: FakeTorBox, provider: TorBox) -> None:
    fake.fail_next(1, 200, error="MONTHLY_LIMIT")
    with pytest.raises(ProviderError) as caught:
        await provider.submit_magnet(EPISODE.magnet, uncached=True)
    assert type(caught.value) is ProviderError
    assert "monthly" in caught.value.message


async def test_an_unreachable_service_is_a_retryable_error(sleeps: Waits) -> None:
    port = closed_port()
    client = TorBox(provider_settings(f"http://127.0.0.1:{port}/v1"), sleep=sleeps)
    try:
        with pytest.raises(ProviderError) as caught:
            await client.status("1")
    finally:
        await client.close()
    assert caught.value.retryable
    assert [wait for wait in sleeps if wait >= 1] == [1.0, 2.0, 4.0]  # backing off


async def test_the_key_never_reaches_a_log_record(
    fake: FakeTorBox, provider: TorBox, caplog: pytest.LogCaptureFixture
) -> None:
    # the fake TorBox's own access log is TorBox's, not ours: it sees the URL as sent
    caplog.set_level(logging.WARNING, logger="uvicorn.access")
    caplog.set_level(logging.DEBUG)
    fake.fail_next(1, 503)
    remote_id, seen = await run_to_the_end(provider, EPISODE, "magnet")
    file = seen[-1].files[0]
    assert await read(provider, file, 0, 99) == EPISODE.files[file.path][:100]
    assert await provider.check(file) is True
    await provider.delete(remote_id)

    messages = [record.getMessage() for record in caplog.records]
    assert any("requestdl" in message for message in messages)  # httpx did log the calls
    assert not [message for message in messages if KEY in message]


# --- the parsing, fed anything JSON can hold ---

_FILE = st.fixed_dictionaries(
    {}, optional={key: ANY_JSON for key in ("id", "name", "short_name", "size")}
)
_TORRENT_KEYS = (
    "id", "hash", "name", "size", "download_state", "download_present", "download_finished",
    "progress", "download_speed", "seeds",
)  # fmt: skip
_TORRENT = st.fixed_dictionaries(
    {},
    optional={key: ANY_JSON for key in _TORRENT_KEYS}
    | {"files": st.lists(_FILE, max_size=3) | ANY_JSON},
)
_ACCOUNT = st.fixed_dictionaries(
    {},
    optional={
        key: ANY_JSON
        for key in (
            "email",
            "plan",
            "is_subscribed",
            "premium_expires_at",
            "additional_concurrent_slots",
        )
    }
    | {"premium_expires_at": st.text(max_size=30)},
)
_DATA = _TORRENT | st.lists(_TORRENT, max_size=3) | _ACCOUNT | ANY_JSON
_BODY = ANY_JSON | st.fixed_dictionaries(
    {"success": st.booleans() | ANY_JSON},
    optional={
        "data": _DATA,
        "error": st.sampled_from(list(torbox._MESSAGES)) | ANY_JSON,
        "detail": ANY_JSON,
    },
)


@settings(max_examples=400)
@given(body=_BODY, status=st.sampled_from([200, 400, 401, 403, 404, 429, 500]))
def test_any_answer_is_read_or_refused_with_a_provider_error(body: object, status: int) -> None:
    assert isinstance(torbox.refusal("tb", body, status), ProviderError)
    readers = (
        lambda value: torbox.parse_torrent("tb", value),
        lambda value: torbox.parse_torrents("tb", value),
        lambda value: torbox.parse_profile("tb", value),
        lambda value: torbox.parse_slots("tb", value),
        lambda value: torbox.parse_link("tb", value),
        lambda value: torbox.parse_created("tb", value, cached_only=False),
    )
    for reader in readers:
        with contextlib.suppress(ProviderError):
            reader(torbox.unwrap("tb", body))
