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
