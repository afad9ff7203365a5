"""Members: registration and login (the proof-of-work and public-key verifier protocol),
sessions, profiles, invites."""
