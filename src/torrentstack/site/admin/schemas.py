"""Request and response models of the admin surface: members, bans, roles, bonus points, the
IP banlist, statistics and the version."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, AwareDatetime, Field, model_validator

from torrentstack.site.schemas import ApiModel, Page

MAX_ID = 2_147_483_647  # the id columns are 32-bit: a larger id is bad input, not a 500
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59-14:00 has no UTC time
        raise ValueError("date out of range") from None


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_in_utc)]
RoleName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^\S(.*\S)?$")]
Color = Annotated[str, Field(max_length=16, pattern=r"^(|#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6})$")]
Permissions = Annotated[list[str], Field(max_length=32)]
Reason = Annotated[str, Field(min_length=1, max_length=500)]


class Pagination(Page):
    pages: int


class AdminUser(ApiModel):
    id: int
    username: str
    display_name: str
    roles: list[str]
    created_at: datetime
    last_seen: datetime | None
    last_ip: str | None
    uploaded: int
    downloaded: int
    ratio: float | None
    bonus_points: int
    invites_remaining: int
    invited_by: int | None
    banned: bool = Field(description="A ban is in force now (an expired one reads false).")
    banned_until: datetime | None = Field(description="null with a ban: permanent.")
    ban_reason: str | None
    banned_by: int | None


class UserKpis(ApiModel):
    total: int
    banned: int
    admins: int = Field(description="Members who may access the admin surface, not banned.")
    moderators: int = Field(description="Members who may moderate (admins too), not banned.")
    joined_last7_days: int


class UserDirectory(ApiModel):
    data: list[AdminUser]
    pagination: Pagination
    kpis: UserKpis


class UserReply(ApiModel):
    success: bool = True
    user: AdminUser


class BanBody(ApiModel):
    reason: Reason
    duration_days: int | None = Field(
        default=None, ge=1, le=36_500, description="Days the ban lasts; left out: for good."
    )


class BanReply(UserReply):
    banned_ip: str | None = Field(
        description="The address put on the IP banlist (none: unknown, loopback or yours)."
    )


class RoleOut(ApiModel):
    id: int
    name: str
    color: str
    permissions: list[str]
    system: bool
    members: int = 0


class RoleList(ApiModel):
    roles: list[RoleOut]
    permissions: list[str] = Field(description="Every permission name a role may grant.")


class RoleBody(ApiModel):
    name: RoleName
    color: Color = ""
    permissions: Permissions = Field(default_factory=list)


class RolePatch(ApiModel):
    name: RoleName | None = None
    color: Color | None = None
    permissions: Permissions | None = None


class RoleReply(ApiModel):
    success: bool = True
    role: RoleOut


class UserRoles(ApiModel):
    user_id: int
    roles: list[RoleOut]


class AttachRoleBody(ApiModel):
    role_id: RowId


class SingleRoleBody(ApiModel):
    """Deprecated: `roleId` (null: none beyond `user`), or the legacy flags `isAdmin` and
    `isModerator`, which pick the admin or moderator role."""

    role_id: RowId | None = None
    is_admin: bool | None = None
    is_moderator: bool | None = None

    @model_validator(mode="after")
    def _one_form(self) -> SingleRoleBody:
        flags = self.is_admin is not None or self.is_moderator is not None
        if flags == ("role_id" in self.model_fields_set):
            raise ValueError("Give roleId, or isAdmin/isModerator")
        return self


class RecomputeReply(ApiModel):
    """Roles have no auto-assignment rules here (none can be set), so a recompute changes
    nothing: `recomputed` is always 0."""

    success: bool = True
    recomputed: int = Field(default=0, description="Members whose roles changed: always 0.")
    rules: int = Field(default=0, description="Auto-assignment rules evaluated: always 0.")


class BonusBody(ApiModel):
    amount: int = Field(ge=-1_000_000_000, le=1_000_000_000, description="Added; < 0 removes.")
    reason: Reason

    @model_validator(mode="after")
    def _not_zero(self) -> BonusBody:
        if self.amount == 0:
            raise ValueError("amount must not be 0")
        return self


class BonusReply(ApiModel):
    success: bool = True
    user_id: int
    amount: int
    bonus_points: int = Field(description="The balance after the change.")


class BannedIpOut(ApiModel):
    ip: str = Field(description="An address or a network (CIDR).")
    reason: str
    created_at: datetime
    expires_at: datetime | None
    active: bool


class BannedIpList(ApiModel):
    banned_ips: list[BannedIpOut]


class BannedIpBody(ApiModel):
    ip: str = Field(max_length=64, description="An IPv4/IPv6 address or network (CIDR).")
    reason: str = Field(default="", max_length=500)
    expires_at: UtcDatetime | None = None


class BannedIpReply(ApiModel):
    success: bool = True
    banned_ip: BannedIpOut


class TorrentCounts(ApiModel):
    total: int = Field(description="Torrents not deleted.")
    by_status: dict[str, int]
    deleted: int


class PeerCounts(ApiModel):
    seeders: int
    leechers: int
    peers: int


class InviteCounts(ApiModel):
    unused: int
    used: int


class DatabaseInfo(ApiModel):
    backend: str
    size_bytes: int | None = Field(description="null: the backend does not tell cheaply.")


class AdminStats(ApiModel):
    users: UserKpis
    torrents: TorrentCounts
    peers: PeerCounts
    invites: InviteCounts
    database: DatabaseInfo


class VersionInfo(ApiModel):
    version: str
    commit: str | None = Field(description="The VCS commit installed from, when known.")
    runtime: str
    python: str
