"""What the WebUI API needs from the engine behind it: the `Backend` protocol.

The client service implements it over libtorrent; the debrid bridge will implement it over its
providers. Only what the API needs so far is here; each slice of the API adds its part.
"""

from __future__ import annotations

from typing import Protocol


class Backend(Protocol):
    def build_info(self) -> dict[str, str | int]:
        """`app/buildInfo`: library versions (qt, libtorrent, boost, openssl, zlib, bitness)."""
        ...

    def default_save_path(self) -> str:
        """`app/defaultSavePath`."""
        ...

    def shutdown(self) -> None:
        """`app/shutdown`: stop the service (after the reply is sent)."""
        ...
