"""What the WebDAV tree shows: the `DavSource` seam the bridge implements, and the resolution
of a path under `/webdav` into a folder (with its children) or a file. No HTTP here.

Layout (Decypharr 1.1.6's): `/<provider>/{__all__,torrents,__bad__,version.txt}`, then
`<item>/<file>`; `torrents` is its second name for `__all__`, `__bad__` (its broken items) is
always empty here, since an item the bridge knows to be broken is not finished.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from torrentstack import __version__


@dataclass(frozen=True, slots=True)
class DavFile:
    path: str  # inside the item, `/` separators (may contain sub-folders)
    size: int


@dataclass(frozen=True, slots=True)
class DavItem:
    name: str  # the item's folder (a single-file torrent is a folder holding its file)
    modified: datetime  # UTC
    files: tuple[DavFile, ...]


class DavSource(Protocol):
    """What the tree shows and streams; the bridge's core implements it."""

    def providers(self) -> list[str]:
        """The configured providers' names."""
        ...

    def items(self, provider: str) -> list[DavItem]:
        """The finished items at that provider."""
        ...

    def stream(
        self, provider: str, item: str, path: str, start: int, end: int | None
    ) -> AsyncIterator[bytes]:
        """The bytes of one file from `start` to `end` (inclusive); `ProviderError` on failure."""
        ...


ALL = "__all__"
_GROUPS = (ALL, "torrents", "__bad__")
VERSION_FILE = "version.txt"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Entry:
    """A resolved path: a folder, or a file with where its bytes come from."""

    segments: tuple[str, ...]  # under /webdav
    collection: bool
    size: int = 0
    modified: datetime = EPOCH
    children: tuple[Entry, ...] = ()  # a folder's, when it was resolved itself
    provider: str = ""  # a file: where to stream it from
    item: str = ""
    path: str = ""
    content: bytes | None = None  # a file served from memory (version.txt)

    @property
    def name(self) -> str:
        return self.segments[-1] if self.segments else "webdav"


def resolve(source: DavSource, segments: tuple[str, ...]) -> Entry | None:
    """The entry at `segments` (the decoded names under /webdav), or None."""
    providers = [name for name in source.providers() if _addressable(name)]
    if not segments:
        return _folder((), [_folder((name,), [], _latest(source, name)) for name in providers])
    provider = segments[0]
    if provider not in providers:
        return None
    if len(segments) == 1:
        latest = _latest(source, provider)
        groups = [_folder((provider, group), [], latest) for group in _GROUPS]
        return _folder((provider,), [*groups, _version(provider)], latest)
    group = segments[1]
    if len(segments) == 2 and group == VERSION_FILE:
        return _version(provider)
    if group not in _GROUPS:
        return None
    items = _items(source, provider) if group != "__bad__" else {}
    if len(segments) == 2:
        children = [_folder((provider, group, n), [], item.modified) for n, item in items.items()]
        return _folder((provider, group), children, _latest_of(items.values()))
    item = items.get(segments[2])
    if item is None:
        return None
    entry = _item_folder(provider, (provider, group, item.name), item)
    for name in segments[3:]:
        found = next((child for child in entry.children if child.name == name), None)
        if found is None:
            return None
        entry = found
    return entry


def _folder(
    segments: tuple[str, ...], children: Iterable[Entry], modified: datetime | None = None
) -> Entry:
    children = tuple(children)
    if modified is None:
        modified = max((child.modified for child in children), default=EPOCH)
    return Entry(segments, collection=True, modified=modified, children=children)


def _addressable(name: str) -> bool:
    # a name with a slash could be listed but never asked for (the path is split at it)
    return name not in ("", ".", "..") and "/" not in name


def _items(source: DavSource, provider: str) -> dict[str, DavItem]:
    found: dict[str, DavItem] = {}
    for item in source.items(provider):
        if _addressable(item.name):
            found.setdefault(item.name, item)  # two items of one name: the first one shows
    return dict(sorted(found.items()))


def _latest_of(items: Iterable[DavItem]) -> datetime:
    return max((item.modified for item in items), default=EPOCH)


def _latest(source: DavSource, provider: str) -> datetime:
    return _latest_of(source.items(provider))


def _version(provider: str) -> Entry:
    content = f"torrentstack-{__version__}".encode()
    return Entry((provider, VERSION_FILE), False, size=len(content), content=content)


def _split(path: str) -> tuple[str, ...] | None:
    parts = tuple(part for part in path.split("/") if part not in ("", "."))
    return None if not parts or ".." in parts else parts


def _item_folder(provider: str, base: tuple[str, ...], item: DavItem) -> Entry:
    """An item's folder holding its files, with the sub-folders their paths name."""
    files: dict[tuple[str, ...], DavFile] = {}
    folders: set[tuple[str, ...]] = {()}
    for file in item.files:
        parts = _split(file.path)
        if parts is None or parts in files or parts in folders:
            continue
        prefixes = [parts[:i] for i in range(1, len(parts))]
        if any(prefix in files for prefix in prefixes):
            continue  # a file where this path needs a folder: the first one wins
        files[parts] = file
        folders.update(prefixes)

    def build(folder: tuple[str, ...]) -> Entry:
        children = [
            build(sub) for sub in folders if len(sub) == len(folder) + 1 and sub[:-1] == folder
        ]
        children += [
            Entry(
                (*base, *parts),
                collection=False,
                size=max(file.size, 0),
                modified=item.modified,
                provider=provider,
                item=item.name,
                path=file.path,
            )
            for parts, file in files.items()
            if parts[:-1] == folder
        ]
        children.sort(key=lambda child: child.name)
        return _folder((*base, *folder), children, item.modified)

    return build(())
