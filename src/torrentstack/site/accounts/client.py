"""The client side of the login protocol, for tests, the command line and as the reference for
browser implementers (WebCrypto has PBKDF2, SHA-256 and Ed25519: docs/site.md).

    salt, verifier = new_credentials(password, iterations)      # register
    proof = login_proof(password, salt, iterations, username, challenge)  # log in
"""

from __future__ import annotations

import hashlib
import itertools
import secrets

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from torrentstack.site.accounts.protocol import login_message, pow_solved


def private_key(password: str, salt: str, iterations: int) -> Ed25519PrivateKey:
    """The Ed25519 key whose 32-byte seed is PBKDF2-HMAC-SHA256(password, salt, iterations)."""
    seed = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), iterations, 32)
    return Ed25519PrivateKey.from_private_bytes(seed)


def verifier_of(key: Ed25519PrivateKey) -> str:
    """The hex of the raw public key: what the site stores."""
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def new_credentials(password: str, iterations: int) -> tuple[str, str]:
    """A fresh (salt, verifier) for registering or rotating a password."""
    salt = secrets.token_hex(16)
    return salt, verifier_of(private_key(password, salt, iterations))


def sign(key: Ed25519PrivateKey, username: str, challenge: str) -> str:
    """The hex signature proving `key` for this username and challenge."""
    return key.sign(login_message(username, challenge)).hex()


def login_proof(password: str, salt: str, iterations: int, username: str, challenge: str) -> str:
    """The `proof` of a login: the password's key signing the challenge."""
    return sign(private_key(password, salt, iterations), username, challenge)


def solve_pow(challenge: str, difficulty: int) -> str:
    """A nonce that solves the registration proof of work."""
    for n in itertools.count():
        if pow_solved(challenge, str(n), difficulty):
            return str(n)
    raise AssertionError("unreachable")  # pragma: no cover
