"""Caps parsing: Jackett and Prowlarr documents, cross-seed's flags and defaults, fuzzing."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from torrentstack.crossseed.media import MediaType
from torrentstack.crossseed.torznab.caps import (
    ALL_CAPS,
    Caps,
    Categories,
    PageLimits,
    parse_caps,
)
from torrentstack.crossseed.torznab.errors import TorznabApiError, TorznabError, TorznabXmlError

DATA = Path(__file__).parent / "data"


def test_jackett_caps():
    caps = parse_caps((DATA / "jackett-caps.xml").read_bytes())
    assert (caps.search, caps.tv_search, caps.movie_search) == (True, True, True)
    assert (caps.music_search, caps.audio_search, caps.book_search) == (False, False, True)
    assert caps.tv_ids() == {"tvdbid", "tmdbid", "imdbid", "tvmazeid"}
    assert caps.movie_ids() == {"imdbid", "tmdbid"}
    assert {"q", "season", "ep"} <= caps.tv_params
    assert caps.limits == PageLimits(default=100, max=100)
    # top-level names only, as cross-seed reads them: "Anime" is a custom top-level category
    assert caps.categories == Categories(
        movie=True, tv=True, anime=True, xxx=False, audio=False, book=True, additional=False
    )


def test_prowlarr_caps():
    caps = parse_caps((DATA / "prowlarr-caps.xml").read_bytes())
    assert caps.tv_search and not caps.movie_search and caps.music_search and caps.audio_search
    assert caps.limits == PageLimits(default=100, max=1000)
    assert caps.movie_ids() == frozenset()
    # "PC" (4000) is additional; "Other" (8000) is not, as in cross-seed
    assert caps.categories == Categories(audio=True, xxx=True, additional=True)


@pytest.mark.parametrize(
    ("media", "expected"),
    [
        (MediaType.EPISODE, True),  # xxx counts for every video type, as in cross-seed v6
        (MediaType.MOVIE, True),
        (MediaType.AUDIO, True),
        (MediaType.BOOK, False),
        (MediaType.OTHER, True),
    ],
)
def test_supports_follows_cross_seed(media, expected):
    caps = parse_caps((DATA / "prowlarr-caps.xml").read_bytes())
    assert caps.supports(media) is expected


def test_supports_without_xxx():
    tv_only = Caps(search=True, tv_search=True, categories=Categories(tv=True))
    assert tv_only.supports(MediaType.EPISODE)
    assert tv_only.supports(MediaType.SEASON)
    assert tv_only.supports(MediaType.ANIME)
    assert not tv_only.supports(MediaType.MOVIE)
    assert not tv_only.supports(MediaType.AUDIO)
    assert not tv_only.supports(MediaType.OTHER)
    assert all(ALL_CAPS.supports(m) for m in MediaType)


def test_missing_sections_take_cross_seeds_defaults():
    caps = parse_caps(b"<caps/>")
    assert caps == Caps()
    assert caps.limits == PageLimits(100, 100)


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ('default="20" max="50"', PageLimits(20, 50)),
        ('max="500"', PageLimits(100, 500)),
        ('default="abc" max="-3"', PageLimits(100, 100)),
        ('default="500" max="50"', PageLimits(50, 50)),
    ],
)
def test_limits(attributes, expected):
    assert parse_caps(f"<caps><limits {attributes}/></caps>").limits == expected


def test_available_must_be_yes():
    xml = b'<caps><searching><search available="true"/><tv-search available="YES"/></searching></caps>'
    caps = parse_caps(xml)
    assert not caps.search and caps.tv_search


def test_newznab_error_is_typed():
    with pytest.raises(TorznabApiError) as raised:
        parse_caps(
            b'<?xml version="1.0"?><error code="100" description="Incorrect user credentials"/>'
        )
    assert (raised.value.code, raised.value.description) == (100, "Incorrect user credentials")


@pytest.mark.parametrize(
    "data", [b"", b"   ", b"<caps>", b"<rss/>", b"not xml", "<caps>\u0000</caps>", b"\xff\xfe<"]
)
def test_not_caps_is_a_typed_error(data):
    with pytest.raises(TorznabXmlError):
        parse_caps(data)


def test_entities_are_not_expanded():
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE caps [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY ext SYSTEM "file:///etc/passwd">]>
<caps><server title="&c;&ext;"/><categories><category id="1" name="&c;"/></categories></caps>"""
    try:
        caps = parse_caps(bomb)
    except TorznabXmlError:
        return  # refusing the document is as good as not expanding it
    assert caps.categories == Categories()


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_bytes_only_raise_the_typed_error(data):
    with contextlib.suppress(TorznabError):
        parse_caps(data)


_names = st.sampled_from(
    [
        "caps",
        "searching",
        "search",
        "tv-search",
        "limits",
        "categories",
        "category",
        "subcat",
        "error",
        "x",
    ]
)
_attrs = st.dictionaries(
    st.sampled_from(
        ["available", "supportedParams", "default", "max", "id", "name", "code", "description"]
    ),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters='<&"\x00'), max_size=12),
    max_size=4,
)
_elements = st.recursive(
    st.tuples(_names, _attrs, st.just(())),
    lambda inner: st.tuples(_names, _attrs, st.lists(inner, max_size=4)),
    max_leaves=20,
)


def _render(element) -> str:
    name, attrs, kids = element
    rendered = " ".join(f'{k}="{v}"' for k, v in attrs.items())
    return f"<{name} {rendered}>{''.join(_render(k) for k in kids)}</{name}>"


@settings(max_examples=120, deadline=None)
@given(_elements)
def test_fuzz_structured_documents_only_raise_the_typed_error(element):
    try:
        caps = parse_caps(_render(element))
    except TorznabError:
        return
    assert caps.limits.max >= caps.limits.default >= 1
