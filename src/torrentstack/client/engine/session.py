"""The engine: one thread owns the libtorrent session (see the package docstring)."""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import queue
import selectors
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import libtorrent as lt

from torrentstack.client.engine import handles
from torrentstack.client.engine.handles import SAVE_FLAGS, Torrent
from torrentstack.client.engine.messages import (
    Added,
    AddOptions,
    DuplicateTorrent,
    EngineError,
    Event,
    FilePriority,
    Finished,
    InvalidTorrentFile,
    LogLine,
    MetadataReceived,
    Moved,
    QueueMove,
    SessionConfig,
    Source,
    StatusChanged,
    TorrentFlag,
)
from torrentstack.client.engine.params import (
    QUEUE_MOVES,
    TORRENT_FLAGS,
    add_params,
    first_last_priority,
    ip_filter,
    settings_pack,
    torrent_file,
    write_resume,
)
from torrentstack.client.engine.reading import (
    copy_status,
    handle_metadata,
    metadata_of,
    peer_info,
    session_totals,
    text,
    torrent_id,
    tracker_entry,
)
from torrentstack.client.status import (
    Metadata,
    PeerInfo,
    SessionTotals,
    TorrentStatus,
    TrackerEntry,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(slots=True)
class _State:
    torrents: dict[str, Torrent] = field(default_factory=dict)
    last_resume_save: float = 0.0
    last_update: float = 0.0


# --- the engine ---------------------------------------------------------------------------------


class Engine:
    """Owner of one libtorrent session on a thread of its own."""

    def __init__(
        self,
        resume_dir: Path,
        on_events: Callable[[Sequence[Event]], None],
        *,
        config: SessionConfig,
        update_interval: float = 1.0,
        resume_interval: float = 10.0,
    ) -> None:
        self.resume_dir = resume_dir
        self.on_events = on_events
        self.update_interval = update_interval
        self.resume_interval = resume_interval
        self._commands: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]] | None] = (
            queue.SimpleQueue()
        )
        self._wake_read, self._wake_write = os.pipe()
        self._alert_read, self._alert_write = os.pipe()
        for fd in (self._wake_read, self._wake_write, self._alert_read, self._alert_write):
            os.set_blocking(fd, False)
        self._state = _State()
        self._alert_failures = 0
        self._close_lock = threading.Lock()
        resume_dir.mkdir(parents=True, exist_ok=True)
        params = lt.session_params()
        params.settings = settings_pack(config)  # type: ignore[assignment]
        self._session = lt.session(params)
        self._config = config
        if config.banned_ips:
            self._ban(config.banned_ips)
        self._session.set_alert_fd(self._alert_write)
        self._totals = SessionTotals(0, 0, 0, 0, 0, 0, 0, False, False)
        self._stats_at = 0.0
        self._thread = threading.Thread(target=self._run, name="libtorrent", daemon=True)
        self._closed = False
        self._thread.start()
        # a safety net: an engine nobody closed is closed before the interpreter tears down
        # its threads (a libtorrent session destroyed after that aborts the process)
        atexit.register(self.close)

    # -- plumbing --

    def submit(self, command: Callable[[], T]) -> Future[T]:
        """Run `command` on the engine thread; its result or exception lands in the future."""
        future: Future[T] = Future()
        if self._closed:
            future.set_exception(EngineError("the engine is stopped"))
            return future
        self._commands.put((command, future))
        with contextlib.suppress(BlockingIOError):
            os.write(self._wake_write, b"c")
        return future

    def close(self, timeout: float = 30.0) -> None:
        """Save resume data of every torrent, then stop the thread and the session.

        Any number of callers, on any threads: the first closes, the others wait for it.
        """
        with self._close_lock:
            if not self._closed:
                self._close(timeout)

    def _close(self, timeout: float) -> None:
        atexit.unregister(self.close)
        done = self.submit(self._save_all_and_wait)
        with contextlib.suppress(Exception):
            done.result(timeout)
        self._closed = True
        self._commands.put(None)
        with contextlib.suppress(BlockingIOError):
            os.write(self._wake_write, b"q")
        self._thread.join(timeout)
        del self._session  # destroyed here, on a known thread, not at interpreter exit
        for fd in (self._wake_read, self._wake_write, self._alert_read, self._alert_write):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _run(self) -> None:
        selector = selectors.DefaultSelector()
        selector.register(self._wake_read, selectors.EVENT_READ)
        selector.register(self._alert_read, selectors.EVENT_READ)
        try:
            while True:
                now = time.monotonic()
                wait = max(0.0, self._state.last_update + self.update_interval - now)
                selector.select(wait)
                _drain(self._wake_read)
                _drain(self._alert_read)
                if not self._run_commands():
                    return
                try:
                    self._tick()
                except Exception:  # one bad alert must not end the thread
                    logger.exception("libtorrent engine: handling alerts failed")
        finally:
            selector.close()

    def _run_commands(self) -> bool:
        while True:
            try:
                item = self._commands.get_nowait()
            except queue.Empty:
                return True
            if item is None:
                return False
            command, future = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(command())
            except EngineError as exc:
                future.set_exception(exc)
            except Exception as exc:
                logger.warning("engine command failed: %r", exc)
                future.set_exception(EngineError(str(exc) or type(exc).__name__))

    def _tick(self) -> None:
        now = time.monotonic()
        events: list[Event] = []
        self._handle_alerts(self._session.pop_alerts(), events)
        if now - self._state.last_update >= self.update_interval:
            self._state.last_update = now
            self._session.post_torrent_updates()
            self._session.post_session_stats()
        if now - self._state.last_resume_save >= self.resume_interval:
            self._state.last_resume_save = now
            for torrent in self._state.torrents.values():
                if torrent.handle.need_save_resume_data():
                    torrent.handle.save_resume_data(SAVE_FLAGS)
        if events:
            self.on_events(events)

    def _handle_alerts(self, alerts: Iterable[Any], events: list[Event]) -> None:
        for alert in alerts:
            try:
                self._handle_alert(alert, events)
            except Exception as exc:  # one bad torrent or alert must not stop the others
                self._alert_failures += 1
                if self._alert_failures in (1, 10, 100) or self._alert_failures % 1000 == 0:
                    logger.warning(
                        "engine: %s could not be read (%s; %d so far)",
                        type(alert).__name__,
                        type(exc).__name__,
                        self._alert_failures,
                    )

    def _handle_alert(self, alert: Any, events: list[Event]) -> None:
        if isinstance(alert, lt.state_update_alert):
            statuses = []
            for status in alert.status:
                try:
                    statuses.append(copy_status(status))
                    self._maybe_metadata(status.handle, events)
                except Exception as exc:
                    logger.debug("engine: a status could not be read (%s)", type(exc).__name__)
            events.append(StatusChanged(tuple(statuses)))
            return
        if isinstance(alert, lt.save_resume_data_alert):
            self._write_resume(alert)
        elif isinstance(alert, lt.session_stats_alert):
            self._session_stats(alert)
        elif isinstance(alert, lt.metadata_received_alert):
            self._maybe_metadata(alert.handle, events)
        elif isinstance(alert, lt.torrent_finished_alert):
            events.append(Finished(torrent_id(alert.handle.info_hashes())))
            alert.handle.save_resume_data(SAVE_FLAGS)
        elif isinstance(alert, lt.storage_moved_alert):
            events.append(Moved(torrent_id(alert.handle.info_hashes()), alert.storage_path()))
            alert.handle.save_resume_data(SAVE_FLAGS)
        elif isinstance(alert, lt.torrent_checked_alert):
            torrent = self._state.torrents.get(torrent_id(alert.handle.info_hashes()))
            if torrent is not None and torrent.stopped:
                alert.handle.pause()
            alert.handle.save_resume_data(SAVE_FLAGS)
        elif isinstance(alert, lt.torrent_deleted_alert | lt.torrent_removed_alert):
            return
        elif alert.category() & lt.alert_category.error:
            events.append(LogLine("warning", text(alert.message) or type(alert).__name__))

    def _maybe_metadata(self, handle: Any, events: list[Event]) -> None:
        hash_ = torrent_id(handle.info_hashes())
        torrent = self._state.torrents.get(hash_)
        if torrent is None or torrent.metadata_sent:
            return
        metadata = handle_metadata(handle)
        if metadata is None:
            return
        torrent.metadata_sent = True
        events.append(MetadataReceived(hash_, metadata))

    def _write_resume(self, alert: Any) -> None:
        hash_ = torrent_id(alert.handle.info_hashes())
        if hash_ not in self._state.torrents:
            return
        write_resume(self.resume_dir / f"{hash_}.fastresume", alert.params)

    def _save_all_and_wait(self) -> None:
        pending = 0
        for torrent in self._state.torrents.values():
            torrent.handle.save_resume_data(SAVE_FLAGS)
            pending += 1
        deadline = time.monotonic() + 20.0
        while pending and time.monotonic() < deadline:
            if self._session.wait_for_alert(500) is None:
                continue
            for alert in self._session.pop_alerts():
                if isinstance(alert, lt.save_resume_data_alert):
                    self._write_resume(alert)
                    pending -= 1
                elif isinstance(alert, lt.save_resume_data_failed_alert):
                    pending -= 1

    def _torrent(self, hash_: str) -> Torrent:
        torrent = self._state.torrents.get(hash_)
        if torrent is None:
            raise EngineError(f"unknown torrent {hash_}")
        return torrent

    def _handle(self, hash_: str) -> Any:
        return self._torrent(hash_).handle

    # -- commands (each returns a future) --

    def add_many(
        self, items: Sequence[tuple[Source, AddOptions]], *, files_or_none: bool = False
    ) -> Future[list[Added | EngineError]]:
        """Add several torrents in one command; each result is what was added or why not.

        With `files_or_none`, one .torrent file that is not a torrent adds nothing
        (`InvalidTorrentFile`, with its index), as qBittorrent's `torrents/add` does."""

        def run() -> list[Added | EngineError]:
            # each file parsed once, here (off the event loop), all before any is added
            loaded: list[Any] = []
            for index, (source, options) in enumerate(items):
                try:
                    loaded.append(add_params(source, options))
                except EngineError as exc:
                    if files_or_none and source.torrent:
                        raise InvalidTorrentFile(index, str(exc)) from None
                    loaded.append(exc)
            results: list[Added | EngineError] = []
            for params, (_, options) in zip(loaded, items, strict=True):
                if isinstance(params, EngineError):
                    results.append(params)
                    continue
                try:
                    hash_, metadata = self._add(params, options)
                except EngineError as exc:
                    results.append(exc)
                    continue
                results.append(Added(hash_, metadata))
            return results

        return self.submit(run)

    def _add(self, params: Any, options: AddOptions) -> tuple[str, Metadata | None]:
        if not self._config.pex:  # PeX is a per-torrent switch in libtorrent
            params.flags |= lt.torrent_flags.disable_pex
        hash_ = torrent_id(params.ti.info_hashes() if params.ti is not None else params.info_hashes)
        if hash_ in self._state.torrents:
            raise DuplicateTorrent(f"torrent {hash_} is already present")
        try:
            handle = self._session.add_torrent(params)
        except RuntimeError as exc:
            raise EngineError(f"cannot add torrent: {exc}") from None
        torrent = Torrent(handle, stopped=options.stopped)
        self._state.torrents[hash_] = torrent
        if options.top_of_queue:
            handle.queue_position_top()
        metadata = None
        if params.ti is not None:  # from the parsed file: no round trip to the session
            trackers = list(zip(params.trackers, params.tracker_tiers, strict=False))
            metadata = metadata_of(
                params.ti, trackers, params.url_seeds, params.renamed_files, params
            )
        torrent.metadata_sent = metadata is not None
        if options.first_last and metadata is not None:
            first_last_priority(handle, True)
        handle.post_status()  # its first status comes as an alert, without a round trip
        return hash_, metadata

    def status(self, hashes: Sequence[str] | None = None) -> Future[list[TorrentStatus]]:
        """Fresh status of the given torrents (all when None)."""

        def run() -> list[TorrentStatus]:
            chosen = self._state.torrents if hashes is None else hashes
            return [
                copy_status(self._state.torrents[h].handle.status())
                for h in chosen
                if h in self._state.torrents
            ]

        return self.submit(run)

    def remove(self, hashes: Sequence[str], delete_files: bool) -> Future[None]:
        def run() -> None:
            flags = lt.options_t.delete_files if delete_files else 0
            for hash_ in hashes:
                torrent = self._state.torrents.pop(hash_, None)
                if torrent is None:
                    continue
                self._session.remove_torrent(torrent.handle, flags)
                with contextlib.suppress(FileNotFoundError):
                    (self.resume_dir / f"{hash_}.fastresume").unlink()

        return self.submit(run)

    def _known(self, hashes: Sequence[str]) -> list[Torrent]:
        """The torrents of `hashes` still in the session (call on the engine thread)."""
        return [t for h in hashes if (t := self._state.torrents.get(h)) is not None]

    def stop(self, hashes: Sequence[str]) -> Future[None]:
        """qBittorrent's pause/stop: not auto-managed and paused."""
        return self.submit(lambda: handles.stop(self._known(hashes)))

    def start(self, hashes: Sequence[str], forced: bool = False) -> Future[None]:
        """qBittorrent's resume/start (auto-managed) or force start (not auto-managed)."""
        return self.submit(lambda: handles.start(self._known(hashes), forced))

    def _each(self, hashes: Sequence[str], action: str, *args: Any) -> Future[None]:
        """Call one `torrent_handle` method with `args` on every torrent given."""

        def run() -> None:
            for torrent in self._known(hashes):
                getattr(torrent.handle, action)(*args)

        return self.submit(run)

    def set_flag(self, hashes: Sequence[str], flag: TorrentFlag, on: bool) -> Future[None]:
        """Set or clear a torrent flag."""
        return self._each(hashes, "set_flags" if on else "unset_flags", TORRENT_FLAGS[flag])

    def recheck(self, hashes: Sequence[str]) -> Future[None]:
        """Check the data again; a stopped torrent runs for the check and stops after it."""
        return self.submit(lambda: handles.recheck(self._known(hashes)))

    def reannounce(self, hashes: Sequence[str]) -> Future[None]:
        flags = lt.reannounce_flags_t.ignore_min_interval
        return self._each(hashes, "force_reannounce", 0, -1, flags)

    def queue(self, hashes: Sequence[str], move: QueueMove) -> Future[None]:
        return self._each(hashes, QUEUE_MOVES[move])

    def set_limits(
        self, hashes: Sequence[str], *, download: int | None = None, upload: int | None = None
    ) -> Future[None]:
        return self.submit(lambda: handles.set_limits(self._known(hashes), download, upload))

    def first_last(self, hashes: Sequence[str], on: bool) -> Future[None]:
        """First and last piece of every wanted file first (priority 7), or back to normal."""

        def run() -> None:
            for torrent in self._known(hashes):
                first_last_priority(torrent.handle, on)

        return self.submit(run)

    def file_priorities(
        self, hash_: str, changes: dict[int, FilePriority] | None = None
    ) -> Future[list[FilePriority]]:
        """Set priorities of some files (by index) and return all of them."""
        return self.submit(lambda: handles.file_priorities(self._torrent(hash_), changes))

    def file_progress(self, hash_: str) -> Future[list[int]]:
        return self.submit(
            lambda: list(self._handle(hash_).file_progress(lt.torrent_handle.piece_granularity))
        )

    def pieces(self, hash_: str) -> Future[tuple[list[bool], set[int]]]:
        """Pieces we have, and pieces being downloaded."""
        return self.submit(lambda: handles.pieces(self._handle(hash_)))

    def piece_hashes(self, hash_: str) -> Future[list[str]]:
        return self.submit(lambda: handles.piece_hashes(self._handle(hash_)))

    def export(self, hash_: str) -> Future[bytes]:
        """The .torrent file of a torrent as it is now (its current trackers and web seeds)."""
        return self.submit(lambda: torrent_file(self._handle(hash_)))

    def rename_file(self, hash_: str, index: int, new_path: str) -> Future[None]:
        return self.submit(lambda: handles.rename_file(self._handle(hash_), index, new_path))

    def move(self, hashes: Sequence[str], save_path: str) -> Future[None]:
        return self._each(hashes, "move_storage", save_path, lt.move_flags_t.always_replace_files)

    def trackers(self, hash_: str) -> Future[list[TrackerEntry]]:
        return self.submit(lambda: [tracker_entry(t) for t in self._handle(hash_).trackers()])

    def replace_trackers(self, hash_: str, entries: Sequence[tuple[str, int]]) -> Future[None]:
        return self.submit(lambda: handles.replace_trackers(self._handle(hash_), entries))

    def web_seeds(
        self, hash_: str, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> Future[list[str]]:
        return self.submit(lambda: handles.web_seeds(self._handle(hash_), add, remove))

    def set_ssl(
        self, hash_: str, certificate: str, private_key: str, dh_params: str
    ) -> Future[None]:
        """An SSL torrent's certificate, key and DH parameters (PEM), as libtorrent takes them."""
        return self.submit(
            lambda: self._handle(hash_).set_ssl_certificate_buffer(
                certificate, private_key, dh_params
            )
        )

    def connect_peers(
        self, hashes: Sequence[str], peers: Sequence[tuple[str, int]]
    ) -> Future[dict[str, int]]:
        """Connect each torrent to the peers; the number each one took."""
        return self.submit(lambda: handles.connect_peers(self._state.torrents, hashes, peers))

    def peers(self, hash_: str) -> Future[list[PeerInfo]]:
        return self.submit(lambda: [peer_info(p) for p in self._handle(hash_).get_peer_info()])

    def configure(self, config: SessionConfig) -> Future[None]:
        def run() -> None:
            self._session.apply_settings(settings_pack(config))  # type: ignore[arg-type]
            if config.banned_ips != self._config.banned_ips:
                self._ban(config.banned_ips)
            if config.pex != self._config.pex:
                for torrent in self._state.torrents.values():
                    if config.pex:
                        torrent.handle.unset_flags(lt.torrent_flags.disable_pex)
                    else:
                        torrent.handle.set_flags(lt.torrent_flags.disable_pex)
            self._config = config

        return self.submit(run)

    def _ban(self, ips: Sequence[str]) -> None:
        self._session.set_ip_filter(ip_filter(ips))

    def totals(self) -> SessionTotals:
        """Session-wide counters as of the last stats alert (about once a second)."""
        return self._totals

    def _session_stats(self, alert: Any) -> None:
        now = time.monotonic()
        elapsed = now - self._stats_at if self._stats_at else 0.0
        self._stats_at = now
        self._totals = session_totals(
            alert.values, self._totals, elapsed, listening=self._session.is_listening()
        )

    def listen_port(self) -> Future[int]:
        return self.submit(lambda: int(self._session.listen_port()))


def _drain(fd: int) -> None:
    with contextlib.suppress(BlockingIOError):
        while os.read(fd, 4096):
            pass
