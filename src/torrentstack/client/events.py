"""What the engine reports, handled on the event loop: statuses (shown, share limits checked),
metadata, finished downloads (moved from the download path), moves, log lines."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from torrentstack.client import engine as eng
from torrentstack.client.log_buffer import LogBuffer
from torrentstack.client.records import TorrentRecord, same_path
from torrentstack.client.status import Metadata
from torrentstack.client.store import ClientStore
from torrentstack.client.torrent_actions import TorrentActions
from torrentstack.client.torrents import Background, Torrents, discard, engine_result


class EngineEvents:
    def __init__(
        self,
        *,
        torrents: Torrents,
        actions: TorrentActions,
        store: ClientStore,
        log: LogBuffer,
        background: Background,
    ) -> None:
        self._torrents = torrents
        self._actions = actions
        self._store = store
        self._log = log
        self._background = background
        self._loop: asyncio.AbstractEventLoop | None = None
        torrents.replay = self.handle

    def receive_on(self, loop: asyncio.AbstractEventLoop) -> None:
        """Handle events on `loop` from now on."""
        self._loop = loop

    def from_engine_thread(self, events: Sequence[eng.Event]) -> None:
        """The engine's `on_events`: hand the events over to the loop."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.handle, list(events))

    def handle(self, events: list[eng.Event]) -> None:
        for event in events:
            if isinstance(event, eng.StatusChanged):
                for status in event.statuses:
                    if (record := self._torrents.on_status(status)) is not None:
                        self._actions.check_share_limits(record)
            elif isinstance(event, eng.MetadataReceived):
                if (record := self._torrents.get(event.hash)) is not None:
                    self._metadata(record, event.metadata)
                else:  # a peer was faster than the add's return: handled once it registers
                    self._torrents.hold(event.hash, event)
            elif isinstance(event, eng.Finished):
                if (record := self._torrents.get(event.hash)) is not None:
                    self._finished(record)
                else:
                    self._torrents.hold(event.hash, event)
            elif isinstance(event, eng.Moved):
                if (record := self._torrents.get(event.hash)) is not None:
                    self._torrents.refresh(record)
            elif isinstance(event, eng.LogLine):
                self._log.add(event.level, event.message)

    def _metadata(self, record: TorrentRecord, metadata: Metadata) -> None:
        record.metadata = metadata
        if record.options.f_l_piece_prio:
            first_last = self._torrents.engine().first_last([record.hash], True)
            self._background.spawn(discard(engine_result(first_last)))
        trackers = {url for url, _ in metadata.trackers} | record.trackers
        self._torrents.set_trackers(record, trackers)
        self._torrents.refresh(record)
        self._log.add("info", f"Metadata received: {record.display_name}")

    def _finished(self, record: TorrentRecord) -> None:
        if not record.options.has_finished:
            record.options.has_finished = True
            self._background.spawn(self._store.put_options({record.hash: record.options}))
            self._log.add("info", f"Torrent download finished: {record.display_name}")
        # downloaded in the download path: the data goes to the save path now
        status = record.status
        if (
            record.options.download_path
            and status
            and not same_path(status.save_path, record.options.save_path)
        ):
            move = self._torrents.engine().move([record.hash], record.options.save_path)
            self._background.spawn(discard(engine_result(move)))
