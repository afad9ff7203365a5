"""HTTP tracker wire: real client queries, strict parameter rules, replies that decode, fuzzing."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from torrentstack.bittorrent.announce import Announce, AnnounceEvent, EndpointError, pack_endpoint
from torrentstack.bittorrent.bencode import decode, encode
from torrentstack.bittorrent.tracker_http import (
    HttpAnnounce,
    TrackerRequestError,
    encode_announce,
    encode_failure,
    encode_scrape,
    parse_announce_query,
    parse_scrape_query,
)
from torrentstack.errors import FormatError

FUZZ = settings(max_examples=800, suppress_health_check=[HealthCheck.too_slow], deadline=None)

# Captured from libtorrent 2.1.1 (the library inside qBittorrent 5) announcing to a local socket.
# It escapes bytes outside [A-Za-z0-9_.!~*'()-] with lowercase hex and sends the rest literally.
LIBTORRENT_QUERY = (
    b"info_hash=)%2b%d6Qyc%f5%89%f1_%fc%89%09%9fg%23%f1%1a%c9%ce&peer_id=-LT2110-3fTUM-ts.-*z"
    b"&port=40699&uploaded=0&downloaded=0&left=1048576&corrupt=0&key=67A1B9A8&event=started"
    b"&numwant=200&compact=1&no_peer_id=1&supportcrypto=1&redundant=0"
)
LIBTORRENT_INFO_HASH = bytes.fromhex("292bd6517963f589f15ffc89099f6723f11ac9ce")

# Transmission 4's format: uppercase escapes outside the unreserved set, no no_peer_id.
TRANSMISSION_QUERY = (
    b"info_hash=%D2%10%B3%A5%CC%1B%07%7E%08%A6%A6%0D%15%A5%DC%ED%14%AC%F4%C1"
    b"&peer_id=-TR4050-kh3qk3f0ju8j&port=51413&uploaded=1024&downloaded=2048&left=0"
    b"&numwant=80&key=3F9A12C4&compact=1&supportcrypto=1&event=completed"
)
TRANSMISSION_INFO_HASH = bytes.fromhex("d210b3a5cc1b077e08a6a60d15a5dced14acf4c1")

HASH = bytes(range(20))
HASH_Q = b"".join(b"%%%02x" % c for c in HASH)
PEER = b"-qB4650-abcdefghijkl"
MINIMAL = b"info_hash=" + HASH_Q + b"&peer_id=" + PEER + b"&port=6881"


# --- announce queries ------------------------------------------------------------------------


def test_libtorrent_announce() -> None:
    assert parse_announce_query(LIBTORRENT_QUERY) == HttpAnnounce(
        Announce(
            info_hash=LIBTORRENT_INFO_HASH,
            peer_id=b"-LT2110-3fTUM-ts.-*z",
            port=40699,
            uploaded=0,
            downloaded=0,
            left=1048576,
            event=AnnounceEvent.STARTED,
            numwant=200,
            key=b"67A1B9A8",
        ),
        compact=True,
        no_peer_id=True,
    )


def test_transmission_announce() -> None:
    assert parse_announce_query(TRANSMISSION_QUERY) == HttpAnnounce(
        Announce(
            info_hash=TRANSMISSION_INFO_HASH,
            peer_id=b"-TR4050-kh3qk3f0ju8j",
            port=51413,
            uploaded=1024,
            downloaded=2048,
            left=0,
            event=AnnounceEvent.COMPLETED,
            numwant=80,
            key=b"3F9A12C4",
        ),
        compact=True,
        no_peer_id=False,
    )


def test_minimal_announce_takes_the_defaults() -> None:
    parsed = parse_announce_query(MINIMAL)
    assert parsed == HttpAnnounce(
        Announce(HASH, PEER, 6881, 0, 0, 0, AnnounceEvent.NONE, None, None),
        compact=True,  # BEP 23: compact unless the client says compact=0
        no_peer_id=False,
    )


def test_escape_case_and_literal_bytes_do_not_matter() -> None:
    upper = b"".join(b"%%%02X" % c for c in LIBTORRENT_INFO_HASH)
    lower = upper.lower()
    for form in (upper, lower, b")%2b%d6Qyc%f5%89%f1_%fc%89%09%9fg%23%f1%1a%c9%ce"):
        query = b"info_hash=" + form + b"&peer_id=" + PEER + b"&port=1"
        assert parse_announce_query(query).announce.info_hash == LIBTORRENT_INFO_HASH


def test_plus_and_raw_bytes_in_binary_params_are_literal() -> None:
    # `+` is a space only in form encoding; in info_hash it is the byte 0x2b, as is %2B.
    info_hash = b"+" * 10 + b"\xff\x00 " + b"%2B" * 7
    parsed = parse_announce_query(
        b"info_hash=" + info_hash + b"&peer_id=a+b%2bc%20d\x80" + b"x" * 12 + b"&port=1"
    )
    assert parsed.announce.info_hash == b"+" * 10 + b"\xff\x00 " + b"+" * 7
    assert parsed.announce.peer_id == b"a+b+c d\x80" + b"x" * 12


def test_percent_escaped_backslashes_and_literal_backslashes() -> None:
    # The decoder rewrites escapes as `\xNN`, so a literal backslash must stay just that.
    query = b"info_hash=\\x41%5c" + b"a" * 13 + b"\\n&peer_id=" + PEER + b"&port=1"
    assert parse_announce_query(query).announce.info_hash == b"\\x41\\" + b"a" * 13 + b"\\n"


@pytest.mark.parametrize(
    ("extra", "compact", "no_peer_id"),
    [
        (b"&compact=0", False, False),
        (b"&compact=1", True, False),
        (b"&no_peer_id=1", True, True),
        (b"&no_peer_id=0", True, False),
        (b"&compact=0&no_peer_id=1", False, True),
    ],
)
def test_reply_format_flags(extra: bytes, compact: bool, no_peer_id: bool) -> None:
    parsed = parse_announce_query(MINIMAL + extra)
    assert (parsed.compact, parsed.no_peer_id) == (compact, no_peer_id)


@pytest.mark.parametrize(
    ("value", "event"),
    [
        (b"started", AnnounceEvent.STARTED),
        (b"completed", AnnounceEvent.COMPLETED),
        (b"stopped", AnnounceEvent.STOPPED),
        (b"empty", AnnounceEvent.NONE),
        (b"", AnnounceEvent.NONE),
    ],
)
def test_events(value: bytes, event: AnnounceEvent) -> None:
    assert parse_announce_query(MINIMAL + b"&event=" + value).announce.event is event


def test_key_is_percent_decoded_bytes_and_empty_means_none() -> None:
    assert parse_announce_query(MINIMAL + b"&key=ab%2Fcd+").announce.key == b"ab/cd+"
    assert parse_announce_query(MINIMAL + b"&key=").announce.key is None


def test_numwant_zero_is_kept() -> None:
    assert parse_announce_query(MINIMAL + b"&numwant=0").announce.numwant == 0


def test_first_occurrence_wins() -> None:
    query = MINIMAL + b"&port=1&info_hash=" + b"x" * 20 + b"&left=5&left=6&event=stopped&event=x"
    announce = parse_announce_query(query).announce
    assert (announce.info_hash, announce.port, announce.left) == (HASH, 6881, 5)
    assert announce.event is AnnounceEvent.STOPPED


def test_unknown_and_malformed_extra_params_are_ignored() -> None:
    extras = (
        b"&ip=1.2.3.4&ipv4=1.2.3.4&ipv6=%3A%3A1&supportcrypto=1&requirecrypto=1&corrupt=0"
        b"&trackerid=abc&redundant=0&passkey=%zz&&=&noequals&azudp=6881"
    )
    assert parse_announce_query(MINIMAL + extras) == parse_announce_query(MINIMAL)


def test_largest_counter_is_accepted() -> None:
    big = b"%d" % (2**63 - 1)
    announce = parse_announce_query(MINIMAL + b"&uploaded=" + big + b"&left=00042").announce
    assert (announce.uploaded, announce.left) == (2**63 - 1, 42)


def _without(param: bytes) -> bytes:
    return b"&".join(p for p in MINIMAL.split(b"&") if not p.startswith(param + b"="))


@pytest.mark.parametrize(
    ("query", "message", "param"),
    [
        (_without(b"info_hash"), "missing info_hash", "info_hash"),
        (_without(b"peer_id"), "missing peer_id", "peer_id"),
        (_without(b"port"), "missing port", "port"),
        (b"", "missing info_hash", "info_hash"),
        (MINIMAL.replace(HASH_Q, HASH_Q[:-3]), "info_hash must be 20 bytes", "info_hash"),
        (MINIMAL.replace(HASH_Q, HASH_Q + b"a"), "info_hash must be 20 bytes", "info_hash"),
        (
            MINIMAL.replace(HASH_Q, HASH_Q[:-3] + b"%zz"),
            "bad percent-escape in info_hash",
            "info_hash",
        ),
        (
            MINIMAL.replace(HASH_Q, HASH_Q[:-3] + b"%4"),
            "bad percent-escape in info_hash",
            "info_hash",
        ),
        (MINIMAL.replace(PEER, PEER[:-1]), "peer_id must be 20 bytes", "peer_id"),
        (MINIMAL.replace(PEER, PEER[:-1] + b"%"), "bad percent-escape in peer_id", "peer_id"),
        (MINIMAL.replace(b"port=6881", b"port=65536"), "bad port", "port"),
        (MINIMAL.replace(b"port=6881", b"port=-1"), "bad port", "port"),
        (MINIMAL.replace(b"port=6881", b"port="), "bad port", "port"),
        (MINIMAL.replace(b"port=6881", b"port= 6881"), "bad port", "port"),
        (MINIMAL + b"&uploaded=-1", "bad uploaded", "uploaded"),
        (MINIMAL + b"&downloaded=1e3", "bad downloaded", "downloaded"),
        (MINIMAL + b"&left=", "bad left", "left"),
        (MINIMAL + b"&left=+5", "bad left", "left"),
        (MINIMAL + b"&left=1_000", "bad left", "left"),
        (MINIMAL + b"&left=%d" % 2**63, "bad left", "left"),
        (MINIMAL + b"&left=" + b"1" * 5000, "bad left", "left"),
        (MINIMAL + b"&left=\xd9\xa1", "bad left", "left"),  # an Arabic-Indic digit
        (MINIMAL + b"&numwant=-1", "bad numwant", "numwant"),
        (MINIMAL + b"&event=paused", 'bad event "paused"', "event"),
        (MINIMAL + b"&event=Started", 'bad event "Started"', "event"),
        (MINIMAL + b"&event=\xff", 'bad event "\\xff"', "event"),
        (MINIMAL + b"&key=%g0", "bad percent-escape in key", "key"),
    ],
)
def test_bad_announces(query: bytes, message: str, param: str) -> None:
    with pytest.raises(TrackerRequestError) as info:
        parse_announce_query(query)
    assert str(info.value) == message
    assert info.value.param == param
    assert isinstance(info.value, FormatError)


# --- scrape queries --------------------------------------------------------------------------


def test_scrape_of_repeated_hashes_bep48() -> None:
    query = (
        b"info_hash="
        + HASH_Q
        + b"&info_hash="
        + b"b" * 20
        + b"&passkey=x&info_hash="
        + HASH_Q
        + b"&info_hash="
        + b"".join(b"%%%02X" % c for c in LIBTORRENT_INFO_HASH)
    )
    assert parse_scrape_query(query) == [HASH, b"b" * 20, LIBTORRENT_INFO_HASH]


@pytest.mark.parametrize("query", [b"", b"passkey=abc", b"info_hashes=x"])
def test_scrape_without_hashes_is_empty(query: bytes) -> None:
    assert parse_scrape_query(query) == []


@pytest.mark.parametrize("value", [b"", b"a" * 19, b"a" * 21, HASH_Q[:-1] + b"z", b"%" * 20])
def test_scrape_rejects_a_bad_hash(value: bytes) -> None:
    with pytest.raises(TrackerRequestError) as info:
        parse_scrape_query(b"info_hash=" + HASH_Q + b"&info_hash=" + value)
    assert info.value.param == "info_hash"
    assert info.value.value == value


# --- replies ---------------------------------------------------------------------------------

V4 = pack_endpoint("192.0.2.1", 6881)
V4B = pack_endpoint("198.51.100.7", 51413)
V6 = pack_endpoint("2001:db8::5", 6882)
PID_A = b"-qB4650-aaaaaaaaaaaa"
PID_B = b"-TR4050-bbbbbbbbbbbb"
PID_C = b"-LT2110-cccccccccccc"


def _decoded(body: bytes) -> dict[bytes, Any]:
    value = decode(body)  # strict: also proves the keys are sorted (BEP 3)
    assert isinstance(value, dict)
    return value


def _announce(**overrides: Any) -> bytes:
    args: dict[str, Any] = {
        "interval": 1800,
        "min_interval": 900,
        "complete": 3,
        "incomplete": 7,
        "peers": [(PID_A, V4), (PID_C, V6), (PID_B, V4B)],
        "compact": True,
        "no_peer_id": False,
    }
    args.update(overrides)
    return encode_announce(**args)


@pytest.mark.parametrize(
    "peers",
    [[(PID_A, V4), (PID_C, V6), (PID_B, V4B)], [(PID_A, V4), (PID_B, V4B)], [(PID_C, V6)], []],
)
def test_compact_reply_from_endpoints_alone_is_the_same(peers) -> None:
    endpoints = [endpoint for _, endpoint in peers]
    assert _announce(peers=(), endpoints=endpoints) == _announce(peers=peers)
    with pytest.raises(EndpointError):
        _announce(peers=(), endpoints=[*endpoints, b"\x01" * 5])


def test_compact_reply_splits_ipv4_and_ipv6() -> None:
    body = _announce()
    expected: dict[bytes, Any] = {
        b"complete": 3,
        b"incomplete": 7,
        b"interval": 1800,
        b"min interval": 900,
        b"peers": V4 + V4B,
        b"peers6": V6,
    }
    assert decode(body) == expected
    assert body == encode(expected)  # same bytes as the generic encoder: keys in BEP 3 order


def test_compact_reply_without_peers_still_has_peers_and_no_peers6() -> None:
    body = _announce(peers=[])
    assert body == b"d8:completei3e10:incompletei7e8:intervali1800e12:min intervali900e5:peers0:e"
    assert b"peers6" not in _decoded(_announce(peers=[(PID_A, V4)]))


def test_ipv6_only_compact_reply() -> None:
    assert decode(_announce(peers=[(PID_C, V6)])) == {
        b"complete": 3,
        b"incomplete": 7,
        b"interval": 1800,
        b"min interval": 900,
        b"peers": b"",
        b"peers6": V6,
    }


def test_non_compact_reply_lists_dicts_ipv6_included() -> None:
    body = _announce(compact=False)
    assert _decoded(body)[b"peers"] == [
        {b"ip": b"192.0.2.1", b"peer id": PID_A, b"port": 6881},
        {b"ip": b"2001:db8::5", b"peer id": PID_C, b"port": 6882},
        {b"ip": b"198.51.100.7", b"peer id": PID_B, b"port": 51413},
    ]
    assert b"peers6" not in body
    assert body == encode(_decoded(body))


def test_non_compact_reply_without_peer_ids() -> None:
    assert _decoded(_announce(compact=False, no_peer_id=True))[b"peers"] == [
        {b"ip": b"192.0.2.1", b"port": 6881},
        {b"ip": b"2001:db8::5", b"port": 6882},
        {b"ip": b"198.51.100.7", b"port": 51413},
    ]


def test_external_ip_and_warning() -> None:
    body = _announce(
        external_ip=b"\xcb\x00\x71\x05", warning="tracker restarts at 04:00 \u2014 UTC"
    )
    value = _decoded(body)
    assert value[b"external ip"] == b"\xcb\x00\x71\x05"
    assert value[b"warning message"] == "tracker restarts at 04:00 \u2014 UTC".encode()
    assert body == encode(value)
    v6_ip = ipaddress.IPv6Address("2001:db8::9").packed
    assert _decoded(_announce(external_ip=v6_ip))[b"external ip"] == v6_ip


@pytest.mark.parametrize("compact", [True, False])
def test_reply_rejects_a_bad_endpoint(compact: bool) -> None:
    with pytest.raises(EndpointError):
        _announce(peers=[(PID_A, V4), (PID_B, b"\x01\x02\x03\x04")], compact=compact)


def test_reply_rejects_a_bad_external_ip() -> None:
    with pytest.raises(EndpointError):
        _announce(external_ip=b"\x01\x02\x03")


def test_scrape_reply_bytes() -> None:
    body = encode_scrape([(b"b" * 20, 1, 2, 3), (b"a" * 20, 4, 5, 6)], min_request_interval=300)
    assert body == (
        b"d5:filesd"
        b"20:" + b"a" * 20 + b"d8:completei4e10:downloadedi5e10:incompletei6ee"
        b"20:" + b"b" * 20 + b"d8:completei1e10:downloadedi2e10:incompletei3ee"
        b"e5:flagsd20:min_request_intervali300eee"
    )
    assert encode_scrape([]) == b"d5:filesdee"


def test_scrape_reply_keeps_the_last_counts_of_a_repeated_hash() -> None:
    body = encode_scrape(iter([(HASH, 1, 1, 1), (HASH, 2, 2, 2)]))
    assert _decoded(body) == {
        b"files": {HASH: {b"complete": 2, b"downloaded": 2, b"incomplete": 2}}
    }


def test_failure_reply() -> None:
    assert encode_failure("unregistered torrent") == b"d14:failure reason20:unregistered torrente"
    assert decode(encode_failure("d\u00e9j\u00e0 vu")) == {
        b"failure reason": "d\u00e9j\u00e0 vu".encode()
    }
    assert decode(encode_failure("bad \ud800")) == {b"failure reason": b"bad ?"}


def test_parse_errors_render_as_failure_replies() -> None:
    with pytest.raises(TrackerRequestError) as info:
        parse_announce_query(MINIMAL.replace(b"port=6881", b"port=x"))
    assert encode_failure(str(info.value)) == b"d14:failure reason8:bad porte"


# --- round trips -----------------------------------------------------------------------------

counters = st.integers(0, 2**63 - 1)
announces = st.builds(
    Announce,
    info_hash=st.binary(min_size=20, max_size=20),
    peer_id=st.binary(min_size=20, max_size=20),
    port=st.integers(0, 65535),
    uploaded=counters,
    downloaded=counters,
    left=counters,
    event=st.sampled_from(AnnounceEvent),
    numwant=st.none() | counters,
    key=st.none() | st.binary(min_size=1, max_size=32),
)
_EVENT_NAMES = {
    AnnounceEvent.NONE: b"",
    AnnounceEvent.STARTED: b"started",
    AnnounceEvent.COMPLETED: b"completed",
    AnnounceEvent.STOPPED: b"stopped",
}


def _quote(raw: bytes, data: st.DataObject) -> bytes:
    """Percent-encode as clients do, each byte escaped in either case or, if it may be, literal."""
    out = []
    for byte in raw:
        how = data.draw(st.sampled_from(("lower", "upper", "literal")))
        if how == "literal" and byte not in b"&%":
            out.append(bytes([byte]))
        else:
            out.append((b"%%%02x" if how == "lower" else b"%%%02X") % byte)
    return b"".join(out)


@given(announces, st.booleans(), st.booleans(), st.data())
def test_any_announce_survives_a_query_round_trip(
    announce: Announce, compact: bool, no_peer_id: bool, data: st.DataObject
) -> None:
    params = [
        b"info_hash=" + _quote(announce.info_hash, data),
        b"peer_id=" + _quote(announce.peer_id, data),
        b"port=%d" % announce.port,
        b"uploaded=%d" % announce.uploaded,
        b"downloaded=%d" % announce.downloaded,
        b"left=%d" % announce.left,
        b"compact=%d" % compact,
        b"no_peer_id=%d" % no_peer_id,
        b"supportcrypto=1&ip=%3A%3A1",
    ]
    if announce.event is not AnnounceEvent.NONE or data.draw(st.booleans()):
        params.append(b"event=" + _EVENT_NAMES[announce.event])
    if announce.numwant is not None:
        params.append(b"numwant=%d" % announce.numwant)
    if announce.key is not None:
        params.append(b"key=" + _quote(announce.key, data))
    query = b"&".join(data.draw(st.permutations(params)))
    assert parse_announce_query(query) == HttpAnnounce(announce, compact, no_peer_id)


endpoints = st.tuples(st.ip_addresses(), st.integers(0, 65535)).map(
    lambda pair: pack_endpoint(str(pair[0]), pair[1])
)
reply_peers = st.lists(st.tuples(st.binary(min_size=20, max_size=20), endpoints), max_size=30)
small = st.integers(0, 2**40)


@given(small, small, small, small, reply_peers, st.booleans(), st.booleans(), st.data())
def test_any_announce_reply_decodes_to_its_fields(
    interval: int,
    min_interval: int,
    complete: int,
    incomplete: int,
    peers: list[tuple[bytes, bytes]],
    compact: bool,
    no_peer_id: bool,
    data: st.DataObject,
) -> None:
    external_ip = data.draw(
        st.none() | st.binary(min_size=4, max_size=4) | st.binary(min_size=16, max_size=16)
    )
    warning = data.draw(st.none() | st.text(max_size=20))
    body = encode_announce(
        interval=interval,
        min_interval=min_interval,
        complete=complete,
        incomplete=incomplete,
        peers=peers,
        compact=compact,
        no_peer_id=no_peer_id,
        external_ip=external_ip,
        warning=warning,
    )
    value = _decoded(body)
    assert value[b"interval"] == interval
    assert value[b"min interval"] == min_interval
    assert value[b"complete"] == complete
    assert value[b"incomplete"] == incomplete
    assert value.get(b"external ip") == external_ip
    assert value.get(b"warning message") == (
        None if warning is None else warning.encode("utf-8", "replace")
    )
    if compact:
        assert value[b"peers"] == b"".join(e for _, e in peers if len(e) == 6)
        assert value.get(b"peers6") == (b"".join(e for _, e in peers if len(e) == 18) or None)
    else:
        listed = value[b"peers"]
        assert isinstance(listed, list)
        assert len(listed) == len(peers)
        for entry, (peer_id, endpoint) in zip(listed, peers, strict=True):
            assert isinstance(entry, dict)
            assert pack_endpoint(entry[b"ip"].decode(), entry[b"port"]) == endpoint
            assert entry.get(b"peer id") == (None if no_peer_id else peer_id)


scrape_files = st.lists(
    st.tuples(st.binary(min_size=20, max_size=20), small, small, small), max_size=20
)


@given(scrape_files, st.none() | small)
def test_any_scrape_reply_decodes_to_its_fields(
    files: list[tuple[bytes, int, int, int]], interval: int | None
) -> None:
    value = decode(encode_scrape(files, min_request_interval=interval))
    expected: dict[bytes, Any] = {
        b"files": {h: {b"complete": c, b"downloaded": d, b"incomplete": i} for h, c, d, i in files}
    }
    if interval is not None:
        expected[b"flags"] = {b"min_request_interval": interval}
    assert value == expected


@given(st.lists(st.binary(min_size=20, max_size=20), max_size=10), st.data())
def test_any_scrape_query_round_trips(hashes: list[bytes], data: st.DataObject) -> None:
    query = b"&".join(b"info_hash=" + _quote(h, data) for h in hashes)
    assert parse_scrape_query(query) == list(dict.fromkeys(hashes))


# --- fuzzing ---------------------------------------------------------------------------------


def _parses_or_tracker_error(query: bytes) -> None:
    try:
        parsed = parse_announce_query(query)
    except TrackerRequestError:
        pass
    else:
        assert len(parsed.announce.info_hash) == len(parsed.announce.peer_id) == 20
        assert 0 <= parsed.announce.port <= 65535
    try:
        hashes = parse_scrape_query(query)
    except TrackerRequestError:
        pass
    else:
        assert all(len(h) == 20 for h in hashes)


@FUZZ
@given(st.binary(max_size=300))
def test_fuzz_random_bytes(query: bytes) -> None:
    _parses_or_tracker_error(query)


QUERY_WORDS = [b"info_hash", b"peer_id", b"port", b"left", b"event", b"numwant", b"key", b"compact"]


@FUZZ
@given(
    st.lists(
        st.sampled_from(
            [
                *QUERY_WORDS,
                b"=",
                b"&",
                b"%",
                b"%4",
                b"%41",
                b"+",
                b"\\",
                b"0",
                b"9",
                b"a" * 20,
                b"\xff",
            ]
        ),
        max_size=40,
    ).map(b"".join)
)
def test_fuzz_query_alphabet(query: bytes) -> None:
    _parses_or_tracker_error(query)


@FUZZ
@given(st.sampled_from([LIBTORRENT_QUERY, TRANSMISSION_QUERY, MINIMAL]), st.data())
def test_fuzz_mutated_real_queries(original: bytes, data: st.DataObject) -> None:
    raw = bytearray(original)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(raw)))
        op = data.draw(st.sampled_from(["flip", "insert", "delete"]))
        if op == "flip" and at < len(raw):
            raw[at] = data.draw(st.sampled_from(list(b"&=%+-0129aAfFgz\\\x00\xff")))
        elif op == "insert":
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=4))
        else:
            del raw[at : at + data.draw(st.integers(1, 6))]
    _parses_or_tracker_error(bytes(raw))
