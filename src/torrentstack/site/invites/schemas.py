"""Request and response models of invitations, the member's and the admin's."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from torrentstack.site.accounts.schemas import InviteOut
from torrentstack.site.admin.schemas import Pagination, RowId
from torrentstack.site.schemas import ApiModel

InviteStatus = Literal["unused", "used", "revoked", "expired"]


class InviteView(InviteOut):
    status: InviteStatus
    used_by_username: str | None = None


class AdminInviteView(InviteView):
    created_by: int | None
    created_by_username: str | None = None


class Quota(ApiModel):
    remaining: int = Field(description="Codes the member may still create.")
    unlimited: bool = Field(description="Admins create codes without spending a quota.")


class MyInvites(Quota):
    invites: list[InviteView]


class CreatedInvite(Quota):
    success: bool = True
    invite: InviteView


class RevokedInvite(Quota):
    success: bool = True
    message: str = ""


class AdminInviteList(ApiModel):
    data: list[AdminInviteView]
    pagination: Pagination


class GenerateBody(ApiModel):
    count: int = Field(default=1, ge=1, le=100)
    expires_in_days: int | None = Field(
        default=None, ge=1, le=365, description="Left out: the codes never expire."
    )


class GeneratedInvites(ApiModel):
    success: bool = True
    codes: list[str]
    expires_at: datetime | None
    invites: list[AdminInviteView]


class GrantBody(ApiModel):
    user_id: RowId
    count: int = Field(ge=1, le=1000)


class GrantReply(ApiModel):
    success: bool = True
    user_id: int
    invites_remaining: int
