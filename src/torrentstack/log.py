"""Logging set-up for the whole process: the only module that installs handlers and formats.

`SecretRedactor` is a backstop that masks passkeys, tokens, passwords and cookies in any
record; code must still never pass a secret to a logger.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

_SECRET_PATTERNS = (
    # query parameters and form fields that carry secrets
    re.compile(
        r"(?i)((?:passkey|token|apikey|api_key|key|password|passwd|secret|sid|cookie|torrent_pass)=)"
        r"[^&\s\"';]+"
    ),
    # tracker announce URLs with the key in the path: /announce/<key> or /<passkey>/announce
    re.compile(r"(?i)(/(?:announce|scrape)/)[A-Za-z0-9_-]{8,}"),
    re.compile(r"(?i)(/)[A-Za-z0-9]{32}(?=/(?:announce|scrape))"),
    # HTTP headers
    re.compile(r"(?i)((?:authorization|x-api-key|cookie|set-cookie)\s*[:=]\s*)[^\r\n,]+"),
    # the password of a URL's user information: scheme://user:password@host
    re.compile(r"(://[^:/@\s]*:)[^@/\s]+(?=@)"),
)

MASK = "***"


def redact(text: str) -> str:
    """Return `text` with anything that looks like a secret replaced by ***."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


class SecretRedactor(logging.Filter):
    """Rewrite each record's message with secrets masked (a backstop, not a licence)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


def configure(level: str = "INFO", stream: TextIO | None = None) -> None:
    """Send log records at `level` and above to standard error, secrets masked."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    handler.addFilter(SecretRedactor())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uv_logger = logging.getLogger(name)
        uv_logger.handlers.clear()
        uv_logger.propagate = True
