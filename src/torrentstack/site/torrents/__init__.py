"""Torrents on the site: upload processing, rules, browse and search, downloads."""
