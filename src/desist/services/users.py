"""User accounts: add, disable, enable, grant and revoke roles, set passwords, list; the acting user.

Only administrators (``user.manage``) manage accounts. An administrator without national access manages
users of their own organisation only (others are "not found") and may not grant national access. The
first administrator is created without anyone signed in, once, when no user exists.

Sign-in, sessions and API tokens are in :mod:`desist.services.authentication` (re-exported here).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from desist.adapters.orm_users import USERNAME_PATTERN, AppUser
from desist.domain.access import Action, Principal, StaffRole, parse_roles
from desist.domain.errors import Conflict, Forbidden, InputError, NotFound
from desist.services.unit_of_work import AbstractUnitOfWork as UnitOfWork

MIN_PASSWORD = 12
MAX_PASSWORD = 1024
_USERNAME = re.compile(USERNAME_PATTERN)


@dataclass(frozen=True)
class UserView:
    """An account as shown to administrators (never the password hash)."""

    id: int
    username: str
    display_name: str | None
    organisation: str | None
    national: bool
    disabled: bool
    roles: tuple[str, ...]
    created_at: dt.datetime
    password_changed_at: dt.datetime


def normal_username(username: str) -> str:
    """The stored form of a user name (lower case), or one line saying what a user name may be."""
    name = (username or "").strip().lower()
    if not _USERNAME.match(name):
        shown = (username or "")[:70]
        raise InputError(
            f"username {shown!r}: expected 2 to 64 characters: letters, digits, '.', '-' or '_', "
            "starting with a letter or digit"
        )
    return name


def check_password(password: str, username: str) -> None:
    """The password policy: at least 12 characters, not the user name (nor a case variant of it)."""
    if len(password) < MIN_PASSWORD:
        raise InputError(
            f"password: too short ({len(password)} characters); expected at least {MIN_PASSWORD}"
        )
    if len(password) > MAX_PASSWORD:
        raise InputError(f"password: too long; expected at most {MAX_PASSWORD} characters")
    if password.strip().lower() == username.strip().lower():
        raise InputError("password: the same as the user name; expected something else")


def _organisation(value: str | None) -> str | None:
    if value is None:
        return None
    text = " ".join(value.split())
    if not text:
        return None
    if len(text) > 100:
        raise InputError("organisation: longer than 100 characters; expected a prison or probation region")
    return text


def _roles(values: Iterable[str | StaffRole]) -> frozenset[StaffRole]:
    return parse_roles(values, where="--role")


def _view(user: AppUser, roles: Iterable[str]) -> UserView:
    return UserView(
        user.id, user.username, user.display_name, user.organisation, bool(user.national),
        bool(user.disabled), tuple(sorted(roles)), user.created_at, user.password_changed_at,
    )


def principal_of(user: Any, roles: Iterable[str], scopes: frozenset[Action] | None = None) -> Principal:
    """The :class:`Principal` of a stored user (an ``AppUser``, or a row with its columns)."""
    return Principal(
        user.username,
        frozenset(StaffRole(r) for r in roles),
        organisation=user.organisation,
        national=bool(user.national),
        user_id=user.id,
        display_name=user.display_name,
        scopes=scopes,
    )


def _managed(uow: UnitOfWork, username: str, what: str) -> AppUser:
    """The user ``username``, if the acting administrator may manage them (else Forbidden / NotFound)."""
    me = uow.principal
    me.require(Action.USER_MANAGE, what)
    name = normal_username(username)
    user = uow.users.by_username(name)
    if user is None or not me.sees([user.organisation] if not user.national else []):
        raise NotFound(f"user {name}: not found")
    return user


def _check_grantable(me: Principal, organisation: str | None, national: bool, what: str) -> None:
    if me.national:
        return
    if national:
        raise Forbidden(f"{what}: only an administrator with national access may grant national access")
    if not me.sees([organisation]):
        raise Forbidden(
            f"{what}: an administrator of {me.organisation} may manage users of {me.organisation} only"
        )


def _keep_an_admin(uow: UnitOfWork, user: AppUser, what: str) -> None:
    others = [u for u in uow.users.enabled_users_with_role(StaffRole.ADMIN.value) if u.id != user.id]
    if not others:
        raise Conflict(f"{what}: {user.username} is the last enabled administrator; add another first")


# --- use cases ---------------------------------------------------------------------------------------


def add_user(
    uow: UnitOfWork,
    *,
    username: str,
    password: str,
    roles: Iterable[str | StaffRole],
    organisation: str | None = None,
    national: bool = False,
    display_name: str | None = None,
) -> UserView:
    """Add a user with ``roles`` in ``organisation`` (or with national access)."""
    from desist.adapters.credentials import hash_password
    from desist.adapters.orm_users import AppUser

    name = normal_username(username)
    what = f"add user {name}"
    with uow:
        me = uow.principal
        me.require(Action.USER_MANAGE, what)
        org = _organisation(organisation)
        granted = _roles(roles)
        _check_new(name, password, granted, org, national)
        _check_grantable(me, org, national, what)
        if uow.users.by_username(name) is not None:
            raise Conflict(f"{what}: user name {name} is taken")
        user = uow.users.add(AppUser(
            username=name, display_name=_display(display_name), password_hash=hash_password(password),
            organisation=org, national=national, disabled=False,
        ))
        uow.users.set_roles(user.id, [r.value for r in granted])
        view = _view(user, [r.value for r in granted])
        uow.commit()
    return view


def add_users(
    uow: UnitOfWork, accounts: Iterable[tuple[str, Iterable[str], str | None, bool]], *, password: str
) -> list[UserView]:
    """Add several users sharing one password, hashed once (the demo's documented accounts).

    ``accounts`` are ``(username, roles, organisation, national)``; the same checks as :func:`add_user`.
    """
    from desist.adapters.credentials import hash_password
    from desist.adapters.orm_users import AppUser

    hashed = None
    views = []
    with uow:
        me = uow.principal
        for username, roles, organisation, national in accounts:
            name = normal_username(username)
            what = f"add user {name}"
            me.require(Action.USER_MANAGE, what)
            org, granted = _organisation(organisation), _roles(roles)
            _check_new(name, password, granted, org, national)
            _check_grantable(me, org, national, what)
            if uow.users.by_username(name) is not None:
                raise Conflict(f"{what}: user name {name} is taken")
            hashed = hashed or hash_password(password)
            user = uow.users.add(AppUser(
                username=name, password_hash=hashed, organisation=org, national=national, disabled=False
            ))
            uow.users.set_roles(user.id, [r.value for r in granted])
            views.append(_view(user, [r.value for r in granted]))
        uow.commit()
    return views


def _check_new(
    name: str, password: str, roles: frozenset[StaffRole], org: str | None, national: bool
) -> None:
    if not roles:
        raise InputError(f"user {name}: no role; expected --role with one of {', '.join(StaffRole)}")
    if not org and not national:
        raise InputError(f"user {name}: no organisation; expected --organisation (or --national)")
    check_password(password, name)


def _display(value: str | None) -> str | None:
    text = " ".join((value or "").split())
    if len(text) > 200:
        raise InputError("display name: longer than 200 characters")
    return text or None


def create_first_admin(
    uow_factory: Callable[[], Any],
    *,
    username: str,
    password: str,
    organisation: str | None = None,
    national: bool = True,
    display_name: str | None = None,
) -> UserView:
    """Create the first administrator, with nobody signed in: only while no user exists at all.

    Two requests at once (two ``desist user add --first-admin`` started together) cannot both succeed: the
    first-administrator lock is held from the check to the commit (``uow.users.hold_first_admin``), so the
    second sees the first administrator and is refused.
    """
    from desist.adapters.credentials import hash_password
    from desist.adapters.orm_users import AppUser

    name = normal_username(username)
    org = _organisation(organisation)
    _check_new(name, password, frozenset({StaffRole.ADMIN}), org, national)
    with uow_factory() as uow:
        uow.users.hold_first_admin()  # a concurrent first administrator waits here, then finds this one
        if uow.users.count():
            raise Forbidden(
                "first administrator: users exist already; an administrator adds users "
                "(desist user add --as ADMIN)"
            )
        user = uow.users.add(AppUser(
            username=name, display_name=_display(display_name), password_hash=hash_password(password),
            organisation=org, national=national, disabled=False,
        ))
        uow.users.set_roles(user.id, [StaffRole.ADMIN.value])
        view = _view(user, [StaffRole.ADMIN.value])
        uow.commit()
    return view


def disable_user(uow: UnitOfWork, username: str) -> UserView:
    """Disable a user: they can no longer sign in or act; their sessions and API tokens are revoked."""
    from desist.services.authentication import revoke_all

    with uow:
        user = _managed(uow, username, f"disable user {username}")
        if user.id == uow.principal.user_id:
            raise Forbidden(f"disable user {user.username}: an administrator cannot disable themselves")
        if StaffRole.ADMIN.value in uow.users.roles_of(user.id):
            _keep_an_admin(uow, user, f"disable user {user.username}")
        user.disabled = True
        revoke_all(uow, user.id)
        view = _view(user, uow.users.roles_of(user.id))
        uow.commit()
    return view


def enable_user(uow: UnitOfWork, username: str) -> UserView:
    """Enable a disabled user again (with the roles they had)."""
    with uow:
        user = _managed(uow, username, f"enable user {username}")
        user.disabled = False
        view = _view(user, uow.users.roles_of(user.id))
        uow.commit()
    return view


def grant(
    uow: UnitOfWork,
    username: str,
    roles: Iterable[str | StaffRole] = (),
    *,
    national: bool | None = None,
    organisation: str | None = None,
) -> UserView:
    """Add roles to a user; optionally give or take national access, or move them to ``organisation``."""
    with uow:
        what = f"grant user {username}"
        user = _managed(uow, username, what)
        me = uow.principal
        org = _organisation(organisation) if organisation is not None else user.organisation
        new_national = bool(user.national) if national is None else national
        if national is not None or organisation is not None:
            _check_grantable(me, org, bool(national), what)
        if not org and not new_national:
            raise InputError(f"{what}: no organisation; expected --organisation with --no-national")
        current = uow.users.roles_of(user.id)
        added = {r.value for r in _roles(roles)}
        user.organisation, user.national = org, new_national
        uow.users.set_roles(user.id, current | added)
        view = _view(user, current | added)
        uow.commit()
    return view


def revoke_roles(uow: UnitOfWork, username: str, roles: Iterable[str | StaffRole]) -> UserView:
    """Take roles from a user (a user left with no role can sign in but do nothing)."""
    with uow:
        what = f"revoke roles of user {username}"
        user = _managed(uow, username, what)
        current = uow.users.roles_of(user.id)
        taken = {r.value for r in _roles(roles)}
        if StaffRole.ADMIN.value in taken & current:
            _keep_an_admin(uow, user, what)
        uow.users.set_roles(user.id, current - taken)
        view = _view(user, current - taken)
        uow.commit()
    return view


def set_password(
    uow: UnitOfWork, username: str, new_password: str, *, now: dt.datetime | None = None
) -> UserView:
    """Set a user's password (an administrator, or the user themselves); their sessions end."""
    from desist.adapters.credentials import hash_password
    from desist.services.authentication import revoke_all

    with uow:
        name = normal_username(username)
        me = uow.principal
        if me.user_id is not None and me.username == name:
            user = uow.users.by_username(name)
            if user is None:
                raise NotFound(f"user {name}: not found")
        else:
            user = _managed(uow, name, f"set the password of user {name}")
        check_password(new_password, name)
        user.password_hash = hash_password(new_password)
        user.password_changed_at = now or dt.datetime.now(dt.UTC)
        revoke_all(uow, user.id, tokens=False, now=now)
        view = _view(user, uow.users.roles_of(user.id))
        uow.commit()
    return view


def list_users(uow: UnitOfWork) -> list[UserView]:
    """Every user the acting administrator may manage, by user name."""
    with uow:
        me = uow.principal
        me.require(Action.USER_MANAGE, "list users")
        roles = uow.users.roles_by_user()
        return [
            _view(u, roles.get(u.id, ()))
            for u in uow.users.all_users()
            if me.sees([u.organisation] if not u.national else [])
        ]


def principal_for(uow: Any, username: str) -> Principal:
    """The acting user ``username`` (the CLI's ``--as``): an enabled, stored user, else one line."""
    name = normal_username(username)
    with uow:
        user = uow.users.by_username(name)
        if user is None:
            raise NotFound(f"user {name}: not found; an administrator adds users with `desist user add`")
        if user.disabled:
            raise Forbidden(f"user {name} is disabled; an administrator can enable them again")
        return principal_of(user, uow.users.roles_of(user.id))


from desist.services.authentication import (  # noqa: E402  (re-exported: one module for the web app)
    IssuedToken,
    SessionInfo,
    SessionStarted,
    TokenView,
    authenticate,
    end_session,
    issue_token,
    list_tokens,
    resolve_session,
    resolve_token,
    revoke_sessions,
    revoke_token,
    start_session,
)

__all__ = [
    "IssuedToken", "SessionInfo", "SessionStarted", "TokenView", "UserView", "add_user", "add_users",
    "authenticate",
    "create_first_admin", "disable_user", "enable_user", "end_session", "grant", "issue_token",
    "list_tokens", "list_users", "principal_for", "resolve_session", "resolve_token", "revoke_roles",
    "revoke_sessions", "revoke_token", "set_password", "start_session",
]
