"""Run inside a fresh network namespace (only loopback): start `torrentstack serve` on its default
host 0.0.0.0 and ask every listener's /healthz over IPv4 and IPv6; print the answers as JSON.

Run by tests/e2e/test_dual_stack.py as `unshare --net python dual_stack_probe.py DATA_DIR`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import urllib.request

LISTENING = re.compile(r"([\w-]+) listening on http://0\.0\.0\.0:(\d+)")
SERVICES = ("tracker", "site", "client", "crossseed", "debrid")


def main() -> None:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    env = dict(os.environ)
    env["TORRENTSTACK_PATHS__DATA_DIR"] = sys.argv[1]
    for name in SERVICES:
        env[f"TORRENTSTACK_{name.upper()}__PORT"] = "0"  # the host stays the default 0.0.0.0
    env["TORRENTSTACK_TRACKER__API_PORT"] = "0"
    env["TORRENTSTACK_TRACKER__API_HOST"] = "0.0.0.0"  # noqa: S104 - a namespace of its own
    env["TORRENTSTACK_CLIENT__LISTEN_PORT"] = "0"
    env["TORRENTSTACK_CLIENT__PREFERENCES"] = '{"dht": false, "lsd": false, "upnp": false}'
    proc = subprocess.Popen(
        [sys.executable, "-m", "torrentstack", "serve"],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    ports: dict[str, int] = {}
    done = threading.Event()
    lines: list[str] = []

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            match = LISTENING.search(line)
            if match:
                ports[match.group(1)] = int(match.group(2))
                if len(ports) == len(SERVICES) + 1:
                    done.set()
        done.set()

    threading.Thread(target=read, daemon=True).start()
    answers: dict[str, dict[str, object]] = {}
    try:
        done.wait(60)
        for name, port in ports.items():
            answers[name] = {}
            for family, host in (("ipv4", "127.0.0.1"), ("ipv6", "[::1]")):
                try:
                    with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=10) as r:
                        answers[name][family] = json.loads(r.read())["status"]
                except OSError as exc:
                    answers[name][family] = f"error: {exc}"
    finally:
        proc.terminate()
        proc.wait(30)
    print(json.dumps({"answers": answers, "log": "".join(lines)[-4000:]}))  # noqa: T201


if __name__ == "__main__":
    main()
