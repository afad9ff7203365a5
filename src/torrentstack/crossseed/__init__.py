"""The cross-seed service, being built: a daemon that finds the same content on other trackers
and seeds it from the data already on disk, replacing cross-seed v6. So far it holds the
pure parts (`release` parsing, `searchee` models, `decision` vocabulary, `media` types) and
`torznab/`, the indexer client and search."""
