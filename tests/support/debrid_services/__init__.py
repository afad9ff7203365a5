"""Loopback stand-ins for the debrid services (written from their published APIs), for the
debrid bridge's tests: `catalogue` (what the "swarm" holds), `serving` (run one on 127.0.0.1)."""
