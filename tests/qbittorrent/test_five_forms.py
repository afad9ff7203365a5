"""The 5.x parameters read as qBittorrent 5.1 reads them: `torrentcreator/addTask`'s and web
seed URLs (`validateWebSeedUrl`)."""

from __future__ import annotations

import pytest

from torrentstack.qbittorrent.errors import BadParams
from torrentstack.qbittorrent.torrent_creator import CreatorParams, creator_params
from torrentstack.qbittorrent.web_seeds import web_seed_url, web_seed_urls


def test_creator_defaults():
    assert creator_params({"sourcePath": "/data/x"}) == CreatorParams(
        source_path="/data/x", start_seeding=True
    )
    # with a torrent file path, seeding is off unless asked for
    assert (
        creator_params({"sourcePath": "/x", "torrentFilePath": "/o.torrent"}).start_seeding is False
    )


@pytest.mark.parametrize(
    ("params", "field", "value"),
    [
        ({"format": "V1"}, "format", "v1"),
        ({"format": "v2"}, "format", "v2"),
        ({"format": "bogus"}, "format", "hybrid"),
        ({"pieceSize": "65536"}, "piece_size", 65536),
        ({"pieceSize": "big"}, "piece_size", 0),
        ({"private": "TRUE"}, "private", True),
        ({"private": "yes"}, "private", False),  # parseBool knows only true/false
        ({"optimizeAlignment": "false"}, "optimize_alignment", False),
        ({"paddedFileSizeLimit": "x"}, "padded_file_size_limit", -1),
        ({"trackers": "a|b||c"}, "trackers", ("a", "b", "", "c")),
        ({"urlSeeds": "http://s/"}, "url_seeds", ("http://s/",)),
        ({"startSeeding": "false"}, "start_seeding", False),
        ({"comment": "c", "source": "s"}, "source", "s"),
    ],
)
def test_creator_params(params: dict[str, str], field: str, value: object):
    assert getattr(creator_params({"sourcePath": "/x", **params}), field) == value


def test_creator_needs_source_path():
    with pytest.raises(BadParams) as caught:
        creator_params({"format": "v1"})
    assert caught.value.message == ""  # 400 "Bad Request"


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ("http://a.example/f/", "http://a.example/f/"),
        ("HTTPS://a.example/", "HTTPS://a.example/"),
        ("http%3A%2F%2Fa.example%2Ff", "http://a.example/f"),  # percent-decoded first
    ],
)
def test_web_seed_url_accepted(text: str, result: str):
    assert web_seed_url(text) == result


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ftp://a/", "URL scheme must be one of [http, https]"),
        ("no-scheme", "URL scheme must be one of [http, https]"),
        ("http://a b/", '"http://a b/" is not a valid URL'),
        ("http://a:port/", '"http://a:port/" is not a valid URL'),
        ("", '"" is not a valid URL'),
    ],
)
def test_web_seed_url_refused(text: str, message: str):
    with pytest.raises(BadParams) as caught:
        web_seed_url(text)
    assert caught.value.message == message


def test_web_seed_urls_skip_empty_items():
    assert web_seed_urls("http://a/||https://b/|") == ["http://a/", "https://b/"]
