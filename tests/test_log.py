from __future__ import annotations

import io
import logging

import pytest

from torrentstack import log


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("GET /announce?passkey=abcdef0123456789&info_hash=x", "abcdef0123456789"),
        ("GET /announce/0123456789abcdefABCDEF0123456789?x=1", "0123456789abcdefABCDEF0123456789"),
        ("GET /0123456789abcdefABCDEF0123456789/announce", "0123456789abcdefABCDEF0123456789"),
        ("/api/stats?token=MyAccessToken", "MyAccessToken"),
        ("Cookie: SID=s3cr3tsession", "s3cr3tsession"),
        ("apikey=deadbeefcafe", "deadbeefcafe"),
        ("password=hunter2&username=admin", "hunter2"),
        ("postgresql+asyncpg://app:dbs3cret@db.example/app", "dbs3cret"),
        ("redis://:r3dispass@127.0.0.1:6379/0", "r3dispass"),
    ],
)
def test_redact_masks_secrets(text, secret):
    cleaned = log.redact(text)
    assert secret not in cleaned
    assert log.MASK in cleaned


def test_redact_keeps_ordinary_text():
    assert log.redact("tracker listening on http://0.0.0.0:6969") == (
        "tracker listening on http://0.0.0.0:6969"
    )


def test_configured_handler_masks_arguments():
    stream = io.StringIO()
    log.configure("INFO", stream=stream)
    try:
        logging.getLogger("torrentstack.test").info("announce %s", "/announce?passkey=supersecret1")
    finally:
        logging.getLogger().handlers.clear()
    assert "supersecret1" not in stream.getvalue()
    assert "passkey=***" in stream.getvalue()
