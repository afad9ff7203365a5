"""Run the command line in-process the way a user does, and check its error contract."""

from __future__ import annotations

import pytest

from torrentstack.cli import main


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `torrentstack ARGS...`; return (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 1), out, err


def assert_one_line_error(code: int, err: str) -> None:
    """Assert a failure: non-zero exit and exactly one `torrentstack: error:` line, no traceback."""
    assert code != 0
    assert err.count("\n") == 1, err
    assert err.startswith("torrentstack: error: ")
    assert "Traceback" not in err
