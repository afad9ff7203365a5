"""The life of an item over an in-memory provider and a real database: handed over, polled,
delivered, announced; refusals, queueing, deleting, and restarts that lose nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.support.debrid_memory import MemoryProvider
from tests.support.debrid_services.catalogue import Content, episode, single_file
from tests.support.waiting import eventually
from torrentstack.debrid.bridge import AddOptions, AddRefused, Bridge, Delivery
from torrentstack.debrid.items import Item, ItemState
from torrentstack.debrid.sources import from_magnet, from_torrent
from torrentstack.debrid.store import DebridStore

pytestmark = pytest.mark.database


async def _no_sleep(_seconds: float) -> None:
    return


class Harness:
    def __init__(self, store: DebridStore, folder: Path, *providers: MemoryProvider) -> None:
        self.store, self.folder, self.providers = store, folder, list(providers)
        self.notified: list[str] = []
        self.bridge = self.make()

    def make(self, action: str = "download") -> Bridge:
        async def notify(item: Item) -> None:
            self.notified.append(item.hash)

        return Bridge(
            self.providers, self.store,
            Delivery(action, self.folder, str(self.folder / "mount"), 0.5, "http://bridge:8282"),
            uncached_default=lambda _name: False, notify=notify, sleep=_no_sleep,
        )  # fmt: skip


@pytest.fixture
def content() -> Content:
    return episode()


def _delivered(folder: Path, category: str, content: Content) -> dict[str, bytes]:
    root = folder / category
    if list(content.files) == [content.name]:
        return {content.name: (root / content.name).read_bytes()}
    base = root / content.name
    return {str(p.relative_to(base)): p.read_bytes() for p in base.rglob("*") if p.is_file()}


async def test_a_cached_torrent_is_downloaded_byte_identical_and_announced(
    debrid_store, tmp_path, content
):
    provider = MemoryProvider(catalogue=[content], cached={content.info_hash})
    h = Harness(debrid_store, tmp_path, provider)
    item = await h.bridge.add(from_magnet(content.magnet), AddOptions(category="sonarr"))
    assert item.provider == "memory" and item.remote_id
    await eventually(lambda: item.state is ItemState.COMPLETED)
    assert _delivered(tmp_path, "sonarr", content) == content.files
    assert item.content_path == str(tmp_path / "sonarr" / content.name)
    assert h.notified == [content.info_hash]
    stored = {i.hash: i for i in await debrid_store.items()}
    assert stored[item.hash].state is ItemState.COMPLETED


async def test_a_single_file_torrent_appears_as_that_file(debrid_store, tmp_path):
    content = single_file()
    provider = MemoryProvider(catalogue=[content], cached={content.info_hash})
    h = Harness(debrid_store, tmp_path, provider)
    item = await h.bridge.add(from_torrent(content.torrent), AddOptions(category="radarr"))
    await eventually(lambda: item.state is ItemState.COMPLETED)
    assert (tmp_path / "radarr" / content.name).read_bytes() == content.files[content.name]
    assert item.content_path == str(tmp_path / "radarr" / content.name)


async def test_not_cached_is_refused_and_the_remote_copy_deleted(debrid_store, tmp_path, content):
    provider = MemoryProvider(catalogue=[content])
    h = Harness(debrid_store, tmp_path, provider)
    with pytest.raises(AddRefused, match="not cached"):
        await h.bridge.add(from_magnet(content.magnet), AddOptions(category="sonarr"))
    assert provider.remotes == {} and provider.deleted
    assert h.bridge.items == {} and await debrid_store.items() == []


async def test_the_next_provider_takes_what_the_first_refuses(debrid_store, tmp_path, content):
    first = MemoryProvider(name="first", catalogue=[content])
    second = MemoryProvider(name="second", catalogue=[content], cached={content.info_hash})
    h = Harness(debrid_store, tmp_path, first, second)
    item = await h.bridge.add(from_magnet(content.magnet), AddOptions(category="sonarr"))
    assert item.provider == "second" and first.deleted
    await eventually(lambda: item.state is ItemState.COMPLETED)


async def test_uncached_allowed_progresses_through_polls(debrid_store, tmp_path, content):
    provider = MemoryProvider(catalogue=[content], steps_to_finish=3)
    h = Harness(debrid_store, tmp_path, provider)
    item = await h.bridge.add(from_magnet(content.magnet), AddOptions(uncached=True))
    assert item.state is ItemState.DOWNLOADING
    seen = []
    for _ in range(6):
        await h.bridge.poll()
        seen.append(item.progress)
    await eventually(lambda: item.state is ItemState.COMPLETED)
    assert seen[0] > 0 and sorted(seen) == seen
    assert (tmp_path / content.name).is_dir()  # no category: the download folder itself


async def test_a_full_provider_queues_the_item_until_a_slot_frees(debrid_store, tmp_path, content):
    provider = MemoryProvider(catalogue=[content], cached={content.info_hash}, full=True)
    h = Harness(debrid_store, tmp_path, provider)
    item = await h.bridge.add(from_magnet(content.magnet), AddOptions(category="sonarr"))
    assert item.state is ItemState.QUEUED and "too many" in item.error
    await h.bridge.poll()
    assert item.state is ItemState.QUEUED and provider.submitted == []
    provider.full = False
    await h.bridge.poll()
    await eventually(lambda: item.state is ItemState.COMPLETED)
    assert provider.submitted == [content.info_hash]


async def test_a_provider_away_keeps_the_acknowledged_item(debrid_store, tmp_path, content):
    provider = MemoryProvider(catalogue=[content], cached={content.info_hash}, down=True)
    h = Harness(debrid_store, tmp_path, provider)
    item = await h.bridge.add(from_magnet(content.magnet), AddOptions(category="sonarr"))
    assert item.state is ItemState.QUEUED
    assert [i.hash for i in await debrid_store.items()] == [item.hash]
    provider.down = False
    await h.bridge.poll()
    await eventually(lambda: item.state is ItemState.COMPLETED)


async def test_adding_a_known_hash_submits_nothing_twice(debrid_store, tmp_path, content):
    provider = MemoryProvider(catalogue=[content], cached={content.info_hash})
    h = Harness(debrid_store, tmp_path, provider)
    first = await h.bridge.add(from_magnet(content.magnet), AddOptions(category="sonarr"))
    await eventually(lambda: first.state is ItemState.COMPLETED)
    again = await h.bridge.add(from_torrent(content.torrent), AddOptions(category="sonarr"))
    assert again is first and provider.submitted == [content.info_hash]


async def test_a_restart_resumes_polling_and_never_resubmits(debrid_store, tmp_path, content):
    other = single_file()
    provider = MemoryProvider(catalogue=[content, other], cached={other.info_hash})
    h = Harness(debrid_store, tmp_path, provider)
    slow = await h.bridge.add(from_magnet(content.magnet), AddOptions(uncached=True))
    done = await h.bridge.add(from_magnet(other.magnet), AddOptions())
    await eventually(lambda: done.state is ItemState.COMPLETED)
    await h.bridge.close()  # the process ends here (state was written at every step)

    restarted = h.make()
    await restarted.load()
    assert restarted.items[done.hash].state is ItemState.COMPLETED
    assert restarted.items[slow.hash].state is ItemState.DOWNLOADING
    for _ in range(5):
        await restarted.poll()
    await eventually(lambda: restarted.items[slow.hash].state is ItemState.COMPLETED)
    assert provider.submitted == [content.info_hash, other.info_hash]  # once each


async def test_a_restart_during_delivery_finishes_a_partial_download(
    debrid_store, tmp_path, content
):
    provider = MemoryProvider(catalogue=[content], cached={content.info_hash})
    h = Harness(debrid_store, tmp_path, provider)
    item = await h.bridge.add(from_magnet(content.magnet), AddOptions(category="tv"))
    await eventually(lambda: item.state is ItemState.COMPLETED)
    video = next(p for p in content.files if p.endswith(".mkv"))
    path = tmp_path / "tv" / content.name / video
    path.write_bytes(content.files[video][:1000])  # as if cut off mid-file
    item.state = ItemState.DELIVERING
    await debrid_store.put_item(item)

    restarted = h.make()
    await restarted.load()
    await restarted.poll()
    await eventually(lambda: restarted.items[item.hash].state is ItemState.COMPLETED)
    assert path.read_bytes() == content.files[video]


async def test_symlinks_wait_for_the_mount_and_point_into_it(debrid_store, tmp_path, content):
    provider = MemoryProvider(catalogue=[content], cached={content.info_hash})
    h = Harness(debrid_store, tmp_path, provider)
    mount = tmp_path / "mount" / "memory" / "__all__" / content.name
    for path, body in content.files.items():
        (mount / path).parent.mkdir(parents=True, exist_ok=True)
        (mount / path).write_bytes(body)
    h.bridge = h.make("symlink")
    item = await h.bridge.add(from_magnet(content.magnet), AddOptions(category="sonarr"))
    await eventually(lambda: item.state is ItemState.COMPLETED)
    link = tmp_path / "sonarr" / content.name / next(iter(content.files))
    assert link.is_symlink() and link.resolve() == (mount / next(iter(content.files))).resolve()


async def test_a_mount_that_never_shows_the_files_fails_the_item_clearly(
    debrid_store, tmp_path, content
):
    provider = MemoryProvider(catalogue=[content], cached={content.info_hash})
    h = Harness(debrid_store, tmp_path, provider)
    h.bridge = h.make("symlink")
    item = await h.bridge.add(from_magnet(content.magnet), AddOptions(category="sonarr"))
    await eventually(lambda: item.state is ItemState.FAILED)
    assert "did not show" in item.error and "WebDAV" in item.error
    assert h.notified == []


async def test_strm_files_hold_the_webdav_url(debrid_store, tmp_path, content):
    provider = MemoryProvider(catalogue=[content], cached={content.info_hash})
    h = Harness(debrid_store, tmp_path, provider)
    h.bridge = h.make("strm")
    item = await h.bridge.add(from_magnet(content.magnet), AddOptions(category="sonarr"))
    await eventually(lambda: item.state is ItemState.COMPLETED)
    video = next(p for p in content.files if p.endswith(".mkv"))
    strm = tmp_path / "sonarr" / content.name / f"{video}.strm"
    assert strm.read_text().strip() == (
        f"http://bridge:8282/webdav/memory/__all__/{content.name}/{video}"
    )


async def test_delete_forgets_the_item_and_its_files(debrid_store, tmp_path, content):
    provider = MemoryProvider(catalogue=[content], cached={content.info_hash})
    h = Harness(debrid_store, tmp_path, provider)
    item = await h.bridge.add(from_magnet(content.magnet), AddOptions(category="sonarr"))
    await eventually(lambda: item.state is ItemState.COMPLETED)
    await h.bridge.delete([item.hash], delete_files=True)
    assert not (tmp_path / "sonarr" / content.name).exists()
    assert h.bridge.items == {} and await debrid_store.items() == []
    assert provider.remotes  # kept at the provider: imported symlinks point into it
    await h.bridge.delete([item.hash], delete_files=True)  # unknown now: nothing happens


async def test_unknown_provider_is_refused(debrid_store, tmp_path, content):
    h = Harness(debrid_store, tmp_path, MemoryProvider(catalogue=[content]))
    with pytest.raises(AddRefused, match="unknown debrid provider"):
        await h.bridge.add(from_magnet(content.magnet), AddOptions(provider="nope"))


async def test_a_provider_losing_the_torrent_fails_the_item(debrid_store, tmp_path, content):
    provider = MemoryProvider(catalogue=[content], steps_to_finish=50)
    h = Harness(debrid_store, tmp_path, provider)
    item = await h.bridge.add(from_magnet(content.magnet), AddOptions(uncached=True))
    provider.remotes.clear()
    await h.bridge.poll()
    assert item.state is ItemState.FAILED and "no longer has" in item.error


async def test_a_symlinked_item_removed_by_its_arr_stays_on_the_mount(debrid_store, tmp_path):
    content = single_file()
    provider = MemoryProvider(catalogue=[content], cached={content.info_hash})
    h = Harness(debrid_store, tmp_path, provider)
    h.bridge = h.make("strm")  # finishes at once; archiving is for symlinked items:
    item = await h.bridge.add(from_magnet(content.magnet), AddOptions(category="radarr"))
    await eventually(lambda: item.state is ItemState.COMPLETED)
    item.action = "symlink"
    await h.bridge.delete([item.hash], delete_files=False)
    assert h.bridge.items == {} and [i.hash for i in h.bridge.on_mount("memory")] == [item.hash]
    restarted = h.make()
    await restarted.load()
    assert restarted.items == {} and [i.hash for i in restarted.on_mount("memory")] == [item.hash]
    again = await restarted.add(from_magnet(content.magnet), AddOptions(category="radarr"))
    assert again is not item and restarted.archive == {}
    await eventually(lambda: again.state is ItemState.COMPLETED)
    await restarted.delete([again.hash], delete_files=True, remove_remote=True)
    assert restarted.on_mount("memory") == [] and again.remote_id not in provider.remotes


async def test_a_poll_during_an_add_does_not_hand_the_torrent_over_twice(
    debrid_store, tmp_path, content
):
    provider = MemoryProvider(catalogue=[content], cached={content.info_hash})
    h = Harness(debrid_store, tmp_path, provider)
    gate = asyncio.Event()
    submit = provider.submit_magnet

    async def slow_submit(magnet: str, *, uncached: bool) -> str:
        await gate.wait()
        return await submit(magnet, uncached=uncached)

    provider.submit_magnet = slow_submit  # type: ignore[method-assign]
    adding = asyncio.create_task(h.bridge.add(from_magnet(content.magnet), AddOptions()))
    await eventually(lambda: content.info_hash in h.bridge.items)
    poll = asyncio.create_task(h.bridge.poll())  # the item is queued and stored meanwhile
    await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(adding, poll)
    await h.bridge.poll()
    assert provider.submitted == [content.info_hash]


async def test_a_stop_between_a_providers_add_and_our_note_adopts_its_copy(
    debrid_store, tmp_path, content
):
    provider = MemoryProvider(catalogue=[content], cached={content.info_hash})
    h = Harness(debrid_store, tmp_path, provider)
    item = await h.bridge.add(from_magnet(content.magnet), AddOptions(category="tv"))
    await eventually(lambda: item.state is ItemState.COMPLETED)
    item.state, item.remote_id, item.provider = ItemState.QUEUED, "", ""
    await debrid_store.put_item(item)  # as stored before the provider's answer was noted

    restarted = h.make()
    await restarted.load()
    await restarted.poll()
    found = restarted.items[item.hash]
    assert found.remote_id in provider.remotes and found.provider == "memory"
    await restarted.poll()
    await eventually(lambda: found.state is ItemState.COMPLETED)
    assert provider.submitted == [content.info_hash]  # not handed over a second time
