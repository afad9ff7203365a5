"""Run the qbittorrent-api project's own test suite, offline, against a WebUI server on loopback.

    .venv/bin/python tests/compat/qbittorrent_api_suite.py [--target ours|qbittorrent-nox]
        [--persona 4.6|5.1] [--groups offline,core,torrents,request,rss,search] [-k EXPR]
        [--timeout 900] [--retry-budget SECONDS] [--markdown-out FILE] [--verbose]

Stage 1 (network: PyPI only): download the sdist of qbittorrent-api (the version installed in
.venv unless --suite-version says otherwise) into tests/compat/build/sdist/, create
tests/compat/build/venv/ with that sdist and the suite's pytest pin, and extract the sdist into
tests/compat/build/suite/qbittorrent-api/ (the suite's conftest insists on that directory name).
The extracted conftest takes its torrent URLs from QBT_SUITE_RESOURCES_URL instead of GitHub.
test_rss reads its feed, and test_search its plugins (stand-ins written here), from there too.

Stage 2 (loopback only): as root, the script re-runs itself under `unshare --net --mount --pid`.
The network namespace holds nothing but `lo`, so neither the server (which would announce to the
Ubuntu trackers named in the test torrents) nor the suite can reach anything else; when the run
ends, the PID namespace takes everything it started with it. In there:
- /tmp is a private tmpfs whose /tmp/_resources is the suite's tests/_resources (the suite was
  written for a container with that mount: the torrent creator and HTTPS tests use it);
- directories on the way to the interpreters that `nobody` cannot enter (pyenv under /root, mode
  0700) are covered by a tmpfs holding bind mounts of just what is needed;
- tests/_resources is served by an http.server thread on 127.0.0.1;
- the server under test listens on localhost:8080 (hard-coded in a few tests) and, like every
  pytest run, runs as `nobody`: the suite assumes /etc is not writable and /etc/shadow is not
  readable, for the server and for itself;
- the groups run one after the other, each with a timeout; the report gives passed, skipped,
  failed and errors per group plus the failed test ids.
Server data, save paths and pytest's tmp_path go to tests/compat/build/scratch/ (wiped at the
start of each run), the server's and pytest's output to tests/compat/build/logs/.

Exit status: 0 when the report was produced, whatever the tests did; 2 when the harness failed.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import fcntl
import functools
import hashlib
import http.cookiejar
import http.server
import json
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from base64 import b64encode
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BUILD = HERE / "build"
MAIN_VENV = ROOT / ".venv"
PROG = "qbittorrent_api_suite"

WEBUI_HOST = "localhost"  # tests/test_auth.py and test_request.py hard-code localhost:8080
WEBUI_PORT = 8080
USERNAME = "admin"
PASSWORD = "adminadmin"
GITHUB_RESOURCES = "https://github.com/rmartin16/qbittorrent-api/raw/main/tests/_resources"
RETRY_LINE = "limit = int((timeout or CHECK_TIME) / CHECK_SLEEP)"
DEFAULT_RETRY_BUDGET_OURS = 5.0
SANDBOX_FLAG = "--_in-sandbox"


@dataclass(frozen=True)
class Group:
    name: str
    files: tuple[str, ...]


GROUPS = (
    Group("offline", ("test_api_surface", "test_version", "test_definitions")),
    Group(
        "core",
        (
            "test_app",
            "test_auth",
            "test_sync",
            "test_transfer",
            "test_log",
            "test_clientdata",
            "test_torrentcreator",
        ),
    ),
    Group("torrents", ("test_torrents", "test_torrent")),
    Group("request", ("test_request",)),
    Group("rss", ("test_rss",)),
    Group("search", ("test_search",)),
)
NOT_RUN = {
    "test_zzz_last_tests": "shuts the server down; runs only under CI=true",
}


class HarnessError(Exception):
    """The harness itself failed (as opposed to tests failing)."""


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def run(cmd: list[str], what: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run a setup command; a failure is a harness error naming `what` and the last output line."""
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)
    except OSError as exc:
        raise HarnessError(f"{what}: {exc}") from exc
    if proc.returncode != 0:
        lines = (proc.stderr.strip() or proc.stdout.strip() or "no output").splitlines()
        raise HarnessError(f"{what} failed (exit {proc.returncode}): {lines[-1]}")
    return proc


# --------------------------------------------------------------------------- stage 1: prepare


@dataclass(frozen=True)
class Prepared:
    version: str
    suite_dir: Path  # .../qbittorrent-api
    python: Path  # the suite venv's interpreter


def installed_suite_version() -> str:
    python = MAIN_VENV / "bin" / "python"
    if not python.exists():
        raise HarnessError(
            f"{python} is missing: run `scripts/bootstrap dev` or pass --suite-version"
        )
    code = "import importlib.metadata as m; print(m.version('qbittorrent-api'))"
    return run(
        [str(python), "-c", code], "reading qbittorrent-api's version from .venv"
    ).stdout.strip()


def check_sdist(sdist: Path) -> None:
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
    if not any(n.endswith("/tests/conftest.py") for n in names):
        raise HarnessError(
            f"{sdist.name} has no tests/conftest.py: the sdist does not ship the suite"
        )
    if not any(re.search(r"/tests/_resources/[^/]+\.torrent$", n) for n in names):
        raise HarnessError(f"{sdist.name} has no tests/_resources/*.torrent")


def ensure_venv(venv: Path) -> Path:
    python = venv / "bin" / "python"
    marker = venv / ".base"
    base = f"{sys.version}\n{getattr(sys, '_base_executable', sys.executable)}\n"
    if python.exists() and marker.exists() and marker.read_text() == base:
        return python
    shutil.rmtree(venv, ignore_errors=True)
    say(f"creating {venv.relative_to(ROOT)}")
    run([sys.executable, "-m", "venv", str(venv)], "python -m venv")
    marker.write_text(base)
    return python


def suite_pytest_pin(sdist: Path) -> str:
    """`pytest==X` from the suite's own dev dependency group, or plain `pytest`."""
    with tarfile.open(sdist) as tar:
        member = next(
            (
                m
                for m in tar.getmembers()
                if m.name.count("/") == 1 and m.name.endswith("/pyproject.toml")
            ),
            None,
        )
        handle = tar.extractfile(member) if member else None
        data = tomllib.loads(handle.read().decode()) if handle else {}
    for requirement in data.get("dependency-groups", {}).get("dev", []):
        if isinstance(requirement, str) and re.fullmatch(r"pytest\s*==\s*[\w.]+", requirement):
            return requirement.replace(" ", "")
    return "pytest"


def extract_suite(sdist: Path, dest_parent: Path) -> Path:
    """Extract the sdist afresh as dest_parent/qbittorrent-api and point it at local resources."""
    suite = dest_parent / "qbittorrent-api"
    shutil.rmtree(dest_parent, ignore_errors=True)
    staging = dest_parent / ".staging"
    staging.mkdir(parents=True)
    with tarfile.open(sdist) as tar:
        tar.extractall(staging, filter="data")
    (top,) = staging.iterdir()
    top.rename(suite)
    staging.rmdir()

    conftest = suite / "tests" / "conftest.py"
    text = conftest.read_text()
    count = text.count(GITHUB_RESOURCES)
    if count == 0:
        raise HarnessError(
            f"{conftest}: the torrent URL prefix {GITHUB_RESOURCES} is gone; update the harness"
        )
    text = text.replace(GITHUB_RESOURCES, "{environ['QBT_SUITE_RESOURCES_URL']}")
    leftover = [
        ln for ln in text.splitlines() if "github" in ln and not ln.lstrip().startswith("#")
    ]
    if leftover:
        raise HarnessError(f"{conftest} still names GitHub: {leftover[0].strip()}")
    conftest.write_text(text)

    serve_rss_feed(suite / "tests")
    serve_search_plugins(suite / "tests")

    utils = suite / "tests" / "utils.py"
    text = utils.read_text()
    if RETRY_LINE in text:
        capped = (
            "limit = int(min(timeout or CHECK_TIME, "
            "float(environ.get('QBT_SUITE_RETRY_BUDGET') or 'inf')) / CHECK_SLEEP)"
        )
        utils.write_text(text.replace(RETRY_LINE, capped))
    else:
        say(f"warning: {utils.name} changed; --retry-budget has no effect")
    return suite


RSS_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>DistroWatch - Torrents</title><link>http://127.0.0.1/</link>
<item><title>alpine-3.19.1</title><guid>alpine-3.19.1</guid><link>http://127.0.0.1/alpine</link>
<enclosure url="http://127.0.0.1/alpine.torrent" type="application/x-bittorrent" length="1"/>
<pubDate>Mon, 05 Feb 2024 10:00:00 +0000</pubDate></item>
<item><title>debian-12.5.0</title><guid>debian-12.5.0</guid><link>http://127.0.0.1/debian</link>
<enclosure url="http://127.0.0.1/debian.torrent" type="application/x-bittorrent" length="1"/>
<pubDate>Sun, 04 Feb 2024 10:00:00 +0000</pubDate></item>
</channel></rss>
"""


def serve_rss_feed(tests: Path) -> None:
    """test_rss reads its feed (DistroWatch's torrents, on a gist) from tests/_resources."""
    module = tests / "test_rss.py"
    text, count = re.subn(
        r"^RSS_URL = \(\n.*?\n\)$",
        "RSS_URL = __import__('os').environ['QBT_SUITE_RESOURCES_URL'] + '/rss.xml'",
        module.read_text(),
        flags=re.MULTILINE | re.DOTALL,
    )
    if count != 1:
        raise HarnessError(f"{module}: RSS_URL is not the gist's any more; update the harness")
    module.write_text(text)
    (tests / "_resources" / "rss.xml").write_text(RSS_FEED)


# A nova3 plugin written for this harness (a stand-in for the suite's GitHub-hosted ones): it
# answers any search with two fixed results, then lingers like a slow site, so that a job is
# still "Running" when the suite looks right after starting it (stopping a job ends it early).
STAND_IN_PLUGIN = """#VERSION: 1.00
# A stand-in search engine written for tests/compat/qbittorrent_api_suite.py: no network use.
import time

from novaprinter import prettyPrinter


class {name}(object):
    url = "http://127.0.0.1/{name}"
    name = "{full_name}"
    supported_categories = {{"all": "0", "software": "1", "tv": "2"}}

    def search(self, what, cat="all"):
        for number in (1, 2):
            prettyPrinter({{
                "link": "magnet:?xt=urn:btih:" + ("%040d" % number) + "&dn=" + what,
                "name": "%s stand-in result %d (%s)" % (what, number, cat),
                "size": "%d MB" % (700 * number),
                "seeds": 10 * number,
                "leech": number,
                "engine_url": self.url,
                "desc_link": self.url + "/result/%d" % number,
            }})
        time.sleep({linger})
"""
SEARCH_PLUGIN_LINE = re.compile(
    r'^PLUGIN_URL = "https://raw\.githubusercontent\.com/[^"]+/therarbg\.py"$', re.MULTILINE
)
PRESET_PLUGIN = "eztv"  # test_download_torrent expects it installed (the suite's CI image has it)
STAND_IN_PLUGINS = {"therarbg": "TheRARBG (stand-in)", PRESET_PLUGIN: "EZTV (stand-in)"}


def serve_search_plugins(tests: Path) -> None:
    """test_search installs `therarbg` from GitHub and expects `eztv` installed: both become
    stand-ins served from tests/_resources/search/ (eztv is installed by stage 2)."""
    module = tests / "test_search.py"
    text = module.read_text()
    if 'PLUGIN_NAME = "therarbg"' not in text or f'plugin="{PRESET_PLUGIN}"' not in text:
        raise HarnessError(f"{module}: the plugins it uses changed; update the harness")
    text, count = SEARCH_PLUGIN_LINE.subn(
        "PLUGIN_URL = __import__('os').environ['QBT_SUITE_RESOURCES_URL'] + '/search/therarbg.py'",
        text,
    )
    leftover = [ln for ln in text.splitlines() if "github" in ln.lower() and "://" in ln]
    if count != 1 or leftover:
        raise HarnessError(
            f"{module}: PLUGIN_URL is not the GitHub one any more; update the harness"
        )
    module.write_text(text)
    folder = tests / "_resources" / "search"
    folder.mkdir(exist_ok=True)
    for name, full_name in STAND_IN_PLUGINS.items():
        code = STAND_IN_PLUGIN.format(name=name, full_name=full_name, linger=20)
        (folder / f"{name}.py").write_text(code)


def prepare(version: str | None) -> Prepared:
    version = version or installed_suite_version()
    BUILD.mkdir(parents=True, exist_ok=True)
    python = ensure_venv(BUILD / "venv")

    sdist_dir = BUILD / "sdist"
    sdist = sdist_dir / f"qbittorrent_api-{version}.tar.gz"
    if not sdist.exists():
        say(f"downloading the sdist of qbittorrent-api {version} from PyPI")
        run(
            [str(python), "-m", "pip", "download", "-q", "--disable-pip-version-check", "--no-deps",
             "--no-binary", ":all:", f"qbittorrent-api=={version}", "-d", str(sdist_dir)],
            f"pip download qbittorrent-api=={version}",
        )  # fmt: skip
        if not sdist.exists():
            raise HarnessError(f"pip download did not produce {sdist.name}")
    check_sdist(sdist)

    pin = suite_pytest_pin(sdist)
    stamp = python.parent.parent / ".installed"
    wanted = f"{sdist.name} {pin}\n"
    if not stamp.exists() or stamp.read_text() != wanted:
        say(f"installing {sdist.name} and {pin} into {python.parent.parent.relative_to(ROOT)}")
        install = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        run([*install, str(sdist), pin], "pip install of the suite's dependencies")
        stamp.write_text(wanted)

    suite = extract_suite(sdist, BUILD / "suite")
    return Prepared(version=version, suite_dir=suite, python=python)


# --------------------------------------------------------------------------- stage 2: sandbox


def loopback_up() -> None:
    """`ip link set lo up` without iproute2 (a fresh network namespace has lo down)."""
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(sock, siocgifflags, request))[1]
        fcntl.ioctl(sock, siocsifflags, struct.pack("16sH14x", b"lo", flags | iff_up))


def can_traverse(path: Path, user: pwd.struct_passwd) -> bool:
    st = path.stat()
    if st.st_uid == user.pw_uid:
        return bool(st.st_mode & stat.S_IXUSR)
    if st.st_gid in os.getgrouplist(user.pw_name, user.pw_gid):
        return bool(st.st_mode & stat.S_IXGRP)
    return bool(st.st_mode & stat.S_IXOTH)


def make_mount_point(path: Path, like: Path) -> None:
    if like.is_dir():
        path.mkdir()
    else:
        path.touch()


def expose(targets: list[Path], user: pwd.struct_passwd, scratch: Path) -> list[str]:
    """Make every directory on the way to `targets` passable for `user` in this mount namespace.

    A blocked directory (e.g. /root, mode 0700, above pyenv's interpreters) is covered by a
    tmpfs of mode 0755 holding bind mounts of just the entries the targets need. Only call this
    inside a private mount namespace: the host never sees these mounts.
    """
    exposed: list[str] = []
    for _ in range(8):
        blocked: dict[Path, set[str]] = {}
        for target in targets:
            parts = target.resolve().parts
            for depth in range(1, len(parts) - 1):
                directory = Path(*parts[:depth])
                if not can_traverse(directory, user):
                    blocked.setdefault(directory, set()).add(parts[depth])
                    break
        if not blocked:
            return exposed
        for directory, children in blocked.items():
            keep = Path(tempfile.mkdtemp(dir=scratch, prefix="expose-"))
            for child in children:
                make_mount_point(keep / child, like=directory / child)
                run(
                    ["mount", "--bind", str(directory / child), str(keep / child)],
                    f"bind-mounting {directory / child}",
                )
            run(
                ["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", str(directory)],
                f"covering {directory}",
            )
            for child in children:
                make_mount_point(directory / child, like=keep / child)
                run(
                    ["mount", "--bind", str(keep / child), str(directory / child)],
                    f"re-binding {directory / child}",
                )
                run(["umount", str(keep / child)], f"unmounting {keep / child}")
            exposed.append(f"{directory} (keeping {', '.join(sorted(children))})")
    raise HarnessError(f"could not make {targets[0]} reachable for {user.pw_name}")


@dataclass
class Sandbox:
    """Who runs the server and the suite, and the scratch directory they own."""

    tmp: Path
    user: pwd.struct_passwd | None  # None: run as ourselves (--no-sandbox)

    def popen_kwargs(self) -> dict[str, Any]:
        if self.user is None:
            return {}
        return {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}

    def mkdir(self, name: str) -> Path:
        path = self.tmp / name
        path.mkdir(parents=True, exist_ok=True)
        if self.user is not None:
            os.chown(path, self.user.pw_uid, self.user.pw_gid)
        return path

    def env(self, **extra: str) -> dict[str, str]:
        """A clean environment: nothing from ours (no proxies, no TORRENTSTACK_*, no CI)."""
        env = {
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": str(self.tmp / "home"),
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
        }
        env.update(extra)
        return env


def check_runs(sandbox: Sandbox, cmd: list[str], what: str) -> None:
    run(
        cmd,
        f"{what} as {sandbox.user.pw_name if sandbox.user else 'this user'}",
        env=sandbox.env(),
        cwd=sandbox.tmp,
        **sandbox.popen_kwargs(),
    )


def port_is_free(port: int) -> bool:
    for family, address in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((address, port))
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:  # EADDRNOTAVAIL (no ::1) is fine
                    return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ResourceServer:
    """tests/_resources over HTTP on 127.0.0.1, in a thread of this process."""

    def __init__(self, directory: Path) -> None:
        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

        handler = functools.partial(Quiet, directory=str(directory))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# --------------------------------------------------------------------------- servers under test


def pbkdf2_conf_value(password: str) -> str:
    """qBittorrent's WebUI\\Password_PBKDF2: PBKDF2-HMAC-SHA512, 100 000 rounds, 16-byte salt."""
    salt = os.urandom(16)
    key = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, 100_000, 64)
    return f'"@ByteArray({b64encode(salt).decode()}:{b64encode(key).decode()})"'


def client_settings(sandbox: Sandbox, torrentstack: Path) -> set[str]:
    """Keys of the [client] section that this torrentstack knows (unknown keys are errors)."""
    out = run(
        [str(torrentstack), "config", "defaults"],
        "torrentstack config defaults",
        env=sandbox.env(),
        cwd=sandbox.tmp,
        **sandbox.popen_kwargs(),
    ).stdout
    keys: set[str] = set()
    section = ""
    for line in out.splitlines():
        if m := re.match(r"^\[([\w.]+)\]\s*$", line):
            section = m.group(1)
        elif section == "client" and (m := re.match(r"^#?\s*([a-z_][a-z0-9_]*)\s*=", line)):
            keys.add(m.group(1))
    if not keys:
        raise HarnessError("`torrentstack config defaults` printed no [client] section")
    return keys


@dataclass
class ServerSpec:
    label: str
    cmd: list[str]
    env: dict[str, str]
    notes: list[str] = field(default_factory=list)


def ours_spec(sandbox: Sandbox, persona: str, torrentstack: Path) -> ServerSpec:
    keys = client_settings(sandbox, torrentstack)
    # localhost is what the suite dials; bind the address it resolves to first (127.0.0.1 here)
    first = socket.getaddrinfo(WEBUI_HOST, WEBUI_PORT, type=socket.SOCK_STREAM)[0][4][0]
    values = {
        "host": str(first),
        "port": str(WEBUI_PORT),
        "webui_username": USERNAME,
        "webui_password": PASSWORD,
        "persona": persona,
        "save_path": str(sandbox.mkdir("downloads")),
        "listen_port": str(free_port()),
    }
    env = sandbox.env(
        TORRENTSTACK_PATHS__DATA_DIR=str(sandbox.mkdir("data")),
        XDG_CONFIG_HOME=str(sandbox.mkdir("home/.config")),
    )
    notes = []
    for key, value in values.items():
        if key in keys:
            env[f"TORRENTSTACK_CLIENT__{key.upper()}"] = value
        else:
            notes.append(f"setting client.{key} does not exist yet; not passed")
    return ServerSpec(
        f"torrentstack serve client (persona {persona}, bound to {first})",
        [str(torrentstack), "serve", "client"],
        env,
        notes,
    )


def qbittorrent_spec(sandbox: Sandbox, binary: str) -> ServerSpec:
    profile = sandbox.mkdir("profile")
    config = profile / "qBittorrent" / "config"
    config.mkdir(parents=True)
    downloads = sandbox.mkdir("downloads")  # the suite wants "download" in the default save path
    (config / "qBittorrent.conf").write_text(
        "[LegalNotice]\nAccepted=true\n\n"
        "[BitTorrent]\n"
        "Session\\DHTEnabled=false\nSession\\LSDEnabled=false\nSession\\PeXEnabled=false\n"
        f"Session\\Port={free_port()}\nSession\\Interface=lo\nSession\\InterfaceName=lo\n"
        f"Session\\DefaultSavePath={downloads}/\n\n"
        "[Network]\nPortForwardingEnabled=false\n\n"
        "[Preferences]\nConnection\\ResolvePeerCountries=false\n"
        f"WebUI\\Port={WEBUI_PORT}\nWebUI\\Username={USERNAME}\n"
        f"WebUI\\Password_PBKDF2={pbkdf2_conf_value(PASSWORD)}\n"
    )
    if sandbox.user is not None:
        for path in [profile, *profile.rglob("*")]:
            os.chown(path, sandbox.user.pw_uid, sandbox.user.pw_gid)
    return ServerSpec(
        f"{binary} (temporary profile)", [binary, f"--profile={profile}"], sandbox.env()
    )


class Server:
    def __init__(
        self, spec: ServerSpec, sandbox: Sandbox, log_path: Path, startup_timeout: float
    ) -> None:
        self.spec = spec
        self.sandbox = sandbox
        self.log_path = log_path
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.version = ""

    def start(self) -> None:
        if not port_is_free(WEBUI_PORT):
            raise HarnessError(
                f"port {WEBUI_PORT} is busy; the suite hard-codes {WEBUI_HOST}:{WEBUI_PORT}, stop whatever listens there"
            )
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.spec.cmd,
                env=self.spec.env,
                cwd=self.sandbox.tmp,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **self.sandbox.popen_kwargs(),
            )
        deadline = time.monotonic() + self.startup_timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise HarnessError(
                    f"server exited with code {self.proc.returncode} while starting; see {self.log_path}"
                )
            try:
                self.version = webui_versions(f"http://{WEBUI_HOST}:{WEBUI_PORT}")
                return
            except (OSError, ValueError) as exc:
                last = str(exc)
            time.sleep(0.5)
        self.stop()
        raise HarnessError(
            f"server not ready after {self.startup_timeout:.0f} s ({last}); see {self.log_path}"
        )

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
            if proc.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=wait)


def webui_opener(base: str) -> urllib.request.OpenerDirector:
    """A logged-in urllib opener that ignores any proxy settings; raise ValueError if refused."""
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}),
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
    )
    login = urllib.parse.urlencode({"username": USERNAME, "password": PASSWORD}).encode()
    try:
        with opener.open(f"{base}/api/v2/auth/login", data=login, timeout=5) as response:
            answer = response.read().decode(errors="replace").strip()
    except urllib.error.HTTPError as exc:
        raise ValueError(f"{exc.url} answered HTTP {exc.code}") from exc
    if answer != "Ok.":
        raise ValueError(f"auth/login answered {answer!r}")
    return opener


def delete_all_torrents(base: str) -> None:
    """What the suite's pytest_sessionfinish does, for a group that was killed before it."""
    with contextlib.suppress(OSError, ValueError):
        opener = webui_opener(base)
        form = urllib.parse.urlencode({"hashes": "all", "deleteFiles": "true"}).encode()
        with opener.open(f"{base}/api/v2/torrents/delete", data=form, timeout=10):
            pass


def install_search_plugin(base: str, url: str, name: str, timeout: float = 60.0) -> None:
    """Install the plugin at `url` through search/installPlugin and wait until it is listed."""
    opener = webui_opener(base)
    form = urllib.parse.urlencode({"sources": url}).encode()
    try:
        with opener.open(f"{base}/api/v2/search/installPlugin", data=form, timeout=10):
            pass
    except urllib.error.HTTPError as exc:
        raise HarnessError(f"search/installPlugin answered HTTP {exc.code}") from exc
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with opener.open(f"{base}/api/v2/search/plugins", timeout=10) as response:
            listed = [p.get("name") for p in json.loads(response.read() or b"[]")]
        if name in listed:
            return
        time.sleep(0.5)
    raise HarnessError(f"search plugin {name} from {url} not listed after {timeout:.0f} s")


def webui_versions(base: str) -> str:
    """Log in and return `app/version (WebAPI app/webapiVersion)`; raise while not ready."""
    opener = webui_opener(base)
    try:
        with opener.open(f"{base}/api/v2/app/version", timeout=5) as response:
            version = response.read().decode(errors="replace").strip()
        with opener.open(f"{base}/api/v2/app/webapiVersion", timeout=5) as response:
            api = response.read().decode(errors="replace").strip()
    except urllib.error.HTTPError as exc:
        raise ValueError(f"{exc.url} answered HTTP {exc.code}") from exc
    return f"{version} (WebAPI {api})"


# --------------------------------------------------------------------------- running groups


@dataclass
class Result:
    group: str
    passed: int = 0
    skipped: int = 0
    failed: int = 0
    errors: int = 0
    deselected: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


SUMMARY = re.compile(r"^=+ (.+?) in [\d.]+s(?: \([\d:.]+\))? =+$")
SHORT = re.compile(r"^(FAILED|ERROR) (\S+?\.py(?:::[^\s\[]+)*(?:\[.*?\](?= - |$))?)(?: - .*)?$")
VERBOSE = re.compile(
    r"^(tests/\S+?\.py(?:::[^\s\[]+)*(?:\[.*?\])?) (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b"
)
BANNER = re.compile(r"^!{3,} (.+?) !{3,}$")


def parse(lines: list[str], result: Result) -> None:
    summary = next(
        (m.group(1) for line in reversed(lines) if (m := SUMMARY.match(line.strip()))), None
    )
    for line in lines:
        if m := BANNER.match(line.strip()):
            result.notes.append(m.group(1).removeprefix("_pytest.outcomes.Exit: "))
    if summary is not None:
        for count, word in re.findall(r"(\d+) (\w+)", summary):
            if word in ("passed", "skipped", "failed", "deselected"):
                setattr(result, word, int(count))
            elif word in ("error", "errors"):
                result.errors = int(count)
            elif word in ("xfailed", "xpassed"):
                result.notes.append(f"{count} {word}")
        seen: set[str] = set()
        for line in lines:
            if (m := SHORT.match(line.rstrip())) and m.group(2) not in seen:
                seen.add(m.group(2))
                result.failures.append(f"{m.group(1)} {m.group(2)}")
        return
    # no summary (timeout or crash): count the verbose per-test lines instead
    result.notes.append("no pytest summary line: counts are from the per-test lines")
    for line in lines:
        if m := VERBOSE.match(line.rstrip()):
            outcome = m.group(2)
            if outcome in ("PASSED", "XPASS"):
                result.passed += 1
            elif outcome in ("SKIPPED", "XFAIL"):
                result.skipped += 1
            elif outcome == "FAILED":
                result.failed += 1
                result.failures.append(f"FAILED {m.group(1)}")
            else:
                result.errors += 1
                result.failures.append(f"ERROR {m.group(1)}")


def run_group(
    group: Group,
    prepared: Prepared,
    sandbox: Sandbox,
    env: dict[str, str],
    args: argparse.Namespace,
    log_path: Path,
) -> Result:
    result = Result(group.name)
    cmd = [
        str(prepared.python), "-m", "pytest", "-p", "no:cacheprovider", "-rfE", "--color=no",
        f"--basetemp={sandbox.tmp / 'pytest' / group.name}",
        *(f"tests/{name}.py" for name in group.files),
    ]  # fmt: skip
    if args.keyword:
        cmd += ["-k", args.keyword]
    lines: list[str] = []
    started = time.monotonic()
    with log_path.open("w", encoding="utf-8") as log:
        log.write("$ " + " ".join(cmd) + "\n")
        proc = subprocess.Popen(
            cmd,
            cwd=prepared.suite_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            start_new_session=True,
            **sandbox.popen_kwargs(),
        )

        def pump() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append(line.rstrip("\n"))
                log.write(line)
                if args.verbose:
                    sys.stdout.write(f"  {group.name}| {line}")

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        try:
            proc.wait(timeout=args.timeout)
        except subprocess.TimeoutExpired:
            result.notes.append(f"timed out after {args.timeout:.0f} s and was killed")
            for sig in (signal.SIGTERM, signal.SIGKILL):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, sig)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=10)
                    break
        finally:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        reader.join(timeout=10)
    result.seconds = time.monotonic() - started
    parse(lines, result)
    if proc.returncode not in (0, 1) and not result.notes:
        result.notes.append(f"pytest exited with code {proc.returncode}")
    return result


# --------------------------------------------------------------------------- report


HEADER = ("group", "passed", "skipped", "failed", "errors", "seconds")


def rows(results: list[Result]) -> list[tuple[str, ...]]:
    out = [
        (r.group, str(r.passed), str(r.skipped), str(r.failed), str(r.errors), f"{r.seconds:.1f}")
        for r in results
    ]
    if len(results) > 1:
        total = [
            sum(getattr(r, f) for r in results) for f in ("passed", "skipped", "failed", "errors")
        ]
        out.append(("total", *map(str, total), f"{sum(r.seconds for r in results):.1f}"))
    return out


def text_report(results: list[Result]) -> str:
    table = [HEADER, *rows(results)]
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADER))]
    lines = []
    for n, row in enumerate(table):
        cells = [
            row[0].ljust(widths[0]),
            *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)),
        ]
        lines.append("  ".join(cells))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines += notes_lines(results, bullet="  ")
    failures = [(r.group, f) for r in results for f in r.failures]
    if failures:
        lines.append("")
        lines.append(f"failed tests ({len(failures)}):")
        lines += [f"  [{g}] {f}" for g, f in failures]
    return "\n".join(lines)


def notes_lines(results: list[Result], bullet: str) -> list[str]:
    lines = []
    for r in results:
        notes = list(r.notes)
        if r.deselected:
            notes.append(f"{r.deselected} deselected by -k")
        lines += [f"{bullet}{r.group}: {note}" for note in notes]
    lines += [f"{bullet}not run: {name} ({why})" for name, why in NOT_RUN.items()]
    return ["", "notes:", *lines] if lines else []


def markdown_report(results: list[Result], header: list[str]) -> str:
    out = ["# qbittorrent-api test suite", "", *(f"- {line}" for line in header), ""]
    out.append("| " + " | ".join(HEADER) + " |")
    out.append("|" + "|".join(["---", *["---:"] * (len(HEADER) - 1)]) + "|")
    out += ["| " + " | ".join(row) + " |" for row in rows(results)]
    notes = notes_lines(results, bullet="- ")
    if notes:
        out += ["", "## Notes", *notes[2:]]
    failures = [(r.group, f) for r in results for f in r.failures]
    if failures:
        out += ["", f"## Failed tests ({len(failures)})", ""]
        out += [f"- `{g}`: `{f}`" for g, f in failures]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--target",
        choices=("ours", "qbittorrent-nox"),
        default="ours",
        help="server under test (default: ours)",
    )
    parser.add_argument(
        "--persona", choices=("4.6", "5.1"), default="4.6", help="persona of `ours` (default: 4.6)"
    )
    parser.add_argument(
        "--groups",
        default=",".join(g.name for g in GROUPS),
        help="comma-separated groups (default: all of %(default)s)",
    )
    parser.add_argument("-k", dest="keyword", help="pytest -k expression for every group")
    parser.add_argument(
        "--timeout",
        type=float,
        default=900,
        help="seconds per group before it is killed (default: 900)",
    )
    parser.add_argument(
        "--retry-budget",
        type=float,
        help="cap in seconds on each of the suite's eventually() waits (suite: 10, webseeds 60); "
        f"0 keeps the suite's own (default: {DEFAULT_RETRY_BUDGET_OURS:g} for ours, 0 for qbittorrent-nox)",
    )
    parser.add_argument(
        "--markdown-out", type=Path, help="also write the table and failures as Markdown"
    )
    parser.add_argument(
        "--suite-version", help="qbittorrent-api version (default: the one installed in .venv)"
    )
    parser.add_argument(
        "--torrentstack",
        type=Path,
        default=MAIN_VENV / "bin" / "torrentstack",
        help="torrentstack executable for --target ours",
    )
    parser.add_argument(
        "--qbittorrent-nox",
        default="/usr/bin/qbittorrent-nox",
        help="binary for --target qbittorrent-nox",
    )
    parser.add_argument(
        "--user",
        default="nobody",
        help="unprivileged user for the server and the suite when run as root (default: nobody)",
    )
    parser.add_argument(
        "--startup-timeout",
        type=float,
        default=60,
        help="seconds to wait for app/version (default: 60)",
    )
    parser.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run as the current (non-root) user without namespaces: NOT network-isolated",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="stream pytest's output")
    parser.add_argument(
        SANDBOX_FLAG, dest="in_sandbox", action="store_true", help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    chosen = [g.strip() for g in args.groups.split(",") if g.strip()]
    known = {g.name for g in GROUPS}
    if unknown := [g for g in chosen if g not in known]:
        extra = " (search needs the internet)" if "search" in unknown else ""
        parser.error(
            f"unknown group(s) {', '.join(unknown)}; choose from {', '.join(sorted(known))}{extra}"
        )
    args.selected = [g for g in GROUPS if g.name in chosen]
    if args.retry_budget is None:
        args.retry_budget = DEFAULT_RETRY_BUDGET_OURS if args.target == "ours" else 0.0
    return args


def relaunch_in_sandbox(argv: list[str], version: str) -> int:
    """Run stage 2 as PID 1 of new net/mount/pid namespaces: when it ends, so does all it started."""
    unshare = shutil.which("unshare")
    if unshare is None:
        raise HarnessError(
            "`unshare` (util-linux) is missing; install util-linux or pass --no-sandbox as a non-root user"
        )
    cmd = [
        unshare, "--net", "--mount", "--pid", "--fork", "--kill-child=SIGTERM", "--mount-proc",
        "--propagation", "private", "--",
        sys.executable, str(Path(__file__).resolve()), *argv, "--suite-version", version, SANDBOX_FLAG,
    ]  # fmt: skip
    proc = subprocess.Popen(cmd)

    def terminate(*_: object) -> None:
        # unshare ignores SIGTERM while it waits: signal the run it forked, which cleans up;
        # failing that, SIGKILL unshare, whose --kill-child then sends the run SIGTERM
        try:
            children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
            for child in children:
                os.kill(int(child), signal.SIGTERM)
        except (OSError, ValueError):
            children = []
        if not children:
            proc.kill()

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the run directly
    signal.signal(signal.SIGTERM, terminate)
    return proc.wait()


def script_interpreter(path: Path) -> Path | None:
    """The interpreter named by a script's `#!` line (a venv's python for console scripts)."""
    with path.open("rb") as handle:
        first = handle.readline(512)
    if not first.startswith(b"#!"):
        return None
    words = first[2:].decode(errors="replace").split()
    return Path(words[0]) if words else None


def private_tmp(prepared: Prepared, user: pwd.struct_passwd | None) -> None:
    """An empty /tmp for this run, whose /tmp/_resources is the suite's tests/_resources.

    The suite was written for a qBittorrent container with tests/_resources mounted at
    /tmp/_resources: the torrent creator tests write a file into tests/_resources and have the
    server read it there, and the HTTPS test points the server at /tmp/_resources/server.crt.
    """
    resources = prepared.suite_dir / "tests" / "_resources"
    if user is not None:
        os.chown(resources, user.pw_uid, user.pw_gid)
    run(["mount", "-t", "tmpfs", "-o", "mode=1777", "tmpfs", "/tmp"], "mounting a private /tmp")
    Path("/tmp/_resources").mkdir()
    run(["mount", "--bind", str(resources), "/tmp/_resources"], "bind-mounting /tmp/_resources")


def stage2(args: argparse.Namespace, prepared: Prepared) -> int:
    if args.in_sandbox:
        loopback_up()
    user = None
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam(args.user)
        except KeyError:
            raise HarnessError(
                f"user {args.user!r} does not exist; create one with `useradd --system` or pass --user"
            ) from None
        if user.pw_uid == 0:
            raise HarnessError(
                f"--user {args.user} is root; the suite needs an unprivileged server and client"
            )
    # server data, profile, save paths and pytest's tmp_path: wiped now, kept after the run
    tmp = BUILD / "scratch"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(mode=0o755)
    if args.in_sandbox:
        private_tmp(prepared, user)
    sandbox = Sandbox(tmp, user)
    logs = BUILD / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    resources: ResourceServer | None = None
    server: Server | None = None
    try:
        sandbox.mkdir("home")
        sandbox.mkdir("pytest")
        if args.target == "ours":
            server_exe = args.torrentstack
            if not server_exe.exists():
                raise HarnessError(f"{server_exe} is missing: run `scripts/bootstrap dev`")
            interpreter = script_interpreter(server_exe)
        else:
            found = shutil.which(args.qbittorrent_nox)
            if found is None:
                raise HarnessError(
                    f"{args.qbittorrent_nox} not found: `apt-get install qbittorrent-nox`"
                )
            server_exe, interpreter = Path(found), None
        if user is not None:
            targets = [prepared.python.resolve(), server_exe.resolve(), prepared.suite_dir]
            if interpreter is not None:
                targets.append(interpreter.resolve())
            if args.in_sandbox:
                for line in expose(targets, user, Path("/tmp")):
                    say(f"made passable for {user.pw_name} (this run only): {line}")
            check_runs(
                sandbox,
                [str(prepared.python), "-c", "import pytest, qbittorrentapi"],
                "the suite's venv",
            )
            if interpreter is not None:
                check_runs(sandbox, [str(interpreter), "-c", "pass"], f"{interpreter}")

        resources = ResourceServer(prepared.suite_dir / "tests" / "_resources")
        spec = (
            ours_spec(sandbox, args.persona, server_exe)
            if args.target == "ours"
            else qbittorrent_spec(sandbox, str(server_exe))
        )
        server_log = logs / f"{args.target}-server.log"
        server_log.write_text("")
        server = Server(spec, sandbox, server_log, args.startup_timeout)
        server.start()

        header = [
            f"target: {spec.label}",
            f"server answers {server.version} on {WEBUI_HOST}:{WEBUI_PORT}, as {user.pw_name if user else 'the current user'}",
            f"suite: qbittorrent-api {prepared.version} (sdist from PyPI), torrents from {resources.url}",
            "retry budget: "
            + (
                f"{args.retry_budget:g} s per eventually() wait"
                if args.retry_budget
                else "the suite's own (10 s, webseeds 60 s)"
            ),
            "network: "
            + (
                "private namespace, loopback only"
                if args.in_sandbox
                else "NOT isolated (--no-sandbox)"
            ),
            *spec.notes,
        ]
        for line in header:
            say(line)
        say("")

        env = sandbox.env(
            QBITTORRENTAPI_HOST=f"{WEBUI_HOST}:{WEBUI_PORT}",
            QBITTORRENTAPI_USERNAME=USERNAME,
            QBITTORRENTAPI_PASSWORD=PASSWORD,
            QBT_SUITE_RESOURCES_URL=resources.url,
        )
        if args.retry_budget:
            env["QBT_SUITE_RETRY_BUDGET"] = f"{args.retry_budget:g}"
        results = []
        for group in args.selected:
            if not server.alive():
                say(
                    f"[{group.name}] server had exited (code {server.proc.returncode if server.proc else '?'}); restarting it"
                )
                server.stop()
                server.start()
            if group.name == "search":
                install_search_plugin(
                    f"http://{WEBUI_HOST}:{WEBUI_PORT}",
                    f"{resources.url}/search/{PRESET_PLUGIN}.py",
                    PRESET_PLUGIN,
                )
                say(f"[search] installed the stand-in plugin {PRESET_PLUGIN} from {resources.url}")
            say(f"[{group.name}] {', '.join(group.files)}")
            result = run_group(
                group, prepared, sandbox, env, args, logs / f"{args.target}-{group.name}.log"
            )
            if not server.alive():
                result.notes.append(f"the server exited during this group; see {server_log}")
            elif any(note.startswith("timed out") for note in result.notes):
                delete_all_torrents(f"http://{WEBUI_HOST}:{WEBUI_PORT}")
            results.append(result)
            say(
                f"[{group.name}] {result.passed} passed, {result.skipped} skipped, {result.failed} failed, {result.errors} errors in {result.seconds:.1f} s"
            )
        say("")
        say(text_report(results))
        say("")
        say(f"logs: {logs}")
        # written here and copied by main(): in the sandbox, /tmp is private
        (logs / f"{args.target}-report.md").write_text(markdown_report(results, header))
        return 0
    finally:
        # a second Ctrl-C must not cut the cleanup short
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if server is not None:
            server.stop()
        if resources is not None:
            resources.close()


def on_sigterm(*_: object) -> None:
    raise HarnessError("terminated by SIGTERM")


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        if args.in_sandbox:
            signal.signal(signal.SIGTERM, on_sigterm)  # as PID 1 we would ignore it otherwise
            version = args.suite_version
            sdist = BUILD / "sdist" / f"qbittorrent_api-{version}.tar.gz"
            suite = BUILD / "suite" / "qbittorrent-api"
            if not (sdist.exists() and (suite / "tests" / "conftest.py").exists()):
                raise HarnessError(
                    "the suite is not prepared; run this script without the internal sandbox flag"
                )
            return stage2(args, Prepared(version, suite, BUILD / "venv" / "bin" / "python"))
        BUILD.mkdir(parents=True, exist_ok=True)
        lock = (BUILD / ".lock").open("w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise HarnessError(f"another run is using {BUILD}; wait for it to finish") from None
        prepared = prepare(args.suite_version)
        report = BUILD / "logs" / f"{args.target}-report.md"
        report.unlink(missing_ok=True)
        if os.geteuid() == 0 and not args.no_sandbox:
            status = relaunch_in_sandbox(argv, prepared.version)
        else:
            status = stage2_unsandboxed(args, prepared)
        if status == 0 and args.markdown_out:
            if not report.exists():
                raise HarnessError(f"{report} was not written")
            shutil.copyfile(report, args.markdown_out)
            say(f"markdown: {args.markdown_out}")
        return status
    except HarnessError as exc:
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: error: interrupted\n")
        return 130


def stage2_unsandboxed(args: argparse.Namespace, prepared: Prepared) -> int:
    if os.geteuid() == 0:
        raise HarnessError(
            "--no-sandbox is for non-root users; as root the server runs as --user in the sandbox"
        )
    if not args.no_sandbox:
        raise HarnessError(
            "not root: cannot isolate the network or switch users; "
            "pass --no-sandbox to run unisolated as yourself"
        )
    say("warning: --no-sandbox: the server may contact the trackers named in the test torrents")
    return stage2(args, prepared)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
