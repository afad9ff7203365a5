"""`torrents/add`: what was sent (`Source`) and how to add it (`AddRequest`), parsed from the
form the way qBittorrent 4.6 and 5.1 read it. Both personas accept both spellings: `paused` and
`stopped`, `root_folder` and `contentLayout`, `skip_checking` and `seedMode`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from torrentstack.qbittorrent import forms
from torrentstack.qbittorrent.errors import BadParams

_LAYOUTS = {"original": "Original", "subfolder": "Subfolder", "nosubfolder": "NoSubfolder"}


@dataclass(frozen=True, slots=True)
class Source:
    torrent: bytes = b""
    magnet: str = ""
    name: str = ""  # of the uploaded file, for the error that refuses it


@dataclass(frozen=True, slots=True)
class AddRequest:
    save_path: str = ""
    download_path: str = ""
    category: str = ""
    tags: tuple[str, ...] = ()
    stopped: bool | None = None  # None: the preference
    skip_checking: bool = False
    content_layout: str | None = None  # Original, Subfolder, NoSubfolder; None: preference
    rename: str = ""
    up_limit: int = 0
    dl_limit: int = 0
    ratio_limit: float = -2.0
    seeding_time_limit: int = -2
    inactive_seeding_time_limit: int = -2
    auto_tmm: bool | None = None
    sequential: bool = False
    first_last: bool = False
    forced: bool = False
    top_of_queue: bool | None = None


def add_request(params: Mapping[str, str]) -> AddRequest:
    stopped = forms.optional_flag(params, "stopped")
    if stopped is None:
        stopped = forms.optional_flag(params, "paused")
    skip = forms.optional_flag(params, "skip_checking")
    if skip is None:
        skip = forms.optional_flag(params, "seedMode")
    layout = params.get("contentLayout")
    content_layout: str | None = None
    if layout:
        content_layout = _LAYOUTS.get(layout.strip().lower())
        if content_layout is None:
            raise BadParams(f"'contentLayout' is invalid: {layout}")
    else:
        root = forms.optional_flag(params, "root_folder")
        if root is not None:
            content_layout = "Subfolder" if root else "NoSubfolder"
    use_download_path = forms.optional_flag(params, "useDownloadPath")
    return AddRequest(
        save_path=params.get("savepath", "").strip(),
        download_path=params.get("downloadPath", "").strip()
        if use_download_path is not False
        else "",
        category=params.get("category", "").strip(),
        tags=tuple(forms.tags(params.get("tags"))),
        stopped=stopped,
        skip_checking=bool(skip),
        content_layout=content_layout,
        rename=params.get("rename", "").strip(),
        up_limit=forms.integer(params, "upLimit", 0),
        dl_limit=forms.integer(params, "dlLimit", 0),
        ratio_limit=forms.number(params, "ratioLimit", -2.0),
        seeding_time_limit=forms.integer(params, "seedingTimeLimit", -2),
        inactive_seeding_time_limit=forms.integer(params, "inactiveSeedingTimeLimit", -2),
        auto_tmm=forms.optional_flag(params, "autoTMM"),
        sequential=forms.flag(params, "sequentialDownload"),
        first_last=forms.flag(params, "firstLastPiecePrio"),
        forced=forms.flag(params, "forced"),
        top_of_queue=forms.optional_flag(params, "addToTopOfQueue"),
    )
