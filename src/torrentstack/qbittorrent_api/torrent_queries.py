"""Read-only `torrents/*` endpoints: info, count, properties, files, trackers, web seeds,
piece states and hashes, export."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from torrentstack.qbittorrent import forms
from torrentstack.qbittorrent.errors import BadParams, NotFound
from torrentstack.qbittorrent.serialize import file_objects, properties
from torrentstack.qbittorrent.states import compute_state, filter_predicate
from torrentstack.qbittorrent_api.backend import Application, TorrentReader, TrackerRow
from torrentstack.qbittorrent_api.dispatch import Call, WebApi
from torrentstack.qbittorrent_api.responses import SECURITY_HEADERS, json_body, text

_PSEUDO_TRACKERS = ("** [DHT] **", "** [PeX] **", "** [LSD] **")
_PSEUDO_PREFS = ("dht", "pex", "lsd")


def select_torrents(
    torrents: TorrentReader, params: dict[str, str], stop_vocabulary: bool
) -> list[dict[str, Any]]:
    """`torrents/info`'s filtering, sorting and paging."""
    wanted = forms.parse_hashes(params.get("hashes"))
    predicate = filter_predicate(params.get("filter"), stop_vocabulary)
    category = params.get("category")
    tag = params.get("tag")
    private = forms.parse_bool(params.get("private")) if stop_vocabulary else None
    chosen: list[dict[str, Any]] = []
    for view, obj in torrents.views():
        if wanted is not None and view.hash not in wanted:
            continue
        if category is not None and view.category != category:
            continue
        if tag is not None and (tag not in view.tags if tag else bool(view.tags)):
            continue
        if private is not None and bool(view.private) != private:
            continue
        if not predicate(view, compute_state(view.facts)):
            continue
        chosen.append(obj)
    sort = params.get("sort")
    reverse = forms.parse_bool(params.get("reverse")) or False
    if sort and chosen:
        if sort not in chosen[0]:
            raise BadParams("'sort' parameter is invalid")
        chosen.sort(key=lambda o: _sort_key(o.get(sort)), reverse=reverse)
    elif reverse:
        chosen.reverse()
    limit = _int(params.get("limit"), 0)
    offset = _int(params.get("offset"), 0)
    if offset < 0:
        offset += len(chosen)
    if offset < 0 or offset >= len(chosen):
        offset = 0 if offset < 0 or not chosen else offset
    chosen = chosen[offset:]
    if limit > 0:
        chosen = chosen[:limit]
    return chosen


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, bool | int | float):
        return (0, value)
    if value is None:
        return (0, 0)
    return (1, str(value).casefold())


def _tracker_row(e: TrackerRow) -> dict[str, Any]:
    return {
        "msg": e.message,
        "num_downloaded": e.num_downloaded,
        "num_leeches": e.num_leeches,
        "num_peers": e.num_peers,
        "num_seeds": e.num_seeds,
        "status": e.status,
        "tier": e.tier,
        "url": e.url,
    }


def _int(text: str | None, default: int) -> int:
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError:
        raise BadParams() from None


def add_query_endpoints(api: WebApi, torrents: TorrentReader, application: Application) -> None:
    """The torrents' reading endpoints; `torrents/trackers` shows DHT, PeX and LSD rows as the
    application's preferences switch them."""
    persona = api.persona

    async def info(call: Call) -> Response:
        chosen = select_torrents(torrents, dict(call.params), persona.stop_vocabulary)
        if persona.stop_vocabulary and forms.flag(call.params, "includeTrackers"):
            # 5.1: each torrent's real trackers as torrents/trackers rows (no DHT/PeX/LSD rows)
            with_trackers = []
            for obj in chosen:
                try:
                    entries = await torrents.trackers(obj["hash"])
                except NotFound:  # removed meanwhile
                    continue
                with_trackers.append({**obj, "trackers": [_tracker_row(e) for e in entries]})
            chosen = with_trackers
        return json_body(chosen)

    async def count(_call: Call) -> Response:
        return text(str(len(torrents.views())))

    async def props(call: Call) -> Response:
        view = await torrents.fresh_view(forms.single_hash(call.params))
        return json_body(properties(view, persona))

    async def files(call: Call) -> Response:
        hash_ = forms.single_hash(call.params)
        entries, is_seed = await torrents.files(hash_)
        indexes = call.params.get("indexes")
        if indexes:
            try:
                picked = {int(i) for i in indexes.split("|") if i.strip()}
            except ValueError:
                raise BadParams() from None
            entries = [e for e in entries if e.index in picked]
        return json_body(file_objects(entries, is_seed))

    async def trackers(call: Call) -> Response:
        hash_ = forms.single_hash(call.params)
        entries = await torrents.trackers(hash_)
        view = torrents.view(hash_)
        prefs = application.preferences()
        rows: list[dict[str, Any]] = []
        for url, pref in zip(_PSEUDO_TRACKERS, _PSEUDO_PREFS, strict=True):
            enabled = bool(prefs.get(pref)) and not view.private
            rows.append(
                {
                    "msg": "" if enabled else ("This torrent is private" if view.private else ""),
                    "num_downloaded": 0,
                    "num_leeches": 0,
                    "num_peers": 0,
                    "num_seeds": 0,
                    "status": 2 if enabled else 0,
                    "tier": -1,
                    "url": url,
                }
            )
        rows.extend(_tracker_row(e) for e in entries)
        return json_body(rows)

    async def piece_states(call: Call) -> Response:
        return json_body(await torrents.piece_states(forms.single_hash(call.params)))

    async def piece_hashes(call: Call) -> Response:
        return json_body(await torrents.piece_hashes(forms.single_hash(call.params)))

    async def webseeds(call: Call) -> Response:
        urls = await torrents.web_seeds(forms.single_hash(call.params))
        return json_body([{"url": url} for url in urls])

    async def export(call: Call) -> Response:
        data = await torrents.export(forms.single_hash(call.params))
        return Response(data, 200, headers=SECURITY_HEADERS, media_type="application/x-bittorrent")

    api.add("torrents/pieceStates", piece_states)
    api.add("torrents/pieceHashes", piece_hashes)
    api.add("torrents/webseeds", webseeds)
    api.add("torrents/info", info)
    api.add("torrents/count", count)
    api.add("torrents/properties", props)
    api.add("torrents/files", files)
    api.add("torrents/trackers", trackers)
    api.add("torrents/export", export)
