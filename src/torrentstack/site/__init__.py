"""The private-tracker site (replaces Trackarr): accounts, torrents, moderation, Torznab, RSS.

Each domain is a subpackage with its FastAPI router, its pydantic request/response models and
its service functions; `errors` renders every error in the document's h3 shape.
"""
