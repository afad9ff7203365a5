"""The cross-seed service, being built: a daemon that finds the same content on other trackers
and seeds it from the data already on disk, replacing cross-seed v6. So far it holds only
`release`, the pure parsing of release names that its matching will use."""
