"""Torrents the fake debrid services can fetch: a name, files with their bytes, and the v1
.torrent, magnet and info hash made of them (bencoded here, no libtorrent needed)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from tests.support.payloads import payload_bytes
from torrentstack.bittorrent.bencode import encode

PIECE_LENGTH = 16_384


@dataclass(frozen=True)
class Content:
    """A torrent: `files` maps paths inside its folder (`/` separators, without the folder's
    name) to their bytes. One file whose path is `name` is a single-file torrent."""

    name: str
    files: dict[str, bytes]
    torrent: bytes = field(init=False)
    info_hash: str = field(init=False)

    def __post_init__(self) -> None:
        data = b"".join(self.files.values())
        pieces = b"".join(
            hashlib.sha1(data[i : i + PIECE_LENGTH]).digest()  # noqa: S324 - BitTorrent v1
            for i in range(0, len(data), PIECE_LENGTH)
        )
        info: dict[str, object] = {
            "name": self.name,
            "piece length": PIECE_LENGTH,
            "pieces": pieces,
        }
        if list(self.files) == [self.name]:
            info["length"] = len(data)
        else:
            info["files"] = [
                {"length": len(body), "path": path.split("/")} for path, body in self.files.items()
            ]
        raw_info = encode(info)  # type: ignore[arg-type]
        object.__setattr__(self, "torrent", encode({"info": info}))  # type: ignore[arg-type]
        object.__setattr__(self, "info_hash", hashlib.sha1(raw_info).hexdigest())  # noqa: S324

    @property
    def magnet(self) -> str:
        return f"magnet:?xt=urn:btih:{self.info_hash}&dn={self.name.replace(' ', '+')}"

    @property
    def size(self) -> int:
        return sum(len(body) for body in self.files.values())


def episode(name: str = "Show.Name.S01E02.1080p.WEB-DL-GRP", size: int = 300_000) -> Content:
    """A folder with one video and a small .nfo, as a release looks."""
    return Content(
        name,
        {
            f"{name}.mkv": payload_bytes(f"{name}.mkv", size),
            f"{name}.nfo": payload_bytes(f"{name}.nfo", 1_000),
        },
    )


def single_file(name: str = "Movie.Name.2020.1080p.BluRay-GRP.mkv", size: int = 200_000) -> Content:
    return Content(name, {name: payload_bytes(name, size)})
