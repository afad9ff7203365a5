"""Debrid services, one module each, all behind `base.Provider`; only these modules know a
service's HTTP API."""
