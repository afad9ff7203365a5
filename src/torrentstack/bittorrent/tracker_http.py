"""The HTTP tracker wire (BEP 3 / 7 / 23 / 24 / 48): parse announce and scrape queries, encode replies.

Pure and hand-written for the announce hot path; routing, peers and policy live in `tracker/`.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from torrentstack.bittorrent.announce import (
    Announce,
    AnnounceEvent,
    EndpointError,
    unpack_endpoint,
)
from torrentstack.errors import FormatError

__all__ = [
    "HttpAnnounce",
    "TrackerRequestError",
    "encode_announce",
    "encode_failure",
    "encode_scrape",
    "parse_announce_query",
    "parse_scrape_query",
]

_MAX_INT = 2**63 - 1  # counters are int64 in every tracker we interoperate with (and in BEP 15)
_MAX_DIGITS = len(str(_MAX_INT))

_EVENTS = {
    b"": AnnounceEvent.NONE,
    b"empty": AnnounceEvent.NONE,  # sent by some old clients for a regular announce
    b"started": AnnounceEvent.STARTED,
    b"completed": AnnounceEvent.COMPLETED,
    b"stopped": AnnounceEvent.STOPPED,
}


class TrackerRequestError(FormatError):
    """An announce or scrape query that cannot be served.

    The message is a short sentence meant to go out as the bencoded `failure reason`; `param`
    names the query parameter at fault and `value` keeps its raw (still percent-encoded) bytes.
    """

    def __init__(self, message: str, param: str | None = None, value: bytes | None = None) -> None:
        self.param = param
        self.value = value
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class HttpAnnounce:
    """An announce plus the reply format the HTTP client asked for (BEP 23, `no_peer_id`)."""

    announce: Announce
    compact: bool
    no_peer_id: bool


def parse_announce_query(query: bytes) -> HttpAnnounce:
    """Parse the raw query string of an announce (the bytes after `?`, still percent-encoded).

    Parameter names are matched as sent (no client escapes them, and aquatic does the same);
    the first occurrence of a repeated parameter wins and unknown parameters are ignored.
    """
    params: dict[bytes, bytes] = {}
    first = params.setdefault
    for pair in query.split(b"&"):
        name, _, value = pair.partition(b"=")
        first(name, value)
    get = params.get

    info_hash = _binary20(get(b"info_hash"), "info_hash")
    peer_id = _binary20(get(b"peer_id"), "peer_id")
    raw = get(b"port")
    if raw is None:
        raise TrackerRequestError("missing port", "port")
    port = _integer(raw, "port")
    if port > 0xFFFF:
        raise TrackerRequestError("bad port", "port", raw)

    raw = get(b"uploaded")
    uploaded = 0 if raw is None else _integer(raw, "uploaded")
    raw = get(b"downloaded")
    downloaded = 0 if raw is None else _integer(raw, "downloaded")
    raw = get(b"left")
    left = 0 if raw is None else _integer(raw, "left")
    raw = get(b"numwant")
    numwant = None if raw is None else _integer(raw, "numwant")

    raw = get(b"event")
    if raw is None:
        event = AnnounceEvent.NONE
    else:
        found = _EVENTS.get(raw)
        if found is None:
            raise TrackerRequestError(f'bad event "{_show(raw)}"', "event", raw)
        event = found

    key = get(b"key") or None
    if key is not None and b"%" in key:
        key = _unquote(key, "key")

    return HttpAnnounce(
        Announce(info_hash, peer_id, port, uploaded, downloaded, left, event, numwant, key),
        compact=get(b"compact") != b"0",  # BEP 23: compact unless the client says 0
        no_peer_id=get(b"no_peer_id", b"0") != b"0",
    )


def parse_scrape_query(query: bytes) -> list[bytes]:
    """Return every `info_hash` of a scrape query (BEP 48 repeats it), in order, without repeats."""
    hashes: dict[bytes, None] = {}
    for pair in query.split(b"&"):
        name, _, value = pair.partition(b"=")
        if name == b"info_hash":
            hashes[_binary20(value, "info_hash")] = None
    return list(hashes)


def _binary20(raw: bytes | None, name: str) -> bytes:
    # info_hash and peer_id are raw bytes, percent-escaped where not URL-safe; `+` is a literal
    # byte here, never a space, and nothing may go through a text decode.
    if raw is None:
        raise TrackerRequestError(f"missing {name}", name)
    value = _unquote(raw, name) if b"%" in raw else raw
    if len(value) != 20:
        raise TrackerRequestError(f"{name} must be 20 bytes", name, raw)
    return value


def _unquote(raw: bytes, name: str) -> bytes:
    """Percent-decode `raw` to bytes, refusing a `%` not followed by two hex digits."""
    # Rewritten as the bytes literal escapes `\xNN` (after doubling any backslash) and decoded
    # by the C codec that pickle uses: 4-5x faster than a Python loop or urllib's unquote, and
    # it rejects a malformed escape instead of passing it through.
    escaped = raw.replace(b"\\", b"\\\\") if b"\\" in raw else raw
    try:
        return codecs.escape_decode(escaped.replace(b"%", b"\\x"))[0]
    except ValueError:
        raise TrackerRequestError(f"bad percent-escape in {name}", name, raw) from None


def _integer(raw: bytes, name: str) -> int:
    # Plain ASCII decimal only: int() alone would also take "-1", " 1", "1_0" and "+1".
    if not raw.isdigit() or len(raw) > _MAX_DIGITS:
        raise TrackerRequestError(f"bad {name}", name, raw)
    value = int(raw)
    if value > _MAX_INT:
        raise TrackerRequestError(f"bad {name}", name, raw)
    return value


def _show(raw: bytes) -> str:
    return raw[:32].decode("ascii", "backslashreplace")


def encode_announce(
    *,
    interval: int,
    min_interval: int,
    complete: int,
    incomplete: int,
    peers: Sequence[tuple[bytes, bytes]] = (),
    compact: bool,
    no_peer_id: bool,
    external_ip: bytes | None = None,
    warning: str | None = None,
    endpoints: Sequence[bytes] | None = None,
) -> bytes:
    """Encode an announce reply; each peer is `(peer_id, endpoint)` with a 6 or 18-byte endpoint.

    A compact reply needs only the endpoints: given as `endpoints`, `peers` is not read (the
    hot path then builds no pairs).

    Compact (BEP 23 / 7): IPv4 endpoints go in `peers`, IPv6 ones in `peers6` (left out when
    empty). Otherwise `peers` lists `{ip, peer id, port}` dicts, without `peer id` when asked.
    """
    # Built by hand with keys in BEP 3 order. Measured against bencode.encode on the same dict:
    # 3.4x faster with no peers, 1.3x with 50 compact peers, 4x for a non-compact list.
    out = [b"d8:completei%de" % complete]
    if external_ip is not None:  # BEP 24: the requester's address as the tracker sees it
        if len(external_ip) not in (4, 16):
            raise EndpointError("external ip must be 4 or 16 packed bytes", external_ip)
        out.append(b"11:external ip%d:%s" % (len(external_ip), external_ip))
    out.append(
        b"10:incompletei%de8:intervali%de12:min intervali%de5:peers"
        % (incomplete, interval, min_interval)
    )
    if compact:
        packed = [endpoint for _, endpoint in peers] if endpoints is None else endpoints
        v4 = [endpoint for endpoint in packed if len(endpoint) == 6]
        v6 = [] if len(v4) == len(packed) else [e for e in packed if len(e) == 18]
        if len(v4) + len(v6) != len(packed):
            bad = next(e for e in packed if len(e) not in (6, 18))
            raise EndpointError(f"a packed endpoint is 6 or 18 bytes, not {len(bad)}", bad)
        out.append(b"%d:" % (6 * len(v4)))
        out += v4
        if v6:
            out.append(b"6:peers6%d:" % (18 * len(v6)))
            out += v6
    else:
        out.append(b"l")
        for peer_id, endpoint in peers:
            ip, port = unpack_endpoint(endpoint)
            text = ip.encode()
            if no_peer_id:
                out.append(b"d2:ip%d:%s4:porti%dee" % (len(text), text, port))
            else:
                out.append(
                    b"d2:ip%d:%s7:peer id%d:%s4:porti%dee"
                    % (len(text), text, len(peer_id), peer_id, port)
                )
        out.append(b"e")
    if warning is not None:
        message = warning.encode("utf-8", "replace")
        out.append(b"15:warning message%d:%s" % (len(message), message))
    out.append(b"e")
    return b"".join(out)


def encode_scrape(
    files: Iterable[tuple[bytes, int, int, int]], *, min_request_interval: int | None = None
) -> bytes:
    """Encode a scrape reply from `(info_hash, complete, downloaded, incomplete)` tuples (BEP 48).

    Hashes are sorted as BEP 3 requires; a hash given twice keeps its last counts.
    """
    stats = {entry[0]: entry[1:] for entry in files}
    out = [b"d5:filesd"]
    for info_hash in sorted(stats):
        complete, downloaded, incomplete = stats[info_hash]
        out.append(
            b"%d:%sd8:completei%de10:downloadedi%de10:incompletei%dee"
            % (len(info_hash), info_hash, complete, downloaded, incomplete)
        )
    out.append(b"e")
    if min_request_interval is not None:
        out.append(b"5:flagsd20:min_request_intervali%dee" % min_request_interval)
    out.append(b"e")
    return b"".join(out)


def encode_failure(reason: str) -> bytes:
    """Encode a failure reply, `d14:failure reason<len>:<utf-8 reason>e` (BEP 3)."""
    text = reason.encode(
        "utf-8", "replace"
    )  # a lone surrogate must not turn a failure into a crash
    return b"d14:failure reason%d:%se" % (len(text), text)
