"""Torznab/Newznab request parameters: `parse_query` reads a request's query into a `TorznabQuery`.

What the parser accepts follows the Newznab API and the Torznab 1.3 draft's service guidelines:

- parameter names are matched case-insensitively; an empty value counts as absent;
- `t` is required (200). `caps`, `search`, `tvsearch` and `movie` are served; the other functions
  the specifications define (`music`, `book`, `details`, `get`, ...) answer 203 "Function not
  available", anything else 202 "No such function". (`movie-search` is the caps element's name,
  not a function: Radarr and Prowlarr send `t=movie`.)
- `cat` is a comma-separated list of integers, `limit` and `offset` integers >= 0: otherwise 201.
  `limit` defaults to `limit_default` and is cut to `limit_max`, as the Torznab draft advises.
- `season` takes `13` or `S13`; `ep` takes `13`, `E13` or a daily show's `MM/DD` (Sonarr sends
  `season=2016&ep=12/20`); `imdbid` takes `tt0944947`, `0944947` or `944947` and is kept as the
  number; `tvdbid` and `tmdbid` are integers; `extended` is 1/0/true/false/yes/no.
- `q` and `apikey` are refused (201) when they hold a NUL or a lone surrogate, which no database
  column takes;
- a `caps` request is not checked past `t`: its search parameters mean nothing.

Every refusal is a `NewznabError` carrying the Newznab code and description the `error` document
shows; the description names the parameter as the Newznab examples do ("Missing parameter: t").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal, cast

from torrentstack.errors import TorrentstackError

__all__ = [
    "NEWZNAB_ERRORS",
    "NewznabError",
    "TorznabFunction",
    "TorznabQuery",
    "parse_query",
]

TorznabFunction = Literal["caps", "search", "tvsearch", "movie"]

# The Newznab API's error table (100-199 account, 200-299 API call, 300-399 content, 900-999
# other). Prowlarr, Sonarr and Radarr take any 1xx as a bad API key, and "Missing parameter"
# (exactly) without an apikey in the URL as "the indexer requires an API key".
NEWZNAB_ERRORS: Final[Mapping[int, str]] = MappingProxyType(
    {
        100: "Incorrect user credentials",
        101: "Account suspended",
        102: "Insufficient privileges/not authorized",
        103: "Registration denied",
        104: "Registrations are closed",
        105: "Invalid registration (Email Address Taken)",
        106: "Invalid registration (Email Address Bad Format)",
        107: "Registration Failed (Data error)",
        200: "Missing parameter",
        201: "Incorrect parameter",
        202: "No such function",
        203: "Function not available",
        300: "No such item",
        900: "Unknown error",
        910: "API Disabled",
    }
)

_SERVED: Final = frozenset({"caps", "search", "tvsearch", "movie"})
# defined by Newznab or Torznab, not implemented here: 203 rather than 202
_NOT_AVAILABLE: Final = frozenset(
    {
        "music",
        "book",
        "details",
        "getnfo",
        "get",
        "cartadd",
        "cartdel",
        "comments",
        "commentadd",
        "register",
        "user",
    }
)
_INT_MAX: Final = 2**31 - 1  # what the *arr clients hold ids and counts in (and a SQL INTEGER)
# ASCII digits only: int() would also take "+1", "1_0" and other scripts' digits
_NUMBER: Final = re.compile(r"[0-9]{1,10}")
_SEASON: Final = re.compile(r"[Ss]?([0-9]{1,10})")
_EPISODE: Final = re.compile(r"[Ee]?([0-9]{1,10})")
_DAILY_EPISODE: Final = re.compile(r"[0-9]{1,2}/[0-9]{1,2}")
_IMDB: Final = re.compile(r"(?:[Tt][Tt])?([0-9]{1,10})")
_UNSTORABLE: Final = re.compile("[\x00\ud800-\udfff]")
_TRUE: Final = frozenset({"1", "true", "yes"})
_FALSE: Final = frozenset({"0", "false", "no"})


class NewznabError(TorrentstackError):
    """A request Newznab refuses: `code` and `description` go into `<error code= description=/>`.

    `description` defaults to the Newznab table's text for `code` (`NEWZNAB_ERRORS`); a code
    outside the table needs one.
    """

    def __init__(self, code: int, description: str | None = None) -> None:
        if description is None:
            if code not in NEWZNAB_ERRORS:
                raise ValueError(f"Newznab error {code} has no standard description; give one")
            description = NEWZNAB_ERRORS[code]
        self.code = code
        self.description = description
        super().__init__(f"{code} {description}")


@dataclass(frozen=True, slots=True)
class TorznabQuery:
    """A checked Torznab request. Ids and numbers are ints, `episode` a number or `MM/DD`."""

    function: TorznabFunction
    q: str | None = None
    categories: tuple[int, ...] = ()
    limit: int = 100
    offset: int = 0
    season: int | None = None
    episode: str | None = None
    imdbid: int | None = None  # the IMDb number: tt0944947 is 944947
    tvdbid: int | None = None
    tmdbid: int | None = None
    extended: bool = False
    apikey: str | None = None


def parse_query(
    params: Mapping[str, str], *, limit_default: int = 100, limit_max: int = 100
) -> TorznabQuery:
    """Read a Torznab request's query parameters, or raise the `NewznabError` to answer with."""
    if not 0 < limit_default <= limit_max:
        raise ValueError("need 0 < limit_default <= limit_max")
    values: dict[str, str] = {}
    for name, value in params.items():
        stripped = value.strip()
        if stripped:
            values.setdefault(name.lower(), stripped)  # the first spelling of a name wins
    function = values.get("t", "").lower()
    if not function:
        raise NewznabError(200, "Missing parameter: t")
    if function in _NOT_AVAILABLE:
        raise NewznabError(203)
    if function not in _SERVED:
        raise NewznabError(202)
    apikey = _free_text(values, "apikey")
    if function == "caps":
        return TorznabQuery(function="caps", limit=limit_default, apikey=apikey)
    limit = _number(values, "limit")
    return TorznabQuery(
        function=cast(TorznabFunction, function),
        q=_free_text(values, "q"),
        categories=_categories(values),
        limit=limit_default if limit is None else min(limit, limit_max),
        offset=_number(values, "offset") or 0,
        season=_matched(values, "season", _SEASON),
        episode=_episode(values),
        imdbid=_matched(values, "imdbid", _IMDB),
        tvdbid=_number(values, "tvdbid"),
        tmdbid=_number(values, "tmdbid"),
        extended=_extended(values),
        apikey=apikey,
    )


def _incorrect(name: str) -> NewznabError:
    return NewznabError(201, f"Incorrect parameter: {name}")


def _to_int(digits: str, name: str) -> int:
    number = int(digits)  # at most 10 digits: far below the interpreter's conversion limit
    if number > _INT_MAX:
        raise _incorrect(name)
    return number


def _number(values: Mapping[str, str], name: str) -> int | None:
    return _matched(values, name, _NUMBER)


def _matched(values: Mapping[str, str], name: str, pattern: re.Pattern[str]) -> int | None:
    """The parameter's number (the pattern's first group, or all of it), None when absent."""
    raw = values.get(name)
    if raw is None:
        return None
    match = pattern.fullmatch(raw)
    if match is None:
        raise _incorrect(name)
    return _to_int(match[1] if pattern.groups else match[0], name)


def _free_text(values: Mapping[str, str], name: str) -> str | None:
    raw = values.get(name)
    if raw is not None and _UNSTORABLE.search(raw):
        raise _incorrect(name)
    return raw


def _categories(values: Mapping[str, str]) -> tuple[int, ...]:
    raw = values.get("cat")
    if raw is None:
        return ()
    found: list[int] = []
    for part in raw.split(","):
        digits = part.strip()
        if _NUMBER.fullmatch(digits) is None:
            raise _incorrect("cat")
        category = _to_int(digits, "cat")
        if category not in found:
            found.append(category)
    return tuple(found)


def _episode(values: Mapping[str, str]) -> str | None:
    raw = values.get("ep")
    if raw is None or _DAILY_EPISODE.fullmatch(raw):
        return raw
    number = _matched(values, "ep", _EPISODE)
    return None if number is None else str(number)


def _extended(values: Mapping[str, str]) -> bool:
    raw = values.get("extended")
    if raw is None:
        return False
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise _incorrect("extended")
