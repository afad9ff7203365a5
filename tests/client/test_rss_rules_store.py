"""The auto-downloader's files: rules and taken articles written atomically and read back; a
damaged file is started without; a rule's torrent parameters as `torrents/add` options."""

from __future__ import annotations

import json
from pathlib import Path

from torrentstack.client.rss_downloader import add_request
from torrentstack.client.rss_rules_store import RULES_FILE, TAKEN_FILE, RulesStore
from torrentstack.qbittorrent.rss_rules import TorrentParams, rule_from_json


def test_rules_and_records_round_trip(tmp_path: Path) -> None:
    store = RulesStore(tmp_path / "rss")
    assert store.load().rules == [] and store.load().taken == {}
    rules = [
        rule_from_json(
            {"mustContain": "a|b", "priority": 2, "torrentParams": {"tags": ["x"]}}, "one"
        ),
        rule_from_json({"lastMatch": "01 Dec 2026 10:00:00 +0100", "useRegex": True}, "two"),
    ]
    store.save_rules(rules)
    store.save_taken({"http://f/": {"g1": "one"}})
    loaded = store.load()
    assert loaded.rules == rules
    assert loaded.taken == {"http://f/": {"g1": "one"}}
    assert sorted(p.name for p in (tmp_path / "rss").iterdir()) == [TAKEN_FILE, RULES_FILE]
    on_disk = json.loads((tmp_path / "rss" / RULES_FILE).read_text())
    assert on_disk["one"]["mustContain"] == "a|b"  # qBittorrent's own file format


def test_a_damaged_file_is_started_without(tmp_path: Path) -> None:
    (tmp_path / RULES_FILE).write_text("{broken")
    (tmp_path / TAKEN_FILE).write_text('{"http://f/": ["not", "a", "map"], "http://g/": {"a": 1}}')
    loaded = RulesStore(tmp_path).load()
    assert loaded.rules == []
    assert loaded.taken == {"http://g/": {"a": "1"}}


def test_add_request_from_rule_params() -> None:
    request = add_request(
        TorrentParams(category="tv", tags=("a",), save_path="/s", stopped=True,
                      download_path="/d", use_download_path=False, upload_limit=-1,
                      download_limit=500, forced=True, content_layout="Subfolder")
    )  # fmt: skip
    assert (request.category, request.tags, request.save_path, request.stopped) == (
        "tv", ("a",), "/s", True,
    )  # fmt: skip
    assert (request.download_path, request.up_limit, request.dl_limit) == ("", 0, 500)
    assert request.forced and request.content_layout == "Subfolder"
    assert add_request(TorrentParams()).stopped is None  # the client's preference decides
