"""What `torrentstack create` and `inspect` do beyond parsing arguments: files, progress, output."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn
from rich.table import Table
from rich.text import Text

from torrentstack.bittorrent import magnet, metainfo
from torrentstack.errors import TorrentstackError
from torrentstack.torrent_builder import CreateOptions, build_torrent


class TorrentFileError(TorrentstackError):
    """A .torrent file could not be read or written; `path` says which."""

    def __init__(self, message: str, path: Path) -> None:
        self.path = path
        super().__init__(message)


def create_torrent_file(
    path: Path,
    output: Path,
    *,
    version: Literal["v1", "v2", "hybrid"],
    piece_size: int | None,
    private: bool,
    trackers: list[str],
    web_seeds: list[str],
    comment: str | None,
    source: str | None,
    progress: bool,
    force: bool = False,
) -> None:
    """Hash `path` into a torrent and write it to `output`, with a progress bar on stderr.

    An existing `output` is refused (before any hashing) unless `force` is given.
    """
    if not force and output.exists():
        raise TorrentFileError(f"{output} exists (use --force to overwrite it)", output)
    tiers = tuple(tuple(url.strip() for url in tier.split(",") if url.strip()) for tier in trackers)
    options = CreateOptions(
        version=version,
        piece_length=piece_size,
        private=private,
        trackers=tuple(tier for tier in tiers if tier),
        web_seeds=tuple(web_seeds),
        comment=comment,
        source=source,
    )
    console = Console(stderr=True)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=console,
        disable=not (progress and console.is_terminal),
        transient=True,
    ) as bar:
        task = bar.add_task(f"hashing {path.name}", total=None)

        def on_progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        data = build_torrent(path, options, on_progress=on_progress)
    try:
        with output.open("wb" if force else "xb") as fh:  # "xb": not if it appeared meanwhile
            fh.write(data)
    except FileExistsError as exc:
        raise TorrentFileError(f"{output} exists (use --force to overwrite it)", output) from exc
    except OSError as exc:
        raise TorrentFileError(f"cannot write {output}: {exc.strerror}", output) from exc
    parsed = metainfo.parse(data)
    hashes = [h.hex for h in (parsed.info_hash_v1, parsed.info_hash_v2) if h is not None]
    console.print(Text(f"wrote {output} ({', '.join(hashes)})"))


def describe(target: str) -> dict[str, Any]:
    """Return the JSON-friendly metadata of a .torrent path or a magnet URI."""
    if target.lower().startswith("magnet:"):
        return {"kind": "magnet", **magnet.parse(target).to_dict()}
    path = Path(target)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TorrentFileError(f"cannot read {path}: {exc.strerror}", path) from exc
    return {"kind": "torrent", **metainfo.parse(data).to_dict()}


def render(details: dict[str, Any]) -> None:
    """Print metadata as a readable summary and file list."""
    console = Console()
    table = Table(show_header=False, box=None)
    for key, value in details.items():
        if key == "files" or value in (None, [], ""):
            continue
        if key == "trackers":
            value = "\n".join(" ".join(tier) for tier in value)
        elif isinstance(value, list):
            value = "\n".join(str(v) for v in value)
        table.add_row(key, Text(str(value)))  # Text: names are data, never markup
    console.print(table)
    files = details.get("files") or []
    if files:
        listing = Table("length", "path", box=None)
        for entry in files:
            listing.add_row(str(entry["length"]), Text(entry["path"]))
        console.print(listing)
