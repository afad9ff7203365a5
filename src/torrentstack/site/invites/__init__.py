"""Invitation codes: members spend their quota on codes, admins generate and grant them;
registration (`accounts.registration`) consumes them."""
