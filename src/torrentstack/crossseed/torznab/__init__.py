"""Torznab indexers for cross-seed: caps and feed parsing, query building, per-indexer limits,
the HTTP client (the package's only httpx importer) and the parallel search over indexers."""
