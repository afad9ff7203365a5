"""The command line: `commands` (typer app and `main`), what `create`/`inspect` do
(`torrent_files`, `torrent_builder`) and the settings rendered for people (`config_reference`)."""

from torrentstack.cli.commands import app, main

__all__ = ["app", "main"]
