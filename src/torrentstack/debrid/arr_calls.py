"""The bridge's calls to its arrs: checking a login's key, telling the arr of a finished item
(`RefreshMonitoredDownloads`, then the item's callback URL), and one client per arr for
repair. Clients are made from the arr book's current entries and closed with the service."""

from __future__ import annotations

import logging

from torrentstack.debrid.arr_book import ArrBook
from torrentstack.debrid.arrs import ArrClient, post_callback
from torrentstack.debrid.errors import ArrError
from torrentstack.debrid.items import Item

logger = logging.getLogger(__name__)


async def arr_accepts(host: str, token: str) -> bool:
    """Whether the arr at `host` accepts `token` (`GET /api/v3/health`)."""
    try:
        client = ArrClient("login", host, token)
    except ArrError:
        return False
    try:
        return await client.health()
    except ArrError as exc:
        logger.info("debrid: arr login check failed: %s", exc)
        return False
    finally:
        await client.close()


class ArrCalls:
    def __init__(self, book: ArrBook) -> None:
        self.book = book
        self._clients: dict[str, tuple[tuple[str, str], ArrClient]] = {}

    def client(self, name: str) -> ArrClient | None:
        """A client for the arr named `name` (None: unknown, or its entry is unusable)."""
        arr = self.book.get(name)
        if arr is None:
            return None
        known = self._clients.get(name)
        if known is not None and known[0] == (arr.host, arr.token):
            return known[1]
        try:
            client = ArrClient(arr.name, arr.host, arr.token)
        except ArrError as exc:
            logger.warning("debrid: arr %r: %s", name, exc)
            return None
        self._clients[name] = ((arr.host, arr.token), client)  # the old one closes at the end
        return client

    def names(self) -> list[str]:
        return [arr.name for arr in self.book.all()]

    async def completed(self, item: Item) -> None:
        """Tell the item's arr (so it imports now) and its callback URL."""
        client = self.client(item.category) if item.category else None
        if client is not None:
            try:
                await client.refresh_monitored_downloads()
            except ArrError as exc:
                logger.warning(
                    "debrid: telling arr %r of %s failed: %s", item.category, item.hash, exc
                )
        if item.callback_url:
            await post_callback(
                item.callback_url,
                {"hash": item.hash, "name": item.name, "category": item.category,
                 "state": "completed", "content_path": item.content_path},
            )  # fmt: skip

    async def close(self) -> None:
        for _, client in self._clients.values():
            await client.close()
        self._clients.clear()
