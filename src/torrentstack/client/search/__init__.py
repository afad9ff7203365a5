"""Search: nova3 plugins run in confined subprocesses, the built-in Torznab plugin, search jobs."""
