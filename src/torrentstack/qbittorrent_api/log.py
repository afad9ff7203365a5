"""`log/main` (filtered by level flags) and `log/peers` (banned peers), after `last_known_id`."""

from __future__ import annotations

from starlette.responses import Response

from torrentstack.qbittorrent import forms
from torrentstack.qbittorrent_api.backend import MessageLog, PeerLog
from torrentstack.qbittorrent_api.dispatch import Call, WebApi
from torrentstack.qbittorrent_api.responses import json_body

_LEVELS = (("normal", 1), ("info", 2), ("warning", 4), ("critical", 8))


def add_log_endpoints(api: WebApi, messages: MessageLog, peer_log: PeerLog) -> None:
    async def main(call: Call) -> Response:
        types = {flag for name, flag in _LEVELS if forms.flag(call.params, name, True)}
        last = forms.integer(call.params, "last_known_id", -1)
        entries = messages.after(last, types)
        return json_body(
            [
                {"id": e.id, "message": e.message, "timestamp": e.timestamp, "type": e.type}
                for e in entries
            ]
        )

    async def peers(call: Call) -> Response:
        last = forms.integer(call.params, "last_known_id", -1)
        return json_body(
            [
                {
                    "id": e.id,
                    "ip": e.ip,
                    "timestamp": e.timestamp,
                    "blocked": e.blocked,
                    "reason": e.reason,
                }
                for e in peer_log.after(last)
            ]
        )

    api.add("log/main", main)
    api.add("log/peers", peers)
