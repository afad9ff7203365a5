"""The bridge's items as the WebDAV tree shows them (`webdav_tree.DavSource`): per provider,
every item whose files it has (archived ones too), each file streamed from that provider."""

from __future__ import annotations

from collections.abc import AsyncIterator

from torrentstack.debrid.bridge import Bridge
from torrentstack.debrid.delivery import DeliveryError, safe_relative
from torrentstack.debrid.errors import NotFoundRemote
from torrentstack.debrid.items import Item
from torrentstack.debrid.webdav_tree import DavFile, DavItem


class MountTree:
    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge

    def providers(self) -> list[str]:
        return list(self.bridge.providers)

    def items(self, provider: str) -> list[DavItem]:
        return [_dav_item(item) for item in self.bridge.on_mount(provider)]

    async def stream(
        self, provider: str, item: str, path: str, start: int, end: int | None
    ) -> AsyncIterator[bytes]:
        source = self.bridge.providers.get(provider)
        found = next((i for i in self.bridge.on_mount(provider) if i.name == item), None)
        file = None
        if found is not None:
            file = next((f for f in found.files if _path(f.path) == path), None)
        if source is None or file is None:
            raise NotFoundRemote(provider, f"{item}/{path} is not on the mount")
        async for chunk in source.stream(file, start, end):
            yield chunk


def _path(path: str) -> str:
    try:
        return safe_relative(path).as_posix()
    except DeliveryError:
        return ""


def _dav_item(item: Item) -> DavItem:
    when = item.completed_on or item.added_on
    files = tuple(DavFile(_path(f.path), f.size) for f in item.files if _path(f.path))
    return DavItem(item.name, when, files)
