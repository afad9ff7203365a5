r"""The RSS folder/feed tree (`\` separates path parts) with qBittorrent's rules and 409 texts.
Pure: `RssTree` changes paths and answers `feeds.json`'s shape; the session does the I/O."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from torrentstack.qbittorrent.errors import Conflict

SEPARATOR = "\\"
_VALID_PATH = re.compile(r"[^\\]+(\\[^\\]+)*")


@dataclass(slots=True)
class FeedNode:
    uid: str  # qBittorrent's QUuid text: "{xxxxxxxx-xxxx-...}"
    url: str

    @property
    def file_stem(self) -> str:
        """The articles file's name, as qBittorrent's: the uid's 16 bytes in hex."""
        return uuid.UUID(self.uid.strip("{}")).hex


class FolderNode:
    __slots__ = ()


Node = FeedNode | FolderNode


def parent_path(path: str) -> str:
    return path.rpartition(SEPARATOR)[0]


def name_of(path: str) -> str:
    return path.rpartition(SEPARATOR)[2]


def join_path(parent: str, name: str) -> str:
    return f"{parent}{SEPARATOR}{name}" if parent else name


def new_uid() -> str:
    return "{" + str(uuid.uuid4()) + "}"


class RssTree:
    """Every item by its full path ("" is the root folder); feeds also by URL."""

    def __init__(self) -> None:
        self.items: dict[str, Node] = {"": FolderNode()}

    # -- reading --

    def feeds(self) -> dict[str, FeedNode]:
        """Feed path -> feed."""
        return {path: n for path, n in self.items.items() if isinstance(n, FeedNode)}

    def feed_by_url(self, url: str) -> tuple[str, FeedNode] | None:
        for path, node in self.feeds().items():
            if node.url == url:
                return path, node
        return None

    def feeds_under(self, path: str) -> dict[str, FeedNode]:
        """The feed at `path`, or every feed below the folder at `path` (all for "")."""
        node = self.items.get(path)
        if isinstance(node, FeedNode):
            return {path: node}
        if node is None:
            return {}
        return {p: n for p, n in self.feeds().items() if _below(p, path)}

    def children(self, path: str) -> list[str]:
        return sorted(p for p in self.items if p and parent_path(p) == path)

    def to_json(self, path: str = "") -> dict[str, Any]:
        """`feeds.json` (and `rss/items` without data): folders as objects, feeds as uid+url."""
        out: dict[str, Any] = {}
        for child in self.children(path):
            node = self.items[child]
            if isinstance(node, FeedNode):
                out[name_of(child)] = {"uid": node.uid, "url": node.url}
            else:
                out[name_of(child)] = self.to_json(child)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RssTree:
        """Read `feeds.json`; entries that are not well formed are left out."""
        tree = cls()
        tree._load(data, "")
        return tree

    def _load(self, data: dict[str, Any], folder: str) -> None:
        for name, value in data.items():
            path = join_path(folder, name)
            if not isinstance(name, str) or not _VALID_PATH.fullmatch(path):
                continue
            if isinstance(value, str):  # the old reduced form: name -> URL
                self._put_feed(path, FeedNode(new_uid(), value or name))
            elif isinstance(value, dict) and "url" in value:
                uid = value.get("uid")
                if not isinstance(value["url"], str) or not _valid_uid(uid):
                    continue
                self._put_feed(path, FeedNode(str(uid) if uid else new_uid(), value["url"]))
            elif isinstance(value, dict):
                self.items[path] = FolderNode()
                self._load(value, path)

    def _put_feed(self, path: str, feed: FeedNode) -> None:
        if self.feed_by_url(feed.url) is None and all(
            n.uid != feed.uid for n in self.feeds().values()
        ):
            self.items[path] = feed

    # -- changing (Conflict with qBittorrent's messages) --

    def add_folder(self, path: str) -> None:
        self._check_destination(path)
        self.items[path] = FolderNode()

    def add_feed(self, url: str, path: str) -> FeedNode:
        if self.feed_by_url(url) is not None:
            raise Conflict(f"RSS feed with given URL already exists: {url}.")
        self._check_destination(path)
        feed = FeedNode(new_uid(), url)
        self.items[path] = feed
        return feed

    def set_feed_url(self, path: str, url: str) -> FeedNode | None:
        """The feed whose URL changed (None: the same URL). A feed still named by its old URL
        is renamed to the new one, when it can be."""
        feed = self.items.get(path)
        if not isinstance(feed, FeedNode):
            raise Conflict(f"Feed doesn't exist: {path}.")
        if url == feed.url:
            return None
        if self.feed_by_url(url) is not None:
            raise Conflict(f"RSS feed with given URL already exists: {url}.")
        old, feed.url = feed.url, url
        if name_of(path) == old:
            self.try_move(path, join_path(parent_path(path), url))
        return feed

    def move_item(self, path: str, destination: str) -> None:
        if path == "":
            raise Conflict("Cannot move root folder.")
        if path not in self.items:
            raise Conflict(f"Item doesn't exist: {path}.")
        self._check_destination(destination)
        if parent_path(destination) == path or _below(destination, path):
            raise Conflict("Couldn't move folder into itself.")
        for old in [p for p in self.items if p == path or _below(p, path)]:
            self.items[destination + old[len(path) :]] = self.items.pop(old)

    def try_move(self, path: str, destination: str) -> bool:
        try:
            self.move_item(path, destination)
        except Conflict:
            return False
        return True

    def remove_item(self, path: str) -> list[FeedNode]:
        """Remove the item and everything below it; return the feeds removed."""
        if path == "":
            raise Conflict("Cannot delete root folder.")
        if path not in self.items:
            raise Conflict(f"Item doesn't exist: {path}.")
        gone = [p for p in self.items if p == path or _below(p, path)]
        nodes = [self.items.pop(p) for p in gone]
        return [n for n in nodes if isinstance(n, FeedNode)]

    def _check_destination(self, path: str) -> None:
        if not _VALID_PATH.fullmatch(path):
            raise Conflict(f"Incorrect RSS Item path: {path}.")
        if path in self.items:
            raise Conflict(f"RSS item with given path already exists: {path}.")
        parent = parent_path(path)
        if not isinstance(self.items.get(parent), FolderNode):
            raise Conflict(f"Parent folder doesn't exist: {parent}.")


def _below(path: str, folder: str) -> bool:
    return (folder == "" and path != "") or path.startswith(folder + SEPARATOR)


def _valid_uid(uid: object) -> bool:
    if uid is None:
        return True
    if not isinstance(uid, str):
        return False
    try:
        uuid.UUID(uid.strip("{}"))
    except ValueError:
        return False
    return True
