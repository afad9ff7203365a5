"""Run inside a fresh network namespace (only loopback): start `torrentstack serve` on its default
host 0.0.0.0 and ask every listener's /healthz over IPv4 and IPv6; print the answers as JSON.

Run by tests/e2e/test_dual_stack.py as `unshare --net python dual_stack_probe.py DATA_DIR`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2]))  # run as a script: the tests package

from tests.e2e.serve_process import start, stop
from torrentstack.config import SERVICES


def main() -> None:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    data = Path(sys.argv[1])
    # every listener on the default host 0.0.0.0, the admin API too
    proc, ports, lines = start(data, env={"TORRENTSTACK_TRACKER__API_HOST": "0.0.0.0"}, host=None)  # noqa: S104
    answers: dict[str, dict[str, object]] = {}
    try:
        for name, port in ports.items():
            answers[name] = {}
            for family, host in (("ipv4", "127.0.0.1"), ("ipv6", "[::1]")):
                try:
                    with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=10) as r:
                        answers[name][family] = json.loads(r.read())["status"]
                except OSError as exc:
                    answers[name][family] = f"error: {exc}"
    finally:
        stop(proc, graceful=True)
    assert set(ports) == {*SERVICES, "tracker-api"}
    print(json.dumps({"answers": answers, "log": "".join(lines)[-4000:]}))  # noqa: T201


if __name__ == "__main__":
    main()
