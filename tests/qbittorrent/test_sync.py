"""`sync/maindata`'s 4.6 algorithm on `MainData` alone: rid rules, diffs, removals, cancelling."""

from __future__ import annotations

from torrentstack.qbittorrent.sync import MainData

STATE = {"dl_info_speed": 0, "free_space_on_disk": 100}


def torrent(name: str, **fields: object) -> dict[str, object]:
    return {"name": name, "state": "pausedDL", "progress": 0, "tags": "", **fields}


def test_empty_full_update_leaves_out_empty_sections_as_4_6():
    session = MainData().session()
    assert session.poll(0, STATE) == {"full_update": True, "rid": 1, "server_state": STATE}


def test_nothing_changed_is_just_the_rid():
    data = MainData()
    data.put_torrent("a" * 40, torrent("one"))
    session = data.session()
    first = session.poll(0, STATE)
    assert first["full_update"] is True and first["torrents"] == {"a" * 40: torrent("one")}
    assert session.poll(1, STATE) == {"rid": 2}
    assert session.poll(2, STATE) == {"rid": 3}


def test_changed_torrents_carry_only_changed_fields_and_new_ones_whole():
    data = MainData()
    data.put_torrent("a" * 40, torrent("one"))
    session = data.session()
    session.poll(0, STATE)
    data.put_torrent("a" * 40, torrent("one", progress=0.5))
    data.put_torrent("b" * 40, torrent("two"))
    body = session.poll(1, {**STATE, "dl_info_speed": 7})
    assert body == {
        "rid": 2,
        "torrents": {"a" * 40: {"progress": 0.5}, "b" * 40: torrent("two")},
        "server_state": {"dl_info_speed": 7},
    }


def test_an_identical_put_is_not_a_change():
    data = MainData()
    data.put_torrent("a" * 40, torrent("one"))
    session = data.session()
    session.poll(0, STATE)
    data.put_torrent("a" * 40, torrent("one"))
    assert session.changed == set()
    assert session.poll(1, STATE) == {"rid": 2}


def test_a_lost_reply_is_sent_again_merged_with_newer_changes():
    data = MainData()
    data.put_torrent("a" * 40, torrent("one"))
    session = data.session()
    session.poll(0, STATE)  # rid 1
    session.poll(1, STATE)  # rid 2: accepted 1
    data.put_torrent("a" * 40, torrent("one", progress=0.25))
    assert session.poll(2, STATE)["torrents"] == {"a" * 40: {"progress": 0.25}}  # rid 3, lost
    data.put_torrent("a" * 40, torrent("one", progress=0.25, state="downloading"))
    # the client asks again with rid 2 (its last accepted): the buffer plus the new change
    body = session.poll(2, STATE)
    assert body["torrents"] == {"a" * 40: {"progress": 0.25, "state": "downloading"}}
    # now it acknowledges that reply: the buffer is cleared
    assert session.poll(body["rid"], STATE) == {"rid": body["rid"] + 1}


def test_unknown_rid_gives_a_full_update():
    data = MainData()
    data.put_torrent("a" * 40, torrent("one"))
    session = data.session()
    session.poll(0, STATE)
    body = session.poll(77, STATE)
    assert body["full_update"] is True and body["rid"] == 2 and "a" * 40 in body["torrents"]


def test_removals_and_add_then_remove_cancelling_out():
    data = MainData()
    data.put_torrent("a" * 40, torrent("one"))
    session = data.session()
    session.poll(0, STATE)
    data.remove_torrent("a" * 40)
    data.put_torrent("b" * 40, torrent("two"))
    data.remove_torrent("b" * 40)  # never seen by the client: nothing to say
    assert session.poll(1, STATE) == {"rid": 2, "torrents_removed": ["a" * 40]}


def test_categories_tags_trackers():
    data = MainData()
    session = data.session()
    session.poll(0, STATE)
    data.put_category("tv", {"name": "tv", "savePath": ""})
    data.add_tag("x")
    data.add_tag("y")
    data.set_torrent_trackers("a" * 40, set(), {"http://t/announce"})
    body = session.poll(1, STATE)
    assert body == {
        "rid": 2,
        "categories": {"tv": {"name": "tv", "savePath": ""}},
        "tags": ["x", "y"],
        "trackers": {"http://t/announce": ["a" * 40]},
    }
    data.remove_category("tv")
    data.remove_tag("x")
    data.set_torrent_trackers("a" * 40, {"http://t/announce"}, set())
    assert session.poll(2, STATE) == {
        "rid": 3,
        "categories_removed": ["tv"],
        "tags_removed": ["x"],
        "trackers_removed": ["http://t/announce"],
    }


def test_sessions_are_independent():
    data = MainData()
    first, second = data.session(), data.session()
    first.poll(0, STATE)
    data.put_torrent("a" * 40, torrent("one"))
    second.poll(0, STATE)
    assert first.poll(1, STATE)["torrents"] == {"a" * 40: torrent("one")}
    assert second.poll(1, STATE) == {"rid": 2}


def test_rid_cycles_after_a_million():
    session = MainData().session()
    session.poll(0, STATE)
    session.last_sent = session.last_accepted = 1_000_000
    assert session.poll(1_000_000, STATE)["rid"] == 1
