"""Repair jobs end to end on real files: a library of symlinks into a "mount" folder, a loopback
Sonarr/Radarr that knows them, broken files found, deleted from the arr and searched again."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.arr_server import FakeArr, arr_server
from tests.support.clock import FakeClock
from tests.support.repair_store import MemoryJobStore
from tests.support.waiting import eventually
from torrentstack.debrid.arrs import ArrClient
from torrentstack.debrid.errors import RepairConflict, RepairError, RepairJobNotFound
from torrentstack.debrid.repair import RepairJob, RepairJobs
from torrentstack.debrid.repair_probe import ContentFile, FileProber, mount_problem

KEY = "arr-key"


@dataclass
class Library:
    """Media files as symlinks under `library` into `mount/__all__/<torrent>/`."""

    root: Path

    @property
    def mount(self) -> Path:
        return self.root / "mount"

    def add(self, torrent: str, name: str, data: bytes = b"video" * 300) -> str:
        target = self.mount / "__all__" / torrent / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        link = self.root / "library" / torrent / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target)
        return str(link)

    def lose(self, torrent: str, name: str) -> None:
        """The provider lost a file: the mount no longer shows it."""
        (self.mount / "__all__" / torrent / name).unlink()


def present(path: str) -> bool:
    """Whether `path` exists, even as a dangling symlink."""
    return os.path.lexists(path)


@dataclass
class Setup:
    arr: FakeArr
    jobs: RepairJobs
    store: MemoryJobStore
    lib: Library


@pytest.fixture
async def sonarr(tmp_path) -> AsyncIterator[Setup]:
    async with arr_server("sonarr", api_key=KEY) as arr, ArrClient("sonarr", arr.url, KEY) as c:
        store = MemoryJobStore()
        jobs = RepairJobs(
            store, {"sonarr": c}.get, clock=FakeClock(), known_arrs=lambda: ["sonarr"]
        )
        lib = Library(tmp_path)
        e1, e2 = lib.add("Show.S01", "e1.mkv"), lib.add("Show.S01", "e2.mkv")
        arr.add_series(1, "Show", [(11, e1, [101]), (12, e2, [102, 103])], tvdb_id=7001)
        yield Setup(arr, jobs, store, lib)
        await jobs.close()


@pytest.fixture
async def radarr(tmp_path) -> AsyncIterator[Setup]:
    async with arr_server("radarr", api_key=KEY) as arr, ArrClient("radarr", arr.url, KEY) as c:
        store = MemoryJobStore()
        jobs = RepairJobs(
            store, {"radarr": c}.get, clock=FakeClock(), known_arrs=lambda: ["radarr"]
        )
        lib = Library(tmp_path)
        arr.add_movie(1, "Film", 21, lib.add("Film.2001", "film.mkv"), tmdb_id=603)
        arr.add_movie(2, "Other", 22, lib.add("Other.2002", "other.mkv"), tmdb_id=604)
        yield Setup(arr, jobs, store, lib)
        await jobs.close()


async def test_a_dangling_symlink_makes_a_pending_job_listing_that_file(sonarr):
    sonarr.lib.lose("Show.S01", "e2.mkv")
    job = await sonarr.jobs.start(["sonarr"], run_async=False)
    assert job.status == "pending"
    [item] = job.broken_items["sonarr"]
    assert item["fileId"] == 12
    assert item["id"] == 1
    assert item["showId"] == 102
    assert item["episodeIds"] == [102, 103]
    assert item["path"].endswith("library/Show.S01/e2.mkv")
    assert item["targetPath"] == str(sonarr.lib.mount / "__all__" / "Show.S01" / "e2.mkv")
    assert item["isSymlink"] is True
    assert item["processed"] is False
    assert sonarr.arr.deleted == []
    assert sonarr.arr.commands_named("EpisodeSearch") == []
    assert sonarr.store.rows[job.id].status == "pending"


async def test_processing_deletes_the_broken_file_and_searches_its_episodes(sonarr):
    sonarr.lib.lose("Show.S01", "e2.mkv")
    job = await sonarr.jobs.start(["sonarr"], run_async=False)
    await sonarr.jobs.process(job.id)
    assert job.status in ("processing", "completed")
    await sonarr.jobs.wait(job.id)
    assert job.status == "completed"
    assert job.finished_at is not None
    assert sonarr.arr.deleted == [[12]]
    assert sonarr.arr.file_ids() == {11}
    assert sonarr.arr.commands_named("EpisodeSearch") == [
        {"name": "EpisodeSearch", "episodeIds": [102, 103]}
    ]
    assert job.broken_items["sonarr"][0]["processed"] is True
    assert not present(job.broken_items["sonarr"][0]["path"])  # the dangling link is gone
    assert present(sonarr.arr.series[1].files[0].path)  # the good file is untouched
    statuses = [status for job_id, status in sonarr.store.saved if job_id == job.id]
    assert statuses == ["started", "pending", "processing", "completed"]
    with pytest.raises(RepairConflict, match="not pending"):
        await sonarr.jobs.process(job.id)


async def test_auto_process_fixes_at_once_and_completes(sonarr):
    sonarr.lib.lose("Show.S01", "e2.mkv")
    job = await sonarr.jobs.start(["sonarr"], auto_process=True, run_async=False)
    assert job.status == "completed"
    assert sonarr.arr.deleted == [[12]]
    assert [c["episodeIds"] for c in sonarr.arr.commands_named("EpisodeSearch")] == [[102, 103]]
    assert job.broken_items["sonarr"][0]["processed"] is True


async def test_nothing_broken_completes_with_no_broken_items(sonarr):
    job = await sonarr.jobs.start([], run_async=False)
    assert job.arrs == ["sonarr"]  # no arr named: every arr
    assert job.status == "completed"
    assert job.broken_items == {}
    assert job.to_json()["broken_items"] is None
    assert sonarr.arr.deleted == []


async def test_a_torrent_gone_from_the_mount_is_broken_not_a_mount_failure(sonarr):
    for name in ("e1.mkv", "e2.mkv"):
        sonarr.lib.lose("Show.S01", name)
    (sonarr.lib.mount / "__all__" / "Show.S01").rmdir()
    job = await sonarr.jobs.start(["sonarr"], run_async=False)
    assert job.status == "pending"
    assert [item["fileId"] for item in job.broken_items["sonarr"]] == [11, 12]


async def test_a_missing_mount_skips_the_arr_and_fails_the_job(sonarr):
    for name in ("e1.mkv", "e2.mkv"):
        sonarr.lib.lose("Show.S01", name)
    (sonarr.lib.mount / "__all__" / "Show.S01").rmdir()
    (sonarr.lib.mount / "__all__").rmdir()  # the mount is down: it shows nothing
    job = await sonarr.jobs.start(["sonarr"], auto_process=True, run_async=False)
    assert job.status == "failed"
    assert "check your mounts" in job.error
    assert job.to_json()["failed_at"] is not None
    assert sonarr.arr.deleted == []
    assert sonarr.arr.commands == []


async def test_media_ids_limit_the_check_to_those_series(sonarr, tmp_path):
    other = sonarr.lib.add("Other.S01", "o1.mkv")
    sonarr.arr.add_series(2, "Other", [(31, other, [301])], tvdb_id=7002)
    sonarr.lib.lose("Other.S01", "o1.mkv")
    job = await sonarr.jobs.start(["sonarr"], ["7001"], run_async=False)
    assert job.status == "completed"
    job = await sonarr.jobs.start(["sonarr"], ["7002"], run_async=False)
    assert job.status == "pending"
    assert [item["fileId"] for item in job.broken_items["sonarr"]] == [31]


async def test_radarr_broken_movie_is_deleted_and_searched(radarr):
    radarr.lib.lose("Other.2002", "other.mkv")
    job = await radarr.jobs.start(["radarr"], run_async=False)
    assert job.status == "pending"
    assert [(i["id"], i["fileId"]) for i in job.broken_items["radarr"]] == [(2, 22)]
    await radarr.jobs.process(job.id)
    await radarr.jobs.wait(job.id)
    assert job.status == "completed"
    assert radarr.arr.deleted == [[22]]
    assert radarr.arr.commands_named("MoviesSearch") == [{"name": "MoviesSearch", "movieIds": [2]}]
    assert radarr.arr.file_ids() == {21}


async def test_radarr_auto_process(radarr):
    radarr.lib.lose("Film.2001", "film.mkv")
    job = await radarr.jobs.start(["radarr"], ["603"], auto_process=True, run_async=False)
    assert job.status == "completed"
    assert radarr.arr.deleted == [[21]]
    assert radarr.arr.commands_named("MoviesSearch") == [{"name": "MoviesSearch", "movieIds": [1]}]


async def test_an_arr_failing_while_processing_fails_the_job_with_its_error(sonarr):
    sonarr.lib.lose("Show.S01", "e2.mkv")
    job = await sonarr.jobs.start(["sonarr"], run_async=False)
    sonarr.arr.fail_with = 500
    await sonarr.jobs.process(job.id)
    await sonarr.jobs.wait(job.id)
    assert job.status == "failed"
    assert "the fake arr fails" in job.error


async def test_an_unreachable_arr_fails_the_job(tmp_path):
    async with arr_server("sonarr") as arr:
        url = arr.url
    async with ArrClient("sonarr", url, KEY) as client:
        jobs = RepairJobs(MemoryJobStore(), {"sonarr": client}.get, clock=FakeClock())
        job = await jobs.start(["sonarr"], run_async=False)
    assert job.status == "failed"
    assert "unreachable" in job.error


class GatedProber:
    """A prober that holds every probe until `release` is set."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.probed: list[str] = []

    async def broken(self, path: str) -> bool:
        self.probed.append(path)
        await self.release.wait()
        return False


async def test_the_same_job_twice_while_running_conflicts_and_stop_cancels(sonarr):
    prober = GatedProber()
    client = ArrClient("sonarr", sonarr.arr.url, KEY)
    jobs = RepairJobs(sonarr.store, {"sonarr": client}.get, prober, FakeClock())
    try:
        job = await jobs.start(["sonarr"], ["7001"])
        await eventually(lambda: prober.probed)
        assert job.status == "started"
        with pytest.raises(RepairConflict, match="job already running"):
            await jobs.start(["sonarr"], ["7001"])
        other = await jobs.start(["sonarr"], ["9999"])  # another key runs alongside
        await jobs.stop(job.id)
        assert job.status == "cancelled"
        assert job.error == "Job was cancelled by user"
        assert job.finished_at is not None
        assert sonarr.store.rows[job.id].status == "cancelled"
        with pytest.raises(RepairConflict, match="cannot be stopped"):
            await jobs.stop(job.id)
        again = await jobs.start(["sonarr"], ["7001"])  # no longer running: allowed
        prober.release.set()
        assert (await jobs.wait(again.id)).status == "completed"
        assert (await jobs.wait(other.id)).status == "completed"
    finally:
        await jobs.close()
        await client.close()


async def test_close_cancels_running_jobs(sonarr):
    prober = GatedProber()
    client = ArrClient("sonarr", sonarr.arr.url, KEY)
    jobs = RepairJobs(sonarr.store, {"sonarr": client}.get, prober, FakeClock())
    job = await jobs.start(["sonarr"])
    await eventually(lambda: prober.probed)
    await jobs.close()
    await client.close()
    assert job.status == "started"  # not kept over a restart: load() drops it


async def test_unknown_arrs_ids_and_empty_deletes_are_refused(sonarr):
    with pytest.raises(RepairError, match="nope"):
        await sonarr.jobs.start(["nope"])
    with pytest.raises(RepairJobNotFound):
        await sonarr.jobs.process("missing")
    with pytest.raises(RepairJobNotFound):
        await sonarr.jobs.stop("missing")
    with pytest.raises(RepairError, match="No job IDs"):
        await sonarr.jobs.delete(["", ""])
    nobody = RepairJobs(MemoryJobStore(), lambda name: None)
    with pytest.raises(RepairError, match="No Arrs found"):
        await nobody.start()


async def test_delete_forgets_jobs_here_and_in_the_store(sonarr):
    first = await sonarr.jobs.start(["sonarr"], run_async=False)
    second = await sonarr.jobs.start(["sonarr"], ["7001"], run_async=False)
    await sonarr.jobs.delete([first.id, "unknown"])
    assert [job.id for job in sonarr.jobs.jobs()] == [second.id]
    assert set(sonarr.store.rows) == {second.id}


def _job(status: str, minute: int) -> RepairJob:
    created = datetime(2026, 1, 1, 12, minute, tzinfo=UTC)
    return RepairJob(f"job-{status}", ["sonarr"], [], False, created, status=status)


async def test_load_keeps_only_pending_jobs():
    statuses = ["started", "pending", "processing", "completed", "failed", "cancelled"]
    store = MemoryJobStore([_job(status, i) for i, status in enumerate(statuses)])
    jobs = RepairJobs(store, lambda name: None)
    await jobs.load()
    assert [job.id for job in jobs.jobs()] == ["job-pending"]
    assert set(store.rows) == {"job-pending"}


def test_jobs_json_has_decypharrs_fields():
    job = _job("pending", 5)
    job.broken_items = {"sonarr": [ContentFile(1, 2, "/tv/a.mkv", (3,)).to_json()]}
    shown = job.to_json()
    assert set(shown) == {
        "id", "arrs", "media_ids", "created_at", "broken_items", "status", "finished_at",
        "failed_at", "auto_process", "recurrent", "error",
    }  # fmt: skip
    assert shown["created_at"] == "2026-01-01T12:05:00Z"
    assert shown["finished_at"] is None
    assert shown["broken_items"]["sonarr"][0]["name"] == "a.mkv"


def test_content_files_read_back_what_they_wrote():
    file = ContentFile(1, 2, "/tv/a.mkv", (3, 4), season_number=2, size=9, target_path="/m/a")
    assert ContentFile.from_json(file.to_json()) == file
    with pytest.raises(ValueError, match="not a repair file"):
        ContentFile.from_json({"id": "x"})


async def test_the_file_prober_reads_through_the_symlink(tmp_path):
    lib = Library(tmp_path)
    good = lib.add("T", "good.mkv")
    empty = lib.add("T", "empty.mkv", b"")
    dangling = lib.add("T", "gone.mkv")
    lib.lose("T", "gone.mkv")
    prober = FileProber()
    assert await prober.broken(good) is False
    assert await prober.broken(empty) is True
    assert await prober.broken(dangling) is True
    assert await prober.broken(str(tmp_path)) is True  # a folder is no media file
    assert await prober.broken(str(tmp_path / "nothing")) is True


def test_the_mount_check_wants_the_first_file_and_the_mounts_folder(tmp_path):
    lib = Library(tmp_path)
    path = lib.add("T", "a.mkv")
    assert mount_problem([ContentFile(1, 1, path)]) == ""
    assert "does not exist" in mount_problem([ContentFile(1, 1, str(tmp_path / "elsewhere"))])
    lib.lose("T", "a.mkv")
    (lib.mount / "__all__" / "T").rmdir()
    (lib.mount / "__all__").rmdir()
    assert "is missing" in mount_problem([ContentFile(1, 1, path)])


class ExplodingProber:
    async def broken(self, path: str) -> bool:
        raise RuntimeError("a prober bug")


async def test_an_unexpected_error_fails_the_job_instead_of_leaving_it_started(sonarr, caplog):
    client = ArrClient("sonarr", sonarr.arr.url, KEY)
    jobs = RepairJobs(sonarr.store, {"sonarr": client}.get, ExplodingProber(), FakeClock())
    try:
        job = await jobs.start(["sonarr"], run_async=False)
    finally:
        await client.close()
    assert job.status == "failed"
    assert job.error == "unexpected error (RuntimeError)"
    assert sonarr.store.rows[job.id].status == "failed"


async def test_no_arr_named_checks_every_arr_and_groups_broken_files_by_arr(tmp_path):
    lib = Library(tmp_path)
    async with (
        arr_server("sonarr", api_key=KEY) as tv,
        arr_server("radarr", api_key=KEY) as films,
        ArrClient("tv", tv.url, KEY) as tv_client,
        ArrClient("films", films.url, KEY) as film_client,
    ):
        tv.add_series(1, "Show", [(11, lib.add("Show", "e1.mkv"), [101])])
        films.add_movie(1, "Film", 21, lib.add("Film", "film.mkv"))
        lib.lose("Show", "e1.mkv")
        lib.lose("Film", "film.mkv")
        clients = {"tv": tv_client, "films": film_client}
        jobs = RepairJobs(
            MemoryJobStore(), clients.get, clock=FakeClock(), known_arrs=lambda: list(clients)
        )
        job = await jobs.start(run_async=False)
        assert job.arrs == ["tv", "films"]
        assert job.status == "pending"
        assert {name: [i["fileId"] for i in items] for name, items in job.broken_items.items()} == {
            "tv": [11],
            "films": [21],
        }
        await jobs.process(job.id)
        await jobs.wait(job.id)
        assert job.status == "completed"
        assert (tv.deleted, films.deleted) == ([[11]], [[21]])
        assert tv.commands_named("EpisodeSearch") and films.commands_named("MoviesSearch")


class FailingStore(MemoryJobStore):
    async def save(self, job: RepairJob) -> None:
        raise OSError("the database is away")


async def test_a_job_the_store_refused_is_not_left_running(sonarr):
    async with ArrClient("sonarr", sonarr.arr.url, KEY) as client:
        jobs = RepairJobs(FailingStore(), {"sonarr": client}.get)
        with pytest.raises(OSError, match="away"):
            await jobs.start(["sonarr"])
    assert jobs.jobs() == []
