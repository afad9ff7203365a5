"""`sync/maindata` (per-session incremental, see `qbittorrent.sync`) and `sync/torrentPeers`."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from torrentstack.qbittorrent import forms
from torrentstack.qbittorrent.sync import SyncSession
from torrentstack.qbittorrent_api.backend import Sync, TorrentReader
from torrentstack.qbittorrent_api.dispatch import Call, WebApi
from torrentstack.qbittorrent_api.responses import json_body

_EXEMPT = "(no session)"


def add_sync_endpoints(api: WebApi, sync: Sync, torrents: TorrentReader) -> None:
    sessions: dict[str, SyncSession] = {}
    peer_rids: dict[tuple[str, str], int] = {}

    def session_for(call: Call) -> SyncSession:
        key = call.session.sid if call.session is not None else _EXEMPT
        state = sessions.get(key)
        if state is None:
            live = api.auth.sessions
            for sid in [s for s in sessions if s != _EXEMPT and s not in live]:
                del sessions[sid]
            state = sessions[key] = sync.maindata.session()
        return state

    async def maindata(call: Call) -> Response:
        rid = forms.integer(call.params, "rid", 0)
        session = session_for(call)
        body = session.poll(rid, await sync.server_state())
        return json_body(body)

    async def torrent_peers(call: Call) -> Response:
        hash_ = forms.single_hash(call.params)
        peers = await torrents.peers(hash_)
        key = (call.session.sid if call.session else _EXEMPT, hash_)
        rid = peer_rids.get(key, 0) % 1_000_000 + 1
        peer_rids[key] = rid
        body: dict[str, Any] = {
            "full_update": True,
            "peers": {
                f"{p.ip}:{p.port}" if ":" not in p.ip else f"[{p.ip}]:{p.port}": {
                    "client": p.client,
                    "connection": p.connection,
                    "country": "",
                    "country_code": p.country_code,
                    "dl_speed": p.dl_speed,
                    "downloaded": p.downloaded,
                    "files": p.files,
                    "flags": p.flags,
                    "flags_desc": "",
                    "ip": p.ip,
                    "port": p.port,
                    "progress": p.progress,
                    "relevance": p.relevance,
                    "up_speed": p.up_speed,
                    "uploaded": p.uploaded,
                }
                for p in peers
            },
            "rid": rid,
            "show_flags": True,
        }
        return json_body(body)

    api.add("sync/maindata", maindata)
    api.add("sync/torrentPeers", torrent_peers)
