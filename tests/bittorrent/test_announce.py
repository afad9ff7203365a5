"""The shared announce value and packed endpoints: BEP 15 event numbers, IPv4/IPv6 round trips."""

from __future__ import annotations

import dataclasses
import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from torrentstack.bittorrent.announce import (
    Announce,
    AnnounceEvent,
    EndpointError,
    pack_endpoint,
    unpack_endpoint,
)
from torrentstack.errors import FormatError

ports = st.integers(0, 65535)


def test_events_are_numbered_as_bep15_numbers_them() -> None:
    assert [(e.name, int(e)) for e in AnnounceEvent] == [
        ("NONE", 0),
        ("COMPLETED", 1),
        ("STARTED", 2),
        ("STOPPED", 3),
    ]


def test_announce_is_a_frozen_value() -> None:
    announce = Announce(b"h" * 20, b"p" * 20, 6881, 0, 0, 100, AnnounceEvent.STARTED, None, b"k")
    with pytest.raises(dataclasses.FrozenInstanceError):
        announce.port = 1  # type: ignore[misc]
    assert announce == dataclasses.replace(announce)
    assert hash(announce) == hash(dataclasses.replace(announce))


@pytest.mark.parametrize(
    ("ip", "port", "packed"),
    [
        ("192.168.1.20", 6881, b"\xc0\xa8\x01\x14\x1a\xe1"),
        ("10.0.0.1", 0, b"\x0a\x00\x00\x01\x00\x00"),
        ("255.255.255.255", 65535, b"\xff" * 6),
        ("2001:db8::1", 51413, bytes.fromhex("20010db8000000000000000000000001") + b"\xc8\xd5"),
        ("::1", 1, bytes(15) + b"\x01\x00\x01"),
        (b"\x7f\x00\x00\x01", 80, b"\x7f\x00\x00\x01\x00\x50"),
        (bytes(16), 80, bytes(16) + b"\x00\x50"),
    ],
)
def test_pack_endpoint(ip: str | bytes, port: int, packed: bytes) -> None:
    assert pack_endpoint(ip, port) == packed


def test_an_ipv4_mapped_address_packs_as_ipv4() -> None:
    # A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; they belong in `peers`.
    assert pack_endpoint("::ffff:192.0.2.7", 6881) == b"\xc0\x00\x02\x07\x1a\xe1"
    mapped = ipaddress.IPv6Address("::ffff:192.0.2.7").packed
    assert pack_endpoint(mapped, 6881) == b"\xc0\x00\x02\x07\x1a\xe1"


def test_an_ipv6_zone_is_dropped() -> None:
    assert pack_endpoint("fe80::1%eth0", 2) == pack_endpoint("fe80::1", 2)


@pytest.mark.parametrize(
    ("ip", "port"),
    [
        ("1.2.3", 1),
        ("256.1.1.1", 1),
        ("example.org", 1),
        ("", 1),
        ("1.2.3.4\x00", 1),
        ("2001:db8:::1", 1),
        ("1.2.3.4", -1),
        ("1.2.3.4", 65536),
        (b"\x01\x02\x03", 1),
        (b"\x00" * 6, 1),
    ],
)
def test_pack_endpoint_rejects(ip: str | bytes, port: int) -> None:
    with pytest.raises(EndpointError) as info:
        pack_endpoint(ip, port)
    assert isinstance(info.value, FormatError)


@pytest.mark.parametrize(
    ("packed", "endpoint"),
    [
        (b"\xc0\xa8\x01\x14\x1a\xe1", ("192.168.1.20", 6881)),
        (bytes.fromhex("20010db8000000000000000000000001") + b"\xc8\xd5", ("2001:db8::1", 51413)),
    ],
)
def test_unpack_endpoint(packed: bytes, endpoint: tuple[str, int]) -> None:
    assert unpack_endpoint(packed) == endpoint


@pytest.mark.parametrize("size", [0, 4, 5, 7, 16, 17, 19])
def test_unpack_endpoint_rejects_other_sizes(size: int) -> None:
    with pytest.raises(EndpointError) as info:
        unpack_endpoint(bytes(size))
    assert info.value.value == bytes(size)


@given(st.ip_addresses(v=4), ports)
def test_ipv4_round_trip(ip: ipaddress.IPv4Address, port: int) -> None:
    packed = pack_endpoint(str(ip), port)
    assert packed == ip.packed + port.to_bytes(2, "big")
    assert unpack_endpoint(packed) == (str(ip), port)


@given(st.ip_addresses(v=6), ports)
def test_ipv6_round_trip(ip: ipaddress.IPv6Address, port: int) -> None:
    packed = pack_endpoint(str(ip), port)
    if ip.ipv4_mapped is not None:
        assert packed == ip.ipv4_mapped.packed + port.to_bytes(2, "big")
        return
    assert packed == ip.packed + port.to_bytes(2, "big")
    text, unpacked_port = unpack_endpoint(packed)
    assert (ipaddress.IPv6Address(text), unpacked_port) == (ip, port)


@given(st.text(max_size=50) | st.binary(max_size=20), ports)
def test_pack_endpoint_raises_only_endpoint_error(ip: str | bytes, port: int) -> None:
    try:
        packed = pack_endpoint(ip, port)
    except EndpointError:
        return
    assert len(packed) in (6, 18)
