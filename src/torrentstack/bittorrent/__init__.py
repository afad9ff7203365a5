"""Pure BitTorrent formats: bencode, info hashes, metainfo, magnets, peer ids (stdlib only, no I/O).

Import the modules themselves (`from torrentstack.bittorrent import bencode`); nothing is re-exported.
"""
