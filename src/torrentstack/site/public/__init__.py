"""What anyone may read without an account: branding, runtime config (announce URLs), the
announcement, homepage content, public counters and the tracker's health."""
