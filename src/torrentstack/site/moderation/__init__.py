"""The moderation queue: pending uploads, decisions with their messages, the per-torrent
thread between the uploader and staff."""
