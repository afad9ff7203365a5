"""The transfer part (the API's `Transfer`): session totals and rates, global speed limits
(normal and alternative), banning peers; and `server_state` for `sync/maindata`."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import Any

from torrentstack.client.application import Application
from torrentstack.client.log_buffer import PeerLog
from torrentstack.client.preferences import Preferences
from torrentstack.client.status import SessionTotals
from torrentstack.client.torrents import Torrents
from torrentstack.qbittorrent_api.backend import Direction


class Transfer:
    def __init__(
        self,
        *,
        prefs: Preferences,
        torrents: Torrents,
        application: Application,
        peer_log: PeerLog,
        alltime: Callable[[], tuple[int, int]] | None = None,
    ) -> None:
        self._alltime = alltime  # (downloaded, uploaded) over all runs; None: this run's
        self._prefs = prefs
        self._torrents = torrents
        self._application = application
        self._peer_log = peer_log

    @property
    def alt_speed(self) -> bool:
        return self._prefs.alt_speed

    async def transfer_info(self) -> dict[str, Any]:
        totals = self._torrents.engine().totals()
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

    def _rate_limit(self, direction: Direction) -> int:
        key = f"alt_{direction}_limit" if self.alt_speed else f"{direction}_limit"
        return max(int(self._prefs.get(key)), 0)

    async def server_state(self) -> dict[str, Any]:
        """`server_state` of `sync/maindata` (transfer info plus session-wide extras)."""
        totals = self._torrents.engine().totals()
        state = await self.transfer_info()
        downloaded = totals.downloaded
        uploaded = totals.uploaded
        alltime_dl, alltime_ul = self._alltime() if self._alltime else (downloaded, uploaded)
        state.update(
            {
                "alltime_dl": alltime_dl,
                "alltime_ul": alltime_ul,
                "average_time_queue": 0,
                "free_space_on_disk": self.free_space(),
                "global_ratio": f"{uploaded / downloaded:.2f}" if downloaded else "-",
                "last_external_address_v4": "",
                "last_external_address_v6": "",
                "queued_io_jobs": 0,
                "queueing": self._prefs.queueing,
                "read_cache_hits": "0",
                "read_cache_overload": "0",
                "refresh_interval": int(self._prefs.get("refresh_interval") or 1500),
                "total_buffers_size": 0,
                "total_peer_connections": totals.connections,
                "total_queued_size": 0,
                "total_wasted_session": totals.wasted,
                "use_alt_speed_limits": self.alt_speed,
                "write_cache_overload": "0",
            }
        )
        return state

    async def set_alt_speed(self, on: bool) -> None:
        self._prefs.alt_speed = on
        await self._application.configure_engine()

    async def set_global_limit(self, direction: Direction, limit: int) -> None:
        key = f"alt_{direction}_limit" if self.alt_speed else f"{direction}_limit"
        await self._application.set_preferences({key: max(limit, 0)})

    async def ban_peers(self, peers: list[tuple[str, int]]) -> None:
        """Add to the `banned_IPs` preference (the session's IP filter), as qBittorrent does."""
        banned = [ip for ip in str(self._prefs.get("banned_IPs")).split("\n") if ip.strip()]
        new = [ip for ip, _ in peers if ip not in banned]
        await self._application.set_preferences({"banned_IPs": "\n".join([*banned, *new])})
        for ip, _ in peers:
            self._peer_log.add(ip, True, "Manually banned")

    def free_space(self) -> int:
        try:
            return shutil.disk_usage(self._prefs.save_path).free
        except OSError:
            return 0


def _connection_status(totals: SessionTotals) -> str:
    if not totals.listening:
        return "disconnected"
    return "connected" if totals.has_incoming else "firewalled"
