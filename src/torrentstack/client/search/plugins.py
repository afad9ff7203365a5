"""Installed nova3 plugins: `<data>/client/search/engines/<name>.py` and their descriptions and
enabled flags in `<data>/client/search/plugins.json` (written atomically)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from torrentstack.client.kept_files import write_atomically
from torrentstack.client.search.process import PluginFailed, capabilities
from torrentstack.qbittorrent.search import PluginInfo, format_version, parse_version, version_of

logger = logging.getLogger(__name__)

MAX_PLUGIN_SIZE = 1024 * 1024
CAPABILITIES_TIME_LIMIT = 20.0


class InstallError(PluginFailed):
    """A plugin that was not installed (the reason is logged; the API answers 200 anyway)."""


def valid_name(name: str) -> bool:
    """A module name nova3 would load: an identifier not starting with `_`."""
    return name.isidentifier() and not name.startswith("_")


class PluginStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.engines = root / "engines"
        self.scratch = root / "work"
        self._state_file = root / "plugins.json"
        self._plugins: dict[str, PluginInfo] = {}
        self.builtin_disabled: set[str] = set()  # built-in plugins (torznab) switched off
        self._lock = asyncio.Lock()
        self.builtins: set[str] = set()  # names that are built in, not files

    def load(self) -> None:
        """Read the kept descriptions (blocking: call at start, off the loop)."""
        self.engines.mkdir(parents=True, exist_ok=True)
        try:
            data = json.loads(self._state_file.read_text("utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            logger.warning("search plugins: %s unreadable (%s); none loaded", self._state_file, exc)
            return
        self.builtin_disabled = {str(name) for name in data.get("builtinDisabled", [])}
        for row in data.get("plugins", []):
            try:
                info = PluginInfo(
                    name=str(row["name"]), version=str(row["version"]),
                    full_name=str(row["fullName"]), url=str(row["url"]),
                    categories=tuple(str(c) for c in row["categories"]),
                    enabled=bool(row["enabled"]), source=str(row.get("source", "")),
                )  # fmt: skip
            except (KeyError, TypeError) as exc:
                logger.warning("search plugins: a kept row is unreadable (%s)", exc)
                continue
            if valid_name(info.name) and (self.engines / f"{info.name}.py").is_file():
                self._plugins[info.name] = info

    def all(self) -> list[PluginInfo]:
        return sorted(self._plugins.values(), key=lambda plugin: plugin.name)

    def get(self, name: str) -> PluginInfo | None:
        return self._plugins.get(name)

    def _save(self) -> None:
        rows = [
            {
                "name": p.name, "version": p.version, "fullName": p.full_name, "url": p.url,
                "categories": list(p.categories), "enabled": p.enabled, "source": p.source,
            }
            for p in self.all()
        ]  # fmt: skip
        state = {"plugins": rows, "builtinDisabled": sorted(self.builtin_disabled)}
        write_atomically(self._state_file, json.dumps(state, indent=1))

    async def install(self, name: str, content: bytes, source: str) -> PluginInfo:
        """Check the plugin in a staging folder (it must import and describe itself), then put
        it in place. An older or equal version than the installed one is refused."""
        if not valid_name(name) or name in self.builtins:
            raise InstallError(f"'{name}' is not a plugin name")
        if len(content) > MAX_PLUGIN_SIZE:
            raise InstallError(f"{name}: larger than {MAX_PLUGIN_SIZE} bytes")
        text = content.decode("utf-8", "replace")
        version = version_of(text)
        async with self._lock:
            old = self._plugins.get(name)
            if old is not None and not (parse_version(old.version) or (0, 0)) < version:
                raise InstallError(
                    f"{name}: version {old.version} installed, not older than "
                    f"{format_version(version)}"
                )
            staging = Path(await asyncio.to_thread(self._stage, name, content))
            try:
                caps = await capabilities(staging, self.scratch, name, CAPABILITIES_TIME_LIMIT)
                await asyncio.to_thread(
                    os.replace, staging / f"{name}.py", self.engines / f"{name}.py"
                )
            except PluginFailed as exc:
                raise InstallError(f"{name}: plugin is not supported ({exc})") from exc
            finally:
                await asyncio.to_thread(shutil.rmtree, staging, True)
            info = PluginInfo(
                name=name, version=format_version(version), full_name=caps.full_name,
                url=caps.url, categories=caps.categories,
                enabled=old.enabled if old is not None else True, source=source,
            )  # fmt: skip
            self._plugins[name] = info
            await asyncio.to_thread(self._save)
        return info

    def _stage(self, name: str, content: bytes) -> str:
        self.scratch.mkdir(parents=True, exist_ok=True)
        self.engines.mkdir(parents=True, exist_ok=True)
        staging = tempfile.mkdtemp(dir=self.scratch, prefix="install-")
        (Path(staging) / f"{name}.py").write_bytes(content)
        return staging

    async def uninstall(self, name: str) -> None:
        async with self._lock:
            if self._plugins.pop(name, None) is None:
                return
            await asyncio.to_thread(self._remove, name)

    def _remove(self, name: str) -> None:
        (self.engines / f"{name}.py").unlink(missing_ok=True)
        shutil.rmtree(self.engines / "__pycache__", ignore_errors=True)
        self._save()

    async def enable(self, name: str, enabled: bool) -> None:
        async with self._lock:
            if name in self.builtins:
                if enabled:
                    self.builtin_disabled.discard(name)
                else:
                    self.builtin_disabled.add(name)
                await asyncio.to_thread(self._save)
                return
            plugin = self._plugins.get(name)
            if plugin is None or plugin.enabled == enabled:
                return
            self._plugins[name] = replace(plugin, enabled=enabled)
            await asyncio.to_thread(self._save)
