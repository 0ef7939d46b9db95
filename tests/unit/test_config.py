"""Settings: read from DESIST_* when built (any case), keywords win, numbers checked in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from desist.config import Settings, get_settings
from desist.domain.errors import InputError


def test_environment_is_read_when_built_and_keywords_win(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("DESIST_LOCK_TIMEOUT_S", "0.5")
    monkeypatch.setenv("desist_connect_timeout_s", "7")  # any case, as pydantic-settings read it
    monkeypatch.setenv("DESIST_DATABASE_URL", "sqlite:///from-env.db")
    s = get_settings(database_url="sqlite:///given.db", busy_timeout_s=None)
    assert (s.database_url, s.lock_timeout_s, s.connect_timeout_s, s.busy_timeout_s) == (
        "sqlite:///given.db",
        0.5,
        7,
        30,
    )
    assert isinstance(s.connect_timeout_s, int)
    assert get_settings().database_url == "sqlite:///from-env.db"


def test_default_url_is_the_db_path_resolved_now(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("DESIST_DATABASE_URL", raising=False)
    monkeypatch.setenv("DESIST_DB_PATH", str(tmp_path / "x.db"))
    monkeypatch.chdir(tmp_path)
    s = Settings()
    assert s.db_path == tmp_path / "x.db"
    assert s.database_url == f"sqlite:///{(tmp_path / 'x.db').resolve()}"
    monkeypatch.delenv("DESIST_DB_PATH")
    assert Settings().database_url == f"sqlite:///{Path('desist.db').resolve()}"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DESIST_BUSY_TIMEOUT_S", "soon", "DESIST_BUSY_TIMEOUT_S: 'soon' is not a number; expected seconds"),
        ("DESIST_LOCK_TIMEOUT_S", "-1", "DESIST_LOCK_TIMEOUT_S: -1.0 is out of range; expected seconds"),
        ("DESIST_CONNECT_TIMEOUT_S", "2.5", "DESIST_CONNECT_TIMEOUT_S: '2.5' is not a number; expected"),
        ("DESIST_STATEMENT_TIMEOUT_S", "nan", "DESIST_STATEMENT_TIMEOUT_S: nan is out of range"),
    ],
)
def test_a_bad_number_is_one_line_naming_the_variable(monkeypatch, name, value, message) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(InputError) as err:
        get_settings()
    assert str(err.value).startswith(message)


def test_a_bad_keyword_names_the_parameter() -> None:
    with pytest.raises(InputError, match=r"^connect_timeout_s: 4000 is out of range; expected whole seconds"):
        Settings(connect_timeout_s=4000)
    assert Settings(database_url="sqlite://", connect_timeout_s=3.0).connect_timeout_s == 3


def test_web_settings_read_like_pydantic_did(monkeypatch) -> None:
    monkeypatch.setenv("DESIST_COOKIE_SECURE", "Off")
    monkeypatch.setenv("DESIST_SESSION_IDLE_MINUTES", "15")
    monkeypatch.setenv("DESIST_PSEUDONYM_KEY", "k" * 20)
    s = get_settings(database_url="sqlite://")
    assert (s.cookie_secure, s.session_idle_minutes, s.session_absolute_hours) == (False, 15.0, 10)
    assert s.pseudonym_key_bytes() == b"k" * 20
    assert "k" * 20 not in repr(s)
    assert "cookie_secure" in Settings.model_fields
    monkeypatch.setenv("DESIST_SESSION_IDLE_MINUTES", "0")
    with pytest.raises(
        InputError, match="^DESIST_SESSION_IDLE_MINUTES: 0.0 is out of range; expected minutes above"
    ):
        get_settings()
    monkeypatch.setenv("DESIST_SESSION_IDLE_MINUTES", "15")
    monkeypatch.setenv("DESIST_COOKIE_SECURE", "maybe")
    with pytest.raises(InputError, match="^DESIST_COOKIE_SECURE: 'maybe' is not yes or no"):
        get_settings()
