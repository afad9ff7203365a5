"""Torznab/Newznab for *arr clients: query parsing, XML rendering, the API routes."""
