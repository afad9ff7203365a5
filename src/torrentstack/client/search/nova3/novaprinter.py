"""The `novaprinter` module nova3 plugins import (torrentstack's own): one result a line on stdout.

Not part of the torrentstack package: copied beside a plugin and run by `runner.py`.
"""

from __future__ import annotations

import re
import sys

_SIZE = re.compile(r"^(\d*\.?\d+) *([a-z]+)?", re.IGNORECASE)
_UNITS = {"K": 1, "M": 2, "G": 3, "T": 4, "P": 5}


def anySizeToBytes(size_string: object) -> int:  # the name plugins call
    """'1.5 GB' -> bytes (binary units, as qBittorrent's printer); -1 when it does not parse."""
    if isinstance(size_string, bool):
        return -1
    if isinstance(size_string, int):
        return size_string
    if isinstance(size_string, float):
        return round(size_string)
    match = _SIZE.match(str(size_string).strip())
    if match is None:
        return -1
    value = float(match.group(1))
    unit = match.group(2)
    if unit:
        value *= 1024 ** _UNITS.get(unit[0].upper(), 0)
    return round(value)


def _field(value: object) -> str:
    return " ".join(str(value).replace("|", " ").splitlines())


def prettyPrinter(dictionary: dict[str, object]) -> None:  # the name plugins call
    """Print one result: link|name|size|seeds|leech|engine_url|desc_link|pub_date."""
    fields = (
        _field(dictionary["link"]),
        _field(dictionary["name"]),
        str(anySizeToBytes(dictionary["size"])),
        _field(dictionary["seeds"]),
        _field(dictionary["leech"]),
        _field(dictionary["engine_url"]),
        _field(dictionary.get("desc_link", "")),
        _field(dictionary.get("pub_date", -1)),
    )
    sys.stdout.write("|".join(fields) + "\n")
    sys.stdout.flush()
