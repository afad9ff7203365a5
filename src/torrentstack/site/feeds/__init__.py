"""Atom feeds of recent torrents (site-wide and per category)."""
