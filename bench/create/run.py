"""Torrent creation speed: our build_torrent against hashlib alone and libtorrent's creator.

    python bench/create/run.py [--size-mib 1024] [--path PATH] [--repeat 5]

Runs every variant once per round, interleaved, and keeps each one's best round. The content is
read right before each timed run, so it sits in the page cache: this measures hashing, not the
disk. hashlib's limit hashes the same bytes from memory, split evenly across threads.
libtorrent's Python `set_piece_hashes` takes no settings, so it hashes with its default of one
hashing thread (`hashing_threads` = 1); its "cores busy" column shows it.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from torrentstack import torrent_builder
from torrentstack.bittorrent.create import (
    BLOCK_SIZE,
    Layout,
    Metadata,
    Version,
    assemble,
    plan_layout,
)
from torrentstack.torrent_builder import CreateOptions, build_torrent, list_files

VERSIONS: tuple[Version, ...] = ("v1", "v2", "hybrid")
MB = 1_000_000


def make_content(directory: Path, size: int) -> Path:
    """Write `size` bytes of incompressible data (seeded, so every run hashes the same)."""
    path = directory / "bench.bin"
    chunk = 16 * 1024 * 1024
    with path.open("wb") as f:
        for i, at in enumerate(range(0, size, chunk)):
            f.write(random.Random(i).randbytes(min(chunk, size - at)))
    return path


def content_files(path: Path) -> list[Path]:
    _name, files, single = list_files(path)
    return [path] if single else [path.joinpath(*f.path) for f in files]


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def warm(files: list[Path], buffer: bytearray) -> None:
    """Read the content so it is in the page cache: idle pages can be reclaimed within seconds
    (e.g. DAMON proactive reclaim on small VMs), which would turn a run into a disk benchmark."""
    for path in files:
        with path.open("rb", buffering=0) as f:
            while f.readinto(buffer):
                pass


def timed(run: Callable[[], object]) -> tuple[float, float]:
    """Return (wall seconds, CPU seconds incl. reaped child processes) of one call."""
    cpu, wall = cpu_seconds(), time.perf_counter()
    run()
    return time.perf_counter() - wall, cpu_seconds() - cpu


def hash_split(data: memoryview, workers: int, names: tuple[str, ...]) -> None:
    """hashlib alone: each worker hashes one contiguous share of the data with each algorithm."""
    share = -(-len(data) // workers)

    def work(part: memoryview) -> None:
        for name in names:
            hashlib.new(name, part).digest()

    if workers == 1:
        work(data)
        return
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(work, [data[i : i + share] for i in range(0, len(data), share)]))


def hash_blocks_split(data: memoryview, workers: int) -> None:
    """hashlib alone, the way BEP 52 needs it: one SHA-256 call per 16 KiB block."""
    share = -(-len(data) // workers)

    def work(part: memoryview) -> None:
        sha256 = hashlib.sha256
        for i in range(0, len(part), BLOCK_SIZE):
            sha256(part[i : i + BLOCK_SIZE]).digest()

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(work, [data[i : i + share] for i in range(0, len(data), share)]))


def ours(path: Path, version: Version) -> Callable[[], object]:
    return lambda: build_torrent(path, CreateOptions(version=version, creation_date=0))


# --- the road not taken: the same jobs in spawned worker processes instead of threads ----------

_process_jobs: Any = None


def _start_process(layout: Layout, root: Path) -> None:
    global _process_jobs  # one per worker process
    _process_jobs = torrent_builder._Jobs(layout, root)


def _run_in_process(first_piece: int, count: int) -> tuple[int, bytes, list[bytes], int]:
    return _process_jobs.run(first_piece, count)  # type: ignore[no-any-return]


def ours_in_processes(path: Path, version: Version) -> Callable[[], object]:
    """build_torrent's hashing jobs, run by a spawned process pool (what threads beat)."""

    def run() -> object:
        name, files, single = list_files(path)
        layout = plan_layout(name, files, version=version, piece_length=None, single_file=single)
        per_job = max(1, torrent_builder._CHUNK_BYTES // layout.piece_length)
        starts = range(0, layout.num_pieces, per_job)
        pieces, roots = bytearray(), []
        with ProcessPoolExecutor(
            torrent_builder._workers(),
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_process,
            initargs=(layout, path),
        ) as pool:
            for _, sha1s, piece_roots, _ in pool.map(
                _run_in_process, starts, [per_job] * len(starts)
            ):
                pieces += sha1s
                roots += piece_roots
        return assemble(layout, bytes(pieces), roots, Metadata())

    return run


def libtorrent_creator(lt: Any, path: Path, version: Version) -> Callable[[], object]:
    flags = {"v1": lt.create_torrent.v1_only, "v2": lt.create_torrent.v2_only, "hybrid": 0}

    def run() -> object:
        ct = lt.create_torrent(lt.list_files(str(path)), 0, flags[version])
        lt.set_piece_hashes(ct, str(path.parent))
        return lt.bencode(ct.generate())

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="size of the generated file")
    parser.add_argument("--path", type=Path, help="hash this file or directory instead")
    parser.add_argument("--repeat", type=int, default=5, help="rounds; each variant keeps its best")
    parser.add_argument("--no-libtorrent", action="store_true", help="skip libtorrent's creator")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="torrentstack-bench-") as tmp:
        path = args.path or make_content(Path(tmp), args.size_mib * 1024 * 1024)
        files = content_files(path)
        data = memoryview(b"".join(f.read_bytes() for f in files))  # also warms the page cache
        size = len(data)
        workers = torrent_builder._workers()
        lt = None if args.no_libtorrent else __import__("libtorrent")

        variants: dict[str, Callable[[], object]] = {
            "hashlib SHA-1, 1 thread": lambda: hash_split(data, 1, ("sha1",)),
            f"hashlib SHA-1, {workers} threads": lambda: hash_split(data, workers, ("sha1",)),
            "hashlib SHA-256, 1 thread": lambda: hash_split(data, 1, ("sha256",)),
            f"hashlib SHA-256, {workers} threads": lambda: hash_split(data, workers, ("sha256",)),
            f"hashlib SHA-256 per 16 KiB block, {workers} threads": lambda: hash_blocks_split(
                data, workers
            ),
            f"hashlib SHA-1 + SHA-256, {workers} threads": lambda: hash_split(
                data, workers, ("sha1", "sha256")
            ),
        }
        for version in VERSIONS:
            variants[f"ours {version}"] = ours(path, version)
            if version != "v1":
                variants[f"ours {version}, processes (not used)"] = ours_in_processes(path, version)
            if lt is not None:
                variants[f"libtorrent {version}"] = libtorrent_creator(lt, path, version)

        buffer = bytearray(8 * 1024 * 1024)
        best: dict[str, tuple[float, float]] = {}
        for _ in range(args.repeat):
            for label, run in variants.items():
                warm(files, buffer)
                wall, cpu = timed(run)
                if label not in best or wall < best[label][0]:
                    best[label] = (wall, cpu)

    def speed(label: str) -> float:
        return size / best[label][0] / MB

    limits = {
        "v1": f"hashlib SHA-1, {workers} threads",
        "v2": f"hashlib SHA-256, {workers} threads",
        "hybrid": f"hashlib SHA-1 + SHA-256, {workers} threads",
    }
    print(f"content: {size / MB:.0f} MB in {len(files)} file(s), page-cached; {workers} CPUs;")
    print(f"Python {sys.version.split()[0]}; best of {args.repeat} interleaved rounds\n")
    print("| variant | MB/s | cores busy |")
    print("|---|---:|---:|")
    for label, (wall, cpu) in best.items():
        print(f"| {label} | {speed(label):,.0f} | {cpu / wall:.1f} |")
    print()
    print(
        "| mode | ours MB/s | hashlib limit MB/s | ours / limit | libtorrent MB/s | ours / libtorrent |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for version in VERSIONS:
        mine, limit = speed(f"ours {version}"), speed(limits[version])
        theirs = f"{speed(f'libtorrent {version}'):,.0f}" if lt is not None else "n/a"
        ratio = f"{mine / speed(f'libtorrent {version}'):.2f}x" if lt is not None else "n/a"
        print(
            f"| {version} | {mine:,.0f} | {limit:,.0f} | {mine / limit:.0%} | {theirs} | {ratio} |"
        )


if __name__ == "__main__":
    main()
