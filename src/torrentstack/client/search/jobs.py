"""The client's search part: search jobs (each plugin in its own confined subprocess, the built-in
Torznab plugin in-process) and the plugin installer, as qBittorrent's `SearchController`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from torrentstack.client.search import torznab
from torrentstack.client.search.plugins import PluginStore
from torrentstack.client.search.process import PluginFailed, run_plugin
from torrentstack.client.search.web import FetchError, fetch
from torrentstack.log import redact
from torrentstack.qbittorrent.errors import Conflict, NotFound
from torrentstack.qbittorrent.search import (
    MAX_CONCURRENT_SEARCHES,
    PluginInfo,
    SearchResult,
    parse_result_line,
    parse_version,
    version_of,
)

logger = logging.getLogger(__name__)

TIME_LIMIT = 180.0  # qBittorrent's SearchHandler: 3 minutes
MAX_RESULTS = 10_000  # per plugin and search (qBittorrent keeps them all)
Report = Callable[[str, str], None]  # (level, message) for the client's log/main


@dataclass
class Job:
    id: int
    pattern: str
    category: str
    plugins: list[str]
    results: list[SearchResult] = field(default_factory=list)
    task: asyncio.Task[None] | None = None
    failed: list[str] = field(default_factory=list)  # plugins that failed (for the log)

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()


class SearchEngine:
    """Implements the API's `SearchPart`."""

    def __init__(
        self,
        root: Path,
        *,
        torznab_indexers: list[str] | None = None,
        torznab_source: Callable[[], Awaitable[list[str]]] | None = None,
        report: Report | None = None,
    ) -> None:
        """`torznab_indexers`: the configured Torznab URLs; without any, `torznab_source`
        (the stack's own site, asked at each search) feeds the built-in plugin."""
        self.store = PluginStore(root)
        self.torznab_indexers = list(torznab_indexers or [])
        self._torznab_source = None if self.torznab_indexers else torznab_source
        if self.torznab_indexers or self._torznab_source is not None:
            self.store.builtins.add(torznab.NAME)
        self.time_limit = TIME_LIMIT
        self.max_results = MAX_RESULTS
        self._report = report or (lambda _level, _message: None)
        self._jobs: dict[int, Job] = {}
        self._background: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        await asyncio.to_thread(self.store.load)

    async def close(self) -> None:
        tasks = [job.task for job in self._jobs.values() if job.task is not None]
        tasks += list(self._background)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    # --- plugins ---------------------------------------------------------------------------

    def plugins(self) -> list[PluginInfo]:
        found = self.store.all()
        if torznab.NAME in self.store.builtins:
            enabled = torznab.NAME not in self.store.builtin_disabled
            found = sorted([*found, torznab.plugin_info(enabled)], key=lambda p: p.name)
        return found

    def _names(self, enabled_only: bool) -> list[str]:
        return [p.name for p in self.plugins() if p.enabled or not enabled_only]

    async def install(self, sources: list[str]) -> None:
        for source in sources:
            try:
                info = await self._install(source.strip(), source.strip())
            except (PluginFailed, FetchError, OSError) as exc:
                self._report("warning", f"Search plugin from {redact(source)} not installed: {exc}")
                logger.warning("search plugin from %s not installed: %s", redact(source), exc)
                continue
            self._report("info", f"Search plugin {info.name} {info.version} installed")

    async def _install(self, source: str, origin: str) -> PluginInfo:
        name, content = await self._read(source)
        return await self.store.install(name, content, origin)

    async def _read(self, source: str) -> tuple[str, bytes]:
        """A plugin's module name and text, from a URL or a file on this machine."""
        scheme = urlsplit(source).scheme.lower()
        if scheme in ("http", "https"):
            name = Path(unquote(urlsplit(source).path)).name.rsplit(".", 1)[0]
            content = await fetch(source, max_bytes=1024 * 1024)
        else:  # a file on this machine, as qBittorrent reads one (a `file:` URL or a path)
            path = Path(unquote(urlsplit(source).path) if scheme == "file" else source)
            if path.suffix.lower() != ".py":
                raise PluginFailed(f"{path.name}: unknown search engine plugin file format")
            name = path.stem
            content = await asyncio.to_thread(_read_capped, path)
        return name, content

    async def uninstall(self, names: list[str]) -> None:
        for name in names:
            await self.store.uninstall(name.strip())

    async def enable(self, names: list[str], enable: bool) -> None:
        for name in names:
            await self.store.enable(name.strip(), enable)

    def update_plugins(self) -> None:
        """Install again, from where it came, every plugin whose source has a newer version
        (in the background, as qBittorrent's update check)."""
        task = asyncio.create_task(self._update_all())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _update_all(self) -> None:
        """qBittorrent's log lines: "Updating plugin X" for each newer one, else "All plugins
        are already up to date."; a source that fails is logged and skipped."""
        updated = 0
        for plugin in self.store.all():
            if not plugin.source:
                continue
            try:
                name, content = await self._read(plugin.source)
                newer = version_of(content.decode("utf-8", "replace"))
                if name != plugin.name or newer <= (parse_version(plugin.version) or (0, 0)):
                    continue
                self._report("info", f"Updating plugin {plugin.name}")
                updated += 1
                await self.store.install(name, content, plugin.source)
            except (PluginFailed, FetchError, OSError) as exc:
                message = f"Failed to update plugin {plugin.name}: {redact(str(exc))}"
                self._report("info", message)
                logger.info("search: %s", message)
        if not updated:
            self._report("info", "All plugins are already up to date.")

    # --- jobs ------------------------------------------------------------------------------

    def start_search(self, pattern: str, category: str, plugins: list[str]) -> int:
        if len(plugins) == 1 and plugins[0].lower() in ("all", "enabled", "multi"):
            plugins = self._names(enabled_only=plugins[0].lower() != "all")
        if sum(job.running for job in self._jobs.values()) >= MAX_CONCURRENT_SEARCHES:
            raise Conflict(
                f"Unable to create more than {MAX_CONCURRENT_SEARCHES} concurrent searches."
            )
        job_id = secrets.randbelow(2**31 - 1) + 1
        while job_id in self._jobs:
            job_id = secrets.randbelow(2**31 - 1) + 1
        job = Job(job_id, pattern, category, plugins)
        job.task = asyncio.create_task(self._run(job))
        self._jobs[job_id] = job
        return job_id

    def _job(self, job_id: int) -> Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFound()
        return job

    def stop_search(self, job_id: int) -> None:
        job = self._job(job_id)
        if job.task is not None:
            job.task.cancel()

    def delete_search(self, job_id: int) -> None:
        self.stop_search(job_id)
        task = self._jobs.pop(job_id).task
        if task is not None and not task.done():  # still ending: `close` waits for it
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    def search_status(self, job_id: int | None) -> list[tuple[int, bool, int]]:
        jobs = [self._job(job_id)] if job_id else list(self._jobs.values())
        return [(job.id, job.running, len(job.results)) for job in jobs]

    def search_results(self, job_id: int) -> tuple[list[SearchResult], bool]:
        job = self._job(job_id)
        return job.results, job.running

    async def _run(self, job: Job) -> None:
        names = {p.name: p for p in self.plugins()}
        wanted = dict.fromkeys(name.strip().lower() for name in job.plugins)
        chosen = [names[name] for name in wanted if name in names]
        urls = {p.url: p.name for p in self.plugins() if p.url}
        if not chosen:  # qBittorrent starts its search process all the same: Running a moment
            with contextlib.suppress(PluginFailed):
                await run_plugin(
                    self.store.engines, self.store.scratch, ["idle"],
                    time_limit=self.time_limit, max_lines=0, on_line=lambda _line: None,
                )  # fmt: skip
        runs = [self._run_one(job, plugin, urls) for plugin in chosen]
        await asyncio.gather(*runs)
        if job.failed:
            self._report(
                "warning", f"Search '{job.pattern}': failed plugins: {', '.join(job.failed)}"
            )

    async def _run_one(self, job: Job, plugin: PluginInfo, urls: dict[str, str]) -> None:
        category = job.category.lower()
        count = 0

        def add(result: SearchResult) -> None:
            nonlocal count
            if count < self.max_results:
                count += 1
                job.results.append(result)

        if plugin.name == torznab.NAME and plugin.name in self.store.builtins:
            indexers = self.torznab_indexers
            if self._torznab_source is not None:
                try:
                    indexers = await self._torznab_source()
                except Exception as exc:  # the site's database away: no indexer this time
                    self._report("warning", f"Torznab plugin: no indexer ({type(exc).__name__})")
                    indexers = []
            ok = await torznab.search(indexers, job.pattern, category, add)
            if not ok:
                job.failed.append(plugin.name)
            return

        def on_line(line: str) -> None:
            result = parse_result_line(line)
            if result is not None:
                engine = urls.get(result.site_url, "")
                add(replace(result, engine_name=engine))

        args = ["search", plugin.name, category, quote(job.pattern)]
        try:
            outcome = await run_plugin(
                self.store.engines, self.store.scratch, args,
                time_limit=self.time_limit, max_lines=self.max_results + 100, on_line=on_line,
            )  # fmt: skip
        except PluginFailed as exc:
            job.failed.append(plugin.name)
            logger.warning("search plugin %s: %s", plugin.name, exc)
            return
        if not outcome.ok:
            job.failed.append(plugin.name)
            logger.warning(
                "search plugin %s failed (%s): %s", plugin.name, outcome.reason,
                outcome.stderr.strip()[-2000:],
            )  # fmt: skip
        elif outcome.stderr.strip():
            logger.info("search plugin %s stderr: %s", plugin.name, outcome.stderr.strip()[-2000:])


def _read_capped(path: Path) -> bytes:
    with path.open("rb") as file:
        content = file.read(1024 * 1024 + 1)
    if len(content) > 1024 * 1024:
        raise PluginFailed(f"{path.name}: larger than 1 MiB")
    return content
