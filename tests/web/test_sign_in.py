"""Signing in and out on the access services: cookie flags, error summaries, lockout, rotation, revocation."""

from __future__ import annotations

from tests.web.conftest import csrf_of
from tests.web.seed import PASSWORD, add_account, staff

RITA = staff("rita", "referrer")


def _cookie(client, value: str) -> None:  # type: ignore[no-untyped-def]
    client.cookies.clear()
    client.cookies.set("desist_session", value, domain="127.0.0.1", path="/")


def _post(client, username: str, password: str, csrf: str | None = None, **extra):  # type: ignore[no-untyped-def]
    token = csrf if csrf is not None else csrf_of(client.get("/sign-in").text)
    data = {"username": username, "password": password, "csrf_token": token, **extra}
    return client.post("/sign-in", data=data, follow_redirects=False)


def test_sign_in_sets_a_safe_cookie_and_goes_where_asked(client, desist_app) -> None:  # type: ignore[no-untyped-def]
    add_account(desist_app, RITA)
    r = _post(client, "rita", PASSWORD, next="/people?q=A1")
    assert r.status_code == 303 and r.headers["location"] == "/people?q=A1"
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("desist_session="))
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path=/", "samesite=lax"} <= flags
    assert "secure" not in flags  # cookie_secure off in these tests (http://127.0.0.1)
    home = client.get("/")
    assert home.status_code == 200 and "Signed in as rita, HMP Whatton" in " ".join(home.text.split())


def test_open_redirect_is_refused(client, desist_app) -> None:  # type: ignore[no-untyped-def]
    add_account(desist_app, RITA)
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        r = _post(client, "rita", PASSWORD, next=target)
        assert r.headers["location"] == "/"


def test_wrong_password_and_unknown_user_give_the_same_error_summary(client, desist_app) -> None:  # type: ignore[no-untyped-def]
    add_account(desist_app, RITA)
    wrong = _post(client, "rita", "not the password")
    unknown = _post(client, "nobody", "not the password")
    for r in (wrong, unknown):
        assert r.status_code == 401
        assert '<a href="#username">Your username or password is wrong</a>' in r.text
        assert "desist_session" not in r.headers.get("set-cookie", "")
    empty = _post(client, "", "")
    assert empty.status_code == 400
    assert '<a href="#username">Enter your username</a>' in empty.text
    assert '<a href="#password">Enter your password</a>' in empty.text
    assert 'aria-describedby="password-error"' in empty.text


def test_lockout_after_five_failures(client, desist_app) -> None:  # type: ignore[no-untyped-def]
    add_account(desist_app, RITA)
    codes = [_post(client, "rita", "wrong wrong wrong").status_code for _ in range(5)]
    assert codes[:4] == [401] * 4 and codes[4] == 429
    r = _post(client, "rita", PASSWORD)  # even the right password, while locked
    assert r.status_code == 429
    assert "You have tried to sign in too many times. Try again in 15 minutes" in r.text
    assert r.headers["retry-after"] == "900"


def test_sign_in_form_needs_its_csrf_token(client, desist_app) -> None:  # type: ignore[no-untyped-def]
    add_account(desist_app, RITA)
    client.get("/sign-in")
    r = _post(client, "rita", PASSWORD, csrf="forged")
    assert r.status_code == 403


def test_session_is_rotated_at_sign_in_and_revoked_at_sign_out(client, desist_app) -> None:  # type: ignore[no-untyped-def]
    add_account(desist_app, RITA)
    _post(client, "rita", PASSWORD)
    first = client.cookies.get("desist_session")
    assert first
    _post(client, "rita", PASSWORD)  # signing in again (e.g. as someone else on a shared computer)
    second = client.cookies.get("desist_session")
    assert second and second != first
    # the first token is no longer a session: a planted or stolen old cookie is useless
    _cookie(client, first)
    assert client.get("/", follow_redirects=False).status_code == 303
    _cookie(client, second)
    home = client.get("/")
    assert home.status_code == 200
    r = client.post("/sign-out", data={"csrf_token": csrf_of(home.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/signed-out"
    _cookie(client, second)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_planted_cookie_is_not_promoted(client, desist_app) -> None:  # type: ignore[no-untyped-def]
    add_account(desist_app, RITA)
    _cookie(client, "attacker-chosen-value")
    _post(client, "rita", PASSWORD)
    assert client.cookies.get("desist_session") != "attacker-chosen-value"


def test_sign_out_needs_the_csrf_token(client, desist_app) -> None:  # type: ignore[no-untyped-def]
    add_account(desist_app, RITA)
    _post(client, "rita", PASSWORD)
    r = client.post("/sign-out", data={}, follow_redirects=False)
    assert r.status_code == 403
    assert client.get("/").status_code == 200  # still signed in
