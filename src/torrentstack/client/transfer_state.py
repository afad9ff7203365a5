"""Preferences, transfer info, `server_state`, speed limits and bans (a mixin of
`ClientBackend`)."""

from __future__ import annotations

import asyncio
import shutil
from typing import Any

from torrentstack.client.host import (
    Host,
    engine_result,
)
from torrentstack.client.status import PeerInfo, SessionTotals
from torrentstack.qbittorrent_api.auth import hash_password

PASSWORD_HASH_KEY = "web_ui_password_hash"  # noqa: S105 - a key name; stored, never shown


class TransferState:
    password_hash: str | None  # set through app/setPreferences (web_ui_password)

    async def set_preferences(self: Host, values: dict[str, Any]) -> None:
        values = dict(values)
        password = values.pop("web_ui_password", None)
        changed = self.prefs.update(values)
        if isinstance(password, str) and password:
            self.password_hash = await asyncio.to_thread(hash_password, password)
            await self.store.put_preferences({PASSWORD_HASH_KEY: self.password_hash})
        if password or changed:
            self.on_preferences()
        if not changed:
            return
        await self.store.put_preferences(changed)
        await engine_result(
            self._engine().configure(
                self.prefs.session_config(self.listen_host, self.persona, self.alt_speed)
            )
        )
        self._refresh_all()

    async def peers(self: Host, hash_: str) -> list[PeerInfo]:
        self.record(hash_)
        return await engine_result(self._engine().peers(hash_))

    async def transfer_info(self: Host) -> dict[str, Any]:
        totals = self._engine().totals()
        return {
            "connection_status": _connection_status(totals),
            "dht_nodes": totals.dht_nodes,
            "dl_info_data": totals.downloaded,
            "dl_info_speed": totals.dl_rate,
            "dl_rate_limit": self._rate_limit("dl"),
            "up_info_data": totals.uploaded,
            "up_info_speed": totals.ul_rate,
            "up_rate_limit": self._rate_limit("up"),
        }

    def _rate_limit(self: Host, direction: str) -> int:
        alt = self.alt_speed
        value = int(self.prefs.get(f"alt_{direction}_limit" if alt else f"{direction}_limit"))
        return max(value, 0)

    async def server_state(self: Host) -> dict[str, Any]:
        """`server_state` of `sync/maindata` (transfer info plus session-wide extras)."""
        totals = self._engine().totals()
        state = await self.transfer_info()
        downloaded = totals.downloaded  # this run only (docs/client.md)
        uploaded = totals.uploaded
        state.update(
            {
                "alltime_dl": downloaded,
                "alltime_ul": uploaded,
                "average_time_queue": 0,
                "free_space_on_disk": self.free_space(),
                "global_ratio": f"{uploaded / downloaded:.2f}" if downloaded else "-",
                "last_external_address_v4": "",
                "last_external_address_v6": "",
                "queued_io_jobs": 0,
                "queueing": self.prefs.queueing,
                "read_cache_hits": "0",
                "read_cache_overload": "0",
                "refresh_interval": int(self.prefs.get("refresh_interval") or 1500),
                "total_buffers_size": 0,
                "total_peer_connections": totals.connections,
                "total_queued_size": 0,
                "total_wasted_session": totals.wasted,
                "use_alt_speed_limits": self.alt_speed,
                "write_cache_overload": "0",
            }
        )
        return state

    async def set_alt_speed(self: Host, on: bool) -> None:
        self.alt_speed = on
        await engine_result(
            self._engine().configure(self.prefs.session_config(self.listen_host, self.persona, on))
        )

    async def set_global_limit(self: Host, direction: str, limit: int) -> None:
        key = f"alt_{direction}_limit" if self.alt_speed else f"{direction}_limit"
        await self.set_preferences({key: max(limit, 0)})

    async def ban_peers(self: Host, peers: list[tuple[str, int]]) -> None:
        """Add to the `banned_IPs` preference (the session's IP filter), as qBittorrent does."""
        banned = [ip for ip in str(self.prefs.get("banned_IPs")).split("\n") if ip.strip()]
        new = [ip for ip, _ in peers if ip not in banned]
        await self.set_preferences({"banned_IPs": "\n".join([*banned, *new])})
        for ip, _ in peers:
            self.peer_log.add(ip, True, "Manually banned")

    def free_space(self: Host) -> int:
        try:
            return shutil.disk_usage(self.prefs.save_path).free
        except OSError:
            return 0


def _connection_status(totals: SessionTotals) -> str:
    if not totals.listening:
        return "disconnected"
    return "connected" if totals.has_incoming else "firewalled"
