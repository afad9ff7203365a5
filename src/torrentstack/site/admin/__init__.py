"""The admin surface (`/api/admin/*`): members, bans and roles, the IP banlist, site settings,
statistics and the version; each change leaves a row in `site_audit`."""
