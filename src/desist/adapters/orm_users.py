"""Storage tables for user accounts: users and their roles, sessions, API tokens, sign-in attempts.

Registered on :class:`desist.adapters.orm.Base` (``orm`` imports this module), created by migration 0009.

No secret is stored: passwords as argon2id hashes, session and API tokens as the SHA-256 of a 32-byte
random token (the token itself exists only in the user's cookie or client). Columns holding a hash or a
secret carry ``info={"secret": True}``: the audit trail writes ``"[redacted]"`` for them, and the account
tables are never exported (:data:`ACCOUNT_TABLES`).
"""

# No ``from __future__ import annotations``: SQLAlchemy would evaluate each annotation again (see orm).
import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from desist.adapters.orm import Base, UtcDateTime, _in, utcnow
from desist.domain.access import StaffRole

STAFF_ROLES = tuple(r.value for r in StaffRole)
#: tables holding accounts and credentials: never exported, never in a table dump
ACCOUNT_TABLES = ("app_user", "app_user_role", "user_session", "api_token", "login_attempt")
SECRET = {"secret": True}
#: user names: lower-case letters, digits, dot, dash, underscore (stored lower-case, so unique without case)
USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,63}$"


class AppUser(Base):
    """A member of staff who may sign in (web) or act (CLI ``--as``)."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200), info=SECRET)
    # a prison ("HMP Whatton") or probation region; NULL only with national access
    organisation: Mapped[str | None] = mapped_column(String(100))
    national: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    password_changed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    __table_args__ = (
        CheckConstraint("username = lower(username)", name="username_lower"),
        CheckConstraint("national OR organisation IS NOT NULL", name="organisation_or_national"),
    )


class AppUserRole(Base):
    """One role a user holds (a user may hold several)."""

    __tablename__ = "app_user_role"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(30), primary_key=True)
    __table_args__ = (CheckConstraint(_in("role", STAFF_ROLES), name="role"),)


class UserSession(Base):
    """A signed-in browser session: revocable, with idle and absolute timeouts."""

    __tablename__ = "user_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, info=SECRET)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    # the CSRF token is HMAC(csrf_secret, session token): neither alone gives it
    csrf_secret: Mapped[str] = mapped_column(String(64), info=SECRET)


class ApiToken(Base):
    """A bearer token for a service client, limited to ``scopes`` (a comma list of actions)."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, info=SECRET)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    scopes: Mapped[str] = mapped_column(String(500))  # every action's name fits in under 400
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())


class LoginAttempt(Base):
    """Every sign-in attempt, for lockout (per user name and per client) and review.

    ``refused`` marks an attempt turned away because a lockout was already in force (not counted again).
    """

    __tablename__ = "login_attempt"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    ok: Mapped[bool] = mapped_column(Boolean)
    client: Mapped[str] = mapped_column(String(100))
    refused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    __table_args__ = (
        Index("ix_login_attempt_username_at", "username", "at"),
        Index("ix_login_attempt_client_at", "client", "at"),
    )


__all__ = ["ACCOUNT_TABLES", "ApiToken", "AppUser", "AppUserRole", "LoginAttempt", "UserSession"]
