"""Web fixtures: a migrated SQLite file per test (copied from one migrated once per session), the app on it.

``client`` is a TestClient on ``create_app(settings)``; PostgreSQL tests use the integration suite's
``database_url`` fixture (``DESIST_TEST_POSTGRES_URL``) through ``pg_client``.
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from desist.adapters.migrate import upgrade
from desist.config import Settings

with warnings.catch_warnings():  # starlette's TestClient prefers httpx2; httpx still works
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("webdb") / "template.db"
    upgrade(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture
def web_url(migrated_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "desist.db"
    shutil.copyfile(migrated_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def settings(web_url: str) -> Settings:
    return Settings(database_url=web_url, cookie_secure=False)  # type: ignore[call-arg]


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    from desist.entrypoints.web import create_app

    with TestClient(create_app(settings), base_url="http://127.0.0.1") as c:
        yield c


@pytest.fixture
def desist_app(client: TestClient):  # type: ignore[no-untyped-def]
    return client.app.state.desist  # type: ignore[attr-defined]


@pytest.fixture
def world(desist_app):  # type: ignore[no-untyped-def]
    from tests.web.seed import seed_world

    return seed_world(desist_app)


def csrf_of(html: str) -> str:
    import re

    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


@pytest.fixture
def login(client: TestClient, desist_app, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    return make_login(client, desist_app, monkeypatch)


def make_login(client: TestClient, desist_app, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """``login(principal)``: sign ``client`` in as that user (a stored account when the access services
    exist: created, then signed in through the form; else the session is stubbed)."""
    import importlib.util

    from tests.web import seed

    real = importlib.util.find_spec("desist.services.users") is not None

    def _login(principal):  # type: ignore[no-untyped-def]
        if real:
            seed.add_account(desist_app, principal)
            page = client.get("/sign-in")
            r = client.post(
                "/sign-in",
                data={
                    "username": principal.username,
                    "password": seed.PASSWORD,
                    "csrf_token": csrf_of(page.text),
                },
                follow_redirects=False,
            )
            assert r.status_code == 303, r.text
            return
        from types import SimpleNamespace

        from desist.entrypoints.web import auth

        info = SimpleNamespace(principal=principal, csrf_token="test-csrf-token", session_id=1)

        def current(request):  # type: ignore[no-untyped-def]
            request.state.session = info
            return info

        monkeypatch.setattr(auth, "current_session", current)
        monkeypatch.setattr(auth, "uow", lambda request, p: seed.uow_as(desist_app, p))

    return _login


@pytest.fixture
def bearer(client: TestClient, desist_app, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    return make_bearer(desist_app, monkeypatch)


def make_bearer(desist_app, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """``bearer(principal)`` -> headers with an API token for that user (stored when the access services
    exist; else the token check is stubbed)."""
    import importlib.util

    from tests.web import seed

    real = importlib.util.find_spec("desist.services.users") is not None
    tokens: dict[str, object] = {}

    def _bearer(principal):  # type: ignore[no-untyped-def]
        if real:
            return {"Authorization": f"Bearer {seed.issue_token(desist_app, principal)}"}
        from desist.domain import errors
        from desist.entrypoints.web import auth

        NotAuthenticated = getattr(errors, "NotAuthenticated", errors.Forbidden)  # noqa: N806

        token = f"token-{principal.username}"
        tokens[token] = principal

        def resolve(request):  # type: ignore[no-untyped-def]
            header = request.headers.get("authorization", "")
            found = tokens.get(header.removeprefix("Bearer ").strip())
            if found is None:
                raise NotAuthenticated("no credentials; send 'Authorization: Bearer TOKEN'")
            return found

        monkeypatch.setattr(auth, "bearer_principal", resolve)
        monkeypatch.setattr(auth, "uow", lambda request, p: seed.uow_as(desist_app, p))
        return {"Authorization": f"Bearer {token}"}

    return _bearer
