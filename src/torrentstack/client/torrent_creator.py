"""The `torrentcreator/*` part (qBittorrent 5.x): tasks that hash a file or folder with our own
builder (`torrentstack.torrent_builder`) on a worker thread, one at a time as qBittorrent's
single-thread pool does; kept in memory only, as qBittorrent keeps them."""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from torrentstack.bittorrent import bencode
from torrentstack.clock import Clock
from torrentstack.errors import TorrentstackError
from torrentstack.qbittorrent.adding import AddRequest, Source
from torrentstack.qbittorrent.errors import Conflict, NotFound
from torrentstack.qbittorrent.torrent_creator import CreatorParams, status_object
from torrentstack.torrent_builder import CreateOptions, build_torrent

logger = logging.getLogger(__name__)

MAX_TASKS = 256  # qBittorrent's TorrentCreator/Manager/MaxTasks default
Seed = Callable[[list[Source], AddRequest], Awaitable[int]]


class _Interrupted(Exception):  # control flow inside this module, not an error
    """The task was deleted while it was hashing."""


class CreationTask:
    """One task: its parameters, times, progress (percent) and outcome."""

    def __init__(self, task_id: str, params: CreatorParams, added: float) -> None:
        self.id = task_id
        self.params = params
        self.time_added = added
        self.time_started: float | None = None
        self.time_finished: float | None = None
        self.progress = 0
        self.error: str | None = None
        self.piece_size = params.piece_size
        self.data: bytes | None = None
        self.deleted = False

    @property
    def finished(self) -> bool:
        return self.time_finished is not None

    @property
    def status(self) -> str:
        if self.error is not None:
            return "Failed"
        if self.finished:
            return "Finished"
        return "Running" if self.time_started is not None else "Queued"

    def on_progress(self, done: int, total: int) -> None:
        """From the hashing thread: the percentage; raising stops a deleted task."""
        if self.deleted:
            raise _Interrupted("deleted")
        self.progress = int(done * 100 // total) if total else 0


def _tiers(trackers: tuple[str, ...]) -> list[tuple[str, ...]]:
    """qBittorrent's tracker list: consecutive URLs share a tier, an empty line ends it."""
    tiers: list[tuple[str, ...]] = []
    current: list[str] = []
    for url in trackers:
        if url.strip():
            current.append(url.strip())
        elif current:
            tiers.append(tuple(current))
            current = []
    if current:
        tiers.append(tuple(current))
    return tiers


def _build(
    params: CreatorParams, on_progress: Callable[[int, int], None]
) -> tuple[bytes, str, int]:
    """On a worker thread: hash, assemble, and write the file when a path is given."""
    options = CreateOptions(
        version=params.format,
        piece_length=params.piece_size or None,
        private=params.private,
        trackers=_tiers(params.trackers),
        web_seeds=tuple(url for url in params.url_seeds if url.strip()),
        comment=params.comment or None,
        source=params.source or None,
    )
    data = build_torrent(Path(params.source_path), options, on_progress)
    if params.torrent_file_path:
        target = Path(params.torrent_file_path)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.part")
        temporary.write_bytes(data)
        os.replace(temporary, target)
    top = bencode.decode(data)
    info = top.get(b"info") if isinstance(top, dict) else None
    length = info.get(b"piece length") if isinstance(info, dict) else None
    piece_length = length if isinstance(length, int) else params.piece_size
    return data, str(Path(os.path.abspath(params.source_path)).parent), piece_length


class TorrentCreator:
    """The tasks by id, in the order qBittorrent lists them (unfinished first, by time added)."""

    def __init__(self, *, clock: Clock, seed: Seed) -> None:
        self._clock = clock
        self._seed = seed
        self._tasks: dict[str, CreationTask] = {}
        self._jobs: set[asyncio.Task[None]] = set()
        self._one_at_a_time = asyncio.Semaphore(1)

    def add_task(self, params: CreatorParams) -> str:
        if len(self._tasks) >= MAX_TASKS:  # make room by forgetting the oldest finished ones
            for task in sorted(self._tasks.values(), key=lambda t: t.time_added):
                if len(self._tasks) < MAX_TASKS:
                    break
                if task.finished:
                    del self._tasks[task.id]
        if len(self._tasks) >= MAX_TASKS:
            raise Conflict("Too many active tasks")
        task_id = str(uuid.uuid4())
        task = self._tasks[task_id] = CreationTask(task_id, params, self._clock())
        job = asyncio.ensure_future(self._run(task))
        self._jobs.add(job)
        job.add_done_callback(self._jobs.discard)
        return task_id

    def status(self, task_id: str) -> list[dict[str, object]]:
        return [
            status_object(
                task.id,
                task.params,
                status=task.status,
                time_added=qt_text_date(task.time_added),
                time_started=_date(task.time_started),
                time_finished=_date(task.time_finished),
                progress=task.progress,
                piece_size=task.piece_size,
                error=task.error,
            )
            for task in self.tasks(task_id)
        ]

    def tasks(self, task_id: str = "") -> list[CreationTask]:
        if task_id:
            return [self.task(task_id)]
        return sorted(self._tasks.values(), key=lambda t: (t.finished, t.time_added))

    def task(self, task_id: str) -> CreationTask:
        task = self._tasks.get(task_id)
        if task is None:
            raise NotFound()
        return task

    def torrent_file(self, task_id: str) -> bytes:
        task = self.task(task_id)
        if not task.finished:
            raise Conflict("Torrent creation is still unfinished.")
        if task.error is not None or task.data is None:
            raise Conflict("Torrent creation failed.")
        return task.data

    def delete_task(self, task_id: str) -> None:
        task = self._tasks.pop(task_id, None)
        if task is None:
            raise NotFound()
        task.deleted = True

    def close(self) -> None:
        for task in self._tasks.values():
            task.deleted = True
        for job in list(self._jobs):
            job.cancel()

    async def _run(self, task: CreationTask) -> None:
        async with self._one_at_a_time:
            if task.deleted:
                return
            task.time_started = self._clock()
            try:
                data, save_path, piece_size = await asyncio.to_thread(
                    _build, task.params, task.on_progress
                )
            except _Interrupted:
                return
            except Exception as exc:  # any failure is the task's, shown in its status
                if not isinstance(exc, TorrentstackError | OSError | ValueError):
                    logger.exception("torrent creator: task %s failed", task.id)
                task.error = _message(exc)
                task.time_finished = self._clock()
                return
            task.data = data
            task.piece_size = piece_size
            task.progress = 100
            task.time_finished = self._clock()
        if task.params.start_seeding and not task.deleted:
            request = AddRequest(save_path=save_path, skip_checking=True, auto_tmm=False)
            try:
                await self._seed([Source(torrent=data)], request)
            except TorrentstackError as exc:  # e.g. the torrent is in the session already
                logger.info("torrent creator: %s not added for seeding: %s", task.id, exc)


def _message(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return str(exc)


def qt_text_date(epoch: float) -> str:
    """QDateTime::toString()'s default (Qt::TextDate), in local time: `Wed Dec 4 19:53:39 2024`."""
    t = time.localtime(epoch)
    return time.strftime(f"%a %b {t.tm_mday} %H:%M:%S %Y", t)


def _date(epoch: float | None) -> str | None:
    return None if epoch is None else qt_text_date(epoch)
