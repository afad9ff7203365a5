"""Fixtures of the Torznab tests: the loopback indexer, a fake clock, indexers pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
import pytest_asyncio

from tests.support.clock import FakeClock
from tests.support.torznab_server import TorznabServer, torznab_server
from torrentstack.crossseed.torznab.client import TorznabIndexer


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_server() -> AsyncIterator[TorznabServer]:
    """One loopback indexer per test module (starting and stopping one takes ~0.2 s)."""
    async with torznab_server() as running:
        yield running


@pytest.fixture
def server(shared_server: TorznabServer) -> TorznabServer:
    """The module's indexer, emptied for this test (tests using it run on the module's loop)."""
    shared_server.reset()
    return shared_server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest_asyncio.fixture(loop_scope="module")
async def make_indexer(
    server: TorznabServer, clock: FakeClock
) -> AsyncIterator[Callable[..., TorznabIndexer]]:
    made: list[TorznabIndexer] = []

    def make(**options: object) -> TorznabIndexer:
        options.setdefault("clock", clock)
        indexer = TorznabIndexer(options.pop("url", server.url), **options)  # type: ignore[arg-type]
        made.append(indexer)
        return indexer

    yield make
    for indexer in made:
        await indexer.aclose()
