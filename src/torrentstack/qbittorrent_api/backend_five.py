"""The parts of the API that qBittorrent 5.x added (torrent creator, web seed edits, cookies,
test e-mail), one small Protocol each as in `backend.py`."""

from __future__ import annotations

from typing import Any, Protocol

from torrentstack.qbittorrent.torrent_creator import CreatorParams


class TorrentCreatorPart(Protocol):
    """`torrentcreator/*`; unknown ids raise NotFound, unfinished or failed ones Conflict."""

    def add_task(self, params: CreatorParams) -> str: ...
    def status(self, task_id: str) -> list[dict[str, object]]: ...
    def torrent_file(self, task_id: str) -> bytes: ...
    def delete_task(self, task_id: str) -> None: ...


class WebSeedEditor(Protocol):
    """`torrents/addWebSeeds|editWebSeed|removeWebSeeds`: `urls` as sent (`|`-separated);
    NotFound for an unknown hash, then BadParams for an invalid URL."""

    async def add_web_seeds(self, hash_: str, urls: str) -> None: ...
    async def edit_web_seed(self, hash_: str, old: str, new: str) -> None: ...
    async def remove_web_seeds(self, hash_: str, urls: str) -> None: ...


class CookieKeeper(Protocol):
    """`app/cookies` and `app/setCookies`: qBittorrent's cookie objects."""

    def cookies(self) -> list[dict[str, Any]]: ...
    async def set_cookies(self, cookies: list[dict[str, Any]]) -> None: ...


class Mailer(Protocol):
    """`app/sendTestEmail`: to the SMTP server of the `mail_notification_*` preferences."""

    async def send_test_email(self) -> None: ...


class SslKeeper(Protocol):
    """`torrents/SSLParameters|setSSLParameters`: NotFound for an unknown hash, BadData (415)
    for a certificate or key that does not load or no DH parameters."""

    def ssl_parameters(self, hash_: str) -> dict[str, str]: ...
    async def set_ssl_parameters(
        self, hash_: str, certificate: str, private_key: str, dh_params: str
    ) -> None: ...
