"""Benchmark cross-seed's announce decision over a big library, in memory.

Run: .venv/bin/python bench/crossseed/run.py [--searchees N] [--announces N]

Builds N (default 100,000) generated searchees (scene names: season packs of 6-13 episode
files, single episodes, movies, anime; each a client torrent with its files) into a `Library`,
measures the process's resident memory before and after (per searchee), then times M announces
(default 2,000; half of them for content in the library, half for content that is not) through
the daemon's decision path: the library lookup, the prefilter, the name and size checks, and for
the paired searchees the file-tree decision against the announced torrent's files (the download
itself is not timed: it is network). Beside it, the same announces decided the way cross-seed
v6 does it, scanning every searchee for a same-element key within the Levenshtein bound (its
getSimilarByName, done here in Python with the same rapidfuzz distance so only the algorithm
differs). Prints a markdown table. Never part of the test suite.
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import resource
import statistics
import time
from collections.abc import Callable

from rapidfuzz.distance import Levenshtein

from torrentstack.crossseed.decide import assess_candidate, assess_metafile
from torrentstack.crossseed.library import Library, name_keys
from torrentstack.crossseed.pipeline import _order
from torrentstack.crossseed.prefilter import FilterOptions, Trigger, why_excluded
from torrentstack.crossseed.searchee import Candidate, Metafile, Searchee, files_of

WORDS = [
    "the",
    "a",
    "of",
    "and",
    "night",
    "city",
    "dark",
    "house",
    "last",
    "blue",
    "king",
    "queen",
    "black",
    "red",
    "white",
    "star",
    "lost",
    "dead",
    "love",
    "war",
    "man",
    "world",
    "life",
    "time",
    "blood",
    "secret",
    "game",
    "story",
    "summer",
    "winter",
    "river",
    "fire",
    "iron",
    "shadow",
    "silent",
    "broken",
    "wild",
    "little",
    "big",
    "new",
    "old",
    "golden",
    "hidden",
    "empire",
    "station",
    "crown",
    "detective",
    "doctor",
    "family",
    "office",
    "island",
    "mountain",
    "ocean",
    "garden",
    "hunter",
    "runner",
    "ghost",
    "witness",
    "legacy",
    "frontier",
    "harbor",
    "signal",
    "orbit",
    "echo",
    "vault",
    "paradise",
    "kingdom",
    "republic",
    "saga",
    "chronicles",
]
GROUPS = [
    "NTb",
    "FLUX",
    "KiNGS",
    "SPARKS",
    "GGEZ",
    "CAKES",
    "EDITH",
    "SiGMA",
    "NOGRP",
    "TEPES",
    "BLUTONiUM",
    "RARBG",
]
SOURCES = ("AMZN.WEB-DL", "NF.WEB-DL", "WEB-DL", "BluRay", "HDTV", "ATVP.WEB-DL", "WEBRip")
RES = ("720p", "1080p", "2160p")
GiB = 1 << 30


def _title(rng: random.Random) -> str:
    return ".".join(w.capitalize() for w in rng.sample(WORDS, rng.randint(2, 4)))


def _hash(rng: random.Random) -> str:
    return f"{rng.getrandbits(160):040x}"


def generate(n: int, seed: int = 7) -> list[Searchee]:
    rng = random.Random(seed)
    shows = [_title(rng) for _ in range(max(n // 20, 1))]
    out: list[Searchee] = []
    while len(out) < n:
        kind = rng.random()
        res, src, grp = rng.choice(RES), rng.choice(SOURCES), rng.choice(GROUPS)
        if kind < 0.3:  # season pack
            show, season = rng.choice(shows), rng.randint(1, 8)
            name = f"{show}.S{season:02d}.{res}.{src}.DDP5.1.H.264-{grp}"
            files = [
                (
                    f"{name}/{show}.S{season:02d}E{e:02d}.{res}.{src}.DDP5.1.H.264-{grp}.mkv",
                    rng.randint(GiB // 2, 3 * GiB),
                )
                for e in range(1, rng.randint(6, 13) + 1)
            ]
            files.append((f"{name}/{grp}.nfo", rng.randint(1000, 9000)))
        elif kind < 0.6:  # single episode
            show = rng.choice(shows)
            name = f"{show}.S{rng.randint(1, 8):02d}E{rng.randint(1, 12):02d}.{res}.{src}-{grp}"
            files = [(f"{name}.mkv", rng.randint(GiB // 3, 4 * GiB))]
        elif kind < 0.9:  # movie
            name = f"{_title(rng)}.{rng.randint(1960, 2025)}.{res}.{src}.x264-{grp}"
            files = [(f"{name}/{name}.mkv", rng.randint(2 * GiB, 30 * GiB))]
        else:  # anime
            name = f"[{grp}] {_title(rng).replace('.', ' ')} - {rng.randint(1, 900):02d} ({res})"
            files = [(f"{name}.mkv", rng.randint(GiB // 4, GiB))]
        out.append(
            Searchee(
                name=name,
                files=files_of(files),
                info_hash=_hash(rng),
                save_path="/data/torrents",
                client="qbittorrent:http://127.0.0.1:8080",
            )
        )
    return out


def announces(library: list[Searchee], m: int, seed: int = 11) -> list[tuple[Candidate, Metafile]]:
    """Half for content in the library (another tracker's torrent of it), half not."""
    rng = random.Random(seed)
    out = []
    for i in range(m):
        if i % 2 == 0:
            s = rng.choice(library)
            meta = Metafile(s.name, _hash(rng), 4 << 20, s.files)
        else:
            name = f"{_title(rng)}.S0{rng.randint(1, 9)}E0{rng.randint(1, 9)}.1080p.WEB-DL-NEW"
            meta = Metafile(name, _hash(rng), 4 << 20, files_of([(f"{name}.mkv", GiB)]))
        link = f"http://127.0.0.1:9/dl/{meta.info_hash}.torrent"
        out.append((Candidate(meta.name, link, link, "Other", size=meta.length), meta))
    return out


def decide_ours(lib: Library, options: FilterOptions, c: Candidate, meta: Metafile) -> int:
    found = [
        s
        for s in lib.similar(c.name, c.size, options.match.fuzzy_size_threshold)
        if why_excluded(s, Trigger.ANNOUNCE, options) is None
    ]
    matches = 0
    for s in sorted(found, key=_order):
        if assess_candidate(s, c, options.match) is None:
            matches += assess_metafile(s, meta, options.match).is_match
    return matches


def decide_linear(rows: list[tuple[tuple[str, ...], str | None, Searchee]], c: Candidate) -> int:
    """cross-seed v6's reverse lookup: every row's keys against the candidate's."""
    keys = name_keys(c.name)
    if keys is None:
        return 0
    bound = min(len(k) for k in keys.key_titles) // 3
    hits = 0
    for titles, element, _s in rows:
        if element != keys.element:
            continue
        limit = min(bound, min(len(t) for t in titles) // 3)
        if any(
            Levenshtein.distance(a, b, score_cutoff=limit) <= limit
            for a in keys.key_titles
            for b in titles
        ):
            hits += 1
    return hits


def _rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / (1 << 20)


def _times(
    fn: Callable[[Candidate, Metafile], int], work: list[tuple[Candidate, Metafile]]
) -> list[float]:
    out = []
    for c, meta in work:
        t = time.perf_counter()
        fn(c, meta)
        out.append((time.perf_counter() - t) * 1000)
    return out


def _pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=1000)[int(p * 10) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--searchees", type=int, default=100_000)
    parser.add_argument("--announces", type=int, default=2_000)
    parser.add_argument("--linear", type=int, default=200, help="announces for the linear scan")
    args = parser.parse_args()

    gc.collect()
    before = _rss_mib()
    searchees = generate(args.searchees)
    lib = Library()
    for s in searchees:
        lib.add(s)
    gc.collect()
    after = _rss_mib()
    per = (after - before) * (1 << 20) / args.searchees
    files = sum(len(s.files) for s in searchees) / len(searchees)

    options = FilterOptions()
    work = announces(searchees, args.announces)
    _times(lambda c, m: decide_ours(lib, options, c, m), work[:200])  # warm-up
    ours = _times(lambda c, m: decide_ours(lib, options, c, m), work)
    matched = sum(decide_ours(lib, options, c, m) > 0 for c, m in work[::2])

    rows = []
    for s in searchees:
        k = name_keys(s.title)
        if k is not None:
            rows.append((k.key_titles, k.element, s))
    linear = _times(lambda c, m: decide_linear(rows, c), work[: args.linear])

    print(f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}")
    print(
        f"{args.searchees:,} searchees ({files:.1f} files each on average), "
        f"{args.announces:,} announces ({matched}/{len(work[::2])} of those for library "
        "content matched)\n"
    )
    print("| measure | ours (indexed) | cross-seed's linear scan (same distance code) | ratio |")
    print("|---|---|---|---|")
    for label, p in (("p50", 50), ("p99", 99)):
        a, b = _pct(ours, p), _pct(linear, p)
        print(f"| announce decision {label} | {a:.3f} ms | {b:.1f} ms | {b / a:,.0f}x faster |")
    print(f"| resident memory per searchee | {per / 1024:.2f} KB | (original: ~57 KB, #1015) | |")


if __name__ == "__main__":
    main()
