"""The `torrentstack` command line: serve, create, inspect, config, db, site.

Every command turns bad input into a one-line error on stderr and a non-zero exit code.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

try:  # typer >= 0.2x vendors click; older ones use the click package
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover - depends on the installed typer
    from click import exceptions as click_exceptions  # type: ignore[no-redef]

from torrentstack import __version__, log
from torrentstack.cli.config_reference import render_markdown, render_toml
from torrentstack.cli.crossseed_commands import crossseed_app
from torrentstack.cli.debrid_commands import debrid_app
from torrentstack.config import Settings, load_settings
from torrentstack.errors import TorrentstackError

app = typer.Typer(
    name="torrentstack",
    help="A self-hosted BitTorrent stack: tracker, site, client, cross-seed and debrid bridge.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
config_app = typer.Typer(help="Show the configuration.", no_args_is_help=True)
db_app = typer.Typer(help="Manage the database.", no_args_is_help=True)
site_app = typer.Typer(help="Use a torrentstack site.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")
app.add_typer(site_app, name="site")
app.add_typer(crossseed_app, name="crossseed")
app.add_typer(debrid_app, name="debrid")

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Config file (default $XDG_CONFIG_HOME/torrentstack/config.toml).",
        dir_okay=False,
    ),
]


def _settings(config: Path | None) -> Settings:
    settings = load_settings(config)
    log.configure(settings.log.level)
    return settings


def _run(coro: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine on uvloop when it is installed, else on asyncio's own loop."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop ships for every platform we test
        asyncio.run(coro)
    else:
        uvloop.run(coro)


@app.command()
def serve(
    services: Annotated[
        list[str] | None,
        typer.Argument(
            help="Services to start (tracker site client crossseed debrid); default all enabled."
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Start the enabled services in one process until SIGINT or SIGTERM."""
    from torrentstack import app as composition

    settings = _settings(config)
    _run(composition.run(settings, services or ()))


@app.command()
def create(
    path: Annotated[Path, typer.Argument(help="File or directory to make a torrent of.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the .torrent.")],
    v1: Annotated[bool, typer.Option("--v1", help="BitTorrent v1 only.")] = False,
    v2: Annotated[bool, typer.Option("--v2", help="BitTorrent v2 only (BEP 52).")] = False,
    hybrid: Annotated[bool, typer.Option("--hybrid", help="v1 + v2 (the default).")] = False,
    piece_size: Annotated[
        int | None,
        typer.Option("--piece-size", help="Piece size in bytes (power of two, >= 16 KiB)."),
    ] = None,
    private: Annotated[
        bool, typer.Option("--private", help="Set the private flag (BEP 27).")
    ] = False,
    trackers: Annotated[
        list[str] | None,
        typer.Option(
            "-t", "--tracker", help="Announce URL; each -t is a tier, commas join URLs in one tier."
        ),
    ] = None,
    web_seeds: Annotated[
        list[str] | None, typer.Option("-w", "--web-seed", help="Web seed URL (BEP 19).")
    ] = None,
    comment: Annotated[str | None, typer.Option("--comment", help="Comment text.")] = None,
    source: Annotated[
        str | None, typer.Option("--source", help="Source tag (private trackers).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    force: Annotated[
        bool, typer.Option("--force", "-f", help="Overwrite the output file if it exists.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Make a .torrent file (hybrid v1+v2 unless --v1 or --v2)."""
    from torrentstack.cli.torrent_files import create_torrent_file

    chosen = [name for name, flag in (("v1", v1), ("v2", v2), ("hybrid", hybrid)) if flag]
    if len(chosen) > 1:
        raise typer.BadParameter("choose at most one of --v1, --v2, --hybrid")
    version: Literal["v1", "v2", "hybrid"] = chosen[0] if chosen else "hybrid"  # type: ignore[assignment]
    create_torrent_file(
        path,
        output,
        version=version,
        piece_size=piece_size,
        private=private,
        trackers=trackers or [],
        web_seeds=web_seeds or [],
        comment=comment,
        source=source,
        progress=not quiet,
        force=force,
    )


@app.command()
def inspect(
    target: Annotated[str, typer.Argument(help="A .torrent file or a magnet URI.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Print the metadata of a .torrent file or a magnet URI."""
    from torrentstack.cli.torrent_files import describe, render

    details = describe(target)
    if as_json:
        typer.echo(json.dumps(details, indent=2, ensure_ascii=False))
    else:
        render(details)


@config_app.command("defaults")
def config_defaults() -> None:
    """Print every setting with its default as commented TOML."""
    typer.echo(render_toml(), nl=False)


@config_app.command("show")
def config_show(config: ConfigOption = None) -> None:
    """Print the settings in force (defaults, file and environment merged) as TOML; secrets
    that are set are not shown."""
    typer.echo(render_toml(load_settings(config), redact=True), nl=False)


@config_app.command("docs")
def config_docs() -> None:
    """Print the Markdown configuration reference (docs/config.md)."""
    typer.echo(render_markdown(), nl=False)


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Apply every pending database migration."""
    from torrentstack.db import migrate
    from torrentstack.db.engine import create_engine

    settings = _settings(config)

    async def upgrade() -> str | None:
        data_dir = settings.data_dir()
        data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(settings.database, data_dir)
        try:
            return await migrate.upgrade(engine)
        finally:
            await engine.dispose()

    revision = asyncio.run(upgrade())
    typer.echo(f"database at revision {revision or 'base'}")


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(f"torrentstack {__version__}")


@site_app.command("login")
def site_login(
    username: Annotated[str, typer.Argument(help="Member name.")],
    url: Annotated[str, typer.Option("--url", help="The site's address.")] = (
        "http://127.0.0.1:3000"
    ),
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
) -> None:
    """Log in with the site's protocol (the password never leaves this machine); print the
    session cookie (`ts_session=...`) for scripts, e.g. `curl -b`."""
    from torrentstack.site.accounts.login_flow import login

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True)
    token, _user = login(url, username, password)
    typer.echo(f"ts_session={token}")


def main(argv: list[str] | None = None) -> None:
    """Run the command line; turn every expected failure into one line on stderr."""
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="torrentstack", standalone_mode=False)
    except click_exceptions.NoArgsIsHelpError as exc:  # `torrentstack` alone: help, exit 2
        typer.echo(exc.ctx.get_help() if exc.ctx else str(exc), err=True)
        sys.exit(2)
    except click_exceptions.ClickException as exc:
        typer.echo(f"torrentstack: error: {_one_line(exc.format_message())}", err=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)
    except TorrentstackError as exc:
        typer.echo(f"torrentstack: error: {_one_line(str(exc))}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


def _one_line(message: str) -> str:
    return " ".join(message.split())
