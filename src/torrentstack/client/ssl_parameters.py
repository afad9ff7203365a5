"""`torrents/SSLParameters` and `setSSLParameters` (qBittorrent 5.0): an SSL torrent's
certificate, private key and DH parameters, given to libtorrent and kept in
`<data_dir>/client/ssl_parameters.json` (atomically) so a restart gives them back."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from torrentstack.client.kept_files import write_atomically
from torrentstack.client.torrents import Torrents, engine_result
from torrentstack.qbittorrent.errors import BadData

logger = logging.getLogger(__name__)

_EMPTY = {"ssl_certificate": "", "ssl_private_key": "", "ssl_dh_params": ""}


def _valid(certificate: str, private_key: str, dh_params: str) -> bool:
    """qBittorrent's `SSLParameters::isValid`: a PEM certificate and key that load, DH given."""
    try:
        x509.load_pem_x509_certificate(certificate.encode("latin-1"))
        serialization.load_pem_private_key(private_key.encode("latin-1"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError):
        return False
    return bool(dh_params)


class SslParameters:
    def __init__(self, *, torrents: Torrents, data_dir: Path) -> None:
        self._torrents = torrents
        self._file = data_dir / "client" / "ssl_parameters.json"
        self._kept: dict[str, dict[str, str]] = {}

    def load(self) -> None:
        """Blocking (a small file)."""
        try:
            stored = json.loads(self._file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            logger.warning("client: SSL parameters in %s not read: %s", self._file, exc)
            return
        if isinstance(stored, dict):
            self._kept = {h: dict(v) for h, v in stored.items() if isinstance(v, dict)}

    async def apply_kept(self) -> None:
        """Give libtorrent the kept parameters of the torrents that are back after a start."""
        for hash_, kept in self._kept.items():
            if self._torrents.get(hash_) is not None:
                await engine_result(
                    self._torrents.engine().set_ssl(
                        hash_,
                        kept["ssl_certificate"],
                        kept["ssl_private_key"],
                        kept["ssl_dh_params"],
                    )
                )

    def ssl_parameters(self, hash_: str) -> dict[str, str]:
        self._torrents.record(hash_)
        return dict(self._kept.get(hash_, _EMPTY))

    async def set_ssl_parameters(
        self, hash_: str, certificate: str, private_key: str, dh_params: str
    ) -> None:
        self._torrents.record(hash_)
        if not _valid(certificate, private_key, dh_params):
            raise BadData()
        await engine_result(
            self._torrents.engine().set_ssl(hash_, certificate, private_key, dh_params)
        )
        self._kept[hash_] = {
            "ssl_certificate": certificate,
            "ssl_private_key": private_key,
            "ssl_dh_params": dh_params,
        }
        await asyncio.to_thread(self._save, json.dumps(self._kept))

    def _save(self, text: str) -> None:
        write_atomically(self._file, text)
