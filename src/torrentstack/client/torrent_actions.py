"""The actions part (the API's `TorrentActions`): delete, stop/start, force, recheck,
reannounce, queue, share limits (and acting when one is reached), speed limits, flags, peers."""

from __future__ import annotations

from torrentstack.client import engine as eng
from torrentstack.client.log_buffer import LogBuffer
from torrentstack.client.preferences import Preferences
from torrentstack.client.records import TorrentRecord
from torrentstack.client.store import ClientStore
from torrentstack.client.torrents import Background, Torrents, engine_result
from torrentstack.clock import Clock
from torrentstack.qbittorrent.errors import Conflict
from torrentstack.qbittorrent.share_limits import (
    SHARE_LIMIT_DELETE_FILES,
    SHARE_LIMIT_REMOVE,
    SHARE_LIMIT_SUPER_SEEDING,
    share_limit_reached,
)
from torrentstack.qbittorrent_api.backend import QueueMove

_QUEUE_MOVES = {
    "top": eng.QueueMove.TOP,
    "bottom": eng.QueueMove.BOTTOM,
    "up": eng.QueueMove.UP,
    "down": eng.QueueMove.DOWN,
}


class TorrentActions:
    def __init__(
        self,
        *,
        torrents: Torrents,
        prefs: Preferences,
        store: ClientStore,
        log: LogBuffer,
        clock: Clock,
        background: Background,
    ) -> None:
        self._torrents = torrents
        self._prefs = prefs
        self._store = store
        self._log = log
        self._clock = clock
        self._background = background
        self._limit_reached: set[str] = set()  # acted on once, until started again

    async def delete(self, hashes: list[str], delete_files: bool) -> None:
        chosen = self._torrents.hashes(hashes)
        if not chosen:
            return
        await self._store.remove_torrents(chosen)  # gone from the store first: never back
        await engine_result(self._torrents.engine().remove(chosen, delete_files))
        for hash_ in chosen:
            record = self._torrents.forget(hash_)
            if record is not None:
                self._log.add("info", f"Removed torrent: {record.display_name}")

    async def add_peers(
        self, hashes: list[str], peers: list[tuple[str, int]]
    ) -> dict[str, dict[str, int]]:
        """`torrents/addPeers`: per torrent, how many peers were taken and how many failed."""
        engine = self._torrents.engine()
        added = await engine_result(engine.connect_peers(self._torrents.hashes(hashes), peers))
        return {h: {"added": n, "failed": len(peers) - n} for h, n in added.items()}

    async def set_stopped(self, hashes: list[str], stopped: bool) -> None:
        chosen = self._torrents.hashes(hashes)
        if not stopped:
            self._limit_reached.difference_update(chosen)
        engine = self._torrents.engine()
        await engine_result(engine.stop(chosen) if stopped else engine.start(chosen))
        for record in self._torrents.records(chosen):
            record.options.stopped = stopped
            if not stopped:
                record.options.forced = False
        await self._torrents.changed(chosen)

    async def set_forced(self, hashes: list[str], forced: bool) -> None:
        chosen = self._torrents.hashes(hashes)
        await engine_result(self._torrents.engine().start(chosen, forced=forced))
        for record in self._torrents.records(chosen):
            record.options.forced = forced
            record.options.stopped = False
        await self._torrents.changed(chosen)

    async def recheck(self, hashes: list[str]) -> None:
        await engine_result(self._torrents.engine().recheck(self._torrents.hashes(hashes)))

    async def reannounce(self, hashes: list[str]) -> None:
        await engine_result(self._torrents.engine().reannounce(self._torrents.hashes(hashes)))

    async def queue(self, hashes: list[str], move: QueueMove) -> None:
        if not self._prefs.queueing:
            raise Conflict("Torrent queueing must be enabled")
        chosen = self._torrents.hashes(hashes)
        await engine_result(self._torrents.engine().queue(chosen, _QUEUE_MOVES[move]))
        # every torrent's position may have changed
        await self._torrents.refresh_from_engine(self._torrents.hashes(None))

    async def set_share_limits(
        self, hashes: list[str], ratio: float, seeding_time: int, inactive: int
    ) -> None:
        records = self._torrents.records(hashes)
        for record in records:
            record.options.ratio_limit = ratio
            record.options.seeding_time_limit = seeding_time
            record.options.inactive_seeding_time_limit = inactive
        await self._torrents.changed([r.hash for r in records])

    async def set_limit(
        self, hashes: list[str], *, download: int | None, upload: int | None
    ) -> None:
        chosen = self._torrents.hashes(hashes)
        await engine_result(
            self._torrents.engine().set_limits(chosen, download=download, upload=upload)
        )
        for record in self._torrents.records(chosen):
            if download is not None:
                record.options.dl_limit = max(download, 0)
            if upload is not None:
                record.options.up_limit = max(upload, 0)
        await self._torrents.changed(chosen)

    async def toggle_sequential(self, hashes: list[str]) -> None:
        engine = self._torrents.engine()
        records = self._torrents.records(hashes)
        for record in records:
            options = record.options
            options.seq_dl = not options.seq_dl
            flag = eng.TorrentFlag.SEQUENTIAL_DOWNLOAD
            await engine_result(engine.set_flag([record.hash], flag, options.seq_dl))
        await self._torrents.changed([r.hash for r in records])

    async def toggle_first_last(self, hashes: list[str]) -> None:
        engine = self._torrents.engine()
        records = self._torrents.records(hashes)
        for record in records:
            options = record.options
            options.f_l_piece_prio = not options.f_l_piece_prio
            await engine_result(engine.first_last([record.hash], options.f_l_piece_prio))
        await self._torrents.changed([r.hash for r in records])

    async def set_super_seeding(self, hashes: list[str], on: bool) -> None:
        chosen = self._torrents.hashes(hashes)
        flag = eng.TorrentFlag.SUPER_SEEDING
        await engine_result(self._torrents.engine().set_flag(chosen, flag, on))
        for record in self._torrents.records(chosen):
            record.options.super_seeding = on
        await self._torrents.changed(chosen)

    def check_share_limits(self, record: TorrentRecord) -> None:
        """qBittorrent's share limits: once a seeding torrent reaches one, act (once)."""
        view = self._torrents.view(record.hash)
        if not view.facts.finished or view.facts.stopped or record.hash in self._limit_reached:
            return
        reached = share_limit_reached(view, self._clock())
        if reached is None:
            return
        self._limit_reached.add(record.hash)
        action = int(self._prefs.get("max_ratio_act") or 0)
        self._log.add("info", f"Torrent reached its {reached} limit: {record.display_name}")
        hashes = [record.hash]
        if action == SHARE_LIMIT_REMOVE:
            self._background.spawn(self.delete(hashes, False))
        elif action == SHARE_LIMIT_DELETE_FILES:
            self._background.spawn(self.delete(hashes, True))
        elif action == SHARE_LIMIT_SUPER_SEEDING:
            self._background.spawn(self.set_super_seeding(hashes, True))
        else:
            self._background.spawn(self.set_stopped(hashes, True))
