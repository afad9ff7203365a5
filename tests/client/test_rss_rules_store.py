"""The auto-downloader's files: rules and taken articles written atomically and read back; a
damaged file is started without; a rule's torrent parameters as `torrents/add` options; what
each kind of article URL becomes (with a fake adder)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from torrentstack.client.log_buffer import LogBuffer
from torrentstack.client.rss_downloader import RssAutoDownloader, add_request
from torrentstack.client.rss_rules_store import RULES_FILE, TAKEN_FILE, RulesStore
from torrentstack.qbittorrent.adding import AddRequest, Source
from torrentstack.qbittorrent.persona import PERSONAS
from torrentstack.qbittorrent.preferences import DEFAULTS
from torrentstack.qbittorrent.rss_article import Article
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


class FakeAdder:
    def __init__(self) -> None:
        self.added: list[tuple[str, str | None]] = []

    async def add(self, sources: list[Source], request: AddRequest) -> int:
        self.added += [(s.magnet, request.category) for s in sources]
        return len(sources)

    def add_from_url(self, url: str, cookie: str, request: AddRequest) -> None:
        self.added.append((url, request.category))


async def test_what_each_kind_of_torrent_url_becomes(tmp_path: Path) -> None:
    adder = FakeAdder()
    log = LogBuffer(lambda: 0.0)
    prefs = dict(DEFAULTS, rss_auto_downloading_enabled=True)
    downloader = RssAutoDownloader(
        store=RulesStore(tmp_path), adder=adder, prefs=prefs, persona=PERSONAS["5.1"], log=log
    )
    await downloader.load()
    await downloader.set_rule("r", json.dumps({"affectedFeeds": ["f"], "assignedCategory": "c"}))
    when = datetime(2026, 1, 1, tzinfo=UTC)
    urls = [
        "A" * 40,
        "https://site/x.torrent",
        "ftp://site/x.torrent",
        "magnet:?xt=urn:btih:" + "b" * 40,
        "",
    ]
    articles = [Article(str(i), f"t{i}", when, url) for i, url in enumerate(urls)]
    await downloader.on_articles("f", articles)
    assert adder.added == [
        ("magnet:?xt=urn:btih:" + "A" * 40, "c"),
        ("https://site/x.torrent", "c"),
        ("magnet:?xt=urn:btih:" + "b" * 40, "c"),
    ]
    assert any("not supported: ftp://site/x.torrent" in e.message for e in log.after(-1))
    await downloader.on_articles("f", articles)
    assert len(adder.added) == 3
    prefs["rss_auto_downloading_enabled"] = False
    await downloader.on_articles(
        "f", [Article("new", "new", when, "magnet:?xt=urn:btih:" + "c" * 40)]
    )
    assert len(adder.added) == 3
    await downloader.close()
