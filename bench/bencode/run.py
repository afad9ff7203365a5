"""Benchmark torrentstack's pure-Python bencode against fastbencode (C/Rust) and bencode.py.

Run: .venv/bin/python bench/bencode/run.py [--rounds N]
Builds three real-size torrents in memory, checks that every implementation agrees on them,
then times decode and encode interleaved (best of N) and prints a markdown table.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from collections.abc import Callable
from typing import Any

import bencodepy
import fastbencode

from torrentstack.bittorrent import bencode

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB


def _pieces(count: int, seed: int) -> bytes:
    # Real SHA-1 digests, so the pieces string looks like the real thing (incompressible).
    return b"".join(
        hashlib.sha1(b"%d:%d" % (seed, i), usedforsecurity=False).digest() for i in range(count)
    )


def _top(info: dict[bytes, Any]) -> dict[bytes, Any]:
    return {
        b"announce": b"https://tracker.example.org/a1b2c3d4e5f6a7b8c9d0/announce",
        b"announce-list": [
            [b"https://tracker.example.org/a1b2c3d4e5f6a7b8c9d0/announce"],
            [b"udp://tracker.opentrackr.org:1337/announce", b"udp://open.demonii.com:1337"],
        ],
        b"comment": b"Uploaded by torrentstack benchmark",
        b"created by": b"qBittorrent v4.6.5",
        b"creation date": 1_716_000_000,
        b"info": info,
    }


def single_file_torrent() -> bytes:
    """A 4 GiB single-file torrent with 256 KiB pieces: 16,384 hashes, ~330 KB of metainfo."""
    length = 4 * GIB
    piece_length = 256 * KIB
    info = {
        b"length": length,
        b"name": b"Some.Movie.2023.2160p.UHD.BluRay.x265.10bit.HDR.DTS-HD.MA.7.1-GROUP.mkv",
        b"piece length": piece_length,
        b"pieces": _pieces(length // piece_length, 1),
        b"private": 1,
        b"source": b"EXAMPLE",
    }
    return bencode.encode(_top(info))


def multi_file_torrent(count: int, seed: int) -> bytes:
    """A season-pack style torrent with `count` files in a few levels of directories."""
    rng = random.Random(seed)
    files = []
    total = 0
    for i in range(count):
        season, episode = divmod(i, 40)
        kind = rng.choice([b"mkv", b"nfo", b"srt", b"en.srt", b"jpg"])
        name = b"Show.Name.S%02dE%02d.1080p.WEB-DL.DDP5.1.H.264-GROUP.%s" % (
            season + 1,
            episode + 1,
            kind,
        )
        path = [b"Season %02d" % (season + 1), name]
        if kind.endswith(b"srt"):
            path.insert(1, b"Subs")
        length = rng.randrange(1_000, 2 * GIB) if kind == b"mkv" else rng.randrange(100, 200_000)
        files.append({b"length": length, b"path": path})
        total += length
    piece_length = 16 * MIB
    info = {
        b"files": files,
        b"name": b"Show.Name.COMPLETE.1080p.WEB-DL.DDP5.1.H.264-GROUP",
        b"piece length": piece_length,
        b"pieces": _pieces(-(-total // piece_length), seed),
    }
    return bencode.encode(_top(info))


Impl = tuple[str, Callable[[bytes], Any], Callable[[Any], bytes]]
IMPLS: list[Impl] = [
    ("torrentstack", bencode.decode, bencode.encode),
    ("fastbencode", fastbencode.bdecode, fastbencode.bencode),  # type: ignore[attr-defined]
    ("bencode.py", bencodepy.decode, bencodepy.encode),
]


def _best(fn: Callable[[Any], Any], arg: Any, inner: int) -> float:
    start = time.perf_counter()
    for _ in range(inner):
        fn(arg)
    return (time.perf_counter() - start) / inner


def measure(data: bytes, rounds: int) -> dict[tuple[str, str], float]:
    """Return the best seconds per call for each (implementation, operation)."""
    value = bencode.decode(data)
    for name, dec, enc in IMPLS:
        if dec(data) != value or enc(value) != data:
            sys.exit(f"{name} disagrees with torrentstack on the benchmark data")
    # Calibrate so that one timed batch of the slowest call takes ~20 ms.
    slowest = max(_best(f, a, 1) for _, d, e in IMPLS for f, a in ((d, data), (e, value)))
    inner = max(1, int(0.02 / max(slowest, 1e-9)))
    best: dict[tuple[str, str], float] = {}
    for _ in range(rounds):  # interleaved, so a CPU speed swing hits every implementation
        for name, dec, enc in IMPLS:
            for op, fn, arg in (("decode", dec, data), ("encode", enc, value)):
                t = _best(fn, arg, inner)
                best[name, op] = min(best.get((name, op), t), t)
    return best


def main() -> None:
    """Build the torrents, time every implementation and print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15, help="timed rounds per measurement")
    args = parser.parse_args()
    cases = [
        ("single file, 16,384 pieces", single_file_torrent()),
        ("1,000 files", multi_file_torrent(1_000, 2)),
        ("10,000 files", multi_file_torrent(10_000, 3)),
    ]
    print(
        f"Python {sys.version.split()[0]}, fastbencode {fastbencode.__version__}, best of {args.rounds}\n"
    )
    print(
        "| torrent | size | op | torrentstack | fastbencode | bencode.py "
        "| ours/fastbencode | ours/bencode.py |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    for label, data in cases:
        best = measure(data, args.rounds)
        mb = len(data) / 1e6
        for op in ("decode", "encode"):
            cells = []
            for name, _, _ in IMPLS:
                t = best[name, op]
                cells.append(f"{mb / t:,.0f} MB/s ({1 / t:,.0f}/s)")
            ours = best["torrentstack", op]
            # A ratio above 1 means we take longer than the other implementation.
            vs_fast = ours / best["fastbencode", op]
            vs_py = ours / best["bencode.py", op]
            print(
                f"| {label} | {len(data) / 1e3:,.0f} KB | {op} | "
                + " | ".join(cells)
                + f" | {vs_fast:.2f}x time | {vs_py:.2f}x time |"
            )


if __name__ == "__main__":
    main()
