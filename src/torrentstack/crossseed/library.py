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


def _max_distance(keys: Iterable[str]) -> int:
    return min(len(k) for k in keys) // _DIVISOR


class _Bucket:
    """Key titles of one element: exact lookup and by length."""

    __slots__ = ("by_key", "by_length")

    def __init__(self) -> None:
        self.by_key: dict[str, list[int]] = {}
        self.by_length: dict[int, list[str]] = {}

    def add(self, key: str, ident: int) -> None:
        ids = self.by_key.get(key)
        if ids is None:
            self.by_key[key] = [ident]
            self.by_length.setdefault(len(key), []).append(key)
        else:
            ids.append(ident)

    def remove(self, key: str, ident: int) -> None:
        ids = self.by_key.get(key)
        if ids is None or ident not in ids:
            return
        ids.remove(ident)
        if not ids:
            del self.by_key[key]
            self.by_length[len(key)].remove(key)

    def near(self, key: str, limit: int) -> Iterator[int]:
        """Ids whose key is within `limit` and within their own key's third of `key`."""
        exact = self.by_key.get(key)
        if exact:
            yield from exact
        for length in range(len(key) - limit, len(key) + limit + 1):
            choices = self.by_length.get(length)
            if not choices:
                continue
            own = min(limit, length // _DIVISOR)
            for other, dist, _ in extract(
                key, choices, scorer=Levenshtein.distance, score_cutoff=own, limit=None
            ):
                if other != key and dist <= own:
                    yield from self.by_key[other]


class Library:
    """Every searchee the user has, indexed for announce lookups; ids are stable until removal."""

    def __init__(self) -> None:
        self._entries: dict[int, Searchee] = {}
        self._keys: dict[int, NameKeys | None] = {}
        self._buckets: dict[str | None, _Bucket] = {}
        self._by_hash: dict[str, int] = {}
        self._by_path: dict[str, int] = {}
        self._unkeyed: list[tuple[int, int]] = []  # (length, id), sorted: the size fallback
        self._next = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Searchee]:
        return iter(self._entries.values())

    def add(self, searchee: Searchee) -> int:
        """Add (or replace the entry with the same info hash or path) and return its id."""
        old = self._by_hash.get(searchee.info_hash or "") or self._by_path.get(searchee.path or "")
        if old is not None:
            self.remove(old)
        ident = self._next
        self._next += 1
        self._entries[ident] = searchee
        keys = name_keys(searchee.title)
        self._keys[ident] = keys
        if keys is not None:
            bucket = self._buckets.get(keys.element)
            if bucket is None:
                bucket = self._buckets[keys.element] = _Bucket()
            for k in keys.key_titles:
                bucket.add(k, ident)
        bisect.insort(self._unkeyed, (searchee.length, ident))
        if searchee.info_hash:
            self._by_hash[searchee.info_hash] = ident
        if searchee.path:
            self._by_path[searchee.path] = ident
        return ident

    def remove(self, ident: int) -> None:
        searchee = self._entries.pop(ident, None)
        if searchee is None:
            return
        keys = self._keys.pop(ident)
        if keys is not None:
            bucket = self._buckets[keys.element]
            for k in keys.key_titles:
                bucket.remove(k, ident)
        i = bisect.bisect_left(self._unkeyed, (searchee.length, ident))
        if i < len(self._unkeyed) and self._unkeyed[i] == (searchee.length, ident):
            del self._unkeyed[i]
        if searchee.info_hash and self._by_hash.get(searchee.info_hash) == ident:
            del self._by_hash[searchee.info_hash]
        if searchee.path and self._by_path.get(searchee.path) == ident:
            del self._by_path[searchee.path]

    def replace(self, searchees: Iterable[Searchee]) -> None:
        """Make the library exactly `searchees` (a re-read of a client or folder)."""
        wanted = list(searchees)
        keep = {s.info_hash or s.path for s in wanted}
        for ident, s in list(self._entries.items()):
            if (s.info_hash or s.path) not in keep:
                self.remove(ident)
        for s in wanted:
            ident = self._by_hash.get(s.info_hash or "") or self._by_path.get(s.path or "")
            if ident is None or self._entries[ident] != s:
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
        """Searchees an announced `name` may be (cross-seed's getSimilarByName)."""
        keys = name_keys(name)
        found: dict[int, None] = {}
        if keys is not None:
            bucket = self._buckets.get(keys.element)
            if bucket is not None:
                limit = _max_distance(keys.key_titles)
                for k in keys.key_titles:
                    found.update(dict.fromkeys(bucket.near(k, limit)))
        elif size:
            found.update(dict.fromkeys(self._fuzzy_by_size(strip_extension(name), size, fuzz)))
        return [self._entries[i] for i in found]

    def _fuzzy_by_size(self, stem: str, size: int, fuzz: float) -> Iterator[int]:
        low = bisect.bisect_left(self._unkeyed, (int(size * (1 - fuzz)), -1))
        high = bisect.bisect_right(self._unkeyed, (int(size * (1 + fuzz)) + 1, -1))
        limit = len(stem) // _DIVISOR
        for _, ident in self._unkeyed[low:high]:
            other = strip_extension(self._entries[ident].title)
            own = min(limit, len(other) // _DIVISOR)
            if Levenshtein.distance(stem, other, score_cutoff=own) <= own:
                yield ident
