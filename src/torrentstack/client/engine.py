"""The only module that imports libtorrent: one thread owns the session.

Everything else talks to the engine through its methods, which queue a command for the engine
thread and return a future; the thread runs commands in order, drains libtorrent's alerts
(woken by the alert fd, not by polling), and copies what they say into the plain values of
`client.status` before handing them to `on_events` (called on the engine thread: the receiver
must only hand them over, e.g. with `loop.call_soon_threadsafe`).

Resume data is written by this thread too: every `resume_interval` seconds for each torrent
that changed, when a torrent is added or finishes, and for all of them on `close()`. Files are
replaced atomically (`<hash>.fastresume`), so a kill at any moment leaves the previous copy.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import selectors
import ssl
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import libtorrent as lt

from torrentstack.client.status import (
    FileEntry,
    Metadata,
    PeerInfo,
    Phase,
    SessionTotals,
    TorrentStatus,
    TrackerEntry,
)
from torrentstack.errors import TorrentstackError

logger = logging.getLogger(__name__)

T = TypeVar("T")

_PHASES = {
    lt.torrent_status.states.checking_files: Phase.CHECKING_FILES,
    lt.torrent_status.states.downloading_metadata: Phase.DOWNLOADING_METADATA,
    lt.torrent_status.states.downloading: Phase.DOWNLOADING,
    lt.torrent_status.states.finished: Phase.FINISHED,
    lt.torrent_status.states.seeding: Phase.SEEDING,
    lt.torrent_status.states.checking_resume_data: Phase.CHECKING_RESUME_DATA,
}
_ALERTS = (
    lt.alert_category.error
    | lt.alert_category.status
    | lt.alert_category.storage
    | lt.alert_category.file_progress
)
_SAVE_FLAGS = lt.torrent_handle.save_info_dict | lt.torrent_handle.flush_disk_cache


class EngineError(TorrentstackError):
    """A command the engine refused: invalid torrent, unknown hash, bad file index ..."""


class DuplicateTorrent(EngineError):
    """The torrent is already in the session."""


def library_versions() -> dict[str, str | int]:
    """What `app/buildInfo` reports: real versions of what we run on (no Qt, no Boost headers)."""
    openssl = ssl.OPENSSL_VERSION.split()[1] if ssl.OPENSSL_VERSION.startswith("OpenSSL ") else ""
    return {
        "bitness": struct.calcsize("P") * 8,
        "boost": "",
        "libtorrent": str(lt.__version__),
        "openssl": openssl,
        "qt": "",
        "zlib": zlib.ZLIB_VERSION,
    }


# --- events (engine thread -> receiver) ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatusChanged:
    statuses: tuple[TorrentStatus, ...]


@dataclass(frozen=True, slots=True)
class MetadataReceived:
    hash: str
    metadata: Metadata


@dataclass(frozen=True, slots=True)
class Finished:
    hash: str


@dataclass(frozen=True, slots=True)
class Moved:
    hash: str
    save_path: str


@dataclass(frozen=True, slots=True)
class LogLine:
    level: str  # "info", "warning", "critical"
    message: str


Event = StatusChanged | MetadataReceived | Finished | Moved | LogLine


# --- inputs --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Source:
    """A torrent to add: the bytes of a .torrent file, a magnet URI or a resume-data blob."""

    torrent: bytes = b""
    magnet: str = ""
    resume: bytes = b""


@dataclass(frozen=True, slots=True)
class AddOptions:
    save_path: str
    stopped: bool = False
    forced: bool = False
    auto_managed: bool = True
    skip_checking: bool = False
    sequential: bool = False
    first_last: bool = False
    upload_limit: int = 0
    download_limit: int = 0
    name: str = ""  # rename (a magnet's display name until metadata)
    file_priorities: tuple[int, ...] = ()
    content_root: str | None = None  # None: original layout; "": strip the root; else rename it
    top_of_queue: bool = False


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """The libtorrent side of the preferences."""

    listen_interfaces: str = "0.0.0.0:6881,[::]:6881"
    outgoing_interfaces: str = ""  # a device or address; "" any
    dht: bool = True
    lsd: bool = True
    pex: bool = True
    upnp: bool = False
    encryption: int = 0  # qBittorrent's: 0 prefer, 1 require, 2 disable
    anonymous_mode: bool = False
    download_rate_limit: int = 0  # bytes/s, 0 unlimited
    upload_rate_limit: int = 0
    queueing: bool = True
    max_active_downloads: int = 3
    max_active_uploads: int = 3
    max_active_torrents: int = 5
    dont_count_slow_torrents: bool = False
    max_connections: int = 500
    max_uploads: int = 20
    proxy_type: int = 0  # libtorrent's proxy_type_t
    proxy_hostname: str = ""
    proxy_port: int = 8080
    proxy_username: str = ""
    proxy_password: str = ""
    proxy_peer_connections: bool = False
    proxy_hostnames: bool = True
    announce_to_all_trackers: bool = False
    announce_to_all_tiers: bool = True
    user_agent: str = "qBittorrent/4.6.7"
    peer_fingerprint: str = "-qB4670-"
    allow_multiple_connections_per_ip: bool = True
    banned_ips: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Added:
    """A torrent the session took; its status comes with the next update (within a second)."""

    hash: str
    metadata: Metadata | None


@dataclass(slots=True)
class _Torrent:
    handle: Any
    metadata_sent: bool = False
    stopped: bool = False


@dataclass(slots=True)
class _State:
    torrents: dict[str, _Torrent] = field(default_factory=dict)
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
        resume_dir.mkdir(parents=True, exist_ok=True)
        params = lt.session_params()
        params.settings = _settings_pack(config)  # type: ignore[assignment]
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
        """Save resume data of every torrent, then stop the thread and the session."""
        if self._closed:
            return
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
                    torrent.handle.save_resume_data(_SAVE_FLAGS)
        if events:
            self.on_events(events)

    def _handle_alerts(self, alerts: Iterable[Any], events: list[Event]) -> None:
        for alert in alerts:
            if isinstance(alert, lt.state_update_alert):
                statuses = tuple(_status(s) for s in alert.status)
                events.append(StatusChanged(statuses))
                for status in alert.status:
                    self._maybe_metadata(status.handle, events)
            elif isinstance(alert, lt.save_resume_data_alert):
                self._write_resume(alert)
            elif isinstance(alert, lt.session_stats_alert):
                self._session_stats(alert)
            elif isinstance(alert, lt.metadata_received_alert):
                self._maybe_metadata(alert.handle, events)
            elif isinstance(alert, lt.torrent_finished_alert):
                events.append(Finished(_torrent_id(alert.handle.info_hashes())))
                alert.handle.save_resume_data(_SAVE_FLAGS)
            elif isinstance(alert, lt.storage_moved_alert):
                events.append(Moved(_torrent_id(alert.handle.info_hashes()), alert.storage_path()))
                alert.handle.save_resume_data(_SAVE_FLAGS)
            elif isinstance(alert, lt.torrent_checked_alert):
                torrent = self._state.torrents.get(_torrent_id(alert.handle.info_hashes()))
                if torrent is not None and torrent.stopped:
                    alert.handle.pause()
                alert.handle.save_resume_data(_SAVE_FLAGS)
            elif isinstance(alert, lt.torrent_deleted_alert | lt.torrent_removed_alert):
                continue
            elif alert.category() & lt.alert_category.error:
                events.append(LogLine("warning", alert.message()))

    def _maybe_metadata(self, handle: Any, events: list[Event]) -> None:
        hash_ = _torrent_id(handle.info_hashes())
        torrent = self._state.torrents.get(hash_)
        if torrent is None or torrent.metadata_sent:
            return
        metadata = _handle_metadata(handle)
        if metadata is None:
            return
        torrent.metadata_sent = True
        events.append(MetadataReceived(hash_, metadata))

    def _write_resume(self, alert: Any) -> None:
        hash_ = _torrent_id(alert.handle.info_hashes())
        if hash_ not in self._state.torrents:
            return
        data = bytes(lt.write_resume_data_buf(alert.params))
        target = self.resume_dir / f"{hash_}.fastresume"
        partial = target.with_suffix(".tmp")
        partial.write_bytes(data)
        os.replace(partial, target)

    def _save_all_and_wait(self) -> None:
        pending = 0
        for torrent in self._state.torrents.values():
            torrent.handle.save_resume_data(_SAVE_FLAGS)
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

    def _handle(self, hash_: str) -> Any:
        torrent = self._state.torrents.get(hash_)
        if torrent is None:
            raise EngineError(f"unknown torrent {hash_}")
        return torrent.handle

    # -- commands (each returns a future) --

    def add(self, source: Source, options: AddOptions) -> Future[tuple[str, Metadata | None]]:
        """Add a torrent; the result is its id and, when known, its metadata."""
        return self.submit(lambda: self._add(source, options))

    def add_many(
        self, items: Sequence[tuple[Source, AddOptions]]
    ) -> Future[list[Added | EngineError]]:
        """Add several torrents in one command; each result is what was added or why not."""

        def run() -> list[Added | EngineError]:
            results: list[Added | EngineError] = []
            for source, options in items:
                try:
                    hash_, metadata = self._add(source, options)
                except EngineError as exc:
                    results.append(exc)
                    continue
                results.append(Added(hash_, metadata))
            return results

        return self.submit(run)

    def _add(self, source: Source, options: AddOptions) -> tuple[str, Metadata | None]:
        params = _add_params(source, options)
        if not self._config.pex:  # PeX is a per-torrent switch in libtorrent
            params.flags |= lt.torrent_flags.disable_pex
        hash_ = _torrent_id(
            params.ti.info_hashes() if params.ti is not None else params.info_hashes
        )
        if hash_ in self._state.torrents:
            raise DuplicateTorrent(f"torrent {hash_} is already present")
        try:
            handle = self._session.add_torrent(params)
        except RuntimeError as exc:
            raise EngineError(f"cannot add torrent: {exc}") from None
        torrent = _Torrent(handle, stopped=options.stopped)
        self._state.torrents[hash_] = torrent
        if options.top_of_queue:
            handle.queue_position_top()
        metadata = None
        if params.ti is not None:  # from the parsed file: no round trip to the session
            trackers = list(zip(params.trackers, params.tracker_tiers, strict=False))
            metadata = _metadata(params.ti, trackers, params.url_seeds, params.renamed_files)
        torrent.metadata_sent = metadata is not None
        if options.first_last and metadata is not None:
            _first_last(handle, True)
        handle.post_status()  # its first status comes as an alert, without a round trip
        return hash_, metadata

    def status(self, hashes: Sequence[str] | None = None) -> Future[list[TorrentStatus]]:
        """Fresh status of the given torrents (all when None)."""

        def run() -> list[TorrentStatus]:
            chosen = self._state.torrents if hashes is None else hashes
            return [
                _status(self._state.torrents[h].handle.status())
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

    def stop(self, hashes: Sequence[str]) -> Future[None]:
        """qBittorrent's pause/stop: not auto-managed and paused."""

        def run() -> None:
            for hash_ in hashes:
                if (torrent := self._state.torrents.get(hash_)) is not None:
                    torrent.stopped = True
                    torrent.handle.unset_flags(lt.torrent_flags.auto_managed)
                    torrent.handle.pause()
                    torrent.handle.save_resume_data(_SAVE_FLAGS)

        return self.submit(run)

    def start(self, hashes: Sequence[str], forced: bool = False) -> Future[None]:
        """qBittorrent's resume/start (auto-managed) or force start (not auto-managed)."""

        def run() -> None:
            for hash_ in hashes:
                if (torrent := self._state.torrents.get(hash_)) is not None:
                    torrent.stopped = False
                    if forced:
                        torrent.handle.unset_flags(lt.torrent_flags.auto_managed)
                    else:
                        torrent.handle.set_flags(lt.torrent_flags.auto_managed)
                    torrent.handle.resume()
                    torrent.handle.save_resume_data(_SAVE_FLAGS)

        return self.submit(run)

    def each(self, hashes: Sequence[str], action: str, *args: Any) -> Future[None]:
        """Call one `torrent_handle` method with `args` on every torrent given."""

        def run() -> None:
            for hash_ in hashes:
                if (torrent := self._state.torrents.get(hash_)) is not None:
                    getattr(torrent.handle, action)(*args)

        return self.submit(run)

    def set_flag(self, hashes: Sequence[str], name: str, on: bool) -> Future[None]:
        """Set or clear a torrent flag: sequential_download, super_seeding ..."""
        flag = getattr(lt.torrent_flags, name)
        return self.each(hashes, "set_flags" if on else "unset_flags", flag)

    def recheck(self, hashes: Sequence[str]) -> Future[None]:
        """Check the data again; a stopped torrent runs for the check and stops after it."""

        def run() -> None:
            for hash_ in hashes:
                if (torrent := self._state.torrents.get(hash_)) is not None:
                    torrent.handle.force_recheck()
                    if torrent.stopped:
                        torrent.handle.resume()

        return self.submit(run)

    def reannounce(self, hashes: Sequence[str]) -> Future[None]:
        return self.each(
            hashes, "force_reannounce", 0, -1, lt.reannounce_flags_t.ignore_min_interval
        )

    def queue(self, hashes: Sequence[str], where: str) -> Future[None]:
        """`where`: top, bottom, up or down."""
        return self.each(hashes, f"queue_position_{where}")

    def set_limits(
        self, hashes: Sequence[str], *, download: int | None = None, upload: int | None = None
    ) -> Future[None]:
        def run() -> None:
            for hash_ in hashes:
                if (torrent := self._state.torrents.get(hash_)) is not None:
                    if download is not None:
                        torrent.handle.set_download_limit(max(download, 0) or -1)
                    if upload is not None:
                        torrent.handle.set_upload_limit(max(upload, 0) or -1)

        return self.submit(run)

    def first_last(self, hashes: Sequence[str], on: bool) -> Future[None]:
        """First and last piece of every wanted file first (priority 7), or back to normal."""

        def run() -> None:
            for hash_ in hashes:
                if (torrent := self._state.torrents.get(hash_)) is not None:
                    _first_last(torrent.handle, on)

        return self.submit(run)

    def file_priorities(
        self, hash_: str, changes: dict[int, int] | None = None
    ) -> Future[list[int]]:
        """Set priorities of some files (by index) and return all of them."""

        def run() -> list[int]:
            handle = self._handle(hash_)
            priorities = list(handle.get_file_priorities())
            for index, priority in (changes or {}).items():
                if not 0 <= index < len(priorities):
                    raise EngineError(f"no file {index}")
                priorities[index] = priority
            if changes:
                handle.prioritize_files(priorities)
            return priorities

        return self.submit(run)

    def file_progress(self, hash_: str) -> Future[list[int]]:
        return self.submit(
            lambda: list(self._handle(hash_).file_progress(lt.torrent_handle.piece_granularity))
        )

    def pieces(self, hash_: str) -> Future[tuple[list[bool], set[int]]]:
        """Pieces we have, and pieces being downloaded."""

        def run() -> tuple[list[bool], set[int]]:
            handle = self._handle(hash_)
            have = list(handle.status(lt.status_flags_t.query_pieces).pieces)
            downloading = {d["piece_index"] for d in handle.get_download_queue()}
            return have, downloading

        return self.submit(run)

    def piece_hashes(self, hash_: str) -> Future[list[str]]:
        def run() -> list[str]:
            info = self._handle(hash_).torrent_file()
            if info is None:
                return []  # no metadata yet
            return [_hex(info.hash_for_piece(i)) for i in range(info.num_pieces())]

        return self.submit(run)

    def export(self, hash_: str) -> Future[bytes]:
        """The .torrent file of a torrent as it is now (its current trackers and web seeds)."""

        def run() -> bytes:
            handle = self._handle(hash_)
            info = handle.torrent_file()
            if info is None:
                raise EngineError("no metadata yet")
            params = lt.add_torrent_params()
            params.ti = info
            trackers = handle.trackers()
            params.trackers = [t["url"] for t in trackers]
            params.tracker_tiers = [t["tier"] for t in trackers]
            params.url_seeds = list(handle.url_seeds())
            return bytes(lt.bencode(lt.write_torrent_file(params, 0)))  # type: ignore[arg-type]

        return self.submit(run)

    def rename_file(self, hash_: str, index: int, new_path: str) -> Future[None]:
        def run() -> None:
            handle = self._handle(hash_)
            info = handle.torrent_file()
            if info is None or not 0 <= index < info.num_files():
                raise EngineError(f"no file {index}")
            handle.rename_file(index, new_path)

        return self.submit(run)

    def move(self, hashes: Sequence[str], save_path: str) -> Future[None]:
        return self.each(hashes, "move_storage", save_path, lt.move_flags_t.always_replace_files)

    def trackers(self, hash_: str) -> Future[list[TrackerEntry]]:
        return self.submit(lambda: [_tracker(t) for t in self._handle(hash_).trackers()])

    def replace_trackers(self, hash_: str, entries: Sequence[tuple[str, int]]) -> Future[None]:
        def run() -> None:
            handle = self._handle(hash_)
            announce = []
            for url, tier in entries:
                entry = lt.announce_entry(url)
                entry.tier = tier
                announce.append(entry)
            handle.replace_trackers(announce)
            handle.save_resume_data(_SAVE_FLAGS)

        return self.submit(run)

    def web_seeds(
        self, hash_: str, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> Future[list[str]]:
        def run() -> list[str]:
            handle = self._handle(hash_)
            for url in add:
                handle.add_url_seed(url)
            for url in remove:
                handle.remove_url_seed(url)
            return sorted(handle.url_seeds())

        return self.submit(run)

    def connect_peers(
        self, hashes: Sequence[str], peers: Sequence[tuple[str, int]]
    ) -> Future[dict[str, int]]:
        """Connect each torrent to the peers; the number each one took."""

        def run() -> dict[str, int]:
            added: dict[str, int] = {}
            for hash_ in hashes:
                if (torrent := self._state.torrents.get(hash_)) is None:
                    continue
                added[hash_] = 0
                for ip, port in peers:
                    try:
                        torrent.handle.connect_peer((ip, port))
                    except RuntimeError:
                        continue
                    added[hash_] += 1
            return added

        return self.submit(run)

    def peers(self, hash_: str) -> Future[list[PeerInfo]]:
        return self.submit(lambda: [_peer(p) for p in self._handle(hash_).get_peer_info()])

    def configure(self, config: SessionConfig) -> Future[None]:
        def run() -> None:
            self._session.apply_settings(_settings_pack(config))  # type: ignore[arg-type]
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
        """The session's IP filter: these addresses blocked, everything else allowed."""
        ip_filter = lt.ip_filter()
        for ip in ips:
            try:
                ip_filter.add_rule(ip, ip, 1)
            except (RuntimeError, ValueError):
                logger.warning("banned IP %r is not an address", ip)
        self._session.set_ip_filter(ip_filter)

    def totals(self) -> SessionTotals:
        """Session-wide counters as of the last stats alert (about once a second)."""
        return self._totals

    def _session_stats(self, alert: Any) -> None:
        counters = alert.values
        now = time.monotonic()
        received = counters["net.recv_payload_bytes"]
        sent = counters["net.sent_payload_bytes"]
        previous = self._totals
        elapsed = now - self._stats_at if self._stats_at else 0.0
        self._stats_at = now
        self._totals = SessionTotals(
            dl_rate=int((received - previous.downloaded) / elapsed) if elapsed > 0 else 0,
            ul_rate=int((sent - previous.uploaded) / elapsed) if elapsed > 0 else 0,
            downloaded=received,
            uploaded=sent,
            wasted=counters["net.recv_redundant_bytes"] + counters["net.recv_failed_bytes"],
            dht_nodes=counters["dht.dht_nodes"],
            connections=counters["peer.num_peers_connected"],
            has_incoming=bool(counters["net.has_incoming_connections"]),
            listening=self._session.is_listening(),
        )

    def listen_port(self) -> Future[int]:
        return self.submit(lambda: int(self._session.listen_port()))


# --- copying out of libtorrent ------------------------------------------------------------------


def _drain(fd: int) -> None:
    with contextlib.suppress(BlockingIOError):
        while os.read(fd, 4096):
            pass


def _first_last(handle: Any, on: bool) -> None:
    info = handle.torrent_file()
    if info is None:
        return
    files = info.layout()
    piece = info.piece_length()
    priorities = list(handle.get_piece_priorities())
    wanted = list(handle.get_file_priorities())
    for index in range(files.num_files()):
        size = files.file_size(index)
        if size == 0 or wanted[index] == 0:
            continue
        offset = files.file_offset(index)
        for p in {offset // piece, (offset + size - 1) // piece}:
            priorities[p] = 7 if on else max(wanted[index], 1)
    handle.prioritize_pieces(priorities)


def _hex(digest: Any) -> str:
    return digest.hex() if isinstance(digest, bytes) else str(digest)


def _torrent_id(hashes: Any) -> str:
    if hashes.has_v1():
        return str(hashes.v1)
    return str(hashes.v2)[:40]


def _hex_pair(hashes: Any) -> tuple[str, str]:
    v1 = str(hashes.v1) if hashes.has_v1() else ""
    v2 = str(hashes.v2) if hashes.has_v2() else ""
    return v1, v2


def parse_torrent(data: bytes) -> Metadata:
    """Parse a .torrent file as libtorrent does; EngineError when it is not one."""
    params = _load(data)
    return _metadata(
        params.ti, list(zip(params.trackers, params.tracker_tiers, strict=False)), params.url_seeds
    )


def _load(data: bytes) -> Any:
    """libtorrent's add_torrent_params of a .torrent file (ti, trackers, web seeds)."""
    try:
        params = lt.load_torrent_buffer(data)
    except RuntimeError as exc:
        raise EngineError(str(exc)) from None
    if params.ti is None:
        raise EngineError("not a torrent file")
    return params


def magnet_id(uri: str) -> tuple[str, str]:
    """The torrent id and display name of a magnet URI; EngineError when it is not one."""
    try:
        params = lt.parse_magnet_uri(uri)
    except RuntimeError as exc:
        raise EngineError(f"invalid magnet URI: {exc}") from None
    hashes = params.info_hashes
    if not hashes.has_v1() and not hashes.has_v2():
        raise EngineError("magnet URI without an info hash")
    return _torrent_id(hashes), params.name


def _add_params(source: Source, options: AddOptions) -> Any:
    if source.resume:
        try:
            params = lt.read_resume_data(source.resume)
        except RuntimeError as exc:
            raise EngineError(f"unreadable resume data: {exc}") from None
    elif source.torrent:
        params = _load(source.torrent)
        params.save_path = options.save_path
    else:
        try:
            params = lt.parse_magnet_uri(source.magnet)
        except RuntimeError as exc:
            raise EngineError(f"invalid magnet URI: {exc}") from None
        params.save_path = options.save_path
        if options.name:
            params.name = options.name
    if not source.resume:
        if options.file_priorities:
            params.file_priorities = list(options.file_priorities)
        if params.ti is not None and options.content_root is not None:
            _relayout(params, options.content_root)
        params.upload_limit = options.upload_limit or -1
        params.download_limit = options.download_limit or -1
    flags = params.flags
    flags &= ~(lt.torrent_flags.paused | lt.torrent_flags.auto_managed)
    flags &= ~(lt.torrent_flags.seed_mode | lt.torrent_flags.duplicate_is_error)
    if options.stopped:
        flags |= lt.torrent_flags.paused
    elif not options.forced:
        flags |= lt.torrent_flags.auto_managed
    if options.skip_checking and not source.resume:
        flags |= lt.torrent_flags.seed_mode
    if options.sequential:
        flags |= lt.torrent_flags.sequential_download
    params.flags = flags
    return params


def _relayout(params: Any, root: str) -> None:
    """Original (None), no root folder (""), or the files under the folder `root`."""
    files = params.ti.layout()
    paths = [files.file_path(i).replace("\\", "/") for i in range(files.num_files())]
    has_root = all("/" in p for p in paths) and len({p.split("/", 1)[0] for p in paths}) == 1
    inner = [p.split("/", 1)[1] if has_root else p for p in paths]
    params.renamed_files = {i: "/".join([root, p]) if root else p for i, p in enumerate(inner)}


def _handle_metadata(handle: Any) -> Metadata | None:
    info = handle.torrent_file()
    if info is None:
        return None
    trackers = [(t["url"], t["tier"]) for t in handle.trackers()]
    return _metadata(info, trackers, handle.url_seeds())


def _metadata(
    info: Any,
    trackers: Sequence[tuple[str, int]],
    web_seeds: Iterable[str],
    renamed: dict[int, str] | None = None,
) -> Metadata:
    files = info.layout()
    piece = info.piece_length()
    entries = []
    for index in range(files.num_files()):
        size = files.file_size(index)
        offset = files.file_offset(index)
        first = offset // piece if piece else 0
        last = (offset + max(size, 1) - 1) // piece if piece else 0
        path = (renamed or {}).get(index) or files.file_path(index)
        entries.append(FileEntry(index, path.replace("\\", "/"), size, first, last))
    return Metadata(
        name=info.name(),
        total_size=info.total_size(),
        piece_size=piece,
        num_pieces=info.num_pieces(),
        files=tuple(entries),
        comment=info.comment(),
        created_by=info.creator(),
        creation_date=int(info.creation_date() or 0),
        private=bool(info.priv()),
        trackers=tuple(trackers),
        web_seeds=tuple(web_seeds),
    )


def _status(st: Any) -> TorrentStatus:
    v1, v2 = _hex_pair(st.info_hashes)
    flags = st.flags
    return TorrentStatus(
        hash=v1 or v2[:40],
        info_hash_v1=v1,
        info_hash_v2=v2,
        name=st.name,
        phase=_PHASES.get(st.state, Phase.DOWNLOADING),
        has_metadata=st.has_metadata,
        paused=bool(flags & lt.torrent_flags.paused),
        auto_managed=bool(flags & lt.torrent_flags.auto_managed),
        upload_mode=bool(flags & lt.torrent_flags.upload_mode),
        sequential_download=bool(flags & lt.torrent_flags.sequential_download),
        super_seeding=bool(flags & lt.torrent_flags.super_seeding),
        error=st.errc.message() if st.errc.value() else "",
        moving_storage=st.moving_storage,
        progress=st.progress,
        total_wanted=st.total_wanted,
        total_wanted_done=st.total_wanted_done,
        total_done=st.total_done,
        total=st.total,
        all_time_download=st.all_time_download,
        all_time_upload=st.all_time_upload,
        total_payload_download=st.total_payload_download,
        total_payload_upload=st.total_payload_upload,
        total_wasted=st.total_failed_bytes + st.total_redundant_bytes,
        download_payload_rate=st.download_payload_rate,
        upload_payload_rate=st.upload_payload_rate,
        num_seeds=st.num_seeds,
        num_peers=st.num_peers,
        list_seeds=st.list_seeds,
        list_peers=st.list_peers,
        num_complete=st.num_complete,
        num_incomplete=st.num_incomplete,
        connections_limit=st.connections_limit,
        num_connections=st.num_connections,
        active_duration=int(st.active_duration.total_seconds()),
        seeding_duration=int(st.seeding_duration.total_seconds()),
        finished_duration=int(st.finished_duration.total_seconds()),
        added_time=int(st.added_time),
        completed_time=int(st.completed_time),
        last_seen_complete=int(st.last_seen_complete),
        last_download=_epoch(st.last_download),
        last_upload=_epoch(st.last_upload),
        queue_position=int(st.queue_position),
        save_path=st.save_path,
        current_tracker=st.current_tracker,
        distributed_copies=st.distributed_copies,
        num_pieces=st.num_pieces,
        next_announce=int(st.next_announce.total_seconds()),
        is_finished=st.is_finished,
        is_seeding=st.is_seeding,
    )


def _epoch(value: Any) -> int:
    """libtorrent time points come as datetime (or None when never)."""
    if value is None:
        return 0
    timestamp = getattr(value, "timestamp", None)
    return int(timestamp()) if timestamp else int(value)


_TRACKER_STATUS_WORKING = 2


def _tracker(entry: Any) -> TrackerEntry:
    endpoints = entry.get("endpoints", []) if isinstance(entry, dict) else []
    updating = any(
        h.get("updating")
        for e in endpoints
        for h in e.get("info_hashes", [])
        if isinstance(h, dict)
    )
    working = any(
        h.get("last_error", {}).get("value", 0) == 0 and h.get("start_sent")
        for e in endpoints
        for h in e.get("info_hashes", [])
        if isinstance(h, dict)
    )
    failed = any(
        h.get("fails", 0) > 0
        for e in endpoints
        for h in e.get("info_hashes", [])
        if isinstance(h, dict)
    )
    message = ""
    for e in endpoints:
        for h in e.get("info_hashes", []):
            if isinstance(h, dict) and h.get("message"):
                message = h["message"]
    status = 3 if updating else _TRACKER_STATUS_WORKING if working else 4 if failed else 1
    seeds = peers = downloaded = -1
    for e in endpoints:
        for h in e.get("info_hashes", []):
            if isinstance(h, dict):
                seeds = max(seeds, h.get("scrape_complete", -1))
                peers = max(peers, h.get("scrape_incomplete", -1))
                downloaded = max(downloaded, h.get("scrape_downloaded", -1))
    return TrackerEntry(
        url=entry["url"],
        tier=entry.get("tier", 0),
        status=status,
        num_peers=peers,
        num_seeds=seeds,
        num_leeches=peers,
        num_downloaded=downloaded,
        message=message,
    )


def _peer(p: Any) -> PeerInfo:
    ip, port = p.ip
    utp = bool(p.flags & lt.peer_info.utp_socket) if hasattr(lt.peer_info, "utp_socket") else False
    return PeerInfo(
        ip=ip,
        port=port,
        client=p.client.decode("utf-8", "replace") if isinstance(p.client, bytes) else p.client,
        connection="μTP" if utp else "BT",
        flags="",
        country_code="",
        progress=p.progress,
        dl_speed=p.payload_down_speed,
        up_speed=p.payload_up_speed,
        downloaded=p.total_download,
        uploaded=p.total_upload,
        relevance=0.0,
        files="",
    )


def _settings_pack(config: SessionConfig) -> dict[str, Any]:
    encryption = {0: lt.enc_policy.enabled, 1: lt.enc_policy.forced, 2: lt.enc_policy.disabled}
    policy = encryption.get(config.encryption, lt.enc_policy.enabled)
    active = -1 if not config.queueing else None
    return {
        "listen_interfaces": config.listen_interfaces,
        "outgoing_interfaces": config.outgoing_interfaces,
        "enable_dht": config.dht,
        "enable_lsd": config.lsd,
        "enable_upnp": config.upnp,
        "enable_natpmp": config.upnp,
        "out_enc_policy": policy,
        "in_enc_policy": policy,
        "anonymous_mode": config.anonymous_mode,
        "download_rate_limit": config.download_rate_limit,
        "upload_rate_limit": config.upload_rate_limit,
        "active_downloads": active if active is not None else config.max_active_downloads,
        "active_seeds": active if active is not None else config.max_active_uploads,
        "active_limit": active if active is not None else config.max_active_torrents,
        "dont_count_slow_torrents": config.dont_count_slow_torrents,
        "connections_limit": config.max_connections,
        "unchoke_slots_limit": config.max_uploads,
        "proxy_type": config.proxy_type,
        "proxy_hostname": config.proxy_hostname,
        "proxy_port": config.proxy_port,
        "proxy_username": config.proxy_username,
        "proxy_password": config.proxy_password,
        "proxy_peer_connections": config.proxy_peer_connections,
        "proxy_hostnames": config.proxy_hostnames,
        "announce_to_all_trackers": config.announce_to_all_trackers,
        "announce_to_all_tiers": config.announce_to_all_tiers,
        "user_agent": config.user_agent,
        "peer_fingerprint": config.peer_fingerprint,
        "allow_multiple_connections_per_ip": config.allow_multiple_connections_per_ip,
        "alert_mask": _ALERTS,
        "alert_queue_size": 100000,
    }
