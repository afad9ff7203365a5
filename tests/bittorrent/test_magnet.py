"""Magnet links: parsing each parameter, errors, the round trip, fuzzing, libtorrent's reading."""

from __future__ import annotations

import contextlib
import ipaddress
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from torrentstack.bittorrent import magnet
from torrentstack.bittorrent.infohash import InfoHash
from torrentstack.bittorrent.magnet import Magnet, MagnetError
from torrentstack.errors import FormatError

V1 = "c9e15763f722f23e98a29decdfae341b98d53056"
V2 = "caf1e1c30e81cb361b9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e"
H1 = InfoHash.from_hex(V1)
H2 = InfoHash.from_hex(V2)


def test_parse_every_parameter() -> None:
    m = magnet.parse(
        f"magnet:?xt=urn:btih:{V1}&xt=urn:btmh:1220{V2}&dn=Some+Name%20%C3%A9&xl=1234"
        "&tr=udp%3A%2F%2Ftracker.example.org%3A1337&tr=http://b.example/announce"
        "&ws=http%3A%2F%2Fseed.example%2Ff%2F&x.pe=10.0.0.1:6881&x.pe=[2001:db8::1]:51413"
        "&x.pe=example.net:1&so=0,2-4&kt=ignored"
    )
    assert m == Magnet(
        info_hash_v1=H1,
        info_hash_v2=H2,
        name="Some Name é",
        trackers=("udp://tracker.example.org:1337", "http://b.example/announce"),
        web_seeds=("http://seed.example/f/",),
        peers=(("10.0.0.1", 6881), ("2001:db8::1", 51413), ("example.net", 1)),
        length=1234,
    )
    assert m.info_hash == H1


def test_numbered_trackers() -> None:
    m = magnet.parse(f"magnet:?xt=urn:btih:{V1}&tr.1=http://a/&tr.2=http://b/&tr=http://c/")
    assert m.trackers == ("http://a/", "http://b/", "http://c/")


@pytest.mark.parametrize(
    ("uri", "v1", "v2"),
    [
        (f"magnet:?xt=urn:btih:{V1}", H1, None),
        (f"magnet:?xt=urn:btih:{V1.upper()}", H1, None),
        (f"magnet:?xt=urn:btih:{H1.base32}", H1, None),
        (f"magnet:?xt=urn:btih:{H1.base32.lower()}", H1, None),
        (f"MAGNET:?XT=URN:BTIH:{V1}", H1, None),
        (f"magnet:?xt=urn:btmh:1220{V2}", None, H2),
        (f"magnet:?xt.1=urn:btih:{V1}&xt.2=urn:btmh:1220{V2}", H1, H2),
        (f"magnet:?xt=urn:ed2k:abc&xt=urn:btih:{V1}", H1, None),
        (f"magnet:?xt=urn:btih:{V1}&xt=urn:btih:{H1.base32}", H1, None),
        (f"magnet:?xt=urn:btih:{V1}&xt=urn:sha1:{'0' * 32}", H1, None),
        (f"  magnet:?xt=urn:btih:{V1}#fragment", H1, None),
    ],
)
def test_exact_topics(uri: str, v1: InfoHash | None, v2: InfoHash | None) -> None:
    m = magnet.parse(uri)
    assert (m.info_hash_v1, m.info_hash_v2) == (v1, v2)
    assert m.info_hash == (v1 or v2)


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("", "not a magnet"),
        ("http://example.org/?xt=urn:btih:" + V1, "not a magnet"),
        ("magnet:xt=urn:btih:" + V1, "not a magnet"),
        ("magnet:?dn=name", "no urn:btih"),
        ("magnet:?xt=urn:ed2k:31D6CFE0D16AE931B73C59D7E0C089C0", "no urn:btih"),
        ("magnet:?xt=urn:btih:" + V1[:-1], "bad info hash"),
        ("magnet:?xt=urn:btih:" + "z" * 40, "bad info hash"),
        ("magnet:?xt=urn:btih:" + "1" * 32, "bad info hash"),
        ("magnet:?xt=urn:btih:" + V2, "btih must be"),
        ("magnet:?xt=urn:btih:", "bad info hash"),
        ("magnet:?xt=urn:btmh:" + V2, "sha2-256 multihash"),
        ("magnet:?xt=urn:btmh:1114" + V1, "sha2-256 multihash"),
        ("magnet:?xt=urn:btmh:1220" + V2[:-2], "sha2-256 multihash"),
        ("magnet:?xt=urn:btmh:1220" + "g" * 64, "bad info hash"),
        (f"magnet:?xt=urn:btih:{V1}&xt=urn:btih:{'0' * 40}", "two different btih"),
        (f"magnet:?xt=urn:btmh:1220{V2}&xt=urn:btmh:1220{'0' * 64}", "two different btmh"),
        (f"magnet:?xt=urn:btih:{V1}&xl=-1", "xl"),
        (f"magnet:?xt=urn:btih:{V1}&xl=12a", "xl"),
        (f"magnet:?xt=urn:btih:{V1}&xl=", "xl"),
        (f"magnet:?xt=urn:btih:{V1}&xl=" + "9" * 5000, "xl"),
        (f"magnet:?xt=urn:btih:{V1}&xl=%D9%A3", "xl"),  # an Arabic-Indic digit
    ],
)
def test_errors(uri: str, message: str) -> None:
    with pytest.raises(MagnetError, match=message) as info:
        magnet.parse(uri)
    assert isinstance(info.value, FormatError)
    assert info.value.value is not None


def test_unusable_peers_and_empty_values_are_skipped() -> None:
    m = magnet.parse(
        f"magnet:?xt=urn:btih:{V1}&tr=&ws=&x.pe=nohost&x.pe=:1&x.pe=h:0&x.pe=h:70000"
        "&x.pe=::1:5&x.pe=[1.2.3.4]:5&x.pe=h:1x&x.pe=h:99999999999999999999&x.pe=a b:1"
    )
    assert (m.trackers, m.web_seeds, m.peers) == ((), (), ())


def test_first_dn_wins_and_blank_dn_is_kept() -> None:
    assert magnet.parse(f"magnet:?xt=urn:btih:{V1}&dn=a&dn=b").name == "a"
    assert magnet.parse(f"magnet:?xt=urn:btih:{V1}&dn=").name == ""
    assert magnet.parse(f"magnet:?xt=urn:btih:{V1}").name is None


def test_format_and_to_dict() -> None:
    m = Magnet(H1, H2, "a b+c&d", ("udp://t:1/a?x=1",), ("http://s/",), (("::1", 80),), 5)
    uri = m.to_uri()
    assert uri == (
        f"magnet:?xt=urn:btih:{V1}&xt=urn:btmh:1220{V2}&dn=a%20b%2Bc%26d&xl=5"
        "&tr=udp%3A%2F%2Ft%3A1%2Fa%3Fx%3D1&ws=http%3A%2F%2Fs%2F&x.pe=[::1]:80"
    )
    assert magnet.format(m) == uri
    d = m.to_dict()
    assert d == {
        "name": "a b+c&d",
        "info_hash_v1": V1,
        "info_hash_v2": V2,
        "trackers": [["udp://t:1/a?x=1"]],
        "web_seeds": ["http://s/"],
        "peers": ["[::1]:80"],
        "length": 5,
    }
    assert json.loads(json.dumps(d)) == d


def test_magnet_values_are_validated() -> None:
    with pytest.raises(MagnetError, match="needs a v1 or v2"):
        Magnet()
    with pytest.raises(MagnetError, match="20-byte"):
        Magnet(info_hash_v1=H2)
    with pytest.raises(MagnetError, match="32-byte"):
        Magnet(info_hash_v2=H1)
    with pytest.raises(MagnetError, match="non-negative"):
        Magnet(H1, length=-1)
    with pytest.raises(MagnetError, match="20 digits"):
        Magnet(H1, length=10**20)


# --- round trip and fuzzing -------------------------------------------------------------------

text = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
urls = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40)
hosts = st.ip_addresses().map(str) | st.from_regex(
    r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z]{2,6})?", fullmatch=True
)
v1_hashes = st.binary(min_size=20, max_size=20).map(InfoHash)
v2_hashes = st.binary(min_size=32, max_size=32).map(InfoHash)
magnets = st.one_of(
    st.tuples(v1_hashes, st.none()),
    st.tuples(st.none(), v2_hashes),
    st.tuples(v1_hashes, v2_hashes),
).flatmap(
    lambda hashes: st.builds(
        Magnet,
        info_hash_v1=st.just(hashes[0]),
        info_hash_v2=st.just(hashes[1]),
        name=st.none() | text,
        trackers=st.lists(urls, max_size=3).map(tuple),
        web_seeds=st.lists(urls, max_size=3).map(tuple),
        peers=st.lists(st.tuples(hosts, st.integers(1, 65535)), max_size=3).map(tuple),
        length=st.none() | st.integers(0, 10**20 - 1),
    )
)


@given(magnets)
def test_round_trip(m: Magnet) -> None:
    uri = magnet.format(m)
    assert magnet.parse(uri) == m
    assert magnet.format(magnet.parse(uri)) == uri


def test_ip_addresses_in_peers_round_trip() -> None:
    for host in ("192.0.2.1", str(ipaddress.ip_address("2001:db8::2"))):
        m = Magnet(H1, peers=((host, 6881),))
        assert magnet.parse(m.to_uri()).peers == ((host, 6881),)


FUZZ = settings(max_examples=1000, suppress_health_check=[HealthCheck.too_slow], deadline=None)


@FUZZ
@given(st.text(max_size=120))
def test_fuzz_random_text(uri: str) -> None:
    with contextlib.suppress(MagnetError):
        magnet.parse(uri)


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["xt", "xt.1", "dn", "tr", "ws", "xl", "x.pe", "so", ""]),
            st.sampled_from(["urn:btih:", "urn:btmh:", "urn:btmh:1220", "", "%", "%ff", "&", "="])
            | st.text(max_size=10),
            st.sampled_from([V1, V2, H1.base32, "", "0" * 39]) | st.text(max_size=70),
        ),
        max_size=6,
    )
)
def test_fuzz_magnet_shaped_text(params: list[tuple[str, str, str]]) -> None:
    uri = "magnet:?" + "&".join(f"{k}={prefix}{v}" for k, prefix, v in params)
    with contextlib.suppress(MagnetError):
        magnet.parse(uri)


@pytest.mark.libtorrent
def test_libtorrent_reads_our_magnets_the_same_way() -> None:
    lt = pytest.importorskip("libtorrent")
    m = Magnet(
        H1,
        H2,
        "Ünïcødé name + plus",
        ("udp://tracker.example.org:1337/announce", "http://b.example/a?k=1&x=2"),
        ("http://seed.example/files/",),
        (("192.0.2.1", 6881), ("2001:db8::1", 51413)),
    )
    params = lt.parse_magnet_uri(m.to_uri())
    assert params.info_hashes.v1.to_bytes() == H1.digest
    assert params.info_hashes.v2.to_bytes() == H2.digest
    assert params.name == m.name
    assert list(params.trackers) == list(m.trackers)
    assert list(params.url_seeds) == list(m.web_seeds)
    assert [(host, port) for host, port in params.peers] == list(m.peers)
