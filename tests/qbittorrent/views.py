"""`TorrentView`s for the table tests: by default the complete single-file torrent of the 4.5.2
capture (sample 17's first entry, sample 18's properties), seeding with no peers."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from torrentstack.qbittorrent.models import StateFacts, TorrentView

HASH = "434f6cad1270439ba41c71cebed48afa981fa7e8"
ADDED = 1795393641

SAMPLE = TorrentView(
    hash=HASH,
    infohash_v1=HASH,
    infohash_v2="",
    name="single.bin",
    magnet_uri=f"magnet:?xt=urn:btih:{HASH}&dn=single.bin&tr=http%3a%2f%2f127.0.0.1%3a6969%2fannounce",
    facts=StateFacts(finished=True, has_finished_before=True),
    has_metadata=True,
    size=300000,
    total_size=300000,
    progress=1,
    completed=300000,
    downloaded=0,
    uploaded=0,
    downloaded_session=0,
    uploaded_session=0,
    dlspeed=0,
    upspeed=0,
    dl_limit=0,
    up_limit=0,
    queue_position=0,
    num_seeds=0,
    num_complete=0,
    num_leechs=0,
    num_incomplete=0,
    ratio_limit=-2,
    seeding_time_limit=-2,
    inactive_seeding_time_limit=-2,
    max_ratio=-1,
    max_seeding_time=-1,
    max_inactive_seeding_time=-1,
    seq_dl=False,
    f_l_piece_prio=False,
    super_seeding=False,
    force_start=False,
    auto_tmm=False,
    category="",
    tags=("research", "sample"),
    save_path="/data/qbt-src",
    download_path="",
    content_path="/data/qbt-src/single.bin",
    root_path="",
    added_on=ADDED,
    completion_on=ADDED,
    seen_complete=0,
    last_activity=ADDED,
    time_active=1,
    seeding_time=1,
    tracker="",
    trackers_count=1,
    availability=-1,
    comment="research sample single",
    private=False,
    popularity=0,
    reannounce=16,
    total_wasted=0,
    connections=0,
    connections_limit=100,
    seeds_total=0,
    peers_total=0,
    pieces_have=10,
    pieces_num=10,
    piece_size=32768,
    created_by="torf",
    creation_date=0,
    dl_speed_avg=0,
    up_speed_avg=0,
    last_seen=-1,
)


def view(facts: dict[str, Any] | None = None, **fields: Any) -> TorrentView:
    """The sample torrent with some fields (and state facts) changed."""
    if facts is not None:
        fields["facts"] = StateFacts(**facts)
    return replace(SAMPLE, **fields)
