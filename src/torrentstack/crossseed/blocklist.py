"""The blocklist: `type:value` entries (name, nameRegex, folder, folderRegex, category, tag,
tracker, infoHash, sizeBelow, sizeAbove) and legacy plain strings, as cross-seed v6 reads them.

Entries are parsed once (`Blocklist.parse`); a malformed entry (an unknown type, a bad regex, a
size that is not a number) is a `BlocklistError` at configuration time, never a crash mid-search.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass

from torrentstack.errors import ConfigError

_TYPES = frozenset(
    [
        "name",
        "nameRegex",
        "folder",
        "folderRegex",
        "category",
        "tag",
        "tracker",
        "infoHash",
        "sizeBelow",
        "sizeAbove",
    ]
)


class BlocklistError(ConfigError):
    """A blocklist entry that cannot be read."""


@dataclass(frozen=True, slots=True)
class Blockable:
    """What a blocklist looks at: a searchee's or metafile's title, path, client labels, size."""

    title: str
    length: int
    info_hash: str | None = None
    path: str | None = None
    category: str | None = None
    tags: tuple[str, ...] | None = None
    trackers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Entry:
    raw: str
    kind: str
    value: str
    pattern: re.Pattern[str] | None = None
    size: int = 0

    def blocks(self, item: Blockable) -> bool:
        folder = posixpath.dirname(item.path) if item.path else None
        match self.kind:
            case "name":
                return self.value in item.title
            case "nameRegex":
                return self.pattern is not None and self.pattern.search(item.title) is not None
            case "folder":
                return folder is not None and self.value in folder
            case "folderRegex":
                return (
                    folder is not None
                    and self.pattern is not None
                    and self.pattern.search(folder) is not None
                )
            case "category":
                return self.value == item.category
            case "tag":
                if item.tags is None:
                    return False
                return self.value in item.tags if self.value else not item.tags
            case "tracker":
                return self.value in item.trackers
            case "infoHash":
                return self.value == item.info_hash
            case "sizeBelow":
                return item.length < self.size
            case "sizeAbove":
                return item.length > self.size
            case _:  # legacy: title substring, info hash or folder substring
                return (
                    self.raw in item.title
                    or self.raw == item.info_hash
                    or (folder is not None and self.raw in folder)
                )


def _entry(raw: str) -> _Entry:
    kind, sep, value = raw.partition(":")
    if not sep:
        return _Entry(raw, "legacy", raw)
    if kind not in _TYPES:
        raise BlocklistError(
            f"blocklist entry {raw!r}: unknown type {kind!r} (one of {', '.join(sorted(_TYPES))})"
        )
    if kind in ("nameRegex", "folderRegex"):
        try:
            return _Entry(raw, kind, value, pattern=re.compile(value))
        except re.error as exc:
            raise BlocklistError(f"blocklist entry {raw!r}: bad regular expression: {exc}") from exc
    if kind in ("sizeBelow", "sizeAbove"):
        digits = re.match(r"\s*[-+]?\d+", value)
        if digits is None:
            raise BlocklistError(f"blocklist entry {raw!r}: {kind} needs a size in bytes")
        return _Entry(raw, kind, value, size=int(digits.group()))
    return _Entry(raw, kind, value)


@dataclass(frozen=True, slots=True)
class Blocklist:
    entries: tuple[_Entry, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> Blocklist:
        return cls(tuple(_entry(e) for e in entries))

    def blocked_by(self, item: Blockable) -> str | None:
        """The first entry that blocks `item`, or None."""
        for entry in self.entries:
            if entry.blocks(item):
                return entry.raw
        return None

    def __bool__(self) -> bool:
        return bool(self.entries)
