"""`torrentstack crossseed diff|search|api-key`: the cross-seed daemon's commands."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress
from rich.table import Table

from torrentstack.bittorrent import metainfo
from torrentstack.cli.torrent_files import TorrentFileError
from torrentstack.config import Settings, load_settings
from torrentstack.crossseed.blocklist import Blocklist
from torrentstack.crossseed.decide import MatchOptions, decide_pair, explain
from torrentstack.crossseed.decision import MatchMode
from torrentstack.crossseed.searchee import Metafile
from torrentstack.errors import FormatError

crossseed_app = typer.Typer(help="The cross-seed daemon's commands.", no_args_is_help=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="Config file (default: $XDG_CONFIG_HOME/torrentstack/...)."),
]


def match_options(settings: Settings, **overrides: Any) -> MatchOptions:
    """The settings' match options, with the command line's overrides (None: not given)."""
    cs = settings.crossseed
    given = {k: v for k, v in overrides.items() if v is not None}
    return MatchOptions(
        match_mode=MatchMode.parse(given.get("match_mode", cs.match_mode)),
        fuzzy_size_threshold=given.get("fuzzy_size_threshold", cs.fuzzy_size_threshold),
        include_single_episodes=given.get("include_single_episodes", cs.include_single_episodes),
        season_from_episodes=cs.season_from_episodes,
        blocklist=Blocklist.parse(cs.block_list),
    )


def _metafile(path: Path) -> Metafile:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TorrentFileError(f"cannot read {path}: {exc.strerror or exc}", path) from exc
    try:
        return Metafile.from_metainfo(metainfo.parse(data))
    except FormatError as exc:
        raise TorrentFileError(f"{path} is not a torrent file: {exc}", path) from exc


@crossseed_app.command("diff")
def diff(
    searchee: Annotated[Path, typer.Argument(help="The .torrent you have (the searchee).")],
    candidate: Annotated[Path, typer.Argument(help="The .torrent found elsewhere.")],
    match_mode: Annotated[
        str | None,
        typer.Option("--match-mode", help="strict, flexible or partial (default: the config's)."),
    ] = None,
    fuzzy_size_threshold: Annotated[
        float | None, typer.Option("--fuzzy-size-threshold", help="Size tolerance, a fraction.")
    ] = None,
    include_single_episodes: Annotated[
        bool | None,
        typer.Option("--include-single-episodes", help="Let episodes match season packs."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    config: ConfigOption = None,
) -> None:
    """Print the decision a cross-seed search makes for this pair, and why."""
    if match_mode is not None and match_mode.lower() not in ("strict", "flexible", "partial"):
        raise typer.BadParameter("--match-mode must be strict, flexible or partial")
    if fuzzy_size_threshold is not None and not 0 < fuzzy_size_threshold <= 1:
        raise typer.BadParameter("--fuzzy-size-threshold must be in (0, 1]")
    options = match_options(
        load_settings(config),
        match_mode=match_mode,
        fuzzy_size_threshold=fuzzy_size_threshold,
        include_single_episodes=include_single_episodes,
    )
    mine = _metafile(searchee)
    theirs = _metafile(candidate)
    have = mine.as_searchee()
    decision = decide_pair(have, theirs, options)
    reason = explain(decision, have, theirs, options)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "decision": decision.value,
                    "reason": reason,
                    "matchMode": options.match_mode.value,
                    "searchee": {"name": mine.name, "infoHash": mine.info_hash},
                    "candidate": {"name": theirs.name, "infoHash": theirs.info_hash},
                }
            )
        )
    else:
        typer.echo(f"{decision.value}: {reason}")


@crossseed_app.command("api-key")
def api_key(config: ConfigOption = None) -> None:
    """Print the daemon's API key (generated and kept in the data directory if not set)."""
    from torrentstack.services import crossseed_api_key

    settings = load_settings(config)
    key, _ = crossseed_api_key(settings, settings.data_dir())
    typer.echo(key)


@crossseed_app.command("search")
def search(config: ConfigOption = None) -> None:
    """Search every indexer once for every searchee, with a progress bar and a summary."""
    settings = load_settings(config)
    summary = asyncio.run(_search(settings))
    table = Table(title="cross-seed search")
    table.add_column("searchees")
    table.add_column("searched")
    table.add_column("matches")
    table.add_column("indexers")
    table.add_row(
        str(summary["searchees"]),
        str(summary["searched"]),
        str(summary["matches"]),
        ", ".join(summary["indexers"]) or "none",
    )
    Console().print(table)


async def _search(settings: Settings) -> dict[str, Any]:
    from torrentstack.clock import system_clock
    from torrentstack.crossseed.prefilter import Trigger, why_excluded
    from torrentstack.db import migrate
    from torrentstack.db.engine import create_engine
    from torrentstack.services import crossseed_runtime

    data_dir = settings.data_dir()
    data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.database, data_dir)
    runtime = crossseed_runtime(settings, engine, data_dir, system_clock)
    try:
        await migrate.upgrade(engine)
        await runtime.searcher.update_caps()
        await runtime.refresh()
        searchees = list(runtime.library)
        wanted = [s for s in searchees if why_excluded(s, Trigger.SEARCH, runtime.options) is None]
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            console=Console(stderr=True),
        ) as bar:
            task = bar.add_task("searching", total=len(wanted))

            def advance(done: int, total: int, searchee: Any) -> None:
                bar.update(task, completed=done, total=total, description=searchee.name[:40])

            matches = await runtime.searcher.search_all(
                searchees, runtime.options, settings.crossseed, progress=advance
            )
        return {
            "searchees": len(searchees),
            "searched": len(wanted),
            "matches": matches,
            "indexers": [i.name for i in runtime.indexers],
        }
    finally:
        await runtime.close()
        await engine.dispose()
