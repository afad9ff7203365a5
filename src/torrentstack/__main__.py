"""Run the command line as `python -m torrentstack`."""

from __future__ import annotations

from torrentstack.cli import main

main()
