"""Helpers shared by test packages; conftest.py files hold fixtures only."""
