"""UDP tracker wire (BEP 15 / 41): real libtorrent packets, options, limits, replies, fuzzing."""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from torrentstack.bittorrent.announce import Announce, AnnounceEvent, pack_endpoint
from torrentstack.bittorrent.tracker_udp import (
    MAX_SCRAPE_HASHES,
    PROTOCOL_ID,
    Action,
    ConnectRequest,
    UdpAnnounce,
    UdpPacketError,
    UdpScrape,
    encode_announce,
    encode_connect,
    encode_error,
    encode_scrape,
    parse_request,
)
from torrentstack.errors import FormatError

FUZZ = settings(max_examples=800, suppress_health_check=[HealthCheck.too_slow], deadline=None)

# Captured from libtorrent 2.1.1 (the library inside qBittorrent 5) announcing to
# udp://127.0.0.1:PORT/announce/KEY123?x=1 on a local socket. It sends the URL's path and
# query as one BEP 41 URLData option (type 2, length 0x14) and no END option.
LIBTORRENT_CONNECT = bytes.fromhex("000004172710198000000000adba6454")
LIBTORRENT_ANNOUNCE = bytes.fromhex(
    "1234567890abcdef00000001f3ac107c"
    "292bd6517963f589f15ffc89099f6723"
    "f11ac9ce2d4c54323131302d33665455"
    "4d2d74732e2d2a7a0000000000000000"
    "00000000001000000000000000000000"
    "000000020000000067a1b9a8000000c8"
    "9efb02142f616e6e6f756e63652f4b45"
    "593132333f783d31"
)
LIBTORRENT_INFO_HASH = bytes.fromhex("292bd6517963f589f15ffc89099f6723f11ac9ce")

HEADER = struct.Struct(">QII")
ANNOUNCE = struct.Struct(">QII20s20sqqqIIIiH")
CID = 0x0123456789ABCDEF
HASH = bytes(range(20))
PEER = b"-qB4650-abcdefghijkl"


def _announce(
    *,
    event: int = 2,
    num_want: int = -1,
    key: int = 0,
    ip: int = 0,
    downloaded: int = 0,
    left: int = 100,
    uploaded: int = 0,
    options: bytes = b"",
) -> bytes:
    return (
        ANNOUNCE.pack(
            CID, 1, 7, HASH, PEER, downloaded, left, uploaded, event, ip, key, num_want, 6881
        )
        + options
    )


def _error(data: bytes) -> UdpPacketError:
    with pytest.raises(UdpPacketError) as info:
        parse_request(data)
    assert isinstance(info.value, FormatError)
    return info.value


# --- requests --------------------------------------------------------------------------------


def test_libtorrent_connect() -> None:
    assert parse_request(LIBTORRENT_CONNECT) == ConnectRequest(0xADBA6454)


def test_libtorrent_announce_with_bep41_url_data() -> None:
    assert parse_request(LIBTORRENT_ANNOUNCE) == UdpAnnounce(
        connection_id=0x1234567890ABCDEF,
        transaction_id=0xF3AC107C,
        announce=Announce(
            info_hash=LIBTORRENT_INFO_HASH,
            peer_id=b"-LT2110-3fTUM-ts.-*z",
            port=40699,
            uploaded=0,
            downloaded=0,
            left=1048576,
            event=AnnounceEvent.STARTED,
            numwant=200,
            key=bytes.fromhex("67a1b9a8"),  # the same key libtorrent sends over HTTP as text
        ),
        ip=0,
        url_data=b"/announce/KEY123?x=1",
    )


def test_connect_may_carry_extra_bytes() -> None:
    assert parse_request(LIBTORRENT_CONNECT + b"\x00" * 8) == ConnectRequest(0xADBA6454)


def test_plain_98_byte_announce() -> None:
    request = parse_request(_announce(key=0xDEADBEEF, num_want=50, ip=0x7F000001))
    assert isinstance(request, UdpAnnounce)
    assert (request.connection_id, request.transaction_id, request.ip) == (CID, 7, 0x7F000001)
    assert request.announce == Announce(
        HASH, PEER, 6881, 0, 0, 100, AnnounceEvent.STARTED, 50, b"\xde\xad\xbe\xef"
    )
    assert request.url_data == b""


@pytest.mark.parametrize("num_want", [-1, -2, -(2**31)])
def test_negative_num_want_means_the_default(num_want: int) -> None:
    request = parse_request(_announce(num_want=num_want))
    assert isinstance(request, UdpAnnounce)
    assert request.announce.numwant is None


def test_zero_key_means_no_key_and_zero_num_want_is_kept() -> None:
    request = parse_request(_announce(key=0, num_want=0))
    assert isinstance(request, UdpAnnounce)
    assert (request.announce.key, request.announce.numwant) == (None, 0)


@pytest.mark.parametrize(
    ("options", "url_data"),
    [
        (b"", b""),
        (b"\x00", b""),
        (b"\x01\x01\x01", b""),
        (b"\x02\x09/announce", b"/announce"),
        # BEP 41's own example: the URL split over two URLData options, joined back.
        (b"\x02\x0c/announce/KE\x02\x05Y?x=1", b"/announce/KEY?x=1"),
        (b"\x01\x02\x0c/announce/KE\x01\x01\x02\x05Y?x=1\x00", b"/announce/KEY?x=1"),
        (b"\x02\x03/an\x00\x02\x03xyz", b"/an"),  # END: what follows is not options
        (b"\x00\xff\xff", b""),  # END, then bytes that would be an overrun
        (b"\x02\x00\x02\x02/a", b"/a"),  # an empty URLData option
        (b"\x07\x03abc\x02\x02/a", b"/a"),  # an unknown type is skipped by its length
        (b"\xff\x00\x02\x02/a", b"/a"),
    ],
)
def test_bep41_options(options: bytes, url_data: bytes) -> None:
    request = parse_request(_announce(options=options))
    assert isinstance(request, UdpAnnounce)
    assert request.url_data == url_data


@pytest.mark.parametrize(
    "options",
    [
        b"\x02",  # a type without its length byte
        b"\x02\x05/ann",  # a length past the end
        b"\x01\x02\x03/a\x02\x10/announce",
        b"\x09",
        b"\x09\x01",
    ],
)
def test_bep41_option_overrun_is_a_sendable_error(options: bytes) -> None:
    error = _error(_announce(options=options))
    assert (error.transaction_id, error.connection_id, error.sendable) == (7, CID, True)
    assert "past the end" in str(error)


@pytest.mark.parametrize("count", [1, 2, MAX_SCRAPE_HASHES])
def test_scrape(count: int) -> None:
    hashes = [bytes([i]) * 20 for i in range(count)]
    assert parse_request(HEADER.pack(CID, 2, 9) + b"".join(hashes)) == UdpScrape(CID, 9, hashes)


def test_scrape_keeps_the_first_74_hashes() -> None:
    hashes = [i.to_bytes(20, "big") for i in range(100)]
    request = parse_request(HEADER.pack(CID, 2, 9) + b"".join(hashes))
    assert isinstance(request, UdpScrape)
    assert request.info_hashes == hashes[:74]


@pytest.mark.parametrize(
    ("data", "transaction_id", "sendable"),
    [
        (b"", None, False),
        (LIBTORRENT_CONNECT[:15], None, False),
        (HEADER.pack(PROTOCOL_ID + 1, 0, 5), 5, False),  # connect without the magic
        (HEADER.pack(CID, 0, 5), 5, False),
        (HEADER.pack(CID, 3, 5), 5, False),  # an error packet is not a request
        (HEADER.pack(CID, 4, 5) + bytes(100), 5, False),
        (HEADER.pack(CID, 0xFFFFFFFF, 5), 5, False),
        (_announce()[:97], 7, True),
        (HEADER.pack(CID, 1, 7), 7, True),
        (_announce(event=4), 7, True),
        (_announce(event=0xFFFFFFFF), 7, True),
        (_announce(downloaded=-1), 7, True),
        (_announce(left=-(2**63)), 7, True),
        (_announce(uploaded=-5), 7, True),
        (HEADER.pack(CID, 2, 7), 7, True),  # scrape of no hash
        (HEADER.pack(CID, 2, 7) + HASH + HASH[:19], 7, True),  # a partial hash
        (HEADER.pack(CID, 2, 7) + HASH[:1], 7, True),
    ],
)
def test_bad_packets(data: bytes, transaction_id: int | None, sendable: bool) -> None:
    error = _error(data)
    assert error.transaction_id == transaction_id
    assert error.sendable is sendable
    assert (error.connection_id == CID) is sendable


# --- replies ---------------------------------------------------------------------------------


def test_connect_reply() -> None:
    assert encode_connect(0xADBA6454, 0x1234567890ABCDEF) == bytes.fromhex(
        "00000000adba64541234567890abcdef"
    )


def test_announce_reply_with_ipv4_and_ipv6_endpoints() -> None:
    v4 = pack_endpoint("192.0.2.1", 6881)
    v6 = pack_endpoint("2001:db8::1", 6882)
    reply = encode_announce(0xF3AC107C, interval=1800, leechers=3, seeders=4, endpoints=[v4, v6])
    assert reply == struct.pack(">IIIII", 1, 0xF3AC107C, 1800, 3, 4) + v4 + v6
    assert encode_announce(1, interval=60, leechers=0, seeders=0, endpoints=()) == struct.pack(
        ">IIIII", 1, 1, 60, 0, 0
    )


def test_scrape_reply() -> None:
    reply = encode_scrape(9, iter([(1, 2, 3), (4, 5, 6)]))
    assert reply == struct.pack(">II6I", 2, 9, 1, 2, 3, 4, 5, 6)
    assert encode_scrape(9, []) == struct.pack(">II", 2, 9)


def test_error_reply() -> None:
    assert (
        encode_error(5, "unregistered torrent")
        == b"\x00\x00\x00\x03\x00\x00\x00\x05unregistered torrent"
    )
    assert encode_error(5, "\u00e9\ud800").endswith("\u00e9?".encode())


def test_action_codes() -> None:
    assert [(a.name, int(a)) for a in Action] == [
        ("CONNECT", 0),
        ("ANNOUNCE", 1),
        ("SCRAPE", 2),
        ("ERROR", 3),
    ]
    assert PROTOCOL_ID == 0x41727101980


def test_replies_echo_what_requests_parse() -> None:
    request = parse_request(LIBTORRENT_CONNECT)
    assert isinstance(request, ConnectRequest)
    reply = encode_connect(request.transaction_id, CID)
    assert struct.unpack(">IIQ", reply) == (Action.CONNECT, 0xADBA6454, CID)


# --- round trips -----------------------------------------------------------------------------

uint32 = st.integers(0, 2**32 - 1)
int64 = st.integers(0, 2**63 - 1)
url_chunks = st.lists(st.binary(max_size=255), max_size=5)


@given(
    st.integers(0, 2**64 - 1),
    uint32,
    st.binary(min_size=20, max_size=20),
    st.binary(min_size=20, max_size=20),
    int64,
    int64,
    int64,
    st.integers(0, 3),
    uint32,
    uint32,
    st.integers(-(2**31), 2**31 - 1),
    st.integers(0, 65535),
    url_chunks,
    st.data(),
)
def test_any_announce_packet_parses_to_its_fields(
    connection_id: int,
    transaction_id: int,
    info_hash: bytes,
    peer_id: bytes,
    downloaded: int,
    left: int,
    uploaded: int,
    event: int,
    ip: int,
    key: int,
    num_want: int,
    port: int,
    chunks: list[bytes],
    data: st.DataObject,
) -> None:
    options = b""
    for chunk in chunks:
        options += b"\x01" * data.draw(st.integers(0, 2))  # NOPs between options
        options += bytes([2, len(chunk)]) + chunk
    if data.draw(st.booleans()):
        options += b"\x00" + data.draw(st.binary(max_size=10))  # END, then ignored bytes
    packet = (
        ANNOUNCE.pack(
            connection_id,
            1,
            transaction_id,
            info_hash,
            peer_id,
            downloaded,
            left,
            uploaded,
            event,
            ip,
            key,
            num_want,
            port,
        )
        + options
    )
    assert parse_request(packet) == UdpAnnounce(
        connection_id,
        transaction_id,
        Announce(
            info_hash,
            peer_id,
            port,
            uploaded,
            downloaded,
            left,
            AnnounceEvent(event),
            num_want if num_want >= 0 else None,
            key.to_bytes(4, "big") if key else None,
        ),
        ip,
        b"".join(chunks),
    )


@given(
    st.integers(0, 2**64 - 1),
    uint32,
    st.lists(st.binary(min_size=20, max_size=20), min_size=1, max_size=100),
)
def test_any_scrape_packet_parses_to_its_hashes(
    connection_id: int, transaction_id: int, hashes: list[bytes]
) -> None:
    packet = HEADER.pack(connection_id, 2, transaction_id) + b"".join(hashes)
    assert parse_request(packet) == UdpScrape(
        connection_id, transaction_id, hashes[:MAX_SCRAPE_HASHES]
    )


@given(uint32, st.binary(max_size=16))
def test_any_connect_packet_parses(transaction_id: int, extra: bytes) -> None:
    packet = HEADER.pack(PROTOCOL_ID, 0, transaction_id) + extra
    assert parse_request(packet) == ConnectRequest(transaction_id)


@given(
    uint32,
    uint32,
    uint32,
    uint32,
    st.lists(st.binary(min_size=6, max_size=6) | st.binary(min_size=18, max_size=18), max_size=50),
)
def test_any_announce_reply_unpacks(
    transaction_id: int, interval: int, leechers: int, seeders: int, endpoints: list[bytes]
) -> None:
    reply = encode_announce(
        transaction_id, interval=interval, leechers=leechers, seeders=seeders, endpoints=endpoints
    )
    assert struct.unpack_from(">IIIII", reply) == (1, transaction_id, interval, leechers, seeders)
    assert reply[20:] == b"".join(endpoints)


@given(uint32, st.lists(st.tuples(uint32, uint32, uint32), max_size=74))
def test_any_scrape_reply_unpacks(transaction_id: int, stats: list[tuple[int, int, int]]) -> None:
    reply = encode_scrape(transaction_id, stats)
    assert struct.unpack_from(">II", reply) == (2, transaction_id)
    assert list(struct.iter_unpack(">III", reply[8:])) == stats


# --- fuzzing ---------------------------------------------------------------------------------


def _parses_or_packet_error(data: bytes) -> None:
    error: UdpPacketError | None
    try:
        request = parse_request(data)
    except UdpPacketError as exc:
        error = exc
    else:
        error = None
    if error is not None:
        assert error.transaction_id is None or len(data) >= 16
        assert not error.sendable or error.connection_id is not None
        return
    if isinstance(request, UdpAnnounce):
        assert len(data) >= 98
        assert request.announce.numwant is None or request.announce.numwant >= 0
    elif isinstance(request, UdpScrape):
        assert 1 <= len(request.info_hashes) <= MAX_SCRAPE_HASHES


@FUZZ
@given(st.binary(max_size=200))
def test_fuzz_random_bytes(data: bytes) -> None:
    _parses_or_packet_error(data)


@FUZZ
@given(st.sampled_from([PROTOCOL_ID, CID]), st.integers(0, 4), uint32, st.binary(max_size=1600))
def test_fuzz_random_bodies_behind_a_valid_header(
    connection_id: int, action: int, transaction_id: int, body: bytes
) -> None:
    _parses_or_packet_error(HEADER.pack(connection_id, action, transaction_id) + body)


@FUZZ
@given(
    st.lists(
        st.sampled_from([b"\x00", b"\x01", b"\x02", b"\x03", b"\x05", b"\xff", b"/a"]), max_size=30
    )
)
def test_fuzz_option_bytes(options: list[bytes]) -> None:
    _parses_or_packet_error(_announce(options=b"".join(options)))


@FUZZ
@given(st.data())
def test_fuzz_mutated_real_packets(data: st.DataObject) -> None:
    raw = bytearray(data.draw(st.sampled_from([LIBTORRENT_CONNECT, LIBTORRENT_ANNOUNCE])))
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(raw)))
        op = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        if op == "flip" and at < len(raw):
            raw[at] = data.draw(st.integers(0, 255))
        elif op == "insert":
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=4))
        elif op == "delete":
            del raw[at : at + data.draw(st.integers(1, 4))]
        else:
            del raw[at:]
    _parses_or_packet_error(bytes(raw))


def test_a_long_scrape_cut_mid_hash_is_answered_up_to_the_cap() -> None:
    hashes = b"".join(bytes([n]) * 20 for n in range(MAX_SCRAPE_HASHES + 30))
    cut = HEADER.pack(CID, 2, 7) + hashes[: 20 * (MAX_SCRAPE_HASHES + 27) + 7]  # mid-hash
    request = parse_request(cut)
    assert isinstance(request, UdpScrape)
    assert request.info_hashes == [bytes([n]) * 20 for n in range(MAX_SCRAPE_HASHES)]
