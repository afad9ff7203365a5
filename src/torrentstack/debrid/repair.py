"""Repair jobs as Decypharr 1.x runs them: probe the files of an arr's media, then delete the
broken ones from the arr and search again, at once (`auto_process`) or when asked (`process`).

States: started → completed | pending | failed | cancelled; pending → processing → completed |
failed. Jobs are saved through a `JobStore`; after a restart only pending jobs are kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import uuid4

from torrentstack.clock import Clock, system_clock
from torrentstack.debrid.arrs import ArrClient, ArrKind
from torrentstack.debrid.errors import ArrError, RepairConflict, RepairError, RepairJobNotFound
from torrentstack.debrid.repair_probe import (
    ContentFile,
    FileProber,
    Prober,
    mount_problem,
    remove_symlinks,
    with_targets,
)

logger = logging.getLogger(__name__)

STARTED, PENDING, PROCESSING = "started", "pending", "processing"
COMPLETED, FAILED, CANCELLED = "completed", "failed", "cancelled"
RUNNING = frozenset({STARTED, PROCESSING})
WORKERS = 20  # files probed at once


@dataclass(slots=True)
class RepairJob:
    """One repair run over some arrs (and media ids: TVDB ids for Sonarr, TMDB ids for Radarr,
    none meaning every media); `broken_items` maps an arr name to `ContentFile.to_json()`s."""

    id: str
    arrs: list[str]
    media_ids: list[str]
    auto_process: bool
    created_at: datetime
    status: str = STARTED
    broken_items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    error: str = ""
    finished_at: datetime | None = None

    @property
    def key(self) -> str:
        """Decypharr's job key: the arrs and the media ids; one such job runs at a time."""
        return f"{','.join(self.arrs)}-{','.join(self.media_ids)}"

    def to_json(self) -> dict[str, Any]:
        """The job as Decypharr 1.1.6's `/api/repair/jobs` shows it (no time: null)."""
        return {
            "id": self.id,
            "arrs": list(self.arrs),
            "media_ids": list(self.media_ids),
            "created_at": _iso(self.created_at),
            "broken_items": self.broken_items or None,
            "status": self.status,
            "finished_at": _iso(self.finished_at),
            "failed_at": _iso(self.finished_at) if self.status == FAILED else None,
            "auto_process": self.auto_process,
            "recurrent": False,
            "error": self.error,
        }


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat().replace("+00:00", "Z")


class JobStore(Protocol):
    """Where repair jobs are kept between restarts (the `debrid_repair_jobs` table)."""

    async def save(self, job: RepairJob) -> None: ...

    async def load(self) -> list[RepairJob]: ...

    async def delete(self, ids: Sequence[str]) -> None: ...


@dataclass(frozen=True, slots=True)
class _Media:
    title: str
    files: list[ContentFile]


class RepairJobs:
    """The repair jobs: start, list, process, stop, delete; each run is a task of its own.

    `arrs` finds an arr by name (None: unknown); `known_arrs` names every arr, for a job that
    names none.
    """

    def __init__(
        self,
        store: JobStore,
        arrs: Callable[[str], ArrClient | None],
        prober: Prober | None = None,
        clock: Clock = system_clock,
        *,
        known_arrs: Callable[[], Sequence[str]] = tuple,
        workers: int = WORKERS,
    ) -> None:
        self._store = store
        self._arrs = arrs
        self._known_arrs = known_arrs
        self._prober: Prober = prober or FileProber()
        self._clock = clock
        self._slots = asyncio.Semaphore(workers)
        self._jobs: dict[str, RepairJob] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), tz=UTC)

    # the public side

    def jobs(self) -> list[RepairJob]:
        """Every job, newest first."""
        return sorted(self._jobs.values(), key=lambda job: job.created_at, reverse=True)

    def get(self, job_id: str) -> RepairJob:
        job = self._jobs.get(job_id)
        if job is None:
            raise RepairJobNotFound(f"job {job_id} not found", job_id=job_id)
        return job

    async def load(self) -> None:
        """Take the stored jobs back after a restart: the pending ones; the rest are deleted."""
        stored = await self._store.load()
        gone = [job.id for job in stored if job.status != PENDING]
        if gone:
            await self._store.delete(gone)
        self._jobs.update({job.id: job for job in stored if job.status == PENDING})

    async def start(
        self,
        arr_names: Sequence[str] = (),
        media_ids: Sequence[str] = (),
        auto_process: bool = False,
        run_async: bool = True,
    ) -> RepairJob:
        """Start checking `media_ids` (none: all) of `arr_names` (none: every arr).

        With `run_async` false, return once the check is over (the job pending, completed or
        failed); a `RepairConflict` when a job with the same arrs and media ids is running.
        """
        names = list(dict.fromkeys(arr_names))
        for name in names:
            if self._arrs(name) is None:
                raise RepairError(f"No Arr named {name!r} to repair")
        if not names:
            names = [name for name in self._known_arrs() if self._arrs(name) is not None]
        if not names:
            raise RepairError("No Arrs found to repair")
        job = RepairJob(
            id=uuid4().hex,
            arrs=names,
            media_ids=list(dict.fromkeys(str(media_id) for media_id in media_ids)),
            auto_process=auto_process,
            created_at=self._now(),
        )
        if any(other.key == job.key and other.status in RUNNING for other in self._jobs.values()):
            raise RepairConflict("job already running")
        self._jobs[job.id] = job  # before any await: a second start now conflicts
        try:
            await self._store.save(job)
        except BaseException:
            del self._jobs[job.id]
            raise
        logger.info("repair job %s started for %s", job.id, job.key)
        task = self._spawn(job, self._check)
        if not run_async:
            await asyncio.wait({task})
        return job

    async def process(self, job_id: str) -> RepairJob:
        """Fix a pending job's broken files: delete them from their arr, search again."""
        job = self.get(job_id)
        if job.status != PENDING:
            raise RepairConflict(f"job {job_id} not pending (status: {job.status})", job_id=job_id)
        job.status = PROCESSING
        await self._store.save(job)
        self._spawn(job, self._process)
        return job

    async def stop(self, job_id: str) -> RepairJob:
        """Cancel a started or processing job."""
        job = self.get(job_id)
        if job.status not in RUNNING:
            raise RepairConflict(
                f"job {job_id} cannot be stopped (status: {job.status})", job_id=job_id
            )
        task = self._tasks.get(job_id)
        if task is not None:
            task.cancel()
            await asyncio.wait({task})
        if job.status in RUNNING:  # it did not end on its own meanwhile
            job.broken_items = {}
            await self._finish(job, CANCELLED, "Job was cancelled by user")
        return job

    async def delete(self, ids: Sequence[str]) -> None:
        """Forget jobs (unknown ids are ignored); a running one is stopped first."""
        wanted = [job_id for job_id in dict.fromkeys(ids) if job_id]
        if not wanted:
            raise RepairError("No job IDs provided")
        for job_id in wanted:
            task = self._tasks.get(job_id)
            if task is not None:
                task.cancel()
                await asyncio.wait({task})
            self._jobs.pop(job_id, None)
        await self._store.delete(wanted)

    async def wait(self, job_id: str) -> RepairJob:
        """The job once its current run (check or processing) is over."""
        job = self.get(job_id)
        task = self._tasks.get(job_id)
        if task is not None:
            await asyncio.wait({task})
        return job

    async def close(self) -> None:
        """Cancel the running jobs' tasks (they are not kept over a restart)."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)

    # running

    def _spawn(
        self, job: RepairJob, work: Callable[[RepairJob], Awaitable[None]]
    ) -> asyncio.Task[None]:
        task = asyncio.create_task(self._run(job, work), name=f"repair-{job.id}")
        self._tasks[job.id] = task
        task.add_done_callback(lambda done: self._forget(job.id, done))
        return task

    def _forget(self, job_id: str, task: asyncio.Task[None]) -> None:
        if self._tasks.get(job_id) is task:
            del self._tasks[job_id]

    async def _run(self, job: RepairJob, work: Callable[[RepairJob], Awaitable[None]]) -> None:
        try:
            await work(job)
        except asyncio.CancelledError:
            raise
        except (
            Exception
        ) as exc:  # a job ends failed whatever broke; a task's error is read by no one
            logger.exception("repair job %s failed", job.id)
            cause: BaseException = exc
            while isinstance(cause, BaseExceptionGroup) and cause.exceptions:
                cause = cause.exceptions[0]  # the arr's error rather than the task group's
            with contextlib.suppress(Exception):
                await self._finish(job, FAILED, f"unexpected error ({type(cause).__name__})")

    async def _finish(self, job: RepairJob, status: str, error: str = "") -> None:
        job.status, job.error, job.finished_at = status, error, self._now()
        await self._store.save(job)
        logger.info("repair job %s %s%s", job.id, status, f": {error}" if error else "")

    async def _check(self, job: RepairJob) -> None:
        async with asyncio.TaskGroup() as group:  # one arr failing unexpectedly stops the rest
            checks = [group.create_task(self._check_arr(job, name)) for name in job.arrs]
        results = [check.result() for check in checks]
        errors = [error for error, _ in results if error]
        job.broken_items = {
            name: [item.to_json() for item in items]
            for name, (_, items) in zip(job.arrs, results, strict=True)
            if items
        }
        if errors:
            await self._finish(job, FAILED, "; ".join(errors))
        elif job.broken_items and not job.auto_process:
            job.status = PENDING
            await self._store.save(job)
            logger.info("repair job %s pending: broken files found", job.id)
        else:
            await self._finish(job, COMPLETED)

    async def _check_arr(self, job: RepairJob, name: str) -> tuple[str, list[ContentFile]]:
        """(an error, "" if none; the broken files) for one arr of the job."""
        client = self._arrs(name)
        if client is None:
            return f"{name}: no such arr", []
        try:
            kind = await client.detect_kind()
            media = await self._media(client, kind, job.media_ids)
            if not media:
                return "", []
            problem = await asyncio.to_thread(mount_problem, media[0].files)
            if problem:
                logger.warning("repair: %s skipped: %s", name, problem)
                return f"{name}: mount check failed: {problem}; check your mounts", []
            files = [file for item in media for file in item.files]
            verdicts = await asyncio.gather(*(self._broken(file.path) for file in files))
            broken = [file for file, bad in zip(files, verdicts, strict=True) if bad]
            broken = await asyncio.to_thread(with_targets, broken)
            if broken and job.auto_process:
                await self._fix(client, kind, broken)
                broken = [file.done() for file in broken]
        except ArrError as exc:
            return str(exc), []
        logger.info("repair: %s: %d media, %d broken files", name, len(media), len(broken))
        return "", broken

    async def _broken(self, path: str) -> bool:
        async with self._slots:
            return await self._prober.broken(path)

    async def _media(
        self, client: ArrClient, kind: ArrKind, media_ids: Sequence[str]
    ) -> list[_Media]:
        """The media (with files) of these TVDB/TMDB ids, or of the whole arr."""
        found: list[_Media] = []
        for media_id in media_ids or [""]:
            if kind == "radarr":
                for movie in await client.find_movies(media_id or None):
                    if movie.file_id and movie.file_path:
                        file = ContentFile(
                            movie.id, movie.file_id, movie.file_path, size=movie.file_size
                        )
                        found.append(_Media(movie.title, [file]))
                continue
            for series in await client.find_series(media_id or None):
                episodes: dict[int, list[int]] = {}
                for episode in await client.episodes(series.id):
                    if episode.episode_file_id:
                        episodes.setdefault(episode.episode_file_id, []).append(episode.id)
                files = [
                    ContentFile(
                        series.id,
                        f.id,
                        f.path,
                        tuple(episodes.get(f.id, ())),
                        season_number=f.season_number,
                        size=f.size,
                    )
                    for f in await client.episode_files(series.id)
                    if f.id and f.path
                ]
                if files:
                    found.append(_Media(series.title, files))
        return found

    async def _fix(self, client: ArrClient, kind: ArrKind, files: Sequence[ContentFile]) -> None:
        """Delete broken files from the arr (and their dangling symlinks here), search again."""
        if kind == "radarr":
            await client.delete_movie_files(file.file_id for file in files)
        else:
            await client.delete_episode_files(file.file_id for file in files)
        await asyncio.to_thread(remove_symlinks, [file.path for file in files])
        if kind == "radarr":
            await client.search_movies(file.media_id for file in files)
        else:
            await client.search_episodes(e for file in files for e in file.episode_ids)

    async def _process(self, job: RepairJob) -> None:
        errors: list[str] = []
        for name, items in job.broken_items.items():
            client = self._arrs(name)
            if client is None:
                errors.append(f"{name}: no such arr")
                continue
            try:
                files = [ContentFile.from_json(item) for item in items]
                todo = [file for file in files if not file.processed]
                if todo:
                    await self._fix(client, await client.detect_kind(), todo)
            except (ArrError, ValueError) as exc:
                errors.append(str(exc))
                continue
            job.broken_items[name] = [file.done().to_json() for file in files]
        await self._finish(job, FAILED if errors else COMPLETED, "; ".join(errors))
