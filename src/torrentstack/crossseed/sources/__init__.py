"""Where searchees come from besides the clients: a `torrentDir` of .torrent files
(`torrent_dir.py`) and the folders of `dataDirs` (`data_dirs.py`)."""
