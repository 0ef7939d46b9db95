"""The queries the user services need: accounts, roles, sessions, API tokens, sign-in attempts.

Reached as ``uow.users``; every write is an ORM change, so the unit of work audits it (with the hashes
redacted, see :mod:`desist.adapters.orm_users`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Row, bindparam, func, select
from sqlalchemy.orm import Session

from desist.adapters.orm_users import ApiToken, AppUser, AppUserRole, LoginAttempt, UserSession
from desist.adapters.repositories import _add

#: PostgreSQL advisory lock key of "the first administrator is being created" (any fixed 64-bit number;
#: this is the first 8 bytes of sha256("desist:first-admin") as a signed integer)
FIRST_ADMIN_LOCK = int.from_bytes(hashlib.sha256(b"desist:first-admin").digest()[:8], "big", signed=True)

#: the account a session or token acts for, with its roles as one comma list (one query per request)
_ACCOUNT = (
    AppUser.id,
    AppUser.username,
    AppUser.display_name,
    AppUser.organisation,
    AppUser.national,
    AppUser.disabled,
    select(func.aggregate_strings(AppUserRole.role, ","))
    .where(AppUserRole.user_id == AppUser.id)
    .scalar_subquery()
    .label("roles"),
)


def _with_account(credential: type[UserSession] | type[ApiToken], id_label: str, *columns: Any) -> Any:
    """The credential row whose ``token_hash`` is the bound one: its id, ``columns``, and its account."""
    return (
        select(credential.id.label(id_label), *columns, *_ACCOUNT)
        .join(AppUser, AppUser.id == credential.user_id)
        .where(credential.token_hash == bindparam("token_hash"))
    )


# built once: every request resolves its session or token with these
_SESSION_WITH_ACCOUNT = _with_account(
    UserSession,
    "session_id",
    UserSession.last_seen_at,
    UserSession.expires_at,
    UserSession.revoked_at,
    UserSession.csrf_secret,
)
_TOKEN_WITH_ACCOUNT = _with_account(
    ApiToken, "token_id", ApiToken.scopes, ApiToken.expires_at, ApiToken.revoked_at, ApiToken.last_used_at
)


class UserStore:
    """Accounts and credentials on the unit of work's session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # --- accounts -------------------------------------------------------------------------------------
    def add(self, row: Any) -> Any:
        """Store a new row now (ids assigned); a broken rule (a taken user name) is a Conflict."""
        return _add(self.session, row)

    def by_username(self, username: str) -> AppUser | None:
        return self.session.scalars(select(AppUser).where(AppUser.username == username)).first()

    def user(self, user_id: int) -> AppUser | None:
        return self.session.get(AppUser, user_id)

    def count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(AppUser)) or 0)

    def hold_first_admin(self) -> None:
        """Take the first-administrator lock until this transaction ends, so that "no user exists yet" stays
        true while the first administrator is stored: two first-administrator requests at once then run one
        after the other, and the second finds the first's account.

        PostgreSQL: a transaction-level advisory lock (``pg_advisory_xact_lock``, released at commit or
        rollback; other account writes are not blocked). SQLite: nothing to do, every transaction that may
        write begins with ``BEGIN IMMEDIATE`` (:mod:`desist.adapters.engine`), which holds the database's
        one write lock already.
        """
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(select(func.pg_advisory_xact_lock(FIRST_ADMIN_LOCK)))

    def all_users(self) -> list[AppUser]:
        return list(self.session.scalars(select(AppUser).order_by(AppUser.username)))

    def roles_of(self, user_id: int) -> frozenset[str]:
        return frozenset(self.session.scalars(select(AppUserRole.role).where(AppUserRole.user_id == user_id)))

    def roles_by_user(self) -> dict[int, frozenset[str]]:
        out: dict[int, set[str]] = {}
        for uid, role in self.session.execute(select(AppUserRole.user_id, AppUserRole.role)):
            out.setdefault(uid, set()).add(role)
        return {uid: frozenset(roles) for uid, roles in out.items()}

    def set_roles(self, user_id: int, roles: Iterable[str]) -> None:
        """Make the user's roles exactly ``roles`` (rows added and deleted through the ORM: audited)."""
        wanted = set(roles)
        rows = list(self.session.scalars(select(AppUserRole).where(AppUserRole.user_id == user_id)))
        for row in rows:
            if row.role not in wanted:
                self.session.delete(row)
        for role in sorted(wanted - {r.role for r in rows}):
            self.session.add(AppUserRole(user_id=user_id, role=role))
        self.session.flush()

    def enabled_users_with_role(self, role: str) -> list[AppUser]:
        return list(
            self.session.scalars(
                select(AppUser)
                .join(AppUserRole, AppUserRole.user_id == AppUser.id)
                .where(AppUserRole.role == role, AppUser.disabled.is_(False))
            )
        )

    # --- sessions and tokens --------------------------------------------------------------------------
    def session_by_hash(self, token_hash: str) -> UserSession | None:
        return self.session.scalars(select(UserSession).where(UserSession.token_hash == token_hash)).first()

    def session_with_account(self, token_hash: str) -> Row[Any] | None:
        """The session stored under ``token_hash`` with its user, in one query: a plain row of session_id,
        last_seen_at, expires_at, revoked_at, csrf_secret, then the user's id, username, display_name,
        organisation, national, disabled, and roles (a comma list, or None)."""
        return self.session.execute(_SESSION_WITH_ACCOUNT, {"token_hash": token_hash}).first()

    def token_with_account(self, token_hash: str) -> Row[Any] | None:
        """The API token stored under ``token_hash`` with its user, in one query: a plain row of token_id,
        scopes, expires_at, revoked_at, last_used_at, then the user as in :meth:`session_with_account`."""
        return self.session.execute(_TOKEN_WITH_ACCOUNT, {"token_hash": token_hash}).first()

    def user_session(self, session_id: int) -> UserSession | None:
        return self.session.get(UserSession, session_id)

    def open_sessions_of(self, user_id: int) -> list[UserSession]:
        return list(
            self.session.scalars(
                select(UserSession)
                .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
                .order_by(UserSession.id)
            )
        )

    def token(self, token_id: int) -> ApiToken | None:
        return self.session.get(ApiToken, token_id) if 0 <= token_id < 2**31 else None

    def tokens_of(self, user_id: int | None = None) -> list[ApiToken]:
        stmt = select(ApiToken).order_by(ApiToken.id)
        if user_id is not None:
            stmt = stmt.where(ApiToken.user_id == user_id)
        return list(self.session.scalars(stmt))

    # --- sign-in attempts -----------------------------------------------------------------------------
    def add_attempt(self, username: str, client: str, at: dt.datetime, ok: bool, refused: bool) -> None:
        self.session.add(LoginAttempt(username=username, client=client, at=at, ok=ok, refused=refused))
        self.session.flush()

    def failures(
        self, *, since: dt.datetime, username: str | None = None, client: str | None = None
    ) -> list[dt.datetime]:
        """Times of counted failures (not refusals during a lockout) since ``since``, oldest first."""
        stmt = select(LoginAttempt.at).where(
            LoginAttempt.at > since, LoginAttempt.ok.is_(False), LoginAttempt.refused.is_(False)
        )
        if username is not None:
            stmt = stmt.where(LoginAttempt.username == username)
        if client is not None:
            stmt = stmt.where(LoginAttempt.client == client)
        return list(self.session.scalars(stmt.order_by(LoginAttempt.at, LoginAttempt.id)))

    def last_success(self, username: str) -> dt.datetime | None:
        return self.session.scalar(
            select(func.max(LoginAttempt.at)).where(
                LoginAttempt.username == username, LoginAttempt.ok.is_(True)
            )
        )
