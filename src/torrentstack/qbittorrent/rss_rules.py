"""An RSS auto-downloading rule as qBittorrent 4.6/5.1 keeps it: read from a `rss/setRule`
definition (`AutoDownloadRule::fromJsonObject`, each value coerced as Qt's `QJsonValue` does)
and written as `rss/rules` and `download_rules.json` show it. Pure; matching is `rss_matching`."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_RFC2822 = re.compile(
    r"\s*(?:[A-Za-z]{3},?\s+)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"(?:\s+([+-])(\d{2})(\d{2}))?\s*",
    re.ASCII,
)
_LAYOUTS = ("Original", "Subfolder", "NoSubfolder")
_STOP_CONDITIONS = ("None", "MetadataReceived", "FilesChecked")
_SHARE_LIMIT_ACTIONS = ("Default", "Stop", "Remove", "RemoveWithContent", "EnableSuperSeeding")
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


@dataclass(frozen=True, slots=True)
class TorrentParams:
    """`BitTorrent::AddTorrentParams` as a rule keeps them (`torrentParams`)."""

    category: str = ""
    tags: tuple[str, ...] = ()
    save_path: str = ""
    use_download_path: bool | None = None
    download_path: str = ""
    forced: bool = False  # operating_mode "Forced"
    add_to_top_of_queue: bool | None = None
    stopped: bool | None = None  # None: the client's preference
    stop_condition: str | None = None
    skip_checking: bool = False
    content_layout: str | None = None
    use_auto_tmm: bool | None = None
    upload_limit: int = -1
    download_limit: int = -1
    seeding_time_limit: int = -2
    inactive_seeding_time_limit: int = -2
    ratio_limit: float = -2.0
    share_limit_action: str = "Default"  # 5.x
    ssl_certificate: str = ""  # 5.x
    ssl_private_key: str = ""  # 5.x
    ssl_dh_params: str = ""  # 5.x


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    enabled: bool = True
    priority: int = 0
    use_regex: bool = False
    must_contain: tuple[str, ...] = ()  # expressions: one regex, or `|`-separated wildcards
    must_not_contain: tuple[str, ...] = ()
    episode_filter: str = ""
    feed_urls: tuple[str, ...] = ()
    ignore_days: int = 0
    last_match: datetime | None = None  # with its UTC offset; None: never (shown as "")
    smart_filter: bool = False
    previously_matched: tuple[str, ...] = ()
    params: TorrentParams = field(default_factory=TorrentParams)


UNKNOWN_RULE = Rule("Unknown Rule")  # what `ruleByName` gives for a name it does not have


# --- Qt's QJsonValue conversions ---


def _bool(value: Any, default: bool) -> bool:
    return value if isinstance(value, bool) else default


def _int(value: Any, default: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
        return default
    return int(value) if _INT_MIN <= value <= _INT_MAX else default


def _double(value: Any, default: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return float(value) if math.isfinite(value) else default


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _strings(value: Any) -> tuple[str, ...]:
    """A string is a list of one; an array's non-strings are empty strings."""
    if isinstance(value, str):
        return (value,)
    return tuple(_string(v) for v in value) if isinstance(value, list) else ()


def _optional_bool(value: Any) -> bool | None:
    """`getOptionalBool`: absent or null is no value; anything else is `toBool()`."""
    return None if value is None else _bool(value, False)


def _enum(value: Any, names: tuple[str, ...], default: str) -> str:
    text = _string(value)
    return text if text in names else default


def clean_path(path: str) -> str:
    """`Path`'s constructor: `QDir::cleanPath` when there is a separator."""
    if "/" not in path and "\\" not in path:
        return path
    absolute = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == ".." and parts and parts[-1] != "..":
            parts.pop()
        elif part == ".." and absolute:
            continue
        else:
            parts.append(part)
    joined = "/".join(parts)
    return "/" + joined if absolute else (joined or ".")


def _natural_key(tag: str) -> tuple[tuple[int, int | str], ...]:
    """Natural, case-insensitive order (`Utils::Compare::NaturalCompare`), as a sort key."""
    return tuple(
        (0, int(chunk)) if chunk.isdigit() else (1, chunk.casefold())
        for chunk in re.findall(r"\d+|\D+", tag, re.ASCII)
    )


def tag_set(tags: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """A `TagSet`: trimmed, ordered naturally, one of each (case-insensitively)."""
    kept: dict[tuple[tuple[int, int | str], ...], str] = {}
    for tag in tags:
        tag = tag.strip()
        kept.setdefault(_natural_key(tag), tag)
    return tuple(kept[key] for key in sorted(kept))


# --- dates (Qt::RFC2822Date) ---


def parse_date(text: str) -> datetime | None:
    """`QDateTime::fromString(text, Qt::RFC2822Date)`; no offset is UTC; None if invalid."""
    match = _RFC2822.fullmatch(text)
    if match is None:
        return None
    day, month, year, hour, minute, second, sign, off_h, off_m = match.groups()
    if month.capitalize() not in _MONTHS:
        return None
    offset = 0
    if sign:
        offset = (int(off_h) * 60 + int(off_m)) * (-1 if sign == "-" else 1)
    try:
        return datetime(
            int(year),
            _MONTHS.index(month.capitalize()) + 1,
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            tzinfo=timezone(timedelta(minutes=offset)),
        )
    except ValueError:
        return None


def format_date(when: datetime | None) -> str:
    """`QDateTime::toString(Qt::RFC2822Date)`: "20 Nov 2017 09:05:11 +0000"."""
    if when is None:
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    minutes = int((when.utcoffset() or timedelta()).total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    zone = f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
    return (
        f"{when.day:02d} {_MONTHS[when.month - 1]} {when.year:04d} "
        f"{when.hour:02d}:{when.minute:02d}:{when.second:02d} {zone}"
    )


# --- reading a definition ---


def parse_definition(text: str) -> dict[str, Any]:
    """`QJsonDocument::fromJson(text).object()`: anything but a JSON object is empty."""

    def no_constants(name: str) -> None:
        raise ValueError(name)

    try:
        value = json.loads(text, parse_constant=no_constants)
    except (ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


def _expressions(text: str, use_regex: bool) -> tuple[str, ...]:
    """`setMustContain`: one regex, or the `|` alternatives; a lone empty one is none."""
    parts = (text,) if use_regex else tuple(text.split("|"))
    return () if parts == ("",) else parts


def rule_from_json(obj: dict[str, Any], name: str) -> Rule:
    """`AutoDownloadRule::fromJsonObject(obj, name)`; an empty name takes the object's `name`."""
    use_regex = _bool(obj.get("useRegex"), False)
    return Rule(
        name=name or _string(obj.get("name")),
        enabled=_bool(obj.get("enabled"), True),
        priority=_int(obj.get("priority"), 0),
        use_regex=use_regex,
        must_contain=_expressions(_string(obj.get("mustContain")), use_regex),
        must_not_contain=_expressions(_string(obj.get("mustNotContain")), use_regex),
        episode_filter=_string(obj.get("episodeFilter")),
        feed_urls=_strings(obj.get("affectedFeeds")),
        ignore_days=_int(obj.get("ignoreDays"), 0),
        last_match=parse_date(_string(obj.get("lastMatch"))),
        smart_filter=_bool(obj.get("smartFilter"), False),
        previously_matched=_strings(obj.get("previouslyMatchedEpisodes")),
        params=_params_from_json(obj),
    )


def _params_from_json(obj: dict[str, Any]) -> TorrentParams:
    if "torrentParams" in obj:
        p = obj["torrentParams"] if isinstance(obj["torrentParams"], dict) else {}
        layout = p.get("content_layout")
        stop = p.get("stop_condition")
        raw_tags = p.get("tags")
        tags: list[Any] = raw_tags if isinstance(raw_tags, list) else []
        return TorrentParams(
            category=_string(p.get("category")),
            tags=tag_set([_string(t) for t in tags]),
            save_path=clean_path(_string(p.get("save_path"))),
            use_download_path=_optional_bool(p.get("use_download_path")),
            download_path=clean_path(_string(p.get("download_path"))),
            forced=_string(p.get("operating_mode")) == "Forced",
            add_to_top_of_queue=_optional_bool(p.get("add_to_top_of_queue")),
            stopped=_optional_bool(p.get("stopped")),
            stop_condition=None if stop is None else _enum(stop, _STOP_CONDITIONS, "None"),
            skip_checking=_bool(p.get("skip_checking"), False),
            content_layout=None if layout is None else _enum(layout, _LAYOUTS, "Original"),
            use_auto_tmm=_optional_bool(p.get("use_auto_tmm")),
            upload_limit=_int(p.get("upload_limit"), -1),
            download_limit=_int(p.get("download_limit"), -1),
            seeding_time_limit=_int(p.get("seeding_time_limit"), -2),
            inactive_seeding_time_limit=_int(p.get("inactive_seeding_time_limit"), -2),
            ratio_limit=_double(p.get("ratio_limit"), -2.0),
            share_limit_action=_enum(p.get("share_limit_action"), _SHARE_LIMIT_ACTIONS, "Default"),
            ssl_certificate=_pem(p.get("ssl_certificate")),
            ssl_private_key=_pem(p.get("ssl_private_key")),
            ssl_dh_params=_string(p.get("ssl_dh_params")),
        )
    # the legacy keys (4.5 and older definitions, and clients that send only those)
    save_path = clean_path(_string(obj.get("savePath")))
    if "torrentContentLayout" in obj:
        text = _string(obj.get("torrentContentLayout"))
        layout_value = _enum(text, _LAYOUTS, "Original") if text else None
    else:
        subfolder = obj.get("createSubfolder")
        layout_value = None
        if isinstance(subfolder, bool):
            layout_value = "Original" if subfolder else "NoSubfolder"
    paused = obj.get("addPaused")
    return TorrentParams(
        category=_string(obj.get("assignedCategory")),
        save_path=save_path,
        stopped=paused if isinstance(paused, bool) else None,
        use_auto_tmm=False if save_path else None,
        content_layout=layout_value,
    )


def _pem(value: Any) -> str:
    text = _string(value)
    return text if text.lstrip().startswith("-----BEGIN ") else ""


# --- writing ---


def _number(value: float) -> int | float:
    """Qt writes a whole double without a fraction."""
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def params_to_json(params: TorrentParams, five: bool) -> dict[str, Any]:
    """`serializeAddTorrentParams` of 4.6 (`five` False) or 5.1."""
    out: dict[str, Any] = {
        "category": params.category,
        "tags": list(params.tags),
        "save_path": params.save_path,
        "download_path": params.download_path,
        "operating_mode": "Forced" if params.forced else "AutoManaged",
        "skip_checking": params.skip_checking,
        "upload_limit": params.upload_limit,
        "download_limit": params.download_limit,
        "seeding_time_limit": params.seeding_time_limit,
        "inactive_seeding_time_limit": params.inactive_seeding_time_limit,
        "ratio_limit": _number(params.ratio_limit),
    }
    if five:
        out["share_limit_action"] = params.share_limit_action
        out["ssl_certificate"] = params.ssl_certificate
        out["ssl_private_key"] = params.ssl_private_key
        out["ssl_dh_params"] = params.ssl_dh_params
    optional = {
        "add_to_top_of_queue": params.add_to_top_of_queue,
        "stopped": params.stopped,
        "stop_condition": params.stop_condition,
        "content_layout": params.content_layout,
        "use_auto_tmm": params.use_auto_tmm,
        "use_download_path": params.use_download_path,
    }
    out.update({key: value for key, value in optional.items() if value is not None})
    return dict(sorted(out.items()))


def rule_to_json(rule: Rule, five: bool) -> dict[str, Any]:
    """`AutoDownloadRule::toJsonObject` (keys in Qt's sorted order)."""
    params = rule.params
    out = {
        "enabled": rule.enabled,
        "priority": rule.priority,
        "useRegex": rule.use_regex,
        "mustContain": "|".join(rule.must_contain),
        "mustNotContain": "|".join(rule.must_not_contain),
        "episodeFilter": rule.episode_filter,
        "affectedFeeds": list(rule.feed_urls),
        "lastMatch": format_date(rule.last_match),
        "ignoreDays": rule.ignore_days,
        "smartFilter": rule.smart_filter,
        "previouslyMatchedEpisodes": list(rule.previously_matched),
        "addPaused": params.stopped,
        "torrentContentLayout": params.content_layout,
        "savePath": params.save_path,
        "assignedCategory": params.category,
        "torrentParams": params_to_json(params, five),
    }
    return dict(sorted(out.items()))


def qt_key_order(names: list[str]) -> list[str]:
    """The order of a `QJsonObject`'s keys (UTF-16 code units)."""
    return sorted(names, key=lambda name: name.encode("utf-16-be", "surrogatepass"))
