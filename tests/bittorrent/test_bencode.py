"""Strict bencode: round trips, strictness, fuzzing, and the info span of real torrents."""

from __future__ import annotations

import contextlib
import hashlib
import random
from typing import Any

import fastbencode  # a dev dependency: the reference encoder, never skipped
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from torrentstack.bittorrent import bencode
from torrentstack.bittorrent.bencode import BencodeError, decode, decode_torrent, encode
from torrentstack.errors import FormatError

from .sample_torrents import torrent_bytes, torrent_names

values = st.recursive(
    st.integers() | st.binary(max_size=40),
    lambda children: (
        st.lists(children, max_size=6)
        | st.dictionaries(st.binary(max_size=12), children, max_size=6)
    ),
    max_leaves=40,
)

FUZZ = settings(max_examples=800, suppress_health_check=[HealthCheck.too_slow], deadline=None)


# --- round trips -----------------------------------------------------------------------------


@given(values)
def test_decode_inverts_encode(value: Any) -> None:
    assert decode(encode(value)) == value


@given(values)
def test_encode_inverts_decode_of_canonical_bytes(value: Any) -> None:
    data = encode(value)
    assert encode(decode(data)) == data


@given(values)
def test_encoding_matches_fastbencode(value: Any) -> None:
    assert encode(value) == fastbencode.bencode(value)


@pytest.mark.parametrize(
    ("data", "value"),
    [
        (b"i0e", 0),
        (b"i-42e", -42),
        (b"i123456789012345678901234567890e", 123456789012345678901234567890),
        (b"0:", b""),
        (b"4:spam", b"spam"),
        (b"le", []),
        (b"de", {}),
        (b"l4:spami42ee", [b"spam", 42]),
        (b"d3:bar4:spam3:fooi42ee", {b"bar": b"spam", b"foo": 42}),
        (b"d0:i1e1:ai2ee", {b"": 1, b"a": 2}),
        (b"d1:ad1:bl0:eee", {b"a": {b"b": [b""]}}),
    ],
)
def test_decode_examples(data: bytes, value: Any) -> None:
    assert decode(data) == value
    assert encode(value) == data


# --- strictness ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "offset"),
    [
        pytest.param(b"i01e", 0, id="int leading zero"),
        pytest.param(b"i-0e", 0, id="negative zero"),
        pytest.param(b"i-01e", 0, id="negative leading zero"),
        pytest.param(b"ie", 0, id="empty int"),
        pytest.param(b"i-e", 0, id="lone minus"),
        pytest.param(b"i+1e", 0, id="plus sign"),
        pytest.param(b"i 1e", 0, id="space in int"),
        pytest.param(b"i1_000e", 0, id="underscore in int"),
        pytest.param(b"i1.5e", 0, id="float"),
        pytest.param(b"i12", 0, id="unterminated int"),
        pytest.param(b"01:a", 0, id="length leading zero"),
        pytest.param(b"1_0:aaaaaaaaaa", 0, id="underscore in length"),
        pytest.param(b"+1:a", 0, id="plus in length"),
        pytest.param(b"-1:a", 0, id="negative length"),
        pytest.param(b"5:abc", 2, id="short string"),
        pytest.param(b"5", 0, id="length without colon"),
        pytest.param(b"99999999999999999999:x", 21, id="huge length"),
        pytest.param(b"1" + b"0" * 5000 + b":", 0, id="length with 5000 digits"),
        pytest.param(b"i" + b"9" * 5000 + b"e", 0, id="int with 5000 digits"),
        pytest.param(b"d1:b0:1:a0:e", 6, id="unsorted keys"),
        pytest.param(b"d1:a0:1:a0:e", 6, id="duplicate keys"),
        pytest.param(b"di1e0:e", 1, id="int key"),
        pytest.param(b"dle0:e", 1, id="list key"),
        pytest.param(b"d1:ae", 4, id="key without value"),
        pytest.param(b"d1:a", 4, id="unterminated dict"),
        pytest.param(b"l", 1, id="unterminated list"),
        pytest.param(b"i1ei2e", 3, id="trailing data"),
        pytest.param(b"0:x", 2, id="trailing byte"),
        pytest.param(b"", 0, id="empty input"),
        pytest.param(b"e", 0, id="lone end"),
        pytest.param(b"x", 0, id="unknown type"),
        pytest.param(b"l\x00e", 1, id="NUL byte"),
    ],
)
def test_rejects_malformed_input(data: bytes, offset: int) -> None:
    with pytest.raises(BencodeError) as info:
        decode(data)
    assert info.value.offset == offset
    assert f"offset {offset}" in str(info.value)
    assert isinstance(info.value, FormatError)


def test_huge_length_is_refused_without_allocating() -> None:
    with pytest.raises(BencodeError, match="past the end"):
        decode(b"l" + b"9" * 4000 + b":abce")


def test_nesting_limit_is_an_error_not_a_recursion_error() -> None:
    depth = bencode.MAX_DEPTH
    assert decode(b"l" * depth + b"e" * depth) is not None
    with pytest.raises(BencodeError, match="nesting"):
        decode(b"l" * (depth + 1) + b"e" * (depth + 1))
    with pytest.raises(BencodeError, match="nesting"):
        decode(b"l" * 1_000_000)
    with pytest.raises(BencodeError, match="nesting"):
        decode(b"d1:a" * 10_000)
    assert decode(b"ll1:aee", max_depth=2) == [[b"a"]]
    with pytest.raises(BencodeError, match="nesting deeper than 1"):
        decode(b"ll1:aee", max_depth=1)


def test_lenient_mode_accepts_unsorted_keys_but_not_duplicates() -> None:
    assert decode(b"d1:b0:1:a0:e", strict=False) == {b"b": b"", b"a": b""}
    with pytest.raises(BencodeError, match="duplicate"):
        decode(b"d1:a0:1:b0:1:a0:e", strict=False)
    with pytest.raises(BencodeError, match="duplicate"):
        decode(b"d1:b0:1:a0:1:b0:e", strict=False)
    with pytest.raises(BencodeError, match="bad integer"):
        decode(b"i01e", strict=False)


def test_decode_accepts_bytes_like_input() -> None:
    assert decode(bytearray(b"i1e")) == 1
    assert decode(memoryview(b"1:a")) == b"a"
    with pytest.raises(TypeError):
        decode("i1e")  # type: ignore[arg-type]


# --- fuzzing: any input decodes or raises BencodeError, nothing else -------------------------


def _decodes_or_bencode_error(data: bytes) -> None:
    for strict in (True, False):
        with contextlib.suppress(BencodeError):
            decode(data, strict=strict)
        with contextlib.suppress(BencodeError):
            decode_torrent(data, strict=strict)


@FUZZ
@given(st.binary(max_size=200))
def test_fuzz_random_bytes(data: bytes) -> None:
    _decodes_or_bencode_error(data)


@FUZZ
@given(st.lists(st.sampled_from(list(b"ilde0123456789:-x")), max_size=60).map(bytes))
def test_fuzz_bencode_alphabet(data: bytes) -> None:
    _decodes_or_bencode_error(data)


@FUZZ
@given(values, st.data())
def test_fuzz_mutated_valid_encodings(value: Any, data: st.DataObject) -> None:
    raw = bytearray(encode(value))
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
    _decodes_or_bencode_error(bytes(raw))


@pytest.mark.parametrize("name", torrent_names())
def test_fuzz_mutated_real_torrents(name: str) -> None:
    original = torrent_bytes(name)
    rng = random.Random(name)
    for _ in range(400):
        raw = bytearray(original)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(raw))
            if rng.random() < 0.7:
                raw[at] = rng.choice(b"ilde0123456789:-\xff")
            else:
                del raw[at : at + rng.randint(1, 8)]
        _decodes_or_bencode_error(bytes(raw))


# --- encode ----------------------------------------------------------------------------------


def test_encode_accepts_text_buffers_tuples_and_str_keys() -> None:
    assert encode("spam") == b"4:spam"
    assert encode("é") == b"2:\xc3\xa9"
    assert encode(bytearray(b"ab")) == b"2:ab"
    assert encode(memoryview(b"abc")) == b"3:abc"
    assert encode((1, "a")) == b"li1e1:ae"
    assert encode({"b": 1, "a": [b"x"]}) == b"d1:al1:xe1:bi1ee"


def test_encode_sorts_keys_by_raw_bytes() -> None:
    # "é" is 0xC3 0xA9 in UTF-8: after "z" (0x7A) and after "B" whatever the key's type.
    assert encode({"é": 1, b"z": 2, "B": 3}) == b"d1:Bi3e1:zi2e2:\xc3\xa9i1ee"
    assert encode({b"b": 1, b"a": 2, b"": 3}) == b"d0:i3e1:ai2e1:bi1ee"


class _IntLike(int):
    pass


def test_encode_accepts_int_subclasses_but_not_bool() -> None:
    assert encode(_IntLike(7)) == b"i7e"
    with pytest.raises(BencodeError, match="bool"):
        encode(True)
    with pytest.raises(BencodeError, match="bool"):
        encode([1, False])


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(1.5, id="float"),
        pytest.param(None, id="None"),
        pytest.param(object(), id="object"),
        pytest.param({1: b"x"}, id="int key"),
        pytest.param({"a": 1, b"a": 2}, id="duplicate key after str->bytes"),
        pytest.param("\ud800", id="lone surrogate"),
        pytest.param({"\ud800": 1, b"a": 1}, id="surrogate key"),
        pytest.param(10**5000, id="int too long to print"),
        pytest.param({b"a": {1, 2}}, id="set value"),
    ],
)
def test_encode_rejects_unencodable_values(value: Any) -> None:
    with pytest.raises(BencodeError):
        encode(value)


def test_encode_rejects_cycles_and_absurd_depth() -> None:
    cycle: list[Any] = []
    cycle.append(cycle)
    with pytest.raises(BencodeError, match="nested"):
        encode(cycle)


# --- decode_torrent and the info span --------------------------------------------------------


def test_decode_torrent_reports_the_info_span() -> None:
    info: dict[bytes, Any] = {b"length": 5, b"name": b"a", b"piece length": 16384}
    info[b"pieces"] = b"x" * 20
    data = encode({b"announce": b"http://t/a", b"info": info, b"z": 1})
    decoded = decode_torrent(data)
    start, end = decoded.info_span or (0, 0)
    assert data[start:end] == encode(info)
    assert decoded.info_bytes == encode(info)
    assert decoded.value == decode(data)
    assert decoded.raw is data


@pytest.mark.parametrize("name", torrent_names())
def test_info_span_of_real_torrents(name: str) -> None:
    data = torrent_bytes(name)
    decoded = decode_torrent(data, strict=False)
    assert decoded.info_bytes is not None
    assert decoded.info_bytes[:1] + decoded.info_bytes[-1:] == b"de"
    assert decode(decoded.info_bytes, strict=False) == decoded.value[b"info"]


def test_non_canonical_info_is_hashed_as_found_not_re_encoded() -> None:
    # Keys "name" and "length" swapped: valid to lenient readers, never produced by encode().
    info = b"d4:name1:a6:lengthi5e12:piece lengthi16384e6:pieces20:" + b"x" * 20 + b"e"
    data = b"d8:announce10:http://t/a4:info" + info + b"e"
    with pytest.raises(BencodeError, match="out of order"):
        decode_torrent(data)
    decoded = decode_torrent(data, strict=False)
    assert decoded.info_bytes == info
    re_encoded = encode(decoded.value[b"info"])
    assert re_encoded != info
    assert _sha1(decoded.info_bytes) != _sha1(re_encoded)


def _sha1(data: bytes) -> bytes:
    return hashlib.sha1(data, usedforsecurity=False).digest()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"le", "must be a bencoded dict"),
        (b"i1e", "must be a bencoded dict"),
        (b"", "must be a bencoded dict"),
        (b"d4:infodee1:x", "trailing"),
        (b"d4:infode4:infodee", "duplicate"),
        (b"d4:infode1:ai1ee", "out of order"),
        (b"d4:infod", "end of data"),
        (b"d4:info", "without a value"),
        (b"di1e4:infoe", "key must be a byte string"),
    ],
)
def test_decode_torrent_rejects(data: bytes, message: str) -> None:
    with pytest.raises(BencodeError, match=message):
        decode_torrent(data)


def test_decode_torrent_lenient_top_level() -> None:
    decoded = decode_torrent(b"d4:infode1:ai1ee", strict=False)
    assert decoded.value == {b"info": {}, b"a": 1}
    assert decoded.info_span == (7, 9)
    with pytest.raises(BencodeError, match="duplicate"):
        decode_torrent(b"d1:bi1e1:ai1e1:bi1ee", strict=False)
    assert decode_torrent(b"d1:ai1ee").info_span is None
