"""InfoHash: construction, text forms and their round trips, and rejection of bad input."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from torrentstack.bittorrent.infohash import InfoHash, InfoHashError
from torrentstack.errors import FormatError

V1_HEX = "c9e15763f722f23e98a29decdfae341b98d53056"
V2_HEX = "caf1e1c30e81cb361b9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e"

digests = st.binary(min_size=20, max_size=20) | st.binary(min_size=32, max_size=32)


def test_v1_of_and_v2_of_hash_the_given_bytes() -> None:
    info = b"d4:name1:ae"
    v1 = InfoHash.v1_of(info)
    v2 = InfoHash.v2_of(info)
    assert v1.digest == hashlib.sha1(info, usedforsecurity=False).digest()
    assert v2.digest == hashlib.sha256(info).digest()
    assert (v1.version, v2.version) == (1, 2)


def test_text_forms() -> None:
    v1 = InfoHash.from_hex(V1_HEX)
    assert v1.hex == V1_HEX
    assert str(v1) == V1_HEX
    assert v1.base32 == base64.b32encode(bytes.fromhex(V1_HEX)).decode()
    assert len(v1.base32) == 32
    assert v1.truncated == v1.digest
    assert v1.percent_encoded == "".join(f"%{b:02X}" for b in v1.digest)
    assert v1.percent_encoded.startswith("%C9%E1%57")
    assert repr(v1) == f"InfoHash.from_hex('{V1_HEX}')"


def test_v2_truncates_to_twenty_bytes_for_trackers() -> None:
    v2 = InfoHash.from_hex(V2_HEX)
    assert v2.version == 2
    assert v2.truncated == bytes.fromhex(V2_HEX)[:20]
    assert v2.percent_encoded == "".join(f"%{b:02X}" for b in v2.truncated)
    assert len(v2.base32) == 52  # unpadded; base32 is a v1 convention


def test_parse_recognises_each_form() -> None:
    v1 = InfoHash.from_hex(V1_HEX)
    assert InfoHash.parse(V1_HEX) == v1
    assert InfoHash.parse(V1_HEX.upper()) == v1
    assert InfoHash.parse(v1.base32) == v1
    assert InfoHash.parse(v1.base32.lower()) == v1
    assert InfoHash.parse(V2_HEX) == InfoHash.from_hex(V2_HEX)


def test_values_compare_and_hash_by_digest() -> None:
    assert InfoHash.from_hex(V1_HEX) == InfoHash.from_bytes(bytes.fromhex(V1_HEX))
    assert len({InfoHash.from_hex(V1_HEX), InfoHash.parse(V1_HEX.upper())}) == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        InfoHash.from_hex(V1_HEX).digest = b"x" * 20  # type: ignore[misc]


@given(digests)
def test_round_trips(digest: bytes) -> None:
    h = InfoHash.from_bytes(digest)
    assert InfoHash.from_hex(h.hex) == h
    assert InfoHash.parse(h.hex) == h
    assert InfoHash.from_bytes(h.digest) == h
    assert h.version == (1 if len(digest) == 20 else 2)
    assert bytes.fromhex(h.percent_encoded.replace("%", "")) == h.truncated
    if h.version == 1:
        assert InfoHash.from_base32(h.base32) == h
        assert InfoHash.parse(h.base32) == h


@pytest.mark.parametrize(
    ("method", "value"),
    [
        (InfoHash.from_bytes, b""),
        (InfoHash.from_bytes, b"x" * 19),
        (InfoHash.from_bytes, b"x" * 21),
        (InfoHash.from_bytes, b"x" * 64),
        (InfoHash.from_bytes, "x" * 20),
        (InfoHash.from_bytes, 20),
        (InfoHash.from_hex, V1_HEX[:-1]),
        (InfoHash.from_hex, V1_HEX + "0"),
        (InfoHash.from_hex, "g" * 40),
        (InfoHash.from_hex, " " + V1_HEX[1:]),
        (InfoHash.from_hex, V1_HEX[:38] + " 0"),  # bytes.fromhex would skip the space
        (InfoHash.from_hex, "é" * 40),
        (InfoHash.from_hex, b"0" * 40),
        (InfoHash.from_base32, "A" * 31),
        (InfoHash.from_base32, "1" * 32),  # 0, 1, 8, 9 are not base32
        (InfoHash.from_base32, "=" * 32),
        (InfoHash.parse, ""),
        (InfoHash.parse, "!" * 32),
        (InfoHash.parse, "0" * 39),
        (InfoHash.parse, "0" * 52),
        (InfoHash.parse, None),
    ],
)
def test_rejects_bad_input_keeping_the_value(method: object, value: object) -> None:
    with pytest.raises(InfoHashError) as info:
        method(value)  # type: ignore[operator]
    assert info.value.value == value
    assert isinstance(info.value, FormatError)


def test_constructor_validates_too() -> None:
    with pytest.raises(InfoHashError):
        InfoHash(b"short")
    with pytest.raises(InfoHashError):
        InfoHash(bytearray(20))  # type: ignore[arg-type]


@given(st.text(max_size=80))
def test_parse_raises_only_info_hash_error(text: str) -> None:
    with contextlib.suppress(InfoHashError):
        InfoHash.parse(text)
