"""The download client: libtorrent behind the qBittorrent WebUI API (see docs/client.md)."""
