"""Database infrastructure: engine factory, declarative base, Alembic migrations."""
