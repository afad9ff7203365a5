"""Torrent objects, properties and files as qBittorrent's JSON shows them, per persona.

Whole objects are the 4.5.2 capture (samples 17, 18, 49, 72, 73) plus what later versions add
(reference notes §3, §5.4); single fields follow the notes' units and -1/0 conventions. Every
expected value is written out here.
"""

from __future__ import annotations

import pytest

from tests.qbittorrent.views import ADDED, HASH, SAMPLE, view
from torrentstack.qbittorrent.models import FileView
from torrentstack.qbittorrent.persona import PERSONAS
from torrentstack.qbittorrent.serialize import file_objects, properties, torrent_object

V46, V51 = PERSONAS["4.6"], PERSONAS["5.1"]
MAX_ETA = 8640000

# sample 17, first entry: a complete single-file torrent, seeding with no peers
INFO_452 = {
    "added_on": ADDED, "amount_left": 0, "auto_tmm": False, "availability": -1,
    "category": "", "completed": 300000, "completion_on": ADDED,
    "content_path": "/data/qbt-src/single.bin", "dl_limit": 0, "dlspeed": 0,
    "download_path": "", "downloaded": 0, "downloaded_session": 0, "eta": MAX_ETA,
    "f_l_piece_prio": False, "force_start": False, "hash": HASH, "infohash_v1": HASH,
    "infohash_v2": "", "last_activity": ADDED,
    "magnet_uri": f"magnet:?xt=urn:btih:{HASH}&dn=single.bin&tr=http%3a%2f%2f127.0.0.1%3a6969%2fannounce",
    "max_ratio": -1, "max_seeding_time": -1, "name": "single.bin", "num_complete": 0,
    "num_incomplete": 0, "num_leechs": 0, "num_seeds": 0, "priority": 0, "progress": 1,
    "ratio": 0, "ratio_limit": -2, "save_path": "/data/qbt-src", "seeding_time": 1,
    "seeding_time_limit": -2, "seen_complete": 0, "seq_dl": False, "size": 300000,
    "state": "stalledUP", "super_seeding": False, "tags": "research, sample", "time_active": 1,
    "total_size": 300000, "tracker": "", "trackers_count": 1, "up_limit": 0, "uploaded": 0,
    "uploaded_session": 0, "upspeed": 0,
}  # fmt: skip
# 4.6 adds the inactive seeding time pair (global -2, none -1, like the other two limits)
INFO_46 = {**INFO_452, "inactive_seeding_time_limit": -2, "max_inactive_seeding_time": -1}
# 5.0 adds root_path, popularity, reannounce, comment, private, has_metadata; unknown times -1
INFO_51 = {
    **INFO_46,
    "comment": "research sample single", "has_metadata": True, "popularity": 0,
    "private": False, "reannounce": 16, "root_path": "", "seen_complete": -1,
}  # fmt: skip


def test_the_4_5_2_sample_torrent_as_4_6_sends_it():
    assert len(INFO_452) == 49  # the capture's key count (notes §3)
    assert torrent_object(SAMPLE, V46) == INFO_46


def test_the_sample_torrent_as_5_1_sends_it():
    assert len(INFO_51) == 57  # 5.1.4's key count (notes §3)
    assert torrent_object(SAMPLE, V51) == INFO_51


# (view changes, persona, field, expected)
FIELDS = [
    # tags: one ", "-joined string
    ({"tags": ()}, V46, "tags", ""),
    ({"tags": ("a",)}, V46, "tags", "a"),
    ({"tags": ("x", "y", "z")}, V51, "tags", "x, y, z"),
    # priority: the 1-based queue position, 0 when not queued
    ({"queue_position": 0}, V46, "priority", 0),
    ({"queue_position": 2}, V46, "priority", 2),
    # amount_left: wanted bytes not done
    ({"size": 150000, "completed": 0, "progress": 0}, V46, "amount_left", 150000),
    ({"size": 150000, "completed": 50000}, V46, "amount_left", 100000),
    # times: 0 unknown in 4.x, -1 in 5.x; known times are seconds since the epoch either way
    ({"completion_on": 0}, V46, "completion_on", 0),
    ({"completion_on": 0}, V51, "completion_on", -1),
    ({"seen_complete": 0}, V46, "seen_complete", 0),
    ({"seen_complete": ADDED + 5}, V51, "seen_complete", ADDED + 5),
    ({"completion_on": ADDED + 9}, V51, "completion_on", ADDED + 9),
    # state, as each persona spells it
    ({"facts": {"finished": True, "stopped": True}}, V46, "state", "pausedUP"),
    ({"facts": {"finished": True, "stopped": True}}, V51, "state", "stoppedUP"),
    ({"facts": {"stopped": True}}, V46, "state", "pausedDL"),
    ({"facts": {"stopped": True}}, V51, "state", "stoppedDL"),
    ({"facts": {"finished": True, "upload_rate": 10}}, V51, "state", "uploading"),
    ({"facts": {"has_metadata": False}}, V51, "state", "metaDL"),
    # ratio: uploaded / downloaded; -1 when infinite (uploaded with nothing downloaded)
    ({"uploaded": 150, "downloaded": 100, "completed": 100}, V46, "ratio", 1.5),
    ({"uploaded": 0, "downloaded": 0, "completed": 0}, V46, "ratio", 0),
    ({"uploaded": 10, "downloaded": 0, "completed": 0}, V46, "ratio", -1),
    # ... a seeder whose all-time download is under 1 % of what it has counts what it has
    # (TorrentImpl::realRatio)
    ({"uploaded": 600000, "downloaded": 0}, V46, "ratio", 2.0),
    ({"uploaded": 600000, "downloaded": 2999}, V46, "ratio", 2.0),
    ({"uploaded": 600000, "downloaded": 3000}, V46, "ratio", 200.0),
    # ... above 9999 (MAX_RATIO) is infinite
    ({"uploaded": 10000 * 300000, "downloaded": 300000}, V46, "ratio", -1),
    ({"uploaded": 9999 * 300000, "downloaded": 300000}, V46, "ratio", 9999),
    # eta: 8640000 (MAX_ETA) when unknown or infinite: stopped, queued, checking, no speed
    ({"size": 1000, "completed": 0, "dlspeed": 100, "facts": {"download_rate": 100}}, V46, "eta", 10),
    ({"size": 1000, "completed": 400, "dlspeed": 100, "facts": {"download_rate": 100}}, V46, "eta", 6),
    ({"size": 1000, "completed": 0, "dlspeed": 0, "facts": {}}, V46, "eta", MAX_ETA),
    ({"size": 1000, "completed": 0, "dlspeed": 100, "facts": {"stopped": True}}, V46, "eta", MAX_ETA),
    ({"size": 1000, "completed": 0, "dlspeed": 100, "facts": {"queued": True}}, V46, "eta", MAX_ETA),
    ({"size": 1000, "completed": 0, "dlspeed": 100, "facts": {"checking": True}}, V46, "eta", MAX_ETA),
    ({"size": 10**12, "completed": 0, "dlspeed": 1, "facts": {"download_rate": 1}}, V46, "eta", MAX_ETA),
    # limits: 0 unlimited speed, -2 global / -1 no share limit, passed through
    ({"dl_limit": 2048, "up_limit": 0}, V46, "dl_limit", 2048),
    ({"ratio_limit": -1, "max_ratio": -1}, V46, "ratio_limit", -1),
    ({"ratio_limit": 1.5, "max_ratio": 1.5}, V46, "max_ratio", 1.5),
    ({"seeding_time_limit": 60, "max_seeding_time": 60}, V51, "seeding_time_limit", 60),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "persona", "field", "expected"), FIELDS)
def test_torrent_object_fields(changes, persona, field, expected):
    assert torrent_object(view(**changes), persona)[field] == expected


# sample 72, the magnet without `dn` and without metadata
MAGNET = view(
    hash="b" * 40, infohash_v1="b" * 40, name="b" * 40, magnet_uri=f"magnet:?xt=urn:btih:{'b' * 40}",
    facts={"has_metadata": False, "queued": False}, has_metadata=False, size=0, total_size=-1,
    progress=0, completed=0, queue_position=2, category="tv", tags=("m1",),
    save_path="/data/qbt-dl", content_path="", added_on=ADDED + 37, completion_on=0,
    last_activity=ADDED + 37, seeding_time=0, trackers_count=0, availability=0, private=None,
    comment="", reannounce=0, pieces_have=0, pieces_num=-1, piece_size=-1, created_by="",
    creation_date=-1,
)  # fmt: skip


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        (V46, {"name": "b" * 40, "size": 0, "total_size": -1, "content_path": "", "state": "metaDL",
               "progress": 0, "amount_left": 0, "priority": 2, "tags": "m1", "eta": MAX_ETA}),
        (V51, {"name": "b" * 40, "size": 0, "total_size": -1, "content_path": "", "state": "metaDL",
               "has_metadata": False, "private": None, "completion_on": -1}),
    ],
)  # fmt: skip
def test_a_magnet_without_metadata(persona, expected):
    body = torrent_object(MAGNET, persona)
    assert {key: body[key] for key in expected} == expected


# sample 18
PROPERTIES_452 = {
    "addition_date": ADDED, "comment": "research sample single", "completion_date": ADDED,
    "created_by": "torf", "creation_date": 0, "dl_limit": -1, "dl_speed": 0, "dl_speed_avg": 0,
    "download_path": "", "eta": MAX_ETA, "hash": HASH, "infohash_v1": HASH, "infohash_v2": "",
    "is_private": False, "last_seen": -1, "name": "single.bin", "nb_connections": 0,
    "nb_connections_limit": 100, "peers": 0, "peers_total": 0, "piece_size": 32768,
    "pieces_have": 10, "pieces_num": 10, "reannounce": 16, "save_path": "/data/qbt-src",
    "seeding_time": 1, "seeds": 0, "seeds_total": 0, "share_ratio": 0, "time_elapsed": 1,
    "total_downloaded": 0, "total_downloaded_session": 0, "total_size": 300000,
    "total_uploaded": 0, "total_uploaded_session": 0, "total_wasted": 0, "up_limit": -1,
    "up_speed": 0, "up_speed_avg": 0,
}  # fmt: skip


def test_the_4_5_2_sample_properties():
    assert len(PROPERTIES_452) == 39  # notes §5.4
    assert properties(SAMPLE, V46) == PROPERTIES_452


def test_properties_as_5_1_sends_them():
    # 5.0 adds popularity, private (null without metadata) and has_metadata; 5.1 progress
    extra = {"has_metadata": True, "popularity": 0, "private": False, "progress": 1}
    assert properties(SAMPLE, V51) == {**PROPERTIES_452, **extra}


# sample 73: a magnet without metadata; the fields that differ from a torrent with metadata
@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("piece_size", -1), ("pieces_num", -1), ("total_size", -1), ("creation_date", -1),
        ("completion_date", -1), ("pieces_have", 0), ("comment", ""), ("created_by", ""),
        ("is_private", False), ("dl_limit", -1), ("up_limit", -1), ("last_seen", -1),
    ],
)  # fmt: skip
def test_properties_of_a_magnet_without_metadata(field, expected):
    assert properties(MAGNET, V46)[field] == expected


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        ({"dl_limit": 0}, "dl_limit", -1),  # unlimited
        ({"dl_limit": 4096}, "dl_limit", 4096),
        ({"up_limit": 8192}, "up_limit", 8192),
        ({"completion_on": 0}, "completion_date", -1),
        ({"creation_date": 1700000000}, "creation_date", 1700000000),
        ({"private": True}, "is_private", True),
        ({"num_leechs": 3, "num_seeds": 2}, "peers", 3),
        ({"num_leechs": 3, "num_seeds": 2}, "seeds", 2),
        ({"uploaded": 150, "downloaded": 100, "completed": 100}, "share_ratio", 1.5),
    ],
)
def test_properties_fields(changes, field, expected):
    assert properties(view(**changes), V46)[field] == expected


def test_files_as_the_4_5_2_sample_shows_them():
    files = [
        FileView(0, "multi/a.bin", 100000, 0, 1, 0, 6, 0),
        FileView(1, "multi/sub/b.txt", 50000, 0, 1, 6, 9, 0),
    ]
    assert file_objects(files, is_seed=False) == [  # sample 49: is_seed on the first file only
        {"availability": 0, "index": 0, "is_seed": False, "name": "multi/a.bin",
         "piece_range": [0, 6], "priority": 1, "progress": 0, "size": 100000},
        {"availability": 0, "index": 1, "name": "multi/sub/b.txt", "piece_range": [6, 9],
         "priority": 1, "progress": 0, "size": 50000},
    ]  # fmt: skip
    assert file_objects([], is_seed=True) == []  # a magnet without metadata (sample 74)
