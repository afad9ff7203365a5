"""The tracker service: HTTP + UDP announce/scrape, Torrust's access modes and admin API."""
