"""Strict bencode (BEP 3): `decode`, `encode` and `decode_torrent`, which also reports the info span.

Only the four bencode types exist here; turning them into metainfo lives in `metainfo.py`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from torrentstack.errors import FormatError

__all__ = [
    "MAX_DEPTH",
    "BencodeError",
    "Buffer",
    "DecodedTorrent",
    "Encodable",
    "Value",
    "decode",
    "decode_torrent",
    "encode",
]

Buffer: TypeAlias = "bytes | bytearray | memoryview"
Value: TypeAlias = "int | bytes | list[Value] | dict[bytes, Value]"
# What encode() takes: str is UTF-8 encoded, and dict keys may be str, bytes or a mix of both.
Encodable: TypeAlias = (
    "int | str | Buffer | Sequence[Encodable] | Mapping[bytes, Encodable]"
    " | Mapping[str, Encodable] | Mapping[bytes | str, Encodable]"
)

# Real torrents nest a handful of levels (a BEP 52 file tree adds one per directory); anything
# deeper is an attack on the parser, refused before it costs memory.
MAX_DEPTH = 512


class BencodeError(FormatError):
    """Bytes that are not strict bencode; `offset` is where decoding failed (-1 when encoding)."""

    def __init__(self, message: str, offset: int = -1) -> None:
        self.offset = offset
        super().__init__(f"{message} at offset {offset}" if offset >= 0 else message)


@dataclass(frozen=True, slots=True)
class DecodedTorrent:
    """A decoded top-level dict plus the [start, end) span of its raw `info` value."""

    value: dict[bytes, Value]
    info_span: tuple[int, int] | None
    raw: bytes = field(repr=False)  # the whole input, which info_span indexes

    @property
    def info_bytes(self) -> bytes | None:
        """Return the exact bytes of the info dict as they appear in `raw`."""
        if self.info_span is None:
            return None
        start, end = self.info_span
        return self.raw[start:end]


def decode(data: Buffer, *, strict: bool = True, max_depth: int = MAX_DEPTH) -> Value:
    """Decode one bencoded value that must span all of `data`.

    With `strict=False` dict keys may appear unsorted (as in some torrents in the wild);
    every other rule, including unique keys, still holds.
    """
    data = _as_bytes(data)
    value, end = _decode_value(data, 0, strict, max_depth)
    if end != len(data):
        raise BencodeError("trailing data after the value", end)
    return value


def decode_torrent(data: Buffer, *, strict: bool = True) -> DecodedTorrent:
    """Decode a top-level dict and report where its raw `info` value lies, for hashing."""
    data = _as_bytes(data)
    n = len(data)
    if n == 0 or data[0] != 0x64:  # b"d"
        raise BencodeError("a torrent must be a bencoded dict", 0)
    pos = 1
    result: dict[bytes, Value] = {}
    previous: bytes | None = None
    span: tuple[int, int] | None = None
    while True:
        if pos >= n:
            raise BencodeError("unexpected end of data in dict", pos)
        if data[pos] == 0x65:  # b"e"
            pos += 1
            break
        key_at = pos
        if not 48 <= data[pos] <= 57:
            raise BencodeError("dict key must be a byte string", key_at)
        key, pos = _decode_value(data, pos, strict, 0)
        if type(key) is not bytes:  # pragma: no cover - a digit always starts a string
            raise BencodeError("dict key must be a byte string", key_at)
        if previous is not None and key <= previous:
            if key == previous or key in result:
                raise BencodeError(f"duplicate dict key {key[:64]!r}", key_at)
            if strict:
                raise BencodeError(f"dict key {key[:64]!r} out of order", key_at)
        elif key in result:
            raise BencodeError(f"duplicate dict key {key[:64]!r}", key_at)
        if pos >= n:
            raise BencodeError("dict key without a value", pos)
        start = pos
        value, pos = _decode_value(data, pos, strict, MAX_DEPTH - 1)
        if key == b"info":
            span = (start, pos)
        result[key] = value
        previous = key
    if pos != n:
        raise BencodeError("trailing data after the value", pos)
    return DecodedTorrent(result, span, data)


def _as_bytes(data: object) -> bytes:
    if type(data) is bytes:
        return data
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    raise TypeError(f"bencode input must be bytes, not {type(data).__name__}")


def _decode_value(data: bytes, pos: int, strict: bool, max_depth: int) -> tuple[Value, int]:
    """Decode the value at `pos`; return it and the offset just past it.

    Iterative, so nesting is bounded by `max_depth` and never by Python's recursion limit. The
    string and integer cases are written out inline at each place they can occur (a dict key,
    a dict value, a list item): a function call per token would cost a third of the speed.
    """
    n = len(data)
    index = data.index
    # The enclosing containers, innermost last, each with the key its child will be stored
    # under (None when the enclosing container is a list).
    stack: list[tuple[Any, bytes | None]] = []
    cur: Any = None  # the innermost open container, None before the first one opens
    is_dict = False
    prev = b""  # the last key read in the current dict
    try:
        while True:
            c = data[pos]
            if is_dict:
                if c != 101:  # not b"e": a key, then its value
                    if not 48 <= c <= 57:
                        raise BencodeError("dict key must be a byte string", pos)
                    colon = index(b":", pos)
                    digits = data[pos:colon]
                    if not digits.isdigit() or (c == 48 and colon != pos + 1):
                        raise BencodeError("bad string length (a non-digit or a leading zero)", pos)
                    start = colon + 1
                    end = start + int(digits)
                    if end > n:
                        raise BencodeError("string runs past the end of data", start)
                    key = data[start:end]
                    # BEP 3: keys are sorted as raw strings, so strictly increasing and unique.
                    if key <= prev and cur:
                        if key == prev or key in cur:
                            raise BencodeError(f"duplicate dict key {key[:64]!r}", pos)
                        if strict:
                            raise BencodeError(f"dict key {key[:64]!r} out of order", pos)
                    elif not strict and key in cur:  # lenient: order is no proof of uniqueness
                        raise BencodeError(f"duplicate dict key {key[:64]!r}", pos)
                    prev = key
                    pos = end
                    c = data[pos]
                    if 48 <= c <= 57:
                        colon = index(b":", pos)
                        digits = data[pos:colon]
                        if not digits.isdigit() or (c == 48 and colon != pos + 1):
                            raise BencodeError(
                                "bad string length (a non-digit or a leading zero)", pos
                            )
                        start = colon + 1
                        pos = start + int(digits)
                        if pos > n:
                            raise BencodeError("string runs past the end of data", start)
                        cur[key] = data[start:pos]
                    elif c == 105:  # b"i"
                        end = index(b"e", pos)
                        digits = data[pos + 1 : end]
                        if not (
                            digits.isdigit() and (digits[0] != 48 or len(digits) == 1)
                        ) and not _negative(digits):
                            raise BencodeError(f"bad integer {digits[:32]!r}", pos)
                        cur[key] = int(digits)
                        pos = end + 1
                    elif c == 100 or c == 108:  # b"d" / b"l"
                        if len(stack) >= max_depth:
                            raise BencodeError(f"nesting deeper than {max_depth}", pos)
                        stack.append((cur, key))
                        if c == 100:
                            cur = {}
                            prev = b""
                        else:
                            cur = []
                            is_dict = False
                        pos += 1
                    elif c == 101:
                        raise BencodeError(f"dict key {key[:64]!r} without a value", pos)
                    else:
                        raise BencodeError(f"unexpected byte {bytes([c])!r}", pos)
                    continue
            elif 48 <= c <= 57:  # a string: <length>:<bytes>, the length without leading zeros
                colon = index(b":", pos)
                digits = data[pos:colon]
                if not digits.isdigit() or (c == 48 and colon != pos + 1):
                    raise BencodeError("bad string length (a non-digit or a leading zero)", pos)
                start = colon + 1
                pos = start + int(digits)
                if pos > n:
                    raise BencodeError("string runs past the end of data", start)
                if cur is None:
                    return data[start:pos], pos
                cur.append(data[start:pos])
                continue
            elif c == 105:  # b"i": an integer, no leading zeros and no -0
                end = index(b"e", pos)
                digits = data[pos + 1 : end]
                if not (
                    digits.isdigit() and (digits[0] != 48 or len(digits) == 1)
                ) and not _negative(digits):
                    raise BencodeError(f"bad integer {digits[:32]!r}", pos)
                value = int(digits)
                pos = end + 1
                if cur is None:
                    return value, pos
                cur.append(value)
                continue
            elif c == 100 or c == 108:  # b"d" / b"l"
                if len(stack) >= max_depth:
                    raise BencodeError(f"nesting deeper than {max_depth}", pos)
                stack.append((cur, None))
                if c == 100:
                    cur = {}
                    is_dict = True
                    prev = b""
                else:
                    cur = []
                pos += 1
                continue
            elif c != 101 or cur is None:
                raise BencodeError(f"unexpected byte {bytes([c])!r}", pos)
            # b"e": close the innermost container and hand it to the enclosing one.
            pos += 1
            value = cur
            cur, parent_key = stack.pop()
            if cur is None:
                return value, pos
            if parent_key is None:
                cur.append(value)
                is_dict = False
            else:
                cur[parent_key] = value
                is_dict = True
                prev = parent_key
    except IndexError:
        raise BencodeError("unexpected end of data", n) from None
    except ValueError:
        # data.index found no terminator, or int() refused a number too long to convert.
        raise BencodeError("unterminated or oversized token", pos) from None


def _negative(digits: bytes) -> bool:
    # The slow path of the integer check: "-" then digits without a leading zero, so no "-0".
    return len(digits) > 1 and digits[0] == 45 and digits[1] != 48 and digits[1:].isdigit()


def encode(value: Encodable) -> bytes:
    """Encode `value` as bencode; dict keys are sorted by their raw bytes (BEP 3)."""
    out: list[bytes] = []
    try:
        _encode(value, out)
    except RecursionError:
        raise BencodeError("value nested too deeply (or cyclic) to encode") from None
    except ValueError as exc:  # an int too large for int -> str conversion
        raise BencodeError(f"cannot encode value: {exc}") from None
    return b"".join(out)


def _encode(x: Any, out: list[bytes]) -> None:
    append = out.append
    t = type(x)
    if t is bytes:
        append(b"%d:" % len(x))
        append(x)
    elif t is int:
        append(b"i%de" % x)
    elif t is list or t is tuple:
        append(b"l")
        for v in x:
            t = type(v)
            if t is bytes:
                append(b"%d:" % len(v))
                append(v)
            elif t is int:
                append(b"i%de" % v)
            else:
                _encode(v, out)
        append(b"e")
    elif t is dict:
        append(b"d")
        for k, v in _sorted_items(x):
            append(b"%d:" % len(k))
            append(k)
            t = type(v)
            if t is bytes:
                append(b"%d:" % len(v))
                append(v)
            elif t is int:
                append(b"i%de" % v)
            else:
                _encode(v, out)
        append(b"e")
    elif t is str:
        _encode(_utf8(x), out)
    elif isinstance(x, bytearray | memoryview):
        _encode(bytes(x), out)
    elif isinstance(x, bool):
        raise BencodeError("cannot bencode a bool; use 0 or 1")
    elif isinstance(x, int):
        append(b"i%de" % int(x))
    elif isinstance(x, str):
        _encode(_utf8(x), out)
    elif isinstance(x, list | tuple):
        _encode(list(x), out)
    elif isinstance(x, Mapping):
        _encode(dict(x), out)
    else:
        raise BencodeError(f"cannot bencode a value of type {t.__name__}")


def _sorted_items(x: Mapping[Any, Any]) -> list[tuple[bytes, Any]]:
    # Common case: every key is bytes, so sorting the keys is all there is to do.
    try:
        keys = sorted(x)
    except TypeError:
        keys = None
    if keys is not None and all(type(k) is bytes for k in keys):
        return [(k, x[k]) for k in keys]
    converted: dict[bytes, Any] = {}
    for k, v in x.items():
        if type(k) is bytes:
            kb = k
        elif isinstance(k, str):
            kb = _utf8(k)
        elif isinstance(k, bytes | bytearray | memoryview):
            kb = bytes(k)
        else:
            raise BencodeError(f"dict key must be bytes or str, not {type(k).__name__}")
        if kb in converted:
            raise BencodeError(f"duplicate dict key {kb[:64]!r} after converting to bytes")
        converted[kb] = v
    return sorted(converted.items(), key=_first)


def _first(item: tuple[bytes, Any]) -> bytes:
    return item[0]


def _utf8(s: str) -> bytes:
    try:
        return s.encode()
    except UnicodeEncodeError as exc:
        raise BencodeError(f"string is not encodable as UTF-8: {exc.reason}") from None
