"""`sync/maindata` (per-session incremental, see `qbittorrent.sync`) and `sync/torrentPeers`."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from torrentstack.qbittorrent import forms
from torrentstack.qbittorrent.peer_sync import PeerSync
from torrentstack.qbittorrent.sync import SyncSession
from torrentstack.qbittorrent_api.backend import Sync, TorrentReader
from torrentstack.qbittorrent_api.dispatch import Call, WebApi
from torrentstack.qbittorrent_api.responses import json_body

_EXEMPT = "(no session)"


def add_sync_endpoints(api: WebApi, sync: Sync, torrents: TorrentReader) -> None:
    sessions: dict[str, SyncSession] = {}
    peer_syncs: dict[tuple[str, str], PeerSync] = {}

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
        rid = forms.integer(call.params, "rid", 0)
        sid = call.session.sid if call.session else _EXEMPT
        state = peer_syncs.get((sid, hash_))
        if state is None:
            live = api.auth.sessions
            for key in [k for k in peer_syncs if k[0] != _EXEMPT and k[0] not in live]:
                del peer_syncs[key]
            state = peer_syncs[(sid, hash_)] = PeerSync()
        current: dict[str, Any] = {
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
        }
        return json_body(state.poll(rid, current))

    api.add("sync/maindata", maindata)
    api.add("sync/torrentPeers", torrent_peers)
