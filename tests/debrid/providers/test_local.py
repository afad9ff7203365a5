"""The `local` provider against a small fake qBittorrent WebUI: login, expired sessions, what it
lists, the files it points at. Real clients (torrentstack's own with a libtorrent seeder, and
Debian's qbittorrent-nox) are in tests/e2e/test_debrid_local.py.
"""

from __future__ import annotations

import asyncio
import base64
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.support.debrid_services.catalogue import episode, single_file
from tests.support.debrid_services.serving import serve_app
from tests.support.payloads import payload_bytes
from torrentstack.config.debrid import ProviderSettings
from torrentstack.debrid.errors import NotFoundRemote, ProviderError
from torrentstack.debrid.providers.base import Provider, RemoteFile, RemoteStatus
from torrentstack.debrid.providers.local import (
    CHUNK,
    LocalProvider,
    file_path,
    info_hash_of,
    remote_status,
)

USER, PASSWORD = "debrid", "s3cret:with colon"


async def no_sleep(_: float) -> None:
    return None


# -- pure parts --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "progress", "expected"),
    [
        ("metaDL", 0.0, RemoteStatus.QUEUED),
        ("queuedDL", 0.0, RemoteStatus.QUEUED),
        ("queuedDL", 0.4, RemoteStatus.DOWNLOADING),
        ("checkingDL", 0.0, RemoteStatus.QUEUED),
        ("checkingResumeData", 0.2, RemoteStatus.DOWNLOADING),
        ("downloading", 0.0, RemoteStatus.DOWNLOADING),
        ("stalledDL", 0.5, RemoteStatus.DOWNLOADING),
        ("forcedDL", 0.5, RemoteStatus.DOWNLOADING),
        ("uploading", 1.0, RemoteStatus.DOWNLOADED),
        ("stalledUP", 1.0, RemoteStatus.DOWNLOADED),
        ("pausedUP", 1.0, RemoteStatus.DOWNLOADED),
        ("stoppedUP", 1.0, RemoteStatus.DOWNLOADED),
        ("queuedUP", 1.0, RemoteStatus.DOWNLOADED),
        ("forcedUP", 1.0, RemoteStatus.DOWNLOADED),
        ("checkingUP", 1.0, RemoteStatus.DOWNLOADED),
        ("checkingUP", 0.7, RemoteStatus.DOWNLOADING),  # a recheck found pieces missing
        ("moving", 1.0, RemoteStatus.DOWNLOADING),  # not where we read it yet
        ("error", 0.3, RemoteStatus.FAILED),
        ("missingFiles", 1.0, RemoteStatus.FAILED),
    ],
)
def test_client_states_map_onto_remote_statuses(state, progress, expected):
    assert remote_status(state, progress) is expected


def test_the_id_is_the_lower_case_v1_hash_of_a_magnet_or_a_torrent():
    content = episode()
    upper = content.magnet.replace(content.info_hash, content.info_hash.upper())
    b32 = base64.b32encode(bytes.fromhex(content.info_hash)).decode()
    assert info_hash_of(content.magnet) == content.info_hash
    assert info_hash_of(upper) == content.info_hash
    assert info_hash_of(f"magnet:?xt=urn:btih:{b32}&dn=x") == content.info_hash
    assert info_hash_of(content.torrent) == content.info_hash
    with pytest.raises(ValueError, match="magnet"):
        info_hash_of("http://example.invalid/x.torrent")
    with pytest.raises(ValueError):  # noqa: PT011 - the message is the metainfo parser's
        info_hash_of(b"not bencode")


def test_file_paths_lose_the_torrents_folder():
    assert file_path("Show/Show.mkv", "Show") == "Show.mkv"
    assert file_path("Show/sub/a.nfo", "Show") == "sub/a.nfo"
    assert file_path("Movie.mkv", "Movie.mkv") == "Movie.mkv"  # single-file torrent
    assert file_path("a.bin", "Album") == "a.bin"  # a client adding without the subfolder


# -- a fake qBittorrent WebUI ----------------------------------------------------------------


@dataclass
class FakeQbt:
    """Just enough of the qBittorrent WebUI API v2; `torrents` are torrents/info rows, `files`
    their torrents/files answers."""

    save_path: str
    logins: int = 0
    sid: str = ""
    expire_next: set[str] = field(default_factory=set)  # paths whose next call answers 403
    ban: bool = False
    categories: set[str] = field(default_factory=set)
    torrents: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    add_answer: Response | None = None
    added: list[dict[str, Any]] = field(default_factory=list)
    deleted: list[dict[str, str]] = field(default_factory=list)

    def put(self, info_hash: str, name: str, files: dict[str, int], **row: Any) -> None:
        self.torrents[info_hash] = {
            "hash": info_hash,
            "name": name,
            "state": "stalledUP",
            "progress": 1,
            "size": sum(files.values()),
            "dlspeed": 0,
            "num_seeds": 0,
            "category": "debrid",
            "save_path": self.save_path,
            **row,
        }
        self.files[info_hash] = [
            {"index": i, "name": n, "size": s, "priority": 1}
            for i, (n, s) in enumerate(files.items())
        ]

    def app(self) -> Starlette:
        async def login(request: Request) -> Response:
            if self.ban:
                return PlainTextResponse("Your IP address has been banned.", 403)
            form = await request.form()
            if (form.get("username"), form.get("password")) != (USER, PASSWORD):
                return PlainTextResponse("Fails.")
            self.logins += 1
            self.sid = f"sid{self.logins}"
            response = PlainTextResponse("Ok.")
            response.set_cookie("SID", self.sid, httponly=True)
            return response

        async def api(request: Request) -> Response:
            path = request.path_params["path"]
            if not self.sid or request.cookies.get("SID") != self.sid:
                return PlainTextResponse("Forbidden", 403)
            if path in self.expire_next:
                self.expire_next.discard(path)
                self.sid = ""
                return PlainTextResponse("Forbidden", 403)
            query = request.query_params
            if path == "app/version":
                return PlainTextResponse("v4.5.2")
            if path == "torrents/createCategory":
                name = str((await request.form())["category"])
                if name in self.categories:
                    return PlainTextResponse("Category already exists", 409)
                self.categories.add(name)
                return PlainTextResponse("")
            if path == "torrents/add":
                async with request.form() as form:
                    entry: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
                    upload = form.get("torrents")
                    if upload is not None and not isinstance(upload, str):
                        entry["torrents"] = await upload.read()
                self.added.append(entry)
                return self.add_answer or PlainTextResponse("Ok.")
            if path == "torrents/info":
                rows = list(self.torrents.values())
                if "hashes" in query:
                    rows = [r for r in rows if r["hash"] in query["hashes"].split("|")]
                if "category" in query:
                    rows = [r for r in rows if r["category"] == query["category"]]
                return JSONResponse(rows)
            if path == "torrents/files":
                if query["hash"] not in self.files:
                    return PlainTextResponse("Not Found", 404)
                return JSONResponse(self.files[query["hash"]])
            if path == "torrents/delete":
                form = await request.form()
                self.deleted.append({k: str(v) for k, v in form.items()})
                for info_hash in str(form["hashes"]).split("|"):
                    self.torrents.pop(info_hash, None)
                return PlainTextResponse("")
            return PlainTextResponse("Not Found", 404)

        return Starlette(
            routes=[
                Route("/api/v2/auth/login", login, methods=["POST"]),
                Route("/api/v2/{path:path}", api, methods=["GET", "POST"]),
            ]
        )


@pytest.fixture
def save_root(tmp_path: Path) -> Path:
    root = tmp_path / "debrid"
    root.mkdir()
    return root


@pytest.fixture
def fake(save_root: Path) -> FakeQbt:
    return FakeQbt(save_path=str(save_root))


def local_settings(url: str, key: str = f"{USER}:{PASSWORD}") -> ProviderSettings:
    return ProviderSettings(provider="local", api_url=url, api_key=key, rate_limit=1000)


@pytest.fixture
async def provider(fake: FakeQbt, save_root: Path) -> AsyncIterator[LocalProvider]:
    async with serve_app(fake.app(), "fake-qbittorrent") as port:
        local = LocalProvider(
            local_settings(f"http://127.0.0.1:{port}"), save_root=save_root, sleep=no_sleep
        )
        try:
            yield local
        finally:
            await local.close()


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_it_is_a_provider(save_root: Path):
    local: Provider = LocalProvider(
        local_settings("http://127.0.0.1:9"), save_root=save_root, sleep=no_sleep
    )
    assert (local.name, local.kind) == ("local", "local")


async def test_submit_adds_into_the_debrid_category_under_the_save_root(
    provider: LocalProvider, fake: FakeQbt, save_root: Path
):
    content, movie = episode(), single_file()
    fake.put(content.info_hash, content.name, {})
    fake.put(movie.info_hash, movie.name, {})

    assert await provider.submit_magnet(content.magnet, uncached=False) == content.info_hash
    assert await provider.submit_torrent(movie.torrent, uncached=True) == movie.info_hash

    assert fake.categories == {"debrid"}
    magnet_add, file_add = fake.added
    assert magnet_add["urls"] == content.magnet
    assert file_add["torrents"] == movie.torrent
    for added in fake.added:
        assert added["category"] == "debrid"
        assert added["savepath"] == str(save_root)
        assert added["paused"] == "false"
        assert added["autoTMM"] == "false"
        assert added["contentLayout"] == "Original"
    assert fake.logins == 1


async def test_a_torrent_the_client_already_holds_for_debrid_is_accepted(
    provider: LocalProvider, fake: FakeQbt
):
    content = episode()
    fake.put(content.info_hash, content.name, {})
    fake.add_answer = PlainTextResponse("Fails.")  # qBittorrent's answer to a duplicate
    assert await provider.submit_magnet(content.magnet, uncached=False) == content.info_hash

    fake.torrents[content.info_hash]["category"] = "movies"  # the user's own torrent
    with pytest.raises(ProviderError, match="outside debrid"):
        await provider.submit_magnet(content.magnet, uncached=False)


async def test_refused_torrents_say_what_the_client_said(provider: LocalProvider, fake: FakeQbt):
    fake.add_answer = PlainTextResponse("Fails.")
    with pytest.raises(ProviderError, match=r"refused the torrent \(Fails\.\)"):
        await provider.submit_magnet(episode().magnet, uncached=False)

    fake.add_answer = PlainTextResponse("Torrent file is not valid", 415)
    with pytest.raises(ProviderError, match="refused it: Torrent file is not valid"):
        await provider.submit_torrent(single_file().torrent, uncached=False)

    with pytest.raises(ProviderError, match=r"not a usable \.torrent"):
        await provider.submit_torrent(b"garbage", uncached=False)
    with pytest.raises(ProviderError, match="not a usable magnet"):
        await provider.submit_magnet("magnet:?dn=nohash", uncached=False)


async def test_accepted_but_never_listed_is_a_retryable_error(
    provider: LocalProvider, fake: FakeQbt
):
    with pytest.raises(ProviderError, match="does not list it") as caught:
        await provider.submit_magnet(episode().magnet, uncached=False)
    assert caught.value.retryable


async def test_status_lists_files_relative_to_the_torrent_with_their_path_on_disk(
    provider: LocalProvider, fake: FakeQbt, save_root: Path
):
    fake.put(
        "a" * 40,
        "Show",
        {"Show/Show.mkv": 5000, "Show/extras/b.nfo": 10},
        state="downloading",
        progress=0.25,
        dlspeed=1234,
        num_seeds=3,
    )
    fake.files["a" * 40].append({"index": 2, "name": "Show/skip.txt", "size": 1, "priority": 0})
    fake.put("b" * 40, "Movie.mkv", {"Movie.mkv": 42})

    show = await provider.status("A" * 40)
    movie = await provider.status("b" * 40)

    assert (show.id, show.info_hash, show.name) == ("a" * 40, "a" * 40, "Show")
    assert (show.status, show.progress, show.speed, show.seeders) == (
        RemoteStatus.DOWNLOADING,
        0.25,
        1234,
        3,
    )
    assert show.files == (
        RemoteFile("0", "Show.mkv", 5000, str(save_root / "Show" / "Show.mkv")),
        RemoteFile("1", "extras/b.nfo", 10, str(save_root / "Show" / "extras" / "b.nfo")),
    )
    assert movie.status is RemoteStatus.DOWNLOADED
    assert movie.files == (RemoteFile("0", "Movie.mkv", 42, str(save_root / "Movie.mkv")),)
    assert [t.id for t in await provider.torrents()] == ["a" * 40, "b" * 40]

    fake.torrents["b" * 40]["state"] = "missingFiles"
    assert (await provider.status("b" * 40)).status is RemoteStatus.FAILED
    fake.torrents["b" * 40]["category"] = "other"
    assert [t.id for t in await provider.torrents()] == ["a" * 40]

    with pytest.raises(NotFoundRemote):
        await provider.status("c" * 40)


async def test_answers_that_are_not_what_qbittorrent_says_are_provider_errors(
    provider: LocalProvider, fake: FakeQbt
):
    fake.put("a" * 40, "Show", {"Show/a.mkv": 1}, progress="most")
    with pytest.raises(ProviderError, match="unreadable torrent details"):
        await provider.status("a" * 40)
    with pytest.raises(ProviderError, match="unreadable torrent list"):
        await provider.torrents()
    fake.files["a" * 40] = {"not": "a list"}  # type: ignore[assignment]
    fake.torrents["a" * 40]["progress"] = 1
    with pytest.raises(ProviderError, match="did not answer a list of objects"):
        await provider.status("a" * 40)


async def test_delete_asks_the_client_to_delete_the_files(provider: LocalProvider, fake: FakeQbt):
    fake.put("a" * 40, "Show", {"Show/a.mkv": 1})
    await provider.delete("a" * 40)
    await provider.delete("c" * 40)  # unknown: no error
    assert fake.deleted == [
        {"hashes": "a" * 40, "deleteFiles": "true"},
        {"hashes": "c" * 40, "deleteFiles": "true"},
    ]
    assert fake.torrents == {}


async def test_stream_check_and_link_read_the_file_on_disk(
    provider: LocalProvider, fake: FakeQbt, save_root: Path
):
    body = payload_bytes("big", 3 * CHUNK + 123)
    write(save_root / "Show" / "big.bin", body)
    fake.put("a" * 40, "Show", {"Show/big.bin": len(body)})
    (file,) = (await provider.status("a" * 40)).files

    chunks = [c async for c in provider.stream(file)]
    assert b"".join(chunks) == body
    assert max(len(c) for c in chunks) == CHUNK
    ranged = b"".join([c async for c in provider.stream(file, 100, CHUNK + 200)])
    assert ranged == body[100 : CHUNK + 201]
    assert b"".join([c async for c in provider.stream(file, len(body) - 5)]) == body[-5:]
    assert await provider.link(file) == (save_root / "Show" / "big.bin").as_uri()
    assert await provider.check(file) is True
    await provider.select_files("a" * 40, ["0"])  # nothing to choose: no error

    write(save_root / "Show" / "big.bin", body[:-1])
    assert await provider.check(file) is False  # truncated
    (save_root / "Show" / "big.bin").unlink()
    assert await provider.check(file) is False
    with pytest.raises(NotFoundRemote):
        _ = [c async for c in provider.stream(file)]


async def test_files_outside_the_save_path_are_never_read(
    provider: LocalProvider, fake: FakeQbt, save_root: Path, tmp_path: Path
):
    secret = write(tmp_path / "secret.txt", b"root:x:0:0")
    write(save_root / "Show" / "ok.bin", b"fine")
    (save_root / "Show" / "link.bin").symlink_to(secret)
    fake.put(
        "a" * 40,
        "Show",
        {"Show/../../secret.txt": 10, "Show/link.bin": 10, str(secret): 10, "Show/ok.bin": 4},
    )
    fake.put("b" * 40, "secret.txt", {"secret.txt": 10}, save_path=str(tmp_path))
    escaping, symlinked, absolute, fine = (await provider.status("a" * 40)).files
    (elsewhere,) = (await provider.status("b" * 40)).files

    for file in (escaping, symlinked, absolute, elsewhere):
        with pytest.raises(ProviderError, match="not under the save path"):
            _ = [c async for c in provider.stream(file)]
        with pytest.raises(ProviderError, match="not under the save path"):
            await provider.link(file)
        assert await provider.check(file) is False
    (save_root / "loop").symlink_to(save_root / "loop")
    looping = RemoteFile("0", "loop", 10, str(save_root / "loop"))
    forged = RemoteFile("0", "passwd", 10, str(secret))  # never listed by the client
    assert await provider.check(looping) is False
    with pytest.raises(ProviderError):  # refused (Python < 3.13) or unreadable (ELOOP)
        _ = [c async for c in provider.stream(looping)]
    with pytest.raises(ProviderError, match="not under the save path"):
        _ = [c async for c in provider.stream(forged)]
    assert b"".join([c async for c in provider.stream(fine)]) == b"fine"


async def test_an_expired_session_logs_in_again(provider: LocalProvider, fake: FakeQbt):
    fake.put("a" * 40, "Show", {"Show/a.mkv": 1})
    assert (await provider.status("a" * 40)).name == "Show"
    assert fake.logins == 1

    fake.expire_next = {"torrents/info"}
    assert (await provider.status("a" * 40)).name == "Show"
    assert fake.logins == 2

    fake.expire_next = {"app/version"}
    assert (await provider.profile()).username == USER
    assert fake.logins == 3


async def test_concurrent_calls_log_in_once(provider: LocalProvider, fake: FakeQbt):
    fake.put("a" * 40, "Show", {"Show/a.mkv": 1})
    await asyncio.gather(*(provider.status("a" * 40) for _ in range(5)))
    assert fake.logins == 1


async def test_profile_and_slots(provider: LocalProvider):
    profile = await provider.profile()
    assert (profile.username, profile.premium) == (USER, True)
    assert await provider.free_slots() >= 100


async def test_bad_credentials_and_bans_are_errors(fake: FakeQbt, save_root: Path):
    async with serve_app(fake.app(), "fake-qbittorrent") as port:
        url = f"http://127.0.0.1:{port}"
        wrong = LocalProvider(local_settings(url, f"{USER}:nope"), save_root=save_root)
        with pytest.raises(ProviderError, match="refused the login") as caught:
            await wrong.profile()
        assert not caught.value.retryable
        assert "nope" not in str(caught.value)
        await wrong.close()

        fake.ban = True
        banned = LocalProvider(local_settings(url), save_root=save_root)
        with pytest.raises(ProviderError, match="banned"):
            await banned.status("a" * 40)
        await banned.close()

        fake.ban = False
        anonymous = LocalProvider(local_settings(url, ""), save_root=save_root)
        with pytest.raises(ProviderError, match=r"wants a login \(api_key") as caught:
            await anonymous.torrents()  # no login configured, and the client wants one
        assert caught.value.status == 403
        await anonymous.close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_client_that_is_down_is_a_retryable_error(save_root: Path):
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    down = LocalProvider(
        local_settings(f"http://127.0.0.1:{closed_port()}"), save_root=save_root, sleep=sleep
    )
    with pytest.raises(ProviderError, match="unreachable") as caught:
        await down.status("a" * 40)
    assert caught.value.retryable
    assert waits  # it tried again before giving up
    await down.close()


def test_a_missing_url_is_refused(save_root: Path):
    with pytest.raises(ProviderError, match="api_url"):
        LocalProvider(ProviderSettings(provider="local"), save_root=save_root)
