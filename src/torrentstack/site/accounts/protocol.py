"""The site's login protocol, server side and pure (INTERFACES.md "Site authentication
protocol"): proof of work, the signed login message, verifying a proof against the stored
verifier (an Ed25519 public key), stable fake salts for unknown users.

The stored verifier is a public key: a copy of the users table lets nobody log in, since a
proof is a signature only the private key (derived from the password) can make. Compare
Trackarr, which stores SHA256(PBKDF2) and compares the proof with `!==`.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

LOGIN_CONTEXT = "torrentstack-login:"
CHALLENGE_SECONDS = 300
_HEX = re.compile(r"[0-9a-f]*")
_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{1,31}")


def username_key(username: str) -> str:
    """The form usernames are unique in (case-insensitive)."""
    return username.casefold()


def valid_username(username: str) -> bool:
    """2 to 32 letters, digits, `_`, `.` or `-`, starting with a letter or digit."""
    return _USERNAME.fullmatch(username) is not None


def is_hex(text: str, length: int) -> bool:
    """`text` is `length` lower-case hex digits."""
    return len(text) == length and _HEX.fullmatch(text) is not None


def pow_solved(challenge: str, nonce: str, difficulty: int) -> bool:
    """hex(SHA-256(challenge + ":" + nonce)) starts with `difficulty` zeros."""
    if len(nonce) > 64:
        return False
    digest = hashlib.sha256(f"{challenge}:{nonce}".encode()).hexdigest()
    return digest.startswith("0" * difficulty)


def login_message(username: str, challenge: str) -> bytes:
    """What a login (or a password rotation) proof signs."""
    return f"{LOGIN_CONTEXT}{username}:{challenge}".encode()


def proof_valid(verifier: str, message: bytes, proof: str) -> bool:
    """`proof` (hex Ed25519 signature) of `message` verifies under `verifier` (hex key)."""
    if not is_hex(verifier, 64) or not is_hex(proof, 128):
        return False
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(verifier))
        key.verify(bytes.fromhex(proof), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def verifier_valid(verifier: str) -> bool:
    """`verifier` is the hex of a usable Ed25519 public key."""
    if not is_hex(verifier, 64):
        return False
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(verifier))
    except ValueError:
        return False
    return True


def fake_salt(secret: bytes, key: str) -> str:
    """A salt for an unknown user: the same on every call, unguessable without `secret`."""
    return hmac.new(secret, f"salt:{key}".encode(), hashlib.sha256).hexdigest()[:32]
