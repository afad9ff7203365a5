"""RSS feeds as qBittorrent keeps them: the folder/feed tree, fetching and parsing, articles on
disk, and the hook the auto-downloader listens on (`session.RssSession`)."""
