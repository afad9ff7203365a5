"""What the site runs: the installed version, the commit it was installed from when the
installer recorded one (PEP 610 `direct_url.json`), and the Python runtime."""

from __future__ import annotations

import json
import platform
import sys
from functools import cache
from importlib import metadata

from torrentstack.site.admin.schemas import VersionInfo

_DISTRIBUTION = "torrentstack"


def _installed_version() -> str:
    try:
        return metadata.version(_DISTRIBUTION)
    except metadata.PackageNotFoundError:  # a source tree that was never installed
        return "0.0.0"


def _installed_commit() -> str | None:
    try:
        text = metadata.distribution(_DISTRIBUTION).read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    try:
        commit = json.loads(text or "{}").get("vcs_info", {}).get("commit_id")
    except (ValueError, AttributeError):
        return None
    return commit if isinstance(commit, str) else None


@cache
def version_info() -> VersionInfo:
    """The version, commit and runtime label (read once: they do not change while running)."""
    python = platform.python_version()
    return VersionInfo(
        version=_installed_version(),
        commit=_installed_commit(),
        runtime=f"{platform.python_implementation()} {python} on {sys.platform}",
        python=python,
    )
