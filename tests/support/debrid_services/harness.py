"""What the provider tests share: a recording `sleep`, loopback settings, whole reads, a port
nobody listens on, and hypothesis strategies for any JSON and for loosely shaped answers."""

from __future__ import annotations

import socket

from hypothesis import strategies as st

from torrentstack.config.debrid import ProviderSettings
from torrentstack.debrid.providers.base import Provider, RemoteFile


class Waits(list[float]):
    """An injected `sleep` that records how long it was asked to wait and returns at once."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def loopback_settings(kind: str, url: str, key: str) -> ProviderSettings:
    """A `kind` provider with `key` against the fake at `url`, its request rate unlimited."""
    return ProviderSettings(provider=kind, api_key=key, api_url=url, rate_limit=1000)


async def read(
    provider: Provider, file: RemoteFile, start: int = 0, end: int | None = None
) -> bytes:
    """The bytes `provider.stream` gives for `file` from `start` to `end`."""
    return b"".join([chunk async for chunk in provider.stream(file, start, end)])


def closed_port() -> int:
    """A loopback port that was free a moment ago: nothing answers there."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# any value JSON can hold (small), and answers mostly of the right shape
ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


def loose(right: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    """Mostly the right type, sometimes anything."""
    return st.one_of(right, right, right, right, right, ANY_JSON)


def shaped(
    required: tuple[str, ...] = (), **fields: st.SearchStrategy[object]
) -> st.SearchStrategy[object]:
    """A JSON object with the `required` fields and some of the others."""
    present = {k: loose(v) for k, v in fields.items() if k in required}
    optional = {k: loose(v) for k, v in fields.items() if k not in required}
    return loose(st.fixed_dictionaries(present, optional=optional))
