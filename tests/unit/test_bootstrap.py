"""The composition root: settings -> engine -> head check -> units of work; one line per bad database."""

from __future__ import annotations

import pytest

from desist.adapters import migrate, schema_version
from desist.bootstrap import bootstrap
from desist.config import Settings
from desist.domain.errors import InputError


def test_fast_head_revision_agrees_with_alembic() -> None:
    assert schema_version.head_revision() == migrate.head_revision()


def test_bootstrap_refuses_an_uninitialised_database_then_accepts_it(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'd.db'}"
    with pytest.raises(InputError, match="does not exist; run `desist db init` first"):
        bootstrap(Settings(database_url=url))
    with bootstrap(Settings(database_url=url), require_head=False, create=True) as app:
        assert app.store().revision() is None
        with pytest.raises(InputError, match="not initialised"):
            bootstrap(Settings(database_url=url))
        app.store().upgrade()
        assert app.store().revision() == schema_version.head_revision()
    with bootstrap(Settings(database_url=url)) as app:
        with app.uow("tester") as uow:
            assert uow.actor == "tester"
        with pytest.raises(InputError, match="actor: empty"):
            app.uow("  ")


def test_settings_are_read_when_built_not_at_import(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("DESIST_DATABASE_URL", "not a url")
    with pytest.raises(InputError, match="database_url: not a database URL"):
        bootstrap()
