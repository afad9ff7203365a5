"""`sync/maindata`: qBittorrent 4.6's per-session incremental algorithm, each poll O(changes).

`MainData` holds the current serialised state (torrent objects without `hash`, categories,
tags, trackers → hashes) and tells every live `SyncSession` what changed. A session keeps a
snapshot of what its client has been sent and a buffer of changes since the rid the client
last acknowledged:

- rid 0, a missing rid, or one that is neither the last sent nor the last accepted: a full
  update (empty sections left out, as 4.6 does), snapshot taken, buffer cleared;
- the last sent rid: it becomes the accepted one, the buffer is cleared, new changes are diffed
  (changed torrents carry only the changed fields; new ones are whole);
- the last accepted rid again (a reply got lost): the buffer, with new changes merged in.

Adding and removing an item between two polls cancels out. The new rid is `last % 1000000 + 1`.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]
_RID_CYCLE = 1_000_000


class MainData:
    """The state every session syncs from; only changed items are announced to sessions."""

    def __init__(self) -> None:
        self.torrents: dict[str, Obj] = {}
        self.categories: dict[str, Obj] = {}
        self.tags: dict[str, None] = {}  # an ordered set
        self.trackers: dict[str, set[str]] = {}  # url -> torrent hashes
        self._sessions: weakref.WeakSet[SyncSession] = weakref.WeakSet()

    def session(self) -> SyncSession:
        session = SyncSession(self)
        self._sessions.add(session)
        return session

    # -- torrents --

    def put_torrent(self, hash_: str, obj: Obj) -> None:
        """Store a torrent's object; sessions hear of it only if something differs."""
        if self.torrents.get(hash_) == obj:
            return
        self.torrents[hash_] = obj
        for session in self._sessions:
            session.changed.add(hash_)
            session.removed.discard(hash_)

    def remove_torrent(self, hash_: str) -> None:
        if self.torrents.pop(hash_, None) is None:
            return
        for session in self._sessions:
            session.changed.discard(hash_)
            session.removed.add(hash_)

    # -- categories, tags, trackers --

    def put_category(self, name: str, obj: Obj) -> None:
        if self.categories.get(name) == obj:
            return
        self.categories[name] = obj
        self._touch("categories", name)

    def remove_category(self, name: str) -> None:
        if self.categories.pop(name, None) is not None:
            self._touch("categories", name)

    def add_tag(self, tag: str) -> None:
        if tag not in self.tags:
            self.tags[tag] = None
            self._touch("tags", tag)

    def remove_tag(self, tag: str) -> None:
        if tag in self.tags:
            del self.tags[tag]
            self._touch("tags", tag)

    def set_torrent_trackers(self, hash_: str, old: set[str], new: set[str]) -> None:
        """Move a torrent from the tracker URLs `old` to `new`."""
        for url in old - new:
            hashes = self.trackers.get(url)
            if hashes is not None:
                hashes.discard(hash_)
                if not hashes:
                    del self.trackers[url]
                self._touch("trackers", url)
        for url in new - old:
            self.trackers.setdefault(url, set()).add(hash_)
            self._touch("trackers", url)

    def _touch(self, section: str, key: str) -> None:
        for session in self._sessions:
            session.dirty[section].add(key)


def _sections() -> dict[str, set[str]]:
    return {"categories": set(), "tags": set(), "trackers": set()}


@dataclass(slots=True)
class _Buffer:
    """Changes since the client's accepted rid, merged."""

    torrents: dict[str, Obj] = field(default_factory=dict)
    torrents_removed: set[str] = field(default_factory=set)
    categories: dict[str, Obj] = field(default_factory=dict)
    categories_removed: set[str] = field(default_factory=set)
    tags: dict[str, None] = field(default_factory=dict)
    tags_removed: set[str] = field(default_factory=set)
    trackers: dict[str, list[str]] = field(default_factory=dict)
    trackers_removed: set[str] = field(default_factory=set)
    server_state: Obj = field(default_factory=dict)

    def body(self) -> Obj:
        out: Obj = {}
        if self.torrents:
            out["torrents"] = {h: dict(o) for h, o in self.torrents.items()}
        if self.torrents_removed:
            out["torrents_removed"] = sorted(self.torrents_removed)
        if self.categories:
            out["categories"] = {n: dict(o) for n, o in self.categories.items()}
        if self.categories_removed:
            out["categories_removed"] = sorted(self.categories_removed)
        if self.tags:
            out["tags"] = sorted(self.tags)
        if self.tags_removed:
            out["tags_removed"] = sorted(self.tags_removed)
        if self.trackers:
            out["trackers"] = {u: list(h) for u, h in self.trackers.items()}
        if self.trackers_removed:
            out["trackers_removed"] = sorted(self.trackers_removed)
        if self.server_state:
            out["server_state"] = dict(self.server_state)
        return out


class SyncSession:
    """One WebUI session's view of `MainData` (see the module docstring)."""

    def __init__(self, data: MainData) -> None:
        self.data = data
        self.changed: set[str] = set()
        self.removed: set[str] = set()
        self.dirty = _sections()
        self.last_sent = 0
        self.last_accepted = 0
        self._torrents: dict[str, Obj] | None = None  # snapshot: what the client has been sent
        self._categories: dict[str, Obj] = {}
        self._tags: set[str] = set()
        self._trackers: dict[str, frozenset[str]] = {}
        self._server_state: Obj = {}
        self._buffer = _Buffer()

    def poll(self, rid: int, server_state: Obj) -> Obj:
        if self._torrents is None or rid == 0 or rid not in (self.last_sent, self.last_accepted):
            body = self._full(server_state)
        else:
            if rid == self.last_sent and rid != self.last_accepted:
                self.last_accepted = rid
                self._buffer = _Buffer()
            elif rid == self.last_sent:  # the accepted rid was also the last sent one
                self._buffer = _Buffer()
            self._collect(server_state)
            body = self._buffer.body()
        self.last_sent = self.last_sent % _RID_CYCLE + 1
        body["rid"] = self.last_sent
        return body

    def _full(self, server_state: Obj) -> Obj:
        data = self.data
        self.changed.clear()
        self.removed.clear()
        self.dirty = _sections()
        self._buffer = _Buffer()
        self._torrents = dict(data.torrents)
        self._categories = dict(data.categories)
        self._tags = set(data.tags)
        self._trackers = {url: frozenset(h) for url, h in data.trackers.items()}
        self._server_state = dict(server_state)
        self.last_accepted = 0
        body: Obj = {"full_update": True}
        if self._torrents:
            body["torrents"] = self._torrents
        if self._categories:
            body["categories"] = self._categories
        if data.tags:
            body["tags"] = list(data.tags)
        if self._trackers:
            body["trackers"] = {url: sorted(h) for url, h in self._trackers.items()}
        body["server_state"] = dict(server_state)
        return body

    def _collect(self, server_state: Obj) -> None:
        """Diff what changed since the last poll into the buffer and the snapshot."""
        snapshot = self._torrents
        assert snapshot is not None  # noqa: S101 - poll() takes a full update first
        buffer = self._buffer
        current = self.data.torrents
        for hash_ in self.changed:
            new = current.get(hash_)
            if new is None:
                continue
            old = snapshot.get(hash_)
            snapshot[hash_] = new
            diff = new if old is None else {k: v for k, v in new.items() if old.get(k) != v}
            if diff:
                buffer.torrents.setdefault(hash_, {}).update(diff)
                buffer.torrents_removed.discard(hash_)
        for hash_ in self.removed:
            if snapshot.pop(hash_, None) is not None:
                buffer.torrents.pop(hash_, None)
                buffer.torrents_removed.add(hash_)
        self.changed = set()
        self.removed = set()
        self._collect_sections(buffer)
        for key, value in server_state.items():
            if self._server_state.get(key) != value:
                self._server_state[key] = value
                buffer.server_state[key] = value

    def _collect_sections(self, buffer: _Buffer) -> None:
        data = self.data
        dirty, self.dirty = self.dirty, _sections()
        for name in dirty["categories"]:
            obj = data.categories.get(name)
            if obj is None:
                if self._categories.pop(name, None) is not None:
                    buffer.categories.pop(name, None)
                    buffer.categories_removed.add(name)
            elif self._categories.get(name) != obj:
                self._categories[name] = obj
                buffer.categories[name] = obj
                buffer.categories_removed.discard(name)
        for tag in dirty["tags"]:
            if tag in data.tags and tag not in self._tags:
                self._tags.add(tag)
                buffer.tags[tag] = None
                buffer.tags_removed.discard(tag)
            elif tag not in data.tags and tag in self._tags:
                self._tags.discard(tag)
                buffer.tags.pop(tag, None)
                buffer.tags_removed.add(tag)
        for url in dirty["trackers"]:
            hashes = data.trackers.get(url)
            if hashes is None:
                if self._trackers.pop(url, None) is not None:
                    buffer.trackers.pop(url, None)
                    buffer.trackers_removed.add(url)
            elif self._trackers.get(url) != frozenset(hashes):
                self._trackers[url] = frozenset(hashes)
                buffer.trackers[url] = sorted(hashes)
                buffer.trackers_removed.discard(url)
