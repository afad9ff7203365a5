"""The qBittorrent WebUI API over HTTP, built over a `Backend` (the client's or the debrid's)."""
