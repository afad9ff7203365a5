"""Request and response models of registration, login, profiles and invites."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from torrentstack.site.schemas import ApiModel


class Kdf(ApiModel):
    name: str = "pbkdf2-sha256"
    iterations: int


class PowChallenge(ApiModel):
    challenge: str
    difficulty: int
    kdf: Kdf


class PowAnswer(ApiModel):
    challenge: str = Field(max_length=64)
    nonce: str = Field(max_length=64)


class RegisterBody(ApiModel):
    username: str = Field(max_length=32)
    salt: str = Field(max_length=64)
    verifier: str = Field(max_length=64)
    invite: str | None = Field(default=None, max_length=64)
    pow: PowAnswer


class LoginChallenge(ApiModel):
    salt: str
    challenge: str
    kdf: Kdf


class LoginBody(ApiModel):
    username: str = Field(max_length=64)
    challenge: str = Field(max_length=64)
    proof: str = Field(max_length=256)


class PasswordBody(ApiModel):
    challenge: str = Field(max_length=64)
    proof: str = Field(max_length=256)
    salt: str = Field(max_length=64)
    verifier: str = Field(max_length=64)


class PublicUser(ApiModel):
    id: int
    username: str
    display_name: str
    roles: list[str]
    created_at: datetime
    last_seen: datetime | None
    uploaded: int
    downloaded: int
    ratio: float | None
    uploads: int = 0


class Me(PublicUser):
    passkey: str
    torznab_key: str | None
    bio: str
    locale: str
    theme: str
    hide_last_seen: bool
    bonus_points: int
    invites_remaining: int
    permissions: list[str]


class UserReply(ApiModel):
    user: Me


class StatusReply(ApiModel):
    user: Me | None
    locale: str
    theme: str


class MePatch(ApiModel):
    display_name: str | None = Field(default=None, max_length=64)
    bio: str | None = Field(default=None, max_length=10_000)
    locale: str | None = Field(default=None, max_length=16)
    theme: str | None = Field(default=None, pattern="^(light|dark|system)$")
    hide_last_seen: bool | None = None


class InviteOut(ApiModel):
    id: int
    code: str
    created_at: datetime
    expires_at: datetime | None
    used_by: int | None
    used_at: datetime | None
    revoked: bool


class InviteList(ApiModel):
    invites_remaining: int
    invites: list[InviteOut]
