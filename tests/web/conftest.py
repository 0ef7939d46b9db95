"""Web fixtures: a migrated SQLite file per test (copied from one migrated once per session), the app on it.

``client`` is a TestClient on ``create_app(settings)``; ``login(principal)`` signs it in as a stored user,
``bearer(principal)`` gives API headers with a stored token. PostgreSQL: tests/web/test_postgres.py.
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
    """``login(principal)``: store that user (``seed.add_account``), sign ``client`` in by the form."""
    from tests.web import seed

    def _login(principal):  # type: ignore[no-untyped-def]
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

    return _login


@pytest.fixture
def bearer(client: TestClient, desist_app, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    return make_bearer(desist_app, monkeypatch)


def make_bearer(desist_app, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """``bearer(principal)``: headers with a stored API token of that user (all its roles allow)."""
    from tests.web import seed

    def _bearer(principal):  # type: ignore[no-untyped-def]
        return {"Authorization": f"Bearer {seed.issue_token(desist_app, principal)}"}

    return _bearer
