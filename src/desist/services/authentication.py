"""Sign-in, sessions and API tokens: who the acting user is, for the web app and the API.

- :func:`authenticate` checks a user name and password (argon2), records every attempt, and locks a user
  name (5 failures in 15 minutes) or a client (20 in 15 minutes) for 15 minutes. A wrong user name and a
  wrong password give the same message and take about the same time (a dummy hash is verified when
  the name is unknown), so sign-in does not tell who has an account.
- Sessions (:func:`start_session`, :func:`resolve_session`, :func:`end_session`) end after 30 minutes
  without a request and 10 hours after sign-in (settings), or when revoked; the database keeps only the
  SHA-256 of the session token.
- API tokens (:func:`issue_token`, :func:`resolve_token`) act for one user, limited to scopes (actions)
  that user's roles allow; stored hashed, revocable, optionally expiring.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from desist.domain.access import Action, Principal, parse_actions, policy
from desist.domain.errors import Forbidden, InputError, Locked, NotAuthenticated, NotFound
from desist.domain.lockout import CLIENT_RULE, USER_RULE, locked_until, minutes_left
from desist.services.unit_of_work import AbstractUnitOfWork as UnitOfWork

WRONG = "username or password is wrong"
#: a session's last_seen_at is written at most this often (each write is an audited row)
TOUCH_EVERY = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class SessionStarted:
    """A new session: the token goes in the cookie, the CSRF token in every form."""

    token: str
    csrf_token: str
    expires_at: dt.datetime
    session_id: int


@dataclass(frozen=True)
class SessionInfo:
    principal: Principal
    csrf_token: str
    session_id: int


@dataclass(frozen=True)
class IssuedToken:
    """A new API token: ``token`` is shown once and never stored."""

    id: int
    token: str
    name: str
    scopes: tuple[str, ...]
    expires_at: dt.datetime | None


@dataclass(frozen=True)
class TokenView:
    id: int
    username: str
    name: str
    scopes: tuple[str, ...]
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


def _now(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return dt.datetime.now(dt.UTC)
    return now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now.astimezone(dt.UTC)


def _client(client: str) -> str:
    return " ".join((client or "").split())[:100] or "unknown"


def _attempted_name(username: str) -> str:
    return (username or "").strip().lower()[:64]


# --- sign-in -----------------------------------------------------------------------------------------


def authenticate(
    uow: UnitOfWork, username: str, password: str, *, client: str, now: dt.datetime | None = None
) -> Principal:
    """The user signing in with ``username`` and ``password`` from ``client`` (an address).

    Raises
    ------
    NotAuthenticated
        ``username or password is wrong`` (the same for an unknown name), or the user is disabled.
    Locked
        Too many failures for this user name or from this client; says how many minutes are left.
    """
    from desist.adapters.credentials import dummy_hash, hash_password, verify_password
    from desist.services.users import principal_of

    at, name, where = _now(now), _attempted_name(username), _client(client)
    with uow:
        lock = _lock(uow, name, where, at)
        if lock is not None:
            uow.users.add_attempt(name, where, at, ok=False, refused=True)
            uow.commit()
            raise lock
        user = uow.users.by_username(name) if name else None
        ok, rehash = verify_password(user.password_hash if user else dummy_hash(), password or "")
        ok = ok and user is not None
        if ok and user is not None and user.disabled:
            uow.users.add_attempt(name, where, at, ok=False, refused=False)
            uow.commit()
            raise NotAuthenticated(f"user {name} is disabled; ask an administrator")
        uow.users.add_attempt(name, where, at, ok=ok, refused=False)
        if not ok or user is None:
            after = _lock(uow, name, where, at)  # this failure included: it may start a lockout
            uow.commit()
            if after is not None:
                raise Locked(f"{WRONG}; {after.message}", after.minutes_left)
            raise NotAuthenticated(WRONG)
        if rehash:  # hashed with older parameters: renew it while the password is at hand
            user.password_hash = hash_password(password)
        principal = principal_of(user, uow.users.roles_of(user.id))
        uow.commit()
    return principal


def _lock(uow: Any, name: str, client: str, now: dt.datetime) -> Locked | None:
    """The lockout in force for this user name or client at ``now``, if any."""
    ends = []
    since = now - USER_RULE.lookback
    last_ok = uow.users.last_success(name) if name else None
    if last_ok is not None and last_ok > since:
        since = last_ok
    user_until = locked_until(uow.users.failures(since=since, username=name), USER_RULE)
    if user_until is not None and user_until > now:
        ends.append(("this user name", user_until))
    client_until = locked_until(
        uow.users.failures(since=now - CLIENT_RULE.lookback, client=client), CLIENT_RULE
    )
    if client_until is not None and client_until > now:
        ends.append(("this address", client_until))
    if not ends:
        return None
    who, until = max(ends, key=lambda e: e[1])
    left = minutes_left(until, now)
    return Locked(
        f"sign-in for {who} is locked after repeated failures; try again in {left} minute"
        + ("s" if left != 1 else ""),
        left,
    )


# --- sessions ----------------------------------------------------------------------------------------


def start_session(uow: UnitOfWork, principal: Principal, *, now: dt.datetime | None = None) -> SessionStarted:
    """A new session for a signed-in user (call it at every sign-in: a new id, no fixation)."""
    from desist.adapters.credentials import csrf_token, new_secret, new_token
    from desist.adapters.orm_users import UserSession

    if principal.user_id is None:
        raise InputError(f"user {principal.username}: not a stored user; expected one who signed in")
    at = _now(now)
    token, hashed = new_token()
    secret = new_secret()
    with uow:
        hours = uow.settings.session_absolute_hours
        row = uow.users.add(UserSession(
            token_hash=hashed, user_id=principal.user_id, created_at=at, last_seen_at=at,
            expires_at=at + dt.timedelta(hours=hours), csrf_secret=secret,
        ))
        started = SessionStarted(token, csrf_token(secret, token), row.expires_at, row.id)
        uow.commit()
    return started


def resolve_session(uow: UnitOfWork, token: str, *, now: dt.datetime | None = None) -> SessionInfo:
    """The user of a live session, else :class:`NotAuthenticated` (unknown, expired, revoked, disabled).

    Every request of the web application asks this: the session and its user are read in one query, in a
    transaction that only reads; the session row is written (``last_seen_at``, audited) at most once a
    minute, in a short transaction of its own.
    """
    from desist.adapters.credentials import csrf_token, token_hash

    at = _now(now)
    gone = NotAuthenticated("session: signed out or expired; sign in again")
    if not token or len(token) > 200:
        raise gone
    with uow.reading():
        row = uow.users.session_with_account(token_hash(token))
        if row is None or row.revoked_at is not None or row.expires_at <= at or row.disabled:
            raise gone
        idle = dt.timedelta(minutes=uow.settings.session_idle_minutes)
        if row.last_seen_at + idle <= at:
            raise gone
        info = SessionInfo(_principal(row), csrf_token(row.csrf_secret, token), row.session_id)
    if at - row.last_seen_at >= TOUCH_EVERY:
        with uow:
            stored = uow.users.user_session(row.session_id)
            if stored is not None and stored.revoked_at is None:  # not signed out in between
                stored.last_seen_at = max(stored.last_seen_at, at)
                uow.commit()
    return info


def _principal(row: Any, scopes: frozenset[Action] | None = None) -> Principal:
    """The :class:`Principal` of a session's or token's user (a row of ``UserStore.session_with_account``)."""
    from desist.services.users import principal_of

    return principal_of(row, [r for r in (row.roles or "").split(",") if r], scopes)


def end_session(uow: UnitOfWork, token: str, *, now: dt.datetime | None = None) -> None:
    """Sign out: revoke the session of ``token`` (nothing happens for an unknown one)."""
    from desist.adapters.credentials import token_hash

    if not token or len(token) > 200:
        return
    with uow:
        row = uow.users.session_by_hash(token_hash(token))
        if row is not None and row.revoked_at is None:
            row.revoked_at = _now(now)
            uow.commit()


def revoke_all(uow: Any, user_id: int, *, tokens: bool = True, now: dt.datetime | None = None) -> int:
    """Inside a unit of work: revoke the user's open sessions (and API tokens); return how many."""
    at = _now(now)
    count = 0
    for row in uow.users.open_sessions_of(user_id):
        row.revoked_at = at
        count += 1
    if tokens:
        for tok in uow.users.tokens_of(user_id):
            if tok.revoked_at is None:
                tok.revoked_at = at
                count += 1
    return count


def revoke_sessions(uow: UnitOfWork, username: str, *, now: dt.datetime | None = None) -> int:
    """End every session of ``username`` (an administrator, or the user themselves); return how many."""
    with uow:
        user = _self_or_managed(uow, username, f"revoke the sessions of user {username}")
        count = revoke_all(uow, user.id, tokens=False, now=now)
        uow.commit()
    return count


def _self_or_managed(uow: Any, username: str, what: str) -> Any:
    from desist.services.users import _managed, normal_username

    name = normal_username(username)
    me = uow.principal
    if me.user_id is not None and me.username == name:
        user = uow.users.by_username(name)
        if user is not None:
            return user
    return _managed(uow, name, what)


# --- API tokens --------------------------------------------------------------------------------------


def issue_token(
    uow: UnitOfWork,
    *,
    username: str,
    name: str,
    scopes: Any,
    expires_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> IssuedToken:
    """A new API token for ``username`` (an administrator, or the user for themselves).

    ``scopes`` (actions) must each be allowed by one of the user's roles; the token can do no more.
    """
    from desist.adapters.credentials import API_TOKEN_PREFIX, new_token
    from desist.adapters.orm_users import ApiToken

    label = " ".join((name or "").split())
    if not label or len(label) > 100:
        raise InputError("token name: expected 1 to 100 characters saying what the token is for")
    wanted = parse_actions(scopes, where="--scope")
    if not wanted:
        raise InputError("--scope: none given; expected the actions the token may do, e.g. person.read")
    at = _now(now)
    if expires_at is not None and _now(expires_at) <= at:
        raise InputError("--expires: in the past; expected a future date")
    with uow:
        user = _self_or_managed(uow, username, f"issue a token for user {username}")
        roles = uow.users.roles_of(user.id)
        beyond = sorted(a.value for a in wanted if not roles & {r.value for r in policy().roles_for(a)})
        if beyond:
            raise Forbidden(f"token for {user.username}: the user's roles do not allow {', '.join(beyond)}")
        token, hashed = new_token(API_TOKEN_PREFIX)
        scope_text = ",".join(sorted(a.value for a in wanted))
        row = uow.users.add(ApiToken(
            token_hash=hashed, user_id=user.id, name=label, scopes=scope_text, created_at=at,
            expires_at=None if expires_at is None else _now(expires_at),
        ))
        issued = IssuedToken(row.id, token, label, tuple(scope_text.split(",")), row.expires_at)
        uow.commit()
    return issued


def resolve_token(uow: UnitOfWork, token: str, *, now: dt.datetime | None = None) -> Principal:
    """The user an API token acts for, limited to the token's scopes; else :class:`NotAuthenticated`."""
    from desist.adapters.credentials import token_hash

    at = _now(now)
    bad = NotAuthenticated("token: unknown, expired or revoked")
    if not token or len(token) > 200:
        raise bad
    with uow.reading():
        row = uow.users.token_with_account(token_hash(token))
        expired = row is not None and row.expires_at is not None and row.expires_at <= at
        if row is None or row.revoked_at is not None or expired or row.disabled:
            raise bad
        principal = _principal(row, scopes=frozenset(Action(s) for s in row.scopes.split(",") if s))
    if row.last_used_at is None or at - row.last_used_at >= TOUCH_EVERY:
        with uow:  # a short write of its own (at most once a minute)
            stored = uow.users.token(row.token_id)
            if stored is not None:
                stored.last_used_at = at if stored.last_used_at is None else max(stored.last_used_at, at)
                uow.commit()
    return principal


def revoke_token(uow: UnitOfWork, token_id: int, *, now: dt.datetime | None = None) -> TokenView:
    """Revoke an API token (an administrator, or its owner)."""
    with uow:
        row = uow.users.token(token_id)
        owner = None if row is None else uow.users.user(row.user_id)
        if row is None or owner is None:
            raise NotFound(f"token {token_id}: not found")
        try:
            _self_or_managed(uow, owner.username, f"revoke token {token_id}")
        except (NotFound, Forbidden):  # another user's token: as if it did not exist
            raise NotFound(f"token {token_id}: not found") from None
        if row.revoked_at is None:
            row.revoked_at = _now(now)
        view = _token_view(row, owner.username)
        uow.commit()
    return view


def list_tokens(uow: UnitOfWork, username: str | None = None) -> list[TokenView]:
    """API tokens: a user's own, or (an administrator) everyone's in scope, or ``username``'s."""
    with uow:
        me = uow.principal
        if username is not None:
            user = _self_or_managed(uow, username, f"list the tokens of user {username}")
            return [_token_view(t, user.username) for t in uow.users.tokens_of(user.id)]
        if not me.can(Action.USER_MANAGE):
            own = uow.users.by_username(me.username)
            return [] if own is None else [_token_view(t, own.username) for t in uow.users.tokens_of(own.id)]
        out = []
        for t in uow.users.tokens_of():
            owner = uow.users.user(t.user_id)
            if owner is not None and me.sees([owner.organisation] if not owner.national else []):
                out.append(_token_view(t, owner.username))
        return out


def _token_view(row: Any, username: str) -> TokenView:
    return TokenView(
        row.id, username, row.name, tuple(s for s in row.scopes.split(",") if s), row.created_at,
        row.expires_at, row.revoked_at, row.last_used_at,
    )
