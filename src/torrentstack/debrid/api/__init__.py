"""Decypharr's /api: the routers of the bridge's own JSON API."""
