"""The debrid bridge as a running service (the whole `serve` path, only debrid enabled), and
Sonarr's qBittorrent calls as Sonarr makes them (QBittorrentProxyV2: login with the form, the
`SID` cookie after; `app/webapiVersion`, `app/preferences`, categories, `torrents/add` with its
category and `stopped`/`paused`, `torrents/info?category=`, properties, files, delete)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from tests.support.stack import stack
from tests.support.waiting import eventually
from torrentstack.config import SERVICES, Settings

OWN_PASSWORD = "bridge password"
API_TOKEN = "b" * 64


def debrid_settings(tmp_path: Path, database: Any, **debrid: Any) -> Settings:
    tree: dict[str, Any] = {name: {"enabled": name == "debrid"} for name in SERVICES}
    tree["debrid"] |= {
        "host": "127.0.0.1", "port": 0, "password": OWN_PASSWORD, "api_token": API_TOKEN,
        "download_folder": str(tmp_path / "downloads"), "refresh_interval": 0.2, **debrid,
    }  # fmt: skip
    return Settings.model_validate(
        {"paths": {"data_dir": str(tmp_path / "state")}, "database": database.model_dump(), **tree}
    )


@contextlib.asynccontextmanager
async def running_bridge(settings: Settings) -> AsyncIterator[str]:
    """Serve the settings' stack; yields the bridge's base URL."""
    async with stack(settings) as ports:
        yield f"http://127.0.0.1:{ports['debrid']}"


class Sonarr:
    """The calls Sonarr's qBittorrent client makes, with its URL and key as the login."""

    def __init__(self, bridge: str, own_url: str, api_key: str, category: str = "sonarr") -> None:
        self.http = httpx.AsyncClient(base_url=bridge, timeout=30)
        self.own_url, self.api_key, self.category = own_url, api_key, category

    async def __aenter__(self) -> Sonarr:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def login(self) -> str:
        reply = await self.http.post(
            "/api/v2/auth/login", data={"username": self.own_url, "password": self.api_key}
        )
        return reply.text

    async def test_connection(self) -> None:
        """What Sonarr's "Test" button runs."""
        assert (await self.http.get("/api/v2/app/webapiVersion")).status_code == 200
        version = (await self.http.get("/api/v2/app/version")).text.lstrip("v")
        assert int(version.split(".")[0]) >= 4
        prefs = (await self.http.get("/api/v2/app/preferences")).json()
        assert "save_path" in prefs
        labels = (await self.http.get("/api/v2/torrents/categories")).json()
        if self.category not in labels:
            created = await self.http.post(
                "/api/v2/torrents/createCategory", data={"category": self.category}
            )
            assert created.status_code == 200

    async def add_magnet(self, magnet: str) -> httpx.Response:
        return await self.http.post(
            "/api/v2/torrents/add",
            data={
                "urls": magnet,
                "category": self.category,
                "paused": "false",
                "contentLayout": "Original",
            },
        )

    async def add_file(self, name: str, torrent: bytes) -> httpx.Response:
        return await self.http.post(
            "/api/v2/torrents/add",
            data={"category": self.category, "paused": "false"},
            files={"torrents": (name, torrent, "application/x-bittorrent")},
        )

    async def torrents(self) -> list[dict[str, Any]]:
        reply = await self.http.get("/api/v2/torrents/info", params={"category": self.category})
        assert reply.status_code == 200
        return list(reply.json())

    async def wait_completed(self, info_hash: str, within: float = 60) -> dict[str, Any]:
        async def done() -> dict[str, Any] | bool:
            for torrent in await self.torrents():
                if torrent["hash"] == info_hash and torrent["state"] == "pausedUP":
                    return torrent
                if torrent["hash"] == info_hash and torrent["state"] == "error":
                    raise AssertionError(f"the item failed: {torrent}")
            return False

        torrent = await eventually(done, timeout=within)
        assert isinstance(torrent, dict)
        props = await self.http.get("/api/v2/torrents/properties", params={"hash": info_hash})
        assert props.status_code == 200
        files = await self.http.get("/api/v2/torrents/files", params={"hash": info_hash})
        assert files.status_code == 200 and files.json()
        return torrent

    async def remove(self, info_hash: str, delete_files: bool = True) -> None:
        data = {"hashes": info_hash}
        if delete_files:
            data["deleteFiles"] = "true"
        reply = await self.http.post("/api/v2/torrents/delete", data=data)
        assert reply.status_code == 200


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file under `root` (a file: itself) by its path relative to `root`."""
    if root.is_file():
        return {root.name: root.read_bytes()}
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }
