"""The life of an item: handed to a provider, polled, delivered, announced to its arr.

`add` answers once a provider has the torrent (or, when every provider is away or full, once
the item is stored to be handed over later); the item is written to the database before
anything acts on it, so a restart (also after kill -9) resumes every item where it was and
never hands a finished one to a provider again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from torrentstack.debrid import delivery
from torrentstack.debrid.errors import NotCached, NotFoundRemote, ProviderError, TooManyActive
from torrentstack.debrid.items import ACTIVE, ON_MOUNT, Item, ItemState
from torrentstack.debrid.providers.base import Provider, RemoteStatus, RemoteTorrent
from torrentstack.debrid.sources import Added
from torrentstack.debrid.store import DebridStore

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Notify = Callable[[Item], Awaitable[None]]
SETTLE_CHECKS = 5  # status checks right after a submit while the service converts the magnet


class AddRefused(Exception):
    """No provider took the torrent; `message` says why in the services' words."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class AddOptions:
    category: str = ""
    tags: tuple[str, ...] = ()
    action: str = ""  # "": the configured one
    uncached: bool | None = None  # None: the provider's setting
    callback_url: str = ""
    provider: str = ""  # "": every provider, in order
    name: str = ""  # "": the torrent's


@dataclass(frozen=True, slots=True)
class Delivery:
    action: str
    download_folder: Path
    mount_path: str
    mount_timeout: float
    base_url: str  # for .strm files


class Bridge:
    def __init__(
        self,
        providers: Sequence[Provider],
        store: DebridStore,
        deliver: Delivery,
        *,
        uncached_default: Callable[[str], bool],
        notify: Notify,
        on_change: Callable[[Item], None] = lambda item: None,
        on_remove: Callable[[str], None] = lambda hash_: None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.providers = {p.name: p for p in providers}
        self.store = store
        self.deliver = deliver
        self.uncached_default = uncached_default
        self.notify = notify
        self.on_change = on_change
        self.on_remove = on_remove
        self.sleep = sleep
        self.items: dict[str, Item] = {}  # what the APIs show
        self.archive: dict[str, Item] = {}  # removed by their arr, kept for the WebDAV tree
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._poll_lock = asyncio.Lock()
        self._submitting: set[str] = set()  # being handed over by an add: the poll keeps off
        # queued when the process stopped: a provider may have taken it just before
        self._unsure: set[str] = set()

    async def load(self) -> None:
        for item in await self.store.items():
            if item.state is ItemState.ARCHIVED:
                self.archive[item.hash] = item
                continue
            self.items[item.hash] = item
            if item.state is ItemState.QUEUED:
                self._unsure.add(item.hash)
            self.on_change(item)

    async def _save(self, item: Item) -> None:
        await self.store.put_item(item)
        self.on_change(item)

    # -- adding --

    async def add(self, added: Added, options: AddOptions) -> Item:
        """Hand the torrent to a provider; the item (a known one is returned as it is)."""
        known = self.items.get(added.hash)
        if known is not None and known.state is not ItemState.FAILED:
            return known
        archived = self.archive.pop(added.hash, None)
        if archived is not None:  # grabbed again: a new item (the provider likely still has it)
            await self.store.delete_items([archived.hash])
        if options.provider and options.provider not in self.providers:
            raise AddRefused(f"unknown debrid provider {options.provider!r}")
        if not self.providers:
            raise AddRefused("no debrid provider is configured")
        category = options.category
        item = Item(
            hash=added.hash, name=options.name or added.name, category=category,
            action=options.action or self.deliver.action,
            save_path=str(self.deliver.download_folder / category) if category
            else str(self.deliver.download_folder),
            added_on=self.store.now(), tags=options.tags, provider=options.provider,
            uncached=options.uncached if options.uncached is not None
            else self.uncached_default(options.provider),
            callback_url=options.callback_url, magnet=added.magnet, torrent=added.torrent,
            size=added.size,
        )  # fmt: skip
        self._submitting.add(item.hash)
        try:
            await self._save(item)  # acknowledged from here on: a crash keeps it
            self.items[item.hash] = item
            try:
                await self._submit(item)
            except AddRefused:
                await self._forget(item)
                raise
        finally:
            self._submitting.discard(item.hash)
        return item

    def _order(self, item: Item) -> list[Provider]:
        if item.provider and item.provider in self.providers:
            return [self.providers[item.provider]]
        return list(self.providers.values())

    async def _submit(self, item: Item) -> None:
        """Try the providers in order. Refused everywhere: AddRefused. Away or full
        everywhere: stays queued, tried again at the next poll."""
        reasons: list[str] = []
        waiting = False
        for provider in self._order(item):
            try:
                remote = await self._hand_over(provider, item)
            except TooManyActive as exc:
                reasons.append(exc.message)
                waiting = True
                continue
            except ProviderError as exc:
                reasons.append(f"{provider.name}: {exc.message}")
                waiting = waiting or exc.retryable
                continue
            item.provider, item.remote_id, item.error = provider.name, remote.id, ""
            item.state = ItemState.DOWNLOADING
            self._update(item, remote)
            await self._save(item)
            if remote.status is RemoteStatus.DOWNLOADED:
                self._start_delivery(item)
            return
        if waiting:
            item.error = "; ".join(reasons)
            await self._save(item)
            return
        raise AddRefused("; ".join(reasons) or "no provider took it")

    async def _hand_over(self, provider: Provider, item: Item) -> RemoteTorrent:
        if item.torrent:
            remote_id = await provider.submit_torrent(item.torrent, uncached=item.uncached)
        else:
            remote_id = await provider.submit_magnet(item.magnet, uncached=item.uncached)
        try:
            remote = await self._settle(provider, remote_id)
            if remote.status is RemoteStatus.FAILED:
                raise ProviderError(provider.name, remote.message or "the torrent failed there")
            if remote.status is not RemoteStatus.DOWNLOADED and not item.uncached:
                raise NotCached(provider.name, "not cached")
        except ProviderError:
            await _quietly(provider.delete(remote_id))
            raise
        return remote

    async def _settle(self, provider: Provider, remote_id: str) -> RemoteTorrent:
        """The status once files are chosen and the magnet is converted (a few checks)."""
        remote = await provider.status(remote_id)
        for check in range(SETTLE_CHECKS):
            if remote.status is RemoteStatus.SELECTING:
                await provider.select_files(remote_id, [f.id for f in remote.files])
            elif remote.status is not RemoteStatus.QUEUED:
                return remote
            await self.sleep(0.2 * (check + 1))
            remote = await provider.status(remote_id)
        return remote

    @staticmethod
    def _update(item: Item, remote: RemoteTorrent) -> None:
        item.progress, item.speed, item.seeders = remote.progress, remote.speed, remote.seeders
        item.size = remote.size or item.size
        if remote.files:
            if not item.files and item.torrent is None and remote.name:
                item.name = remote.name  # a magnet's `dn` gives way to the torrent's own name
            item.files = remote.files

    # -- polling --

    async def poll(self) -> None:
        """One round over the active items: hand over queued ones, refresh the others."""
        async with self._poll_lock:
            for item in [i for i in self.items.values() if i.state in ACTIVE]:
                if item.hash in self._submitting:
                    continue
                try:
                    await self._poll_item(item)
                except ProviderError as exc:
                    logger.warning("debrid item %s: %s", item.hash, exc)

    async def _poll_item(self, item: Item) -> None:
        if item.state is ItemState.QUEUED:
            if item.hash in self._unsure and await self._adopt(item):
                return
            try:
                await self._submit(item)
            except AddRefused as exc:
                await self._fail(item, exc.message)
            return
        if item.state is ItemState.DELIVERING:
            self._start_delivery(item)  # after a restart
            return
        provider = self.providers.get(item.provider)
        if provider is None:
            await self._fail(item, f"provider {item.provider!r} is no longer configured")
            return
        try:
            remote = await provider.status(item.remote_id)
        except NotFoundRemote:
            await self._fail(item, f"{provider.name} no longer has the torrent")
            return
        if remote.status is RemoteStatus.SELECTING:
            await provider.select_files(item.remote_id, [f.id for f in remote.files])
        self._update(item, remote)
        if remote.status is RemoteStatus.FAILED:
            await self._fail(item, remote.message or f"{provider.name}: the torrent failed")
        elif remote.status is RemoteStatus.DOWNLOADED:
            await self._save(item)
            self._start_delivery(item)
        else:
            await self._save(item)

    async def _adopt(self, item: Item) -> bool:
        """A queued item from before a restart that a provider already has (the process
        stopped between its add and our note of it): take that one instead of adding again."""
        self._unsure.discard(item.hash)
        for provider in self._order(item):
            try:
                remotes = await provider.torrents()
            except ProviderError:
                continue
            remote = next((r for r in remotes if r.info_hash == item.hash), None)
            if remote is None:
                continue
            item.provider, item.remote_id, item.error = provider.name, remote.id, ""
            item.state = ItemState.DOWNLOADING
            self._update(item, remote)
            await self._save(item)
            logger.info("debrid item %s: found at %s after a restart", item.hash, provider.name)
            return True
        return False

    # -- delivering --

    def _start_delivery(self, item: Item) -> None:
        if item.hash in self._tasks:
            return
        task = asyncio.create_task(self._deliver(item), name=f"debrid-deliver-{item.hash}")
        self._tasks[item.hash] = task
        task.add_done_callback(lambda _t: self._tasks.pop(item.hash, None))

    async def _deliver(self, item: Item) -> None:
        provider = self.providers.get(item.provider)
        try:
            if item.state is not ItemState.DELIVERING:
                item.state = ItemState.DELIVERING
                await self._save(item)
            if provider is None:
                raise ProviderError(item.provider, "provider no longer configured")
            await self._act(item, provider)
        except ProviderError as exc:
            if exc.retryable:
                logger.warning("debrid item %s: delivery interrupted: %s", item.hash, exc)
                return  # tried again at the next poll
            await self._fail(item, str(exc))
            return
        except OSError as exc:
            await self._fail(item, f"cannot write the files: {exc.strerror or exc}")
            return
        item.state, item.progress, item.error = ItemState.COMPLETED, 1.0, ""
        item.content_path = delivery.content_path(item)
        item.completed_on = self.store.now()
        await self._save(item)
        logger.info("debrid item %s completed (%s)", item.hash, item.action)
        await self.notify(item)

    async def _act(self, item: Item, provider: Provider) -> None:
        action, deliver = item.action, self.deliver
        if action == "download":
            await delivery.download(item, provider)
        elif action == "symlink":
            await delivery.symlink(
                item, deliver.mount_path, deliver.mount_timeout, sleep=self.sleep
            )
        elif action == "strm":
            await delivery.strm(item, deliver.base_url)

    async def _fail(self, item: Item, message: str) -> None:
        item.state, item.error, item.speed = ItemState.FAILED, message, 0
        await self._save(item)
        logger.warning("debrid item %s failed: %s", item.hash, message)

    # -- removing --

    async def delete(
        self, hashes: Sequence[str], *, delete_files: bool, remove_remote: bool = False
    ) -> None:
        """Forget the items; their files too with `delete_files`; the provider's copy with
        `remove_remote`. Kept by default: a finished symlinked item is archived, so the WebDAV
        tree its arr's imported symlinks point into still has its files."""
        for hash_ in hashes:
            item = self.items.get(hash_)
            if item is None:
                continue
            task = self._tasks.pop(hash_, None)
            if task is not None:
                task.cancel()
            provider = self.providers.get(item.provider)
            remote = provider is not None and item.remote_id
            if remote and (item.state in ACTIVE or remove_remote):
                assert provider is not None  # noqa: S101 - checked just above
                await _quietly(provider.delete(item.remote_id))
            if delete_files:
                await delivery.remove(item)
            if item.finished and item.action == "symlink" and not remove_remote:
                item.state = ItemState.ARCHIVED
                await self.store.put_item(item)
                self.items.pop(hash_, None)
                self.archive[hash_] = item
                self.on_remove(hash_)
                continue
            await self._forget(item)

    async def _forget(self, item: Item) -> None:
        await self.store.delete_items([item.hash])
        self.items.pop(item.hash, None)
        self.on_remove(item.hash)

    def on_mount(self, provider: str) -> list[Item]:
        """Items whose files the provider has, for its WebDAV tree (archived ones included)."""
        return [
            item
            for item in [*self.items.values(), *self.archive.values()]
            if item.provider == provider and item.state in ON_MOUNT and item.files
        ]

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _quietly(call: Awaitable[None]) -> None:
    try:
        await call
    except ProviderError as exc:
        logger.info("%s", exc)
