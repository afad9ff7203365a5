"""Request and response models of the torrents domain."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from torrentstack.site.schemas import ApiModel


class FileOut(ApiModel):
    path: str
    size: int


class TorrentSummary(ApiModel):
    id: int
    info_hash: str
    name: str
    title: str
    size: int
    file_count: int
    category_id: int | None
    tags: list[str]
    uploader_id: int | None
    status: str
    is_approved: bool
    seeders: int
    leechers: int
    snatches: int
    created_at: datetime


class CommentOut(ApiModel):
    id: int
    user_id: int | None
    username: str | None
    body: str
    created_at: datetime


class TorrentDetail(TorrentSummary):
    info_hash_v2: str | None
    description: str
    nfo: str | None
    comment: str
    created_by: str
    files: list[FileOut]
    magnet_link: str
    comments: list[CommentOut]
    favorited: bool = False


class TorrentPage(ApiModel):
    torrents: list[TorrentSummary]
    page: int
    limit: int
    total: int


class UploadData(ApiModel):
    id: int
    info_hash: str
    name: str
    title: str
    size: int
    is_approved: bool
    status: str
    magnet_link: str


class UploadReply(ApiModel):
    success: bool = True
    message: str
    data: UploadData


class CheckBody(ApiModel):
    info_hash: str = Field(max_length=64)


class CheckReply(ApiModel):
    exists: bool
    torrent: TorrentSummary | None = None


class TorrentPatch(ApiModel):
    title: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=100_000)
    category_id: int | None = None
    tags: list[str] | None = Field(default=None, max_length=50)


class TagsBody(ApiModel):
    tags: list[str] = Field(max_length=50)


class CommentBody(ApiModel):
    body: str = Field(min_length=1, max_length=20_000)


class CrossSeed(ApiModel):
    info_hash: str
    title: str
    size: int
    seeders: int
    leechers: int


class CrossSeedStats(ApiModel):
    siblings: int
    seeders: int
    leechers: int
    snatches: int
    volume_share: float  # this torrent's share of the siblings' snatches
