"""The cross-seed service, being built: a daemon that finds the same content on other trackers
and seeds it from the data already on disk, replacing cross-seed v6. So far: release-name parsing
(`release`), the searchee/decision vocabulary, the torrent clients it reads and injects into
(`clients/`), searchee sources (`sources/`) and linking (`linking`)."""
