"""Integration fixtures: every test runs on SQLite (a temporary file) and on PostgreSQL.

PostgreSQL comes from ``DESIST_TEST_POSTGRES_URL`` (CI sets it, e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/test``); without it the PostgreSQL half is skipped with a
reason. Each PostgreSQL test gets its own freshly migrated schema with a unique name (process id + random
suffix), reached through ``search_path`` in the URL, so several people's test runs can share one database
at once; the schema is dropped afterwards.

Fixtures
--------
database_url : a URL for an empty, migrated database (usable by subprocesses and the CLI too)
engine : an Engine on it
session_factory : a sessionmaker on the engine
uow_factory : ``uow_factory("actor")`` or ``uow_factory(principal)`` -> a new :class:`UnitOfWork`
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import quote

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from desist.adapters.engine import make_engine, make_session_factory
from desist.adapters.migrate import upgrade
from desist.domain.access import Principal
from desist.services.unit_of_work import UnitOfWork

POSTGRES_ENV = "DESIST_TEST_POSTGRES_URL"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def _with_search_path(url: str, schema: str) -> str:
    # libpq "options" sets search_path for every connection, including those a subprocess opens.
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database kind under test: ``"sqlite"`` or ``"postgresql"``."""
    return request.param


@pytest.fixture
def database_url(backend: str, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """URL of an empty database migrated to head, private to this test."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'desist.db'}"
        upgrade(url).dispose()
        yield url
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(
            f"PostgreSQL tests need {POSTGRES_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
        )
    schema = f"t_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _with_search_path(base, schema)
    try:
        upgrade(url).dispose()
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on this test's private, migrated database."""
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def uow_factory(session_factory: sessionmaker[Session]) -> Callable[[str | Principal], UnitOfWork]:
    """``uow_factory(actor)`` returns a fresh unit of work on this test's database.

    ``actor`` is a :class:`Principal` (the acting user the services check) or a plain name (a unit of
    work with no user: the services that check access refuse it).
    """

    def make(actor: str | Principal = "test") -> UnitOfWork:
        if isinstance(actor, Principal):
            return UnitOfWork(session_factory, principal=actor)
        return UnitOfWork(session_factory, actor=actor)

    return make
