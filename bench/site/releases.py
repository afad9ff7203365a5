"""Generated torrents for the site search benchmark: scene-style release names (shows, movies,
music, games, software, books) over a vocabulary with a long tail, a 32-category tree, tags.

Deterministic for a given seed. Word popularity follows a power law, so some words are in
a third of all names (`1080p`, `x264`), some in a few thousand, most in a handful.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass


def _cumulative(weights: Sequence[float]) -> list[float]:
    """Cumulative weights, so that each `random.choices` does not sum them again."""
    return list(itertools.accumulate(weights))


# (id, name, parent id, newznab id): TV/HD has children of its own (a three-level tree)
CATEGORIES = [
    (1, "Movies", None, 2000),
    (2, "Movies/SD", 1, 2030),
    (3, "Movies/HD", 1, 2040),
    (4, "Movies/UHD", 1, 2045),
    (5, "Movies/BluRay", 1, 2050),
    (6, "Movies/3D", 1, 2060),
    (7, "Movies/DVD", 1, 2070),
    (8, "TV", None, 5000),
    (9, "TV/SD", 8, 5030),
    (10, "TV/HD", 8, 5040),
    (11, "TV/HD/WEB", 10, None),
    (12, "TV/HD/HDTV", 10, None),
    (13, "TV/UHD", 8, 5045),
    (14, "TV/Anime", 8, 5070),
    (15, "TV/Documentary", 8, 5080),
    (16, "TV/Sport", 8, 5060),
    (17, "Audio", None, 3000),
    (18, "Audio/MP3", 17, 3010),
    (19, "Audio/Lossless", 17, 3040),
    (20, "Audio/Audiobook", 17, 3030),
    (21, "Audio/Video", 17, 3020),
    (22, "PC", None, 4000),
    (23, "PC/Games", 22, 4050),
    (24, "PC/Mac", 22, 4030),
    (25, "PC/Software", 22, 4020),
    (26, "Books", None, 7000),
    (27, "Books/Ebook", 26, 7020),
    (28, "Books/Comics", 26, 7030),
    (29, "Console", None, 1000),
    (30, "Console/Switch", 29, 1030),
    (31, "Console/PS", 29, 1080),
    (32, "Other", None, 8000),
]
TAGS = [
    "hdr", "dolby-vision", "atmos", "remux", "internal", "scene", "p2p", "proper", "repack",
    "subtitles", "dual-audio", "complete", "ongoing", "action", "comedy", "drama", "horror",
    "thriller", "scifi", "documentary", "family", "anime", "classic", "freeleech",
]  # fmt: skip
_TAG_WEIGHTS = _cumulative([1 / (i + 2) for i in range(len(TAGS))])

_ENGLISH = (  # noqa: SIM905 - a literal of 60 quoted words reads worse
    "the of and a in man night love life world dark last house dead war star day king girl "
    "story city blood black white red blue big little lost secret return rise fall game "
    "time new old home wild heart fire ice shadow moon sun road river island summer winter "
    "murder family doctor law school street town light edge code empire legacy"
).split()
_SYLLABLES = (  # noqa: SIM905
    "ka lo ri an be dor mi sen tra vel quin zar mo ne ul fi gra hol pe sta wyn ex or ta lin "
    "bru cas del fen gor hal jus kel mar nor pol ros sul tor vik wes yor zen ash bel cor"
).split()
RESOLUTIONS = ["1080p", "720p", "2160p", "480p"]
_RES_WEIGHTS = _cumulative([45, 30, 15, 10])
_SOURCES = ["WEB-DL", "WEBRip", "BluRay", "HDTV", "DVDRip", "AMZN.WEB-DL", "NF.WEBRip"]
_SOURCE_WEIGHTS = _cumulative([30, 20, 20, 12, 5, 8, 5])
_CODECS = ["x264", "x265", "H.264", "HEVC", "AV1"]
_CODEC_WEIGHTS = _cumulative([45, 25, 15, 12, 3])
_EXTRAS = ["REPACK", "PROPER", "HDR", "DV", "Atmos", "DTS-HD.MA.5.1", "DDP5.1", "REMASTERED"]
_KINDS = ["tv", "movie", "music", "game", "app", "book"]
_KIND_WEIGHTS = _cumulative([45, 30, 10, 5, 5, 5])
_AUDIO_FORMATS = ["FLAC", "MP3-320", "MP3-V0", "WEB-FLAC", "24BIT-FLAC"]
_BOOK_FORMATS = ["EPUB", "PDF", "MOBI", "CBR", "M4B"]


@dataclass(frozen=True, slots=True)
class Release:
    name: str
    title: str
    category_id: int
    tags: tuple[int, ...]  # 1-based ids into TAGS


class Releases:
    """A stream of generated releases; `Releases(seed).take(n)`."""

    def __init__(self, seed: int = 2026) -> None:
        self.rng = random.Random(seed)
        vocab = sorted({self._pseudo_word() for _ in range(40_000)})
        self.rng.shuffle(vocab)
        self.vocab = vocab
        self.vocab_weights = _cumulative([1 / (i + 10) ** 0.9 for i in range(len(vocab))])
        self.shows = [self._phrase(1, 3) for _ in range(6_000)]
        self.show_weights = _cumulative([1 / (i + 3) ** 1.1 for i in range(len(self.shows))])
        self.groups = [self._pseudo_word().upper()[:8] for _ in range(600)]
        self.group_weights = _cumulative([1 / (i + 5) for i in range(len(self.groups))])

    def _pseudo_word(self) -> str:
        return "".join(self.rng.choices(_SYLLABLES, k=self.rng.randint(2, 4)))

    def _phrase(self, least: int, most: int) -> str:
        words = []
        for _ in range(self.rng.randint(least, most)):
            if self.rng.random() < 0.35:
                words.append(self.rng.choice(_ENGLISH))
            else:
                words.append(self._pick(self.vocab, self.vocab_weights))
        return ".".join(w.capitalize() for w in words)

    def _pick(self, population: Sequence[str], weights: Sequence[float]) -> str:
        return self.rng.choices(population, cum_weights=weights)[0]

    def _video_tail(self) -> tuple[str, str]:
        res = self._pick(RESOLUTIONS, _RES_WEIGHTS)
        parts = [res]
        if self.rng.random() < 0.15:
            parts.append(self.rng.choice(_EXTRAS))
        parts += [self._pick(_SOURCES, _SOURCE_WEIGHTS), self._pick(_CODECS, _CODEC_WEIGHTS)]
        return res, ".".join(parts) + "-" + self._pick(self.groups, self.group_weights)

    def one(self) -> Release:
        rng = self.rng
        kind = self._pick(_KINDS, _KIND_WEIGHTS)
        group = self._pick(self.groups, self.group_weights)
        if kind == "tv":
            show = self._pick(self.shows, self.show_weights)
            res, tail = self._video_tail()
            season = f"S{rng.randint(1, 12):02d}"
            episode = ".COMPLETE" if rng.random() < 0.1 else f"E{rng.randint(1, 24):02d}"
            name = f"{show}.{season}{episode}.{tail}"
            category = {"2160p": 13, "480p": 9}.get(res, 11 if "WEB" in tail else 12)
            category = rng.choice([14, 15, 16]) if rng.random() < 0.15 else category
        elif kind == "movie":
            res, tail = self._video_tail()
            name = f"{self._phrase(1, 4)}.{rng.randint(1950, 2026)}.{tail}"
            category = {"2160p": 4, "480p": 2}.get(res, 3 if "BluRay" not in tail else 5)
            category = rng.choice([6, 7]) if rng.random() < 0.05 else category
        elif kind == "music":
            fmt = rng.choice(_AUDIO_FORMATS)
            artist, album = self._phrase(1, 2), self._phrase(1, 3)
            name = f"{artist}-{album}-{rng.randint(1960, 2026)}-{fmt}-{group}"
            category = 19 if "FLAC" in fmt else rng.choice([18, 18, 20, 21])
        elif kind == "game":
            name = f"{self._phrase(1, 3)}.{rng.choice(['', 'Update.v1.2.', 'GOTY.'])}{group}"
            category = rng.choice([23, 23, 23, 30, 31])
        elif kind == "app":
            version = f"v{rng.randint(1, 30)}.{rng.randint(0, 9)}.{rng.randint(0, 99)}"
            name = f"{self._phrase(1, 2)}.{version}.{rng.choice(['x64', 'macOS'])}-{group}"
            category = 24 if name.endswith(f"macOS-{group}") else 25
        else:
            author, book = self._phrase(2, 2), self._phrase(1, 4)
            fmt = rng.choice(_BOOK_FORMATS)
            name = f"{author} - {book} ({rng.randint(1900, 2026)}) [{fmt}]"
            category = 28 if fmt == "CBR" else (20 if fmt == "M4B" else 27)
        title = name if kind == "book" else name.replace(".", " ")
        count = rng.choices((0, 1, 2, 3), cum_weights=(30, 70, 90, 100))[0]
        tags = tuple(
            sorted(
                {i + 1 for i in rng.choices(range(len(TAGS)), cum_weights=_TAG_WEIGHTS, k=count)}
            )
        )
        return Release(name, title, category, tags)

    def take(self, count: int) -> Iterator[Release]:
        for _ in range(count):
            yield self.one()
