"""`torrentstack debrid api-token`: the debrid bridge's commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from torrentstack.config import load_settings

debrid_app = typer.Typer(help="The debrid bridge's commands.", no_args_is_help=True)


@debrid_app.command("api-token")
def api_token(
    config: Annotated[
        Path | None,
        typer.Option("--config", help="Config file (default: $XDG_CONFIG_HOME/torrentstack/...)."),
    ] = None,
) -> None:
    """Print the token of `/api/*` (`Authorization: Bearer ...`; generated if not set)."""
    from torrentstack.services import debrid_api_token

    settings = load_settings(config)
    token, _ = debrid_api_token(settings, settings.data_dir())
    typer.echo(token)
