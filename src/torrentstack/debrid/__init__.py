"""The debrid bridge (Decypharr's place): the qBittorrent API for Sonarr/Radarr over debrid
services, Decypharr's `/api`, a WebDAV tree of finished items, and repair."""
