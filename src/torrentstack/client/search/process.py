"""A nova3 plugin run in a confined subprocess: its own process group and working directory, an
empty environment, no stdin, CPU/memory/file rlimits, a time limit and capped output.

This is confinement against accidents (a hang, a flood, a memory leak), not a sandbox: a plugin
is code the WebUI user chose to install and runs with the client's user rights.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import resource
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from torrentstack.errors import TorrentstackError

logger = logging.getLogger(__name__)

RUNNER = Path(__file__).parent / "nova3" / "runner.py"
MEMORY_LIMIT = 1024 * 1024 * 1024  # address space, bytes
FILE_LIMIT = 64 * 1024 * 1024  # largest file a plugin may write
MAX_LINE = 64 * 1024  # longer output lines are dropped
MAX_STDERR = 16 * 1024  # kept for the log


class PluginFailed(TorrentstackError):
    """The plugin could not run, raised, timed out or printed nothing usable."""


@dataclass(frozen=True, slots=True)
class Capabilities:
    full_name: str
    url: str
    categories: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    reason: str  # "" when ok: "exit 1", "time limit", "too much output", "stopped"
    stderr: str


def _confine(cpu_seconds: int) -> Callable[[], None]:
    def apply() -> None:  # in the child, before exec
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
        resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

    return apply


def _environment(workdir: Path) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(workdir),
        "TMPDIR": str(workdir),
        "LANG": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _workdir(scratch: Path) -> str:
    scratch.mkdir(parents=True, exist_ok=True)
    return tempfile.mkdtemp(dir=scratch)


def _kill(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


async def run_plugin(
    engines: Path,
    scratch: Path,
    args: list[str],
    *,
    time_limit: float,
    max_lines: int,
    on_line: Callable[[str], None],
) -> Outcome:
    """Run `runner.py <args>` for a plugin in `engines`; every complete stdout line goes to
    `on_line` as it arrives. Killed (its whole group) past `time_limit` seconds or `max_lines`.
    Cancelling the calling task kills it too."""
    workdir = Path(await asyncio.to_thread(_workdir, scratch))
    spawn = asyncio.ensure_future(
        asyncio.create_subprocess_exec(
            sys.executable, "-I", str(RUNNER), args[0], str(engines), *args[1:],
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=workdir,
            env=_environment(workdir),
            start_new_session=True,
            preexec_fn=_confine(int(time_limit) + 2),
        )
    )  # fmt: skip
    try:
        process = await asyncio.shield(spawn)
    except asyncio.CancelledError:  # stopped while starting: end it once it exists
        with contextlib.suppress(OSError):
            started = await spawn
            _kill(started)
            await started.communicate()
        await asyncio.to_thread(shutil.rmtree, workdir, True)
        raise
    except OSError as exc:
        await asyncio.to_thread(shutil.rmtree, workdir, True)
        raise PluginFailed(f"cannot start python: {exc}") from exc
    state = {"lines": 0, "flood": 0}
    stderr = bytearray()

    async def read_stdout() -> None:
        if process.stdout is None:
            return
        pending = b""
        while chunk := await process.stdout.read(65536):
            if state["flood"]:
                continue  # killed: drain to the end so the pipe closes
            lines = (pending + chunk).split(b"\n")
            pending = lines.pop()
            if len(pending) > MAX_LINE:
                pending = b""
            for raw in lines:
                if len(raw) > MAX_LINE:
                    continue
                state["lines"] += 1
                if state["lines"] > max_lines:
                    state["flood"] = 1
                    _kill(process)
                    break
                on_line(raw.decode("utf-8", "replace").replace("\r", ""))

    async def read_stderr() -> None:
        if process.stderr is None:
            return
        while chunk := await process.stderr.read(65536):
            if len(stderr) < MAX_STDERR:
                stderr.extend(chunk[: MAX_STDERR - len(stderr)])

    readers = asyncio.gather(read_stdout(), read_stderr(), process.wait())
    reason = ""
    try:
        await asyncio.wait_for(asyncio.shield(readers), time_limit)
    except TimeoutError:
        reason = "time limit"
    except asyncio.CancelledError:
        _kill(process)
        await asyncio.wait_for(asyncio.shield(readers), 10)
        raise
    finally:
        _kill(process)
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(readers), 10)
        await asyncio.to_thread(shutil.rmtree, workdir, True)
    if not reason and state["flood"]:
        reason = "too much output"
    elif not reason and process.returncode != 0:
        reason = f"exit status {process.returncode}"
    text = stderr.decode("utf-8", "replace")
    return Outcome(ok=not reason, reason=reason, stderr=text)


async def capabilities(engines: Path, scratch: Path, name: str, time_limit: float) -> Capabilities:
    """Import the plugin `name` (confined) and read its name, url and categories."""
    lines: list[str] = []
    outcome = await run_plugin(
        engines, scratch, ["capabilities", name], time_limit=time_limit, max_lines=1,
        on_line=lines.append,
    )  # fmt: skip
    if not outcome.ok or not lines:
        detail = outcome.stderr.strip().splitlines()[-1:] or [outcome.reason]
        raise PluginFailed(f"{outcome.reason or 'no answer'}: {detail[0]}")
    try:
        data = json.loads(lines[0])
        return Capabilities(
            full_name=str(data["name"]),
            url=str(data["url"]),
            categories=tuple(str(item) for item in data["categories"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise PluginFailed(f"unreadable capabilities: {exc}") from exc
