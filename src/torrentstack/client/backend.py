"""The client's backend: its parts wired together over one engine, started and closed.

State lives in three places, each with one job: the engine (libtorrent, on its thread), the
records (`torrents.Torrents`: what the API shows, rebuilt per torrent from engine events) and
the store (committed before a call answers). Each part of the WebUI API is one object here
(`application`, `torrents`, `adder`, `actions`, `edits`, `categories`, `tags`, `transfer`, the
logs); the backend itself is the `Sync` part. Parts get what they use in their constructors.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from torrentstack.client import engine as eng
from torrentstack.client.adding import Adder, Fetch
from torrentstack.client.alltime import SAVE_INTERVAL, AllTimeTotals
from torrentstack.client.application import Application
from torrentstack.client.categories import Categories
from torrentstack.client.cookies import CookieJar
from torrentstack.client.events import EngineEvents
from torrentstack.client.log_buffer import LogBuffer, PeerLog
from torrentstack.client.mail import Mailer
from torrentstack.client.preferences import Preferences
from torrentstack.client.rss.fetching import FeedFetcher
from torrentstack.client.rss.session import RssSession
from torrentstack.client.rss_downloader import RssAutoDownloader
from torrentstack.client.rss_rules_store import RulesStore
from torrentstack.client.ssl_parameters import SslParameters
from torrentstack.client.store import ClientStore
from torrentstack.client.tags import Tags
from torrentstack.client.torrent_actions import TorrentActions
from torrentstack.client.torrent_creator import TorrentCreator
from torrentstack.client.torrent_edits import TorrentEdits
from torrentstack.client.torrents import Background, Torrents
from torrentstack.client.transfer import Transfer
from torrentstack.client.web_seeds import WebSeeds
from torrentstack.clock import Clock
from torrentstack.periodic import Periodic
from torrentstack.qbittorrent.persona import Persona
from torrentstack.qbittorrent.sync import MainData
from torrentstack.torrent_urls import fetch_torrent


class ClientBackend:
    """Answers the API from this process's engine; `stop` ends the service (app/shutdown)."""

    def __init__(
        self,
        *,
        persona: Persona,
        store: ClientStore,
        data_dir: Path,
        save_path: Path,
        listen_port: int,
        listen_host: str,
        clock: Clock,
        stop: asyncio.Event,
        log: LogBuffer,
        initial_preferences: dict[str, Any] | None = None,
        fetch: Fetch = fetch_torrent,
    ) -> None:
        self.persona = persona
        self.store = store
        self.log = log
        self.peer_log = PeerLog(clock)
        self._resume_dir = data_dir / "client" / "resume"
        self._background = Background()
        self._stop = stop
        self.cookies = CookieJar(data_dir, clock)
        self.alltime = AllTimeTotals(data_dir, self._session_totals)
        self.prefs = Preferences(
            save_path=str(save_path), listen_port=listen_port, initial=initial_preferences
        )
        self.torrents = Torrents(persona=persona, prefs=self.prefs, store=store)
        self.application = Application(
            prefs=self.prefs,
            store=store,
            torrents=self.torrents,
            listen_host=listen_host,
            stop=stop,
        )
        self.transfer = Transfer(
            prefs=self.prefs,
            torrents=self.torrents,
            application=self.application,
            peer_log=self.peer_log,
            alltime=self.alltime.current,
        )
        self.edits = TorrentEdits(torrents=self.torrents, prefs=self.prefs)
        self.categories = Categories(
            torrents=self.torrents, edits=self.edits, prefs=self.prefs, store=store
        )
        self.tags = Tags(torrents=self.torrents, store=store)
        self.actions = TorrentActions(
            torrents=self.torrents,
            prefs=self.prefs,
            store=store,
            log=log,
            clock=clock,
            background=self._background,
        )
        self.adder = Adder(
            torrents=self.torrents,
            categories=self.categories,
            tags=self.tags,
            prefs=self.prefs,
            store=store,
            log=log,
            clock=clock,
            background=self._background,
            fetch=self.cookies.wrap(fetch),
            resume_dir=self._resume_dir,
        )
        self.rss = RssSession(
            data_dir / "client" / "rss",
            prefs=self.prefs,
            clock=clock,
            log=log.add,
            fetcher=FeedFetcher(cookies=self.cookies.header_for),
        )
        self.rss_rules = RssAutoDownloader(
            store=RulesStore(data_dir / "client" / "rss"),
            adder=self.adder,
            prefs=self.prefs,
            persona=persona,
            log=log,
            feeds=self.rss,
            feed_name=self.rss.feed_name,
            mark_read=self.rss.mark_read_now,
        )
        self.rss.add_articles_listener(self.rss_rules.on_articles)
        self.rss.add_url_listener(self.rss_rules.feed_url_changed)
        self.creator = TorrentCreator(clock=clock, seed=self.adder.add)
        self.web_seeds = WebSeeds(torrents=self.torrents)
        self.ssl = SslParameters(torrents=self.torrents, data_dir=data_dir)
        self.mailer = Mailer(prefs=self.prefs, log=log, background=self._background)
        self._events = EngineEvents(
            torrents=self.torrents,
            actions=self.actions,
            store=store,
            log=log,
            background=self._background,
        )

    @property
    def engine(self) -> eng.Engine | None:
        return self.torrents.running_engine

    # -- the `Sync` part --

    @property
    def maindata(self) -> MainData:
        return self.torrents.maindata

    async def server_state(self) -> dict[str, Any]:
        return await self.transfer.server_state()

    def _session_totals(self) -> tuple[int, int]:
        engine = self.torrents.running_engine
        if engine is None:
            return 0, 0
        totals = engine.totals()
        return totals.downloaded, totals.uploaded

    # -- lifecycle --

    async def start(self) -> None:
        """Load the stored state, start the engine and add the stored torrents back."""
        self._events.receive_on(asyncio.get_running_loop())
        saved = await self.store.load()
        await asyncio.to_thread(self.cookies.load)
        await asyncio.to_thread(self.alltime.load)
        await asyncio.to_thread(self.ssl.load)
        self.application.load(saved.preferences)
        self.categories.load(saved.categories)
        self.tags.load(saved.tags)
        self.torrents.attach(
            eng.Engine(
                self._resume_dir,
                self._events.from_engine_thread,
                config=self.application.session_config(),
            )
        )
        restored = await self.adder.restore(saved.torrents, self._resume_dir)
        if saved.torrents:
            self.log.add("info", f"Restored {restored} torrents")
        await self.ssl.apply_kept()
        await self.rss.start()
        self.log.add("info", f"qBittorrent {self.persona.app_version} (torrentstack) started")
        await self.rss_rules.load()
        self.rss_rules.process_all()
        saving = Periodic("client all-time totals", self.alltime.save, SAVE_INTERVAL)
        self._background.spawn(saving.run(self._stop))

    async def close(self) -> None:
        """Cancel background jobs, save resume data and stop the engine."""
        await self.rss.close()
        await self.rss_rules.close()
        self._background.cancel()
        self.creator.close()
        if self.torrents.running_engine is not None:
            try:
                await self.alltime.save()
            except OSError as exc:
                self.log.add("warning", f"All-time totals not saved: {exc.strerror}")
        if (engine := self.torrents.running_engine) is not None:
            await asyncio.to_thread(engine.close)
