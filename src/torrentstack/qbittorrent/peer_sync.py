"""`sync/torrentPeers`: qBittorrent's per-client incremental replies (`getSyncData`).

A client acknowledges the last reply by sending its `rid`; it then gets what changed since that
reply: new peers whole, changed peers with only their changed fields, `peers_removed` for the
ones gone, `peers` left out when nothing changed. rid 0, a missing one, or one that is not the
last reply's: a full update (`full_update: true`). The new rid is `last % 1000000 + 1`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]
_RID_CYCLE = 1_000_000
_MISSING = object()


def diff_peers(
    previous: dict[str, Obj], current: dict[str, Obj]
) -> tuple[dict[str, Obj], list[str]]:
    """(changed peers: new ones whole, others only their changed fields; removed peer keys)."""
    changed: dict[str, Obj] = {}
    for key, peer in current.items():
        old = previous.get(key)
        if old is None:
            changed[key] = peer
            continue
        delta = {name: value for name, value in peer.items() if old.get(name, _MISSING) != value}
        if delta:
            changed[key] = delta
    removed = [key for key in previous if key not in current]
    return changed, removed


@dataclass(slots=True)
class PeerSync:
    """What one client was last sent for one torrent, and what it last acknowledged."""

    last_rid: int = 0
    last: dict[str, Obj] | None = None
    accepted_rid: int = 0
    accepted: dict[str, Obj] | None = None

    def poll(self, rid: int, peers: dict[str, Obj], show_flags: bool = True) -> Obj:
        """The reply to a poll that acknowledges `rid`, given the torrent's peers now."""
        last_rid = self.last_rid if rid > 0 else 0
        if last_rid > 0 and last_rid == rid:
            self.accepted, self.accepted_rid = self.last, self.last_rid
        reply: Obj
        if rid <= 0 or rid != self.accepted_rid or self.accepted is None:
            self.accepted, self.accepted_rid = None, 0
            reply = {"full_update": True, "peers": peers, "show_flags": show_flags}
        else:
            changed, removed = diff_peers(self.accepted, peers)
            reply = {}
            if changed:
                reply["peers"] = changed
            if removed:
                reply["peers_removed"] = removed
        new_rid = last_rid % _RID_CYCLE + 1
        self.last, self.last_rid = peers, new_rid
        reply["rid"] = new_rid
        return reply


def apply_reply(known: dict[str, Obj], reply: Obj) -> dict[str, Obj]:
    """What a client holds after a reply (as qBittorrent's WebUI merges it)."""
    merged = {} if reply.get("full_update") else {key: dict(peer) for key, peer in known.items()}
    for key, fields in reply.get("peers", {}).items():
        merged.setdefault(key, {}).update(fields)
    for key in reply.get("peers_removed", []):
        merged.pop(key, None)
    return merged
