"""Analysts' pseudonymised exports: only analysts, only with a key, no direct identifiers."""

from __future__ import annotations

import csv
import importlib.util
import io

import pytest

from desist.config import Settings
from tests.web.conftest import TestClient, make_login
from tests.web.seed import seed_world, staff

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("desist.domain.pseudonym") is None, reason="needs the access work's pseudonyms"
)
ANALYST = staff("ann", "analyst", org=None, national=True)
KEY = "0123456789abcdef-test-key"


@pytest.fixture
def keyed(web_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    from desist.entrypoints.web import create_app

    settings = Settings(database_url=web_url, cookie_secure=False, pseudonym_key=KEY)  # type: ignore[call-arg]
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as c:
        seed_world(c.app.state.desist)  # type: ignore[attr-defined]
        yield c, make_login(c, c.app.state.desist, monkeypatch)  # type: ignore[attr-defined]


def test_people_export_is_pseudonymised(keyed) -> None:  # type: ignore[no-untyped-def]
    from desist.domain.pseudonym import pseudonym

    c, login = keyed
    login(ANALYST)
    page = c.get("/exports")
    assert page.status_code == 200 and 'href="/exports/people.csv"' in page.text
    r = c.get("/exports/people.csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == 'attachment; filename="desist-people-pseudonymised.csv"'
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["pseudonym", "birth_year", "sex", "ldc", "maintains_innocence"]
    assert rows[1:] == [
        [pseudonym(KEY.encode(), "A1111AA"), "1980", "M", "false", "false"],
        [pseudonym(KEY.encode(), "B2222BB"), "1980", "M", "false", "false"],
    ]
    assert "A1111AA" not in r.text and "1980-05-17" not in r.text
    assert c.get("/exports/nothing.csv").status_code == 404


def test_exports_refuse_casework_roles_and_a_missing_key(client, world, login) -> None:  # type: ignore[no-untyped-def]
    login(staff("tom", "programme_team"))
    assert client.get("/exports").status_code == 403
    assert client.get("/exports/people.csv").status_code == 403


def test_missing_key_is_one_line(client, world, login) -> None:  # type: ignore[no-untyped-def]
    login(ANALYST)
    r = client.get("/exports/people.csv")
    assert r.status_code == 422
    assert "pseudonym key: not set" in r.text
