"""Password hashes (argon2id through argon2-cffi) and random tokens stored as SHA-256 hashes.

A token is 32 random bytes (URL-safe text); the database keeps only its SHA-256, so a copy of the database
gives no usable session or API token. Passwords are hashed with argon2-cffi's current defaults (argon2id,
RFC 9106 low-memory profile); a hash made with older parameters is replaced at the next sign-in.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import secrets
import threading

TOKEN_BYTES = 32
#: argon2 takes 64 MiB (its memory cost) and a quarter of a second of CPU per hash: a burst of sign-ins on
#: the web server's threads hashes at most this many at once (one per core, at most 4), so it cannot run
#: the server out of memory; more at once would not finish sooner
_HASHING = threading.BoundedSemaphore(max(1, min(4, os.cpu_count() or 1)))
#: API tokens start with this, so a leaked one is recognisable (secret scanners, logs)
API_TOKEN_PREFIX = "dst_"


@functools.cache
def _hasher() -> object:
    from argon2 import PasswordHasher  # loaded by the commands that hash or verify only

    return PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (salted; each call gives a different text)."""
    with _HASHING:
        return _hasher().hash(password)  # type: ignore[attr-defined, no-any-return]


def verify_password(stored_hash: str, password: str) -> tuple[bool, bool]:
    """``(matches, needs_rehash)``: whether ``password`` matches, and whether its hash should be renewed."""
    from argon2.exceptions import InvalidHashError, VerificationError

    hasher = _hasher()
    try:
        with _HASHING:
            hasher.verify(stored_hash, password)  # type: ignore[attr-defined]
    except (VerificationError, InvalidHashError):
        return False, False
    return True, bool(hasher.check_needs_rehash(stored_hash))  # type: ignore[attr-defined]


@functools.cache
def dummy_hash() -> str:
    """A hash of a random password, verified when a user name is unknown (same work, same time)."""
    return hash_password(secrets.token_urlsafe(24))


def new_token(prefix: str = "") -> tuple[str, str]:
    """A fresh random token and the hash to store: ``(token, sha256 hex)``."""
    token = prefix + secrets.token_urlsafe(TOKEN_BYTES)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    """The SHA-256 (hex) under which a token is stored and looked up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_secret() -> str:
    """A random 32-byte secret as 64 hex digits (a session's CSRF secret)."""
    return secrets.token_hex(TOKEN_BYTES)


def csrf_token(secret: str, session_token: str) -> str:
    """The CSRF token of a session: HMAC-SHA256(secret, session token); neither alone gives it."""
    return hmac.new(secret.encode("ascii"), session_token.encode("utf-8"), hashlib.sha256).hexdigest()
