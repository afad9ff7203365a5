"""cross-seed client entries, the shared rules, and errors that become FAILURE, not exceptions."""

from __future__ import annotations

import pytest

from tests.support.torrent_clients import free_port
from torrentstack.crossseed.clients import (
    Deluge,
    QBittorrent,
    TorrentClientError,
    Transmission,
    make_client,
    parse_client_entry,
)
from torrentstack.crossseed.clients.base import duplicate_category, should_recheck, torrent_filename
from torrentstack.crossseed.decision import ActionResult, Decision
from torrentstack.crossseed.searchee import Metafile, Searchee, files_of
from torrentstack.crossseed.trackers import tracker_hosts
from torrentstack.errors import ConfigError


def test_cross_seed_entries_parse_without_keeping_credentials_in_the_label():
    entry = parse_client_entry("qbittorrent:http://user:p%40ss@127.0.0.1:8080")
    assert (entry.kind, entry.username, entry.password) == ("qbittorrent", "user", "p@ss")
    assert entry.label == "qbittorrent:http://127.0.0.1:8080" and not entry.readonly
    assert "p@ss" not in repr(entry)

    rpc = parse_client_entry("transmission:readonly:http://u:p@host:9091/transmission/rpc")
    assert rpc.readonly and rpc.path == "/transmission/rpc" and rpc.port == 9091
    assert rpc.label == "transmission:http://host:9091/transmission/rpc"

    assert parse_client_entry("readonly:qbittorrent:http://h:1").readonly  # prefix form too
    deluge = parse_client_entry("deluge:rpc://user:pw@h")
    assert deluge.port == 58846 and deluge.username == "user"


@pytest.mark.parametrize(
    "text",
    ["rtorrent:http://h:1/RPC2", "qbittorrent:not a url", "deluge:http://:pw@h:8112/json"],
)
def test_bad_entries_are_config_errors_without_the_password(text):
    with pytest.raises(ConfigError) as caught:
        parse_client_entry(text)
    assert "pw" not in str(caught.value).replace("PASSWORD", "")


def test_make_client_picks_the_kind():
    assert isinstance(make_client("qbittorrent:http://h:1"), QBittorrent)
    assert isinstance(make_client("transmission:http://h:1/transmission/rpc"), Transmission)
    assert isinstance(make_client("deluge:rpc://u:p@h:1"), Deluge)


def meta(*paths: str, raw: bytes = b"d4:infod4:name1:aee") -> Metafile:
    return Metafile("Show/x", "c" * 40, 16384, files_of((p, 1) for p in paths), raw=raw)


def test_recheck_only_for_partial_matches_discs_or_when_told():
    assert not should_recheck(meta("a.mkv"), Decision.MATCH)
    assert not should_recheck(meta("a.mkv"), Decision.MATCH_SIZE_ONLY)
    assert should_recheck(meta("a.mkv"), Decision.MATCH_PARTIAL)
    assert should_recheck(meta("BDMV/STREAM/00001.m2ts"), Decision.MATCH)
    assert should_recheck(meta("a.mkv"), Decision.MATCH, skip_recheck=False)


def test_names_categories_and_trackers():
    assert torrent_filename(meta("a")) == "Show_x.cross-seed.torrent"
    assert duplicate_category("tv") == "tv.cross-seed"
    assert duplicate_category("tv.cross-seed") == "tv.cross-seed"
    assert duplicate_category("") == ""
    assert duplicate_category("cross-seed-link", "cross-seed-link") == "cross-seed-link"
    assert tracker_hosts(["https://T.test/a/KEY", "** [DHT] **", "udp://t.test:6969", "x"]) == (
        "t.test",
        "t.test:6969",
    )


@pytest.mark.parametrize(
    "entry",
    [
        "qbittorrent:http://u:p@127.0.0.1:{port}",
        "transmission:http://u:p@127.0.0.1:{port}/transmission/rpc",
        "deluge:rpc://u:p@127.0.0.1:{port}",
    ],
)
async def test_an_unreachable_client_fails_injection_and_raises_elsewhere(entry):
    client = make_client(entry.format(port=free_port()))  # nothing listens there
    source = Searchee("Show", files_of([("Show/a", 1)]), info_hash="a" * 40, save_path="/d")
    try:
        result = await client.inject(meta("Show/a"), source, Decision.MATCH)
        assert result == ActionResult.FAILURE
        with pytest.raises(TorrentClientError) as caught:
            await client.searchees()
        assert caught.value.client == client.label and ":p@" not in str(caught.value)
    finally:
        await client.close()
