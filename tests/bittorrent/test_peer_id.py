"""Peer id client names: Azureus, Shadow and Mainline styles, a few oddballs, and never raising."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from torrentstack.bittorrent.peer_id import PeerClient, client_from_peer_id, identify

PAD = b"0123456789ab"  # the random tail of a 20-byte id


@pytest.mark.parametrize(
    ("peer_id", "client"),
    [
        (b"-qB4650-" + PAD, "qBittorrent 4.6.5"),
        (b"-qB5010-" + PAD, "qBittorrent 5.0.1"),
        (b"-TR4050-" + PAD, "Transmission 4.0.5"),
        (b"-lt0D80-" + PAD, "libtorrent (rakshasa) 0.13.8"),
        (b"-LT2010-" + PAD, "libtorrent (Rasterbar) 2.0.1"),
        (b"-LT20A0-" + PAD, "libtorrent (Rasterbar) 2.0.10"),
        (b"-DE13F0-" + PAD, "Deluge 1.3.15"),
        (b"-DE2110-" + PAD, "Deluge 2.1.1"),
        (b"-UT3550-" + PAD, "\u00b5Torrent 3.5.5"),
        (b"-UT355W-" + PAD, "\u00b5Torrent 3.5.5.32"),
        (b"-AZ5770-" + PAD, "Azureus 5.7.7"),
        (b"-BI3601-" + PAD, "BiglyBT 3.6.0.1"),
        (b"-BC0209-" + PAD, "BitComet 0.2.0.9"),
        (b"-KT5200-" + PAD, "KTorrent 5.2.0"),
        (b"-WW0105-" + PAD, "WebTorrent 0.1.0.5"),
        (b"S58B-----" + PAD[:11], "Shadow 5.8.11"),
        (b"T03I-----" + PAD[:11], "BitTornado 0.3.18"),
        (b"T03C-----6mQ8ViLGOFq", "BitTornado 0.3.12"),
        (b"A310--001v5Gysr4NxNK", "ABC 3.1.0"),
        (b"O100-----" + PAD[:11], "Osprey Permaseed 1.0.0"),
        (b"Q1-0-0--" + PAD, "Queen Bee 1.0.0"),
        (b"R34------" + PAD[:11], "Tribler 3.4"),
        (b"U1----------" + PAD[:8], "UPnP NAT Bit Torrent 1"),
        (b"M4-3-6--" + PAD, "Mainline 4.3.6"),
        (b"M7-10-4-" + PAD, "Mainline 7.10.4"),
        (b"exbc\x008LORD" + PAD[:8], "BitComet 0.56"),
        (b"XBT027--" + PAD, "XBT Client 0.2.7"),
        (b"OP7685" + PAD + b"xx", "Opera 7685"),
        (b"-ML2.7.2-" + PAD[:11], "MLdonkey 2.7.2"),
    ],
)
def test_known_clients(peer_id: bytes, client: str) -> None:
    assert client_from_peer_id(peer_id) == client
    assert str(identify(peer_id)) == client


@pytest.mark.parametrize(
    "peer_id",
    [
        b"",
        b"-",
        b"-qB46",
        b"-ZZ1234-" + PAD,  # well formed, unknown client code
        b"-qB46!0-" + PAD,  # a version character outside [0-9A-Za-z]
        b"-qB4650" + PAD,  # no closing dash
        b"\x00" * 20,
        b"\xff" * 20,
        b"S5-1-----" + PAD[:11],  # Shadow padding with a version character after it
        b"S58B" + PAD,  # no "---"
        b"Mx-3-6--" + PAD,
        b"exbc",
        b"-ML-" + PAD,
    ],
)
def test_unknown_ids(peer_id: bytes) -> None:
    assert client_from_peer_id(peer_id) is None
    assert identify(peer_id) is None


def test_peer_client_value() -> None:
    assert identify(b"-qB4650-" + PAD) == PeerClient("qBittorrent", "4.6.5")
    assert str(PeerClient("Some client")) == "Some client"
    assert identify(bytearray(b"-TR4050-" + PAD)) == PeerClient("Transmission", "4.0.5")


def test_non_bytes_input_gives_none() -> None:
    assert client_from_peer_id("-qB4650-abcdefghijkl") is None  # type: ignore[arg-type]
    assert client_from_peer_id(None) is None  # type: ignore[arg-type]
    assert client_from_peer_id(-1) is None  # type: ignore[arg-type]
    assert client_from_peer_id(10**12) is None  # type: ignore[arg-type]  # bytes(n) would allocate


@settings(max_examples=2000)
@given(st.binary(max_size=24) | st.binary(min_size=20, max_size=20))
def test_never_raises(peer_id: bytes) -> None:
    result = client_from_peer_id(peer_id)
    assert result is None or isinstance(result, str)


@settings(max_examples=1000)
@given(
    st.sampled_from([b"-", b"S", b"T", b"M", b"A", b"exbc", b"XBT", b"OP", b"-ML"]),
    st.binary(max_size=20),
)
def test_never_raises_on_known_prefixes(prefix: bytes, rest: bytes) -> None:
    identify(prefix + rest)
