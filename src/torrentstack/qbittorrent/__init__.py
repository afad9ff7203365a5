"""The qBittorrent WebUI API vocabulary, pure: personas so far (shared by client and debrid)."""
