"""The cross-seed service: a daemon that finds the same content on other trackers and seeds it
from the data already on disk, replacing cross-seed v6 (its API on :2468, its decisions).

Pure: `release` (names), `media` (media kinds, title repair), `searchee` (models), `decision`
(vocabulary), `blocklist`, `decide` (the decisions), `prefilter`, `library` (the index).
With I/O: `torznab/` (indexers), `clients/` (torrent clients), `sources/` (torrent and data
folders), `linking`, `store` + `models` (database), `actions` (save, inject), `pipeline`
(announce, assessment), `search` (indexer searches), `api` (HTTP), `runtime` (the `Service`).
"""
