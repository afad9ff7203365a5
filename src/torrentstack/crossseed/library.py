"""The user's library as an index: which searchees might an announced name be?

cross-seed pairs an announced name with searchees that have the same *element* (episode `S1.5`,
season `S1`, daily `S2024.10.05`, anime release number, nothing for a movie) and a key title
within a Levenshtein distance of a third of the shorter key; a name with no keys falls back to
the whole name. The original computes that distance against every searchee for every announce
(O(library)); here the searchees are indexed by element, then by key-title length (a distance
of d needs lengths within d), with an exact-key dictionary in front; the fallback uses the
sizes, sorted, when the announce gives one. Distances are computed by rapidfuzz in C.
"""

from __future__ import annotations

import bisect
import sys
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import extract

from torrentstack.crossseed.release import (
    _ANIME_RE,
    EPISODE_RE,
    MOVIE_RE,
    SEASON_RE,
    all_titles,
    key_title,
    strip_extension,
)
from torrentstack.crossseed.searchee import Searchee

_DIVISOR = 3


@dataclass(frozen=True, slots=True)
class NameKeys:
    """A name's key titles and the element they pair on (None: a movie)."""

    key_titles: tuple[str, ...]
    element: str | None


def _keys(titles: list[str | None], element: str | None) -> NameKeys | None:
    keys = tuple(k for t in all_titles([t for t in titles if t]) if (k := key_title(t)))
    return NameKeys(keys, element) if keys else None


def name_keys(name: str) -> NameKeys | None:
    """The keys of a name, parsed as episode, season, movie or anime, in that order."""
    stem = strip_extension(name)
    if m := EPISODE_RE.match(stem):
        if m.group("ep") is not None:
            season = f"S{int(m.group('season')[1:])}." if m.group("season") else ""
            element = f"{season}{int(m.group('ep'))}"
        else:
            element = f"S{m.group('y')}.{m.group('m')}.{m.group('d')}"
        return _keys([m.group("title")], element)
    if m := SEASON_RE.match(stem):
        return _keys([m.group("title")], f"S{int(m.group('n'))}")
    if m := MOVIE_RE.match(stem):
        return _keys([m.group("title")], None)
    if m := _ANIME_RE.match(stem):
        titles = [
            t for t in (m.group("title"), m.group("alt")) if t and t.lower() not in ("season", "ep")
        ]
        return _keys(titles, f"#{int(m.group('rel'))}")
    return None


def _lengths_for(size: int, fuzz: float) -> tuple[float, float]:
    """The searchee lengths L that a listed `size` fits: L(1-f) <= size <= L(1+f)."""
    return size / (1 + fuzz), (size / (1 - fuzz) if fuzz < 1 else float("inf"))


def _max_distance(keys: Iterable[str]) -> int:
    return min(len(k) for k in keys) // _DIVISOR


class _Bucket:
    """Key titles of one element: exact lookup and by length. A key held by one searchee maps
    to its id, by several to a list (most keys are one searchee's: no list for those)."""

    __slots__ = ("by_key", "by_length", "size", "size_ids", "sizes")

    def __init__(self) -> None:
        self.by_key: dict[str, int | list[int]] = {}
        self.by_length: dict[int, list[str]] = {}
        self.size = 0
        self.sizes = array("q")  # its searchees' lengths, ascending (once per searchee)
        self.size_ids = array("q")  # their ids, in that order

    def window(self, size: int, fuzz: float) -> array[int]:
        """The ids of this bucket's searchees whose length is within `fuzz` of `size`."""
        low, high = _lengths_for(size, fuzz)
        return self.size_ids[
            bisect.bisect_left(self.sizes, low) : bisect.bisect_right(self.sizes, high)
        ]

    def enter(self, length: int, ident: int) -> None:
        at = bisect.bisect_right(self.sizes, length)
        self.sizes.insert(at, length)
        self.size_ids.insert(at, ident)

    def leave(self, length: int, ident: int) -> None:
        at = bisect.bisect_left(self.sizes, length)
        while at < len(self.sizes) and self.sizes[at] == length:
            if self.size_ids[at] == ident:
                del self.sizes[at]
                del self.size_ids[at]
                return
            at += 1

    def add(self, key: str, ident: int) -> None:
        held = self.by_key.get(key)
        self.size += 1
        if held is None:
            self.by_key[key] = ident
            self.by_length.setdefault(len(key), []).append(key)
        elif isinstance(held, list):
            held.append(ident)
        else:
            self.by_key[key] = [held, ident]

    def remove(self, key: str, ident: int) -> None:
        held = self.by_key.get(key)
        if held is None:
            return
        if isinstance(held, list):
            if ident in held:
                held.remove(ident)
                self.size -= 1
            if len(held) == 1:
                self.by_key[key] = held[0]
            return
        if held == ident:
            self.size -= 1
            del self.by_key[key]
            self.by_length[len(key)].remove(key)

    def ids(self, key: str) -> list[int]:
        held = self.by_key.get(key)
        if held is None:
            return []
        return held if isinstance(held, list) else [held]

    def near(self, key: str, limit: int) -> Iterator[int]:
        """Ids whose key is within `limit` and within their own key's third of `key`."""
        yield from self.ids(key)
        for length in range(len(key) - limit, len(key) + limit + 1):
            choices = self.by_length.get(length)
            if not choices:
                continue
            own = min(limit, length // _DIVISOR)
            for other, dist, _ in extract(
                key, choices, scorer=Levenshtein.distance, score_cutoff=own, limit=None
            ):
                if other != key and dist <= own:
                    yield from self.ids(other)


class Library:
    """Every searchee the user has, indexed for announce lookups; ids are stable until removal.

    Per searchee it keeps the searchee, its keys in one bucket, and its info hash or path in a
    dictionary; sizes are sorted on demand into two arrays (after a change, at the next lookup
    by size)."""

    def __init__(self) -> None:
        self._entries: list[Searchee | None] = []
        self._keys: list[tuple[str, ...] | None] = []  # key titles by id (the bucket's strings)
        self._count = 0
        self._buckets: dict[str | None, _Bucket] = {}
        self._by_hash: dict[str, int] = {}
        self._by_path: dict[str, int] = {}
        self._sizes = array("q")  # lengths, ascending
        self._size_ids = array("q")  # the ids in that order
        self._sorted = True

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Searchee]:
        return (s for s in self._entries if s is not None)

    def add(self, searchee: Searchee) -> int:
        """Add (or replace the entry with the same info hash or path) and return its id."""
        old = self._by_hash.get(searchee.info_hash or "")
        if old is None:
            old = self._by_path.get(searchee.path or "")
        if old is not None:
            self.remove(old)
        ident = len(self._entries)
        self._entries.append(searchee)
        self._count += 1
        keys = name_keys(searchee.title)
        if keys is None:
            self._keys.append(None)
        else:
            bucket = self._buckets.get(keys.element)
            if bucket is None:
                bucket = self._buckets[keys.element] = _Bucket()
            shared = tuple(sys.intern(k) for k in keys.key_titles)  # one copy of each key
            for k in shared:
                bucket.add(k, ident)
            bucket.enter(searchee.length, ident)
            self._keys.append(shared)
        self._sorted = False
        if searchee.info_hash:
            self._by_hash[searchee.info_hash] = ident
        if searchee.path:
            self._by_path[searchee.path] = ident
        return ident

    def remove(self, ident: int) -> None:
        searchee = self._entries[ident] if 0 <= ident < len(self._entries) else None
        if searchee is None:
            return
        self._entries[ident] = None
        self._keys[ident] = None
        self._count -= 1
        keys = name_keys(searchee.title)
        if keys is not None:
            bucket = self._buckets[keys.element]
            for k in keys.key_titles:
                bucket.remove(k, ident)
            bucket.leave(searchee.length, ident)
        self._sorted = False
        if searchee.info_hash and self._by_hash.get(searchee.info_hash) == ident:
            del self._by_hash[searchee.info_hash]
        if searchee.path and self._by_path.get(searchee.path) == ident:
            del self._by_path[searchee.path]

    def replace(self, searchees: Iterable[Searchee]) -> None:
        """Make the library exactly `searchees` (a re-read of a client or folder)."""
        wanted = list(searchees)
        keep = {s.info_hash or s.path for s in wanted}
        for number, held in enumerate(self._entries):
            if held is not None and (held.info_hash or held.path) not in keep:
                self.remove(number)
        for s in wanted:
            ident = self._by_hash.get(s.info_hash or "")
            if ident is None:
                ident = self._by_path.get(s.path or "")
            if ident is None or self._entries[ident] != s:
                self.add(s)
        if len(self._entries) > 2 * self._count + 1024:
            self._compact()

    def _compact(self) -> None:
        kept = [s for s in self._entries if s is not None]
        self.__init__()  # type: ignore[misc]
        for s in kept:
            self.add(s)

    def by_info_hash(self, info_hash: str) -> Searchee | None:
        ident = self._by_hash.get(info_hash.lower())
        return None if ident is None else self._entries[ident]

    def by_path(self, path: str) -> Searchee | None:
        ident = self._by_path.get(path)
        return None if ident is None else self._entries[ident]

    def info_hashes(self) -> set[str]:
        return set(self._by_hash)

    def similar(self, name: str, size: int | None = None, fuzz: float = 0.02) -> list[Searchee]:
        """Searchees an announced `name` may be (cross-seed's getSimilarByName).

        With a size, only searchees within the fuzzy size range can be a match (any other is a
        FUZZY_SIZE_MISMATCH): the name's bucket is read by size, a binary search.
        """
        keys = name_keys(name)
        found: dict[int, None] = {}
        if keys is not None:
            bucket = self._buckets.get(keys.element)
            if bucket is None:
                return []
            if size:
                found.update(dict.fromkeys(self._close_in(keys, bucket.window(size, fuzz))))
            else:
                limit = _max_distance(keys.key_titles)
                for k in keys.key_titles:
                    found.update(dict.fromkeys(bucket.near(k, limit)))
        elif size:
            found.update(dict.fromkeys(self._fuzzy_by_size(strip_extension(name), size, fuzz)))
        return [s for i in found if (s := self._entries[i]) is not None]

    def _close_in(self, keys: NameKeys, ids: array[int]) -> Iterator[int]:
        """The ids whose keys pair with `keys` (cross-seed's rule), distances computed in C."""
        owners: list[int] = []
        choices: list[str] = []
        for ident in ids:
            for key in self._keys[ident] or ():
                owners.append(ident)
                choices.append(key)
        limit = _max_distance(keys.key_titles)
        for mine in keys.key_titles:
            for _, dist, at in extract(
                mine, choices, scorer=Levenshtein.distance, score_cutoff=limit, limit=None
            ):
                ident = owners[at]
                if dist <= min(limit, _max_distance(self._keys[ident] or ("",))):
                    yield ident

    def _size_window(self, size: int, fuzz: float) -> array[int]:
        if not self._sorted:
            order = sorted((s.length, i) for i, s in enumerate(self._entries) if s is not None)
            self._sizes = array("q", (length for length, _ in order))
            self._size_ids = array("q", (i for _, i in order))
            self._sorted = True
        low, high = _lengths_for(size, fuzz)
        return self._size_ids[
            bisect.bisect_left(self._sizes, low) : bisect.bisect_right(self._sizes, high)
        ]

    def _fuzzy_by_size(self, stem: str, size: int, fuzz: float) -> Iterator[int]:
        limit = len(stem) // _DIVISOR
        for ident in self._size_window(size, fuzz):
            searchee = self._entries[ident]
            if searchee is None:
                continue
            other = strip_extension(searchee.title)
            own = min(limit, len(other) // _DIVISOR)
            if Levenshtein.distance(stem, other, score_cutoff=own) <= own:
                yield ident
