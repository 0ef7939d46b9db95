"""User accounts, sign-in, lockout, sessions and API tokens on SQLite and PostgreSQL (services.users)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from desist.adapters.orm import AuditLog
from desist.adapters.orm_users import ApiToken, AppUser, LoginAttempt, UserSession
from desist.domain.access import Action, Principal, StaffRole
from desist.domain.errors import Conflict, Forbidden, InputError, Locked, NotAuthenticated, NotFound
from desist.services import users as svc

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
PASSWORD = "correct horse battery"
ADMIN_PASSWORD = "admin password 1234"


def minutes(n: float) -> dt.timedelta:
    return dt.timedelta(minutes=n)


@pytest.fixture
def admin(uow_factory) -> Principal:  # type: ignore[no-untyped-def]
    view = svc.create_first_admin(
        lambda: uow_factory("system:first-admin"), username="Ada", password=ADMIN_PASSWORD
    )
    assert (view.username, view.roles, view.national, view.organisation) == ("ada", ("admin",), True, None)
    return svc.principal_for(uow_factory("lookup"), "ada")


def add(uow_factory, admin: Principal, name: str, *roles: str, org: str | None = "HMP Whatton", **kw):
    password = kw.pop("password", PASSWORD)
    return svc.add_user(
        uow_factory(admin), username=name, password=password, roles=roles or ("referrer",),
        organisation=org, **kw,
    )


def test_first_admin_once_then_users_added_by_an_admin(uow_factory, admin) -> None:
    with pytest.raises(Forbidden, match="users exist already"):
        svc.create_first_admin(lambda: uow_factory("system"), username="eve", password=ADMIN_PASSWORD)
    rita = add(uow_factory, admin, "Rita.Smith", "referrer", "programme-team", display_name=" Rita  Smith ")
    assert (rita.username, rita.roles, rita.organisation, rita.display_name) == (
        "rita.smith", ("programme_team", "referrer"), "HMP Whatton", "Rita Smith")
    with pytest.raises(Conflict, match="user name rita.smith is taken"):
        add(uow_factory, admin, "RITA.SMITH")
    with pytest.raises(InputError, match="too short"):
        add(uow_factory, admin, "bob", password="short")
    with pytest.raises(InputError, match="the same as the user name"):
        add(uow_factory, admin, "bob.jones.long", password="Bob.Jones.Long")
    with pytest.raises(InputError, match="not a role"):
        add(uow_factory, admin, "bob", "judge")
    with pytest.raises(InputError, match="username 'b o b'"):
        add(uow_factory, admin, "b o b")
    with pytest.raises(InputError, match="no organisation"):
        add(uow_factory, admin, "bob", org=None)
    # someone who is not an administrator may not add users
    rita_p = svc.principal_for(uow_factory("lookup"), "rita.smith")
    with pytest.raises(Forbidden, match="rita.smith .* may not; needs admin"):
        add(uow_factory, rita_p, "bob")
    # a unit of work with no user refuses too
    with pytest.raises(NotAuthenticated, match="no signed-in user"):
        svc.add_user(uow_factory("nobody"), username="bob", password=PASSWORD, roles=["referrer"],
                     organisation="HMP Whatton")
    assert [u.username for u in svc.list_users(uow_factory(admin))] == ["ada", "rita.smith"]


def test_an_organisations_admin_manages_only_its_own_users(uow_factory, admin) -> None:
    add(uow_factory, admin, "whatton.admin", "admin")
    add(uow_factory, admin, "usk.ref", org="HMP Usk")
    add(uow_factory, admin, "whatton.ref")
    local = svc.principal_for(uow_factory("lookup"), "whatton.admin")
    with pytest.raises(Forbidden, match="may manage users of HMP Whatton only"):
        add(uow_factory, local, "usk.new", org="HMP Usk")
    with pytest.raises(Forbidden, match="national access"):
        add(uow_factory, local, "nat", org="HMP Whatton", national=True)
    assert add(uow_factory, local, "whatton.new").organisation == "HMP Whatton"
    listed = [u.username for u in svc.list_users(uow_factory(local))]
    assert listed == ["whatton.admin", "whatton.new", "whatton.ref"]
    for act in (svc.disable_user, svc.enable_user):
        with pytest.raises(NotFound, match="user usk.ref: not found"):
            act(uow_factory(local), "usk.ref")
    with pytest.raises(NotFound, match="user ada: not found"):  # a national user is outside a local scope
        svc.disable_user(uow_factory(local), "ada")
    view = svc.grant(uow_factory(local), "whatton.ref", ["programme_team"])
    assert view.roles == ("programme_team", "referrer")
    assert svc.revoke_roles(uow_factory(local), "whatton.ref", ["referrer"]).roles == ("programme_team",)
    with pytest.raises(Forbidden, match="national access"):
        svc.grant(uow_factory(local), "whatton.ref", national=True)


def test_the_last_admin_is_kept(uow_factory, admin) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Conflict, match="last enabled administrator"):
        svc.revoke_roles(uow_factory(admin), "ada", ["admin"])
    with pytest.raises(Forbidden, match="cannot disable themselves"):
        svc.disable_user(uow_factory(admin), "ada")


def test_wrong_name_and_wrong_password_say_the_same_and_attempts_are_recorded(uow_factory, admin) -> None:
    add(uow_factory, admin, "rita", "referrer")
    messages = []
    for name, password in (("rita", "not the password"), ("nobody", PASSWORD), ("", "")):
        with pytest.raises(NotAuthenticated) as err:
            svc.authenticate(uow_factory("web"), name, password, client="10.0.0.1", now=T0)
        messages.append(str(err.value))
    assert messages == ["username or password is wrong"] * 3
    p = svc.authenticate(uow_factory("web"), " RITA ", PASSWORD, client="10.0.0.1", now=T0)
    assert (p.username, p.roles, p.organisation, p.user_id is not None) == (
        "rita", frozenset({StaffRole.REFERRER}), "HMP Whatton", True)
    with uow_factory("check") as uow:
        rows = uow.session.execute(select(LoginAttempt.username, LoginAttempt.ok, LoginAttempt.client)).all()
    assert sorted(rows) == sorted([("rita", False, "10.0.0.1"), ("nobody", False, "10.0.0.1"),
                                   ("", False, "10.0.0.1"), ("rita", True, "10.0.0.1")])


def test_five_failures_lock_a_user_name_for_fifteen_minutes(uow_factory, admin) -> None:
    add(uow_factory, admin, "rita", "referrer")

    def login(password: str, at: dt.datetime, name: str = "rita", client: str = "c1") -> Principal:
        return svc.authenticate(uow_factory("web"), name, password, client=client, now=at)

    for i in range(4):
        with pytest.raises(NotAuthenticated):
            login("wrong password", T0 + minutes(i))
    with pytest.raises(Locked, match="password is wrong; sign-in for this user name is locked") as err:
        login("wrong password", T0 + minutes(4))
    assert err.value.minutes_left == 15
    # while locked even the right password is refused, from any client, and refusals do not extend it
    for m in (5, 10, 18):
        with pytest.raises(Locked) as err:
            login(PASSWORD, T0 + minutes(m), client="c2")
        assert err.value.minutes_left == 19 - m
    assert login(PASSWORD, T0 + minutes(19, )).username == "rita"
    # a success starts the count again; an unknown name is locked the same way (no enumeration)
    for i in range(4):
        with pytest.raises(NotAuthenticated):
            login("wrong password", T0 + minutes(20 + i))
    assert login(PASSWORD, T0 + minutes(25)).username == "rita"
    for i in range(4):
        with pytest.raises(NotAuthenticated):
            login("x" * 12, T0 + minutes(30 + i), name="ghost")
    with pytest.raises(Locked, match="this user name"):
        login("x" * 12, T0 + minutes(34), name="ghost")


def test_twenty_failures_lock_a_client(uow_factory, admin) -> None:  # type: ignore[no-untyped-def]
    add(uow_factory, admin, "rita", "referrer")
    for i in range(19):
        with pytest.raises(NotAuthenticated):
            svc.authenticate(uow_factory("web"), f"user{i}", "guess guess guess", client="203.0.113.9",
                             now=T0 + dt.timedelta(seconds=30 * i))
    with pytest.raises(Locked, match="this address"):
        svc.authenticate(uow_factory("web"), "user19", "guess guess guess", client="203.0.113.9",
                         now=T0 + minutes(10))
    with pytest.raises(Locked, match="this address"):
        svc.authenticate(uow_factory("web"), "rita", PASSWORD, client="203.0.113.9", now=T0 + minutes(11))
    assert svc.authenticate(uow_factory("web"), "rita", PASSWORD, client="198.51.100.1",
                            now=T0 + minutes(11)).username == "rita"


def test_sessions_end_when_idle_at_the_absolute_limit_at_sign_out_or_disabled(uow_factory, admin) -> None:
    add(uow_factory, admin, "rita", "referrer")
    rita = svc.authenticate(uow_factory("web"), "rita", PASSWORD, client="c", now=T0)
    started = svc.start_session(uow_factory(rita), rita, now=T0)
    assert started.expires_at == T0 + dt.timedelta(hours=10)
    info = svc.resolve_session(uow_factory("web"), started.token, now=T0 + minutes(29))
    assert (info.principal, info.csrf_token) == (rita, started.csrf_token)
    assert info.session_id == started.session_id
    # seen at 29 minutes: idle until 59
    assert svc.resolve_session(uow_factory("web"), started.token, now=T0 + minutes(58)).principal == rita
    with pytest.raises(NotAuthenticated, match="signed out or expired"):
        svc.resolve_session(uow_factory("web"), started.token, now=T0 + minutes(58 + 30))
    # absolute limit: used every 20 minutes, still over after 10 hours
    second = svc.start_session(uow_factory(rita), rita, now=T0)
    at = T0
    while at + minutes(20) < T0 + dt.timedelta(hours=10):
        at += minutes(20)
        svc.resolve_session(uow_factory("web"), second.token, now=at)
    with pytest.raises(NotAuthenticated):
        svc.resolve_session(uow_factory("web"), second.token, now=T0 + dt.timedelta(hours=10))
    # sign-out, and a new session per sign-in (a different token: no fixation)
    third = svc.start_session(uow_factory(rita), rita, now=T0)
    assert len({started.token, second.token, third.token}) == 3
    svc.end_session(uow_factory("web"), third.token, now=T0 + minutes(1))
    with pytest.raises(NotAuthenticated):
        svc.resolve_session(uow_factory("web"), third.token, now=T0 + minutes(2))
    for bad in ("", "nonsense", "x" * 5000):
        with pytest.raises(NotAuthenticated):
            svc.resolve_session(uow_factory("web"), bad, now=T0)
    # disabling revokes the sessions and refuses sign-in with a line saying why
    now = dt.datetime.now(dt.UTC)
    fourth = svc.start_session(uow_factory(rita), rita, now=now)
    svc.disable_user(uow_factory(admin), "rita")
    with pytest.raises(NotAuthenticated):
        svc.resolve_session(uow_factory("web"), fourth.token, now=now + minutes(1))
    with pytest.raises(NotAuthenticated, match="user rita is disabled"):
        svc.authenticate(uow_factory("web"), "rita", PASSWORD, client="c", now=now)
    with pytest.raises(Forbidden, match="rita is disabled"):
        svc.principal_for(uow_factory("lookup"), "rita")
    svc.enable_user(uow_factory(admin), "rita")
    assert svc.principal_for(uow_factory("lookup"), "rita") == rita
    with pytest.raises(NotAuthenticated):  # enabling does not bring a revoked session back
        svc.resolve_session(uow_factory("web"), fourth.token, now=now + minutes(2))


def test_api_tokens_are_scoped_within_the_users_roles_and_revocable(uow_factory, admin) -> None:
    add(uow_factory, admin, "rita", "referrer")
    rita = svc.principal_for(uow_factory("lookup"), "rita")
    with pytest.raises(Forbidden, match="do not allow group.manage"):
        svc.issue_token(uow_factory(rita), username="rita", name="laptop", scopes=["group.manage"])
    with pytest.raises(InputError, match="not an action"):
        svc.issue_token(uow_factory(rita), username="rita", name="laptop", scopes=["everything"])
    issued = svc.issue_token(
        uow_factory(rita), username="rita", name="caseload sync", scopes=[Action.PERSON_READ]
    )
    assert issued.token.startswith("dst_") and issued.scopes == ("person.read",)
    p = svc.resolve_token(uow_factory("api"), issued.token, now=T0)
    assert p.username == "rita" and p.scopes == frozenset({Action.PERSON_READ})
    assert p.can(Action.PERSON_READ) and not p.can(Action.REFERRAL_CREATE)
    with pytest.raises(Forbidden, match="this token of user rita may not do referral.create"):
        p.require(Action.REFERRAL_CREATE, "refer")
    # another user may not issue rita a token unless an administrator
    add(uow_factory, admin, "tom", "referrer")
    tom = svc.principal_for(uow_factory("lookup"), "tom")
    with pytest.raises(Forbidden):
        svc.issue_token(uow_factory(tom), username="rita", name="x", scopes=["person.read"])
    expiring = svc.issue_token(uow_factory(admin), username="rita", name="short", scopes=["person.read"],
                               expires_at=T0 + minutes(5), now=T0)
    assert svc.resolve_token(uow_factory("api"), expiring.token, now=T0 + minutes(4)).username == "rita"
    with pytest.raises(NotAuthenticated):
        svc.resolve_token(uow_factory("api"), expiring.token, now=T0 + minutes(5))
    listed = svc.list_tokens(uow_factory(rita))
    assert [(t.name, t.revoked_at) for t in listed] == [("caseload sync", None), ("short", None)]
    assert svc.list_tokens(uow_factory(tom)) == []
    with pytest.raises(NotFound, match=f"token {issued.id}: not found"):
        svc.revoke_token(uow_factory(tom), issued.id)
    assert svc.revoke_token(uow_factory(rita), issued.id).revoked_at is not None
    with pytest.raises(NotAuthenticated, match="unknown, expired or revoked"):
        svc.resolve_token(uow_factory("api"), issued.token, now=T0)


def test_no_plaintext_secret_in_the_database_or_the_audit_log(uow_factory, admin) -> None:
    add(uow_factory, admin, "rita", "referrer")
    rita = svc.authenticate(uow_factory("web"), "rita", PASSWORD, client="c", now=T0)
    session = svc.start_session(uow_factory(rita), rita, now=T0)
    token = svc.issue_token(uow_factory(rita), username="rita", name="t", scopes=["person.read"])
    svc.set_password(uow_factory(rita), "rita", "a brand new password")
    with uow_factory("check") as uow:
        s = uow.session
        dump = json.dumps(
            [[str(v) for v in row] for model in (AppUser, UserSession, ApiToken, LoginAttempt)
             for row in s.execute(select(*model.__table__.c)).all()]
            + [[r.before, r.after] for r in s.scalars(select(AuditLog))]
        )
        hashes = [*s.scalars(select(AppUser.password_hash)), *s.scalars(select(UserSession.token_hash)),
                  *s.scalars(select(ApiToken.token_hash)), *s.scalars(select(UserSession.csrf_secret))]
        audit = [
            r for r in s.scalars(select(AuditLog)) if r.entity in ("app_user", "user_session", "api_token")
        ]
    for secret in (PASSWORD, ADMIN_PASSWORD, "a brand new password", session.token, session.csrf_token,
                   token.token):
        assert secret not in dump
    assert all(h.startswith("$argon2id$") for h in hashes[:2])
    audit_text = json.dumps([[a.before, a.after] for a in audit])
    assert audit and all(h not in audit_text for h in hashes)
    changed = [a for a in audit if a.entity == "app_user" and a.action == "update"][-1]
    assert changed.after["password_hash"] == "[redacted]" and changed.actor == "rita"
    assert changed.before["password_changed_at"] != changed.after["password_changed_at"]
    # the old password no longer works; the new one does
    with pytest.raises(NotAuthenticated):
        svc.authenticate(uow_factory("web"), "rita", PASSWORD, client="c", now=T0 + minutes(1))
    assert svc.authenticate(uow_factory("web"), "rita", "a brand new password", client="c").username == "rita"


def test_a_hash_with_old_parameters_is_renewed_at_sign_in(uow_factory, admin, monkeypatch) -> None:
    from argon2 import PasswordHasher

    from desist.adapters import credentials

    add(uow_factory, admin, "rita", "referrer")  # hashed with the test suite's cheap parameters
    with uow_factory("check") as uow:
        old = uow.users.by_username("rita").password_hash
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    monkeypatch.setattr(credentials, "_hasher", lambda: stronger)
    svc.authenticate(uow_factory("web"), "rita", PASSWORD, client="c")
    with uow_factory("check") as uow:
        new = uow.users.by_username("rita").password_hash
    assert new != old and "t=2" in new and "m=2048" in new and "t=1" in old
    assert svc.authenticate(uow_factory("web"), "rita", PASSWORD, client="c").username == "rita"
    assert credentials.verify_password(new, PASSWORD) == (True, False)


def test_two_first_administrators_at_once_make_one(uow_factory, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Two ``desist user add --first-admin`` at the same moment, in two sessions: each reads "no user yet"
    and would store its own administrator. The first-administrator lock is held from the check to the
    commit, so the second waits, finds the first administrator and is refused. (Each check waits, up to
    3 s, for the other to have checked too: without the lock both read "no user" before either writes, on
    PostgreSQL.)"""
    import contextlib
    import threading

    from desist.adapters.user_store import UserStore

    both_checked = threading.Barrier(2, timeout=3)
    count = UserStore.count

    def count_then_wait(self: UserStore) -> int:
        n = count(self)
        with contextlib.suppress(threading.BrokenBarrierError):  # the other is held until this one commits
            both_checked.wait()
        return n

    monkeypatch.setattr(UserStore, "count", count_then_wait)
    outcomes: dict[str, object] = {}

    def first_admin(name: str) -> None:
        try:
            outcomes[name] = svc.create_first_admin(
                lambda: uow_factory("system:first-admin"), username=name, password=ADMIN_PASSWORD
            )
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
            outcomes[name] = exc

    threads = [threading.Thread(target=first_admin, args=(name,)) for name in ("ada", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    made = sorted(name for name, out in outcomes.items() if isinstance(out, svc.UserView))
    refused = [out for out in outcomes.values() if isinstance(out, Forbidden)]
    assert len(made) == 1 and len(refused) == 1, outcomes
    assert "users exist already" in str(refused[0])
    monkeypatch.setattr(UserStore, "count", count)
    with uow_factory("lookup") as uow:
        assert [u.username for u in uow.users.all_users()] == made
