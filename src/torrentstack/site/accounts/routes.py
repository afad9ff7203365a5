"""`/api/auth/*`, `/api/me`, `/api/users/:id`: the login protocol's routes and profiles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from torrentstack.site.accounts import challenges, sessions
from torrentstack.site.accounts.profiles import own_profile, public_profile
from torrentstack.site.accounts.protocol import (
    fake_salt,
    is_hex,
    login_message,
    pow_solved,
    proof_valid,
    username_key,
    valid_username,
    verifier_valid,
)
from torrentstack.site.accounts.registration import register
from torrentstack.site.accounts.schemas import (
    Kdf,
    LoginBody,
    LoginChallenge,
    Me,
    MePatch,
    PasswordBody,
    PowChallenge,
    PublicUser,
    RegisterBody,
    StatusReply,
    UserReply,
)
from torrentstack.site.admin.schemas import PathId
from torrentstack.site.context import Context, Db
from torrentstack.site.errors import InvalidRequest, Missing, NotAuthenticated, PermissionDenied
from torrentstack.site.models import User
from torrentstack.site.permissions import Anyone, Member, viewer_for
from torrentstack.site.schemas import Ok

router = APIRouter(tags=["accounts"])
_FAILED = "Invalid username or password"


def _kdf(context: Context) -> Kdf:
    return Kdf(iterations=context.settings.kdf_iterations)


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _salt_ok(salt: str) -> bool:
    return 32 <= len(salt) <= 64 and len(salt) % 2 == 0 and is_hex(salt, len(salt))


@router.get("/api/auth/pow")
async def pow_challenge(db: Db, context: Context) -> PowChallenge:
    challenge = await challenges.issue(db, "pow", context.now())
    return PowChallenge(
        challenge=challenge, difficulty=context.settings.pow_difficulty, kdf=_kdf(context)
    )


@router.post("/api/auth/register", status_code=201)
async def register_member(
    body: RegisterBody, request: Request, db: Db, context: Context
) -> UserReply:
    if not valid_username(body.username):
        raise InvalidRequest("Username: 2-32 letters, digits, '_', '.' or '-'")
    if not _salt_ok(body.salt) or not verifier_valid(body.verifier):
        raise InvalidRequest("Invalid salt or verifier")
    now = context.now()
    answer = body.pow
    if not pow_solved(answer.challenge, answer.nonce, context.settings.pow_difficulty):
        raise InvalidRequest("Invalid proof of work")
    if not await challenges.consume(db, answer.challenge, "pow", now):
        raise InvalidRequest("Proof-of-work challenge unknown, expired or used")
    user = await register(
        db,
        context.settings,
        username=body.username,
        salt=body.salt,
        verifier=body.verifier,
        invite_code=body.invite,
        now=now,
        ip=_client_ip(request),
    )
    viewer = await viewer_for(db, user)
    return UserReply(user=await own_profile(db, viewer))


@router.get("/api/auth/challenge")
async def login_challenge(
    db: Db, context: Context, username: Annotated[str, Query(max_length=64)]
) -> LoginChallenge:
    key = username_key(username)
    # only a valid username can be a member's (and fits the challenge's name column): any
    # other name is looked up nowhere and gets a challenge bound to no name, opening nothing
    possible = valid_username(username)
    user = await db.scalar(select(User).where(User.username_key == key)) if possible else None
    # an unknown name gets a stable fake salt and a real-looking challenge: no enumeration
    salt = user.salt if user is not None else fake_salt(context.secret, key)
    challenge = await challenges.issue(db, "login", context.now(), key if possible else "")
    return LoginChallenge(salt=salt, challenge=challenge, kdf=_kdf(context))


@router.post("/api/auth/login")
async def login(
    body: LoginBody, request: Request, response: Response, db: Db, context: Context
) -> UserReply:
    now = context.now()
    key = username_key(body.username)
    if not await challenges.consume(db, body.challenge, "login", now, key):
        raise NotAuthenticated(_FAILED)
    user = await db.scalar(select(User).where(User.username_key == key))
    # signed over the name as typed: the challenge was issued for its case-folded form
    message = login_message(body.username, body.challenge)
    if user is None or not proof_valid(user.verifier, message, body.proof):
        raise NotAuthenticated(_FAILED)
    if sessions.banned(user, now):
        raise PermissionDenied("Account banned", data={"reason": user.ban_reason})
    token, expires = await sessions.open_session(
        db, user, now, context.settings.session_days, _client_ip(request)
    )
    user.last_seen, user.last_ip = now, _client_ip(request)
    await db.commit()
    response.set_cookie(
        sessions.COOKIE,
        token,
        expires=expires,
        path="/",
        httponly=True,
        samesite="lax",
        secure=context.settings.secure_cookies,
    )
    viewer = await viewer_for(db, user)
    return UserReply(user=await own_profile(db, viewer))


@router.post("/api/auth/logout")
async def logout(viewer: Member, response: Response, db: Db) -> Ok:
    await sessions.revoke(db, viewer.session_id)
    await db.commit()
    response.delete_cookie(sessions.COOKIE, path="/")
    return Ok(message="Logged out")


@router.get("/api/auth/status")
async def status(viewer: Anyone, db: Db) -> StatusReply:
    if viewer is None:
        return StatusReply(user=None, locale="en", theme="system")
    me = await own_profile(db, viewer)
    return StatusReply(user=me, locale=me.locale, theme=me.theme)


@router.put("/api/auth/password")
async def rotate_password(body: PasswordBody, viewer: Member, db: Db, context: Context) -> Ok:
    user = viewer.user
    if not _salt_ok(body.salt) or not verifier_valid(body.verifier):
        raise InvalidRequest("Invalid salt or verifier")
    if not await challenges.consume(db, body.challenge, "login", context.now(), user.username_key):
        raise NotAuthenticated("Challenge unknown, expired or used")
    if not proof_valid(user.verifier, login_message(user.username, body.challenge), body.proof):
        raise NotAuthenticated("The current password's proof does not verify")
    user.salt, user.verifier = body.salt, body.verifier
    await sessions.revoke_others(db, user.id, keep=viewer.session_id)
    await db.commit()
    return Ok(message="Password changed; other sessions were signed out")


@router.get("/api/me")
async def me(viewer: Member, db: Db) -> Me:
    return await own_profile(db, viewer)


@router.patch("/api/me")
async def edit_me(body: MePatch, viewer: Member, db: Db) -> Me:
    user = viewer.user
    for field, value in body.model_dump(exclude_none=True).items():
        setattr(user, field, value)
    await db.commit()
    return await own_profile(db, viewer)


@router.get("/api/users/{user_id}")
async def user_profile(user_id: PathId, db: Db) -> PublicUser:
    user = await db.get(User, user_id)
    if user is None:
        raise Missing("User not found")
    return await public_profile(db, user)
