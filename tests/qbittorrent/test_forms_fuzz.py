"""The form readers and `torrents/add`'s parser take any text: a value or 400, nothing else."""

from __future__ import annotations

import contextlib

from hypothesis import given
from hypothesis import strategies as st

from torrentstack.qbittorrent import forms
from torrentstack.qbittorrent.adding import add_request
from torrentstack.qbittorrent.errors import BadParams

ADD_KEYS = [
    "urls", "savepath", "cookie", "category", "tags", "skip_checking", "seedMode", "paused",
    "stopped", "root_folder", "contentLayout", "rename", "upLimit", "dlLimit", "ratioLimit",
    "seedingTimeLimit", "inactiveSeedingTimeLimit", "autoTMM", "sequentialDownload",
    "firstLastPiecePrio", "forced", "addToTopOfQueue", "downloadPath", "useDownloadPath",
]  # fmt: skip


@given(st.dictionaries(st.sampled_from(ADD_KEYS), st.text(max_size=40)))
def test_add_request_is_parsed_or_400(params):
    try:
        request = add_request(params)
    except BadParams:
        return
    assert all("," not in tag and tag == tag.strip() and tag for tag in request.tags)
    assert request.content_layout in (None, "Original", "Subfolder", "NoSubfolder")


@given(st.text(max_size=200))
def test_list_readers_take_any_text(text):
    assert all(item and "," not in item for item in forms.tags(text))
    assert all(item and "\n" not in item for item in forms.lines(text))
    for host, port in forms.peers(text):
        assert host and 0 < port < 65536
    hashes = forms.parse_hashes(text)
    assert hashes is None or all(h == h.lower() for h in hashes)


@given(st.text(max_size=30))
def test_numbers_are_values_or_400(text):
    for reader in (forms.integer, forms.number):
        with contextlib.suppress(BadParams):
            reader({"x": text}, "x")
    assert forms.parse_bool(text) in (None, True, False)


def test_bool_is_case_insensitive():
    assert forms.parse_bool("TRUE") is True and forms.parse_bool("False") is False
    assert forms.parse_bool("1") is None
