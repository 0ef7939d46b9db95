"""Every CLI command, every text option, hostile values: a refusal in one line or a harmless success.

For each command the required options get ordinary values (a man, an offering, a referral and a group
exist), then one text option at a time gets a value Hypothesis draws from control characters, bidi
overrides, NUL, formulas, huge and oddly encoded text. Whatever happens, the command exits 0 or 2 with no
traceback, and no text column of the database ends up holding a control character.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import String, Text, create_engine, select

from tests.cli import ADMIN, CASEWORK, run_cli, seed_user

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

#: command -> its ordinary arguments (the option under test is appended, or replaces the same option)
COMMANDS: dict[str, list[str]] = {
    "person add": ["--prison-number", "Z1", "--date-of-birth", "1970-01-01"],
    "person set-flags": ["A1001AA", "--ldc"],
    "person sentence": ["A1001AA", "--start-date", "2010-01-01"],
    "person assess": ["A1001AA", "--tool", "osp", "--assessed-on", "2024-01-01", "--risk-band", "high"],
    "offering create": ["--programme", "kaizen", "--site", "HMP Full Sutton"],
    "referral create": ["--person", "A1001AA", "--offering", "1"],
    "referral move": ["1", "--to", "WITHDRAWN", "--reason-category", "motivation", "--reason", "x"],
    "referral list": [],
    "group create": ["--offering", "1", "--kind", "rolling", "--capacity", "8", "--sessions", "10"],
    "group session": ["1", "--on", "2024-01-01"],
    "group deselect": ["1", "--person", "A1001AA", "--reason-category", "motivation", "--reason", "x"],
    "incentive set": [
        "--person", "A1001AA", "--level", "Basic", "--reason-category", "behaviour", "--reason", "x",
    ],
    "incentive history": ["--person", "A1001AA"],
    "audit": ["--as", ADMIN],  # the audit log: an administrator's
}
#: text options (and arguments, written as "ARG") tried per command
TEXT_OPTIONS: dict[str, list[str]] = {
    "person add": [
        "--prison-number", "--establishment", "--probation-region", "--pnc-number", "--sex", "--date-of-birth"
    ],
    "person set-flags": ["ARG"],
    "person sentence": ["--index-offence", "--start-date", "--release-date"],
    "person assess": ["--assessor", "--tool", "--risk-band", "--offence-type", "--assessed-on"],
    "offering create": ["--site", "--programme"],
    "referral create": ["--person"],
    "referral move": ["--reason", "--reason-category", "--to", "--on"],
    "referral list": ["--status", "--person"],
    "group create": ["--label", "--facilitator", "--kind", "--start-date"],
    "group session": ["--topic", "--on", "--attended"],
    "group deselect": ["--reason", "--reason-category", "--person"],
    "incentive set": ["--reason", "--reason-category", "--level", "--person"],
    "incentive history": ["--person"],
    "audit": ["--entity", "--id"],
}
CASES = [(c, o) for c, opts in TEXT_OPTIONS.items() for o in opts]
HOSTILE = st.one_of(
    st.builds(
        lambda a, c, b: a + c + b,
        st.text(max_size=8),
        st.sampled_from(["\x00", "\x1b[2K\r", "\n", "\t", "\x85", "\u202e", "\u2066", "\ufeff", "\x7f"]),
        st.text(max_size=8),
    ),
    st.builds(lambda f, t: f + t, st.sampled_from(["=", "+", "-", "@"]), st.text(min_size=1, max_size=20)),
    st.sampled_from(["x" * 100_000, "0001-01-01", "9999-12-31", "2024-02-30", "é" * 201, "\udcff", " "]),
)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with the example people, an offering, a referral and a group (built once)."""
    folder = tmp_path_factory.mktemp("hostile")
    mp = pytest.MonkeyPatch()
    mp.chdir(folder)
    mp.setenv("DESIST_DATABASE_URL", f"sqlite:///{folder / 'seed.db'}")
    mp.setenv("DESIST_USER", "tester")
    from desist.entrypoints.cli.app import main

    def run(argv: list[str]) -> None:
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code in (0, None), argv

    run(["db", "init"])
    seed_user(f"sqlite:///{folder / 'seed.db'}", "tester", *CASEWORK)
    shutil.copy(EXAMPLES / "import" / "people.csv", folder / "people.csv")
    run(["import", "people", "--input", "people.csv", "--as", ADMIN])
    run(["offering", "create", "--programme", "kaizen", "--site", "HMP Full Sutton"])
    run(["referral", "create", "--person", "A1001AA", "--offering", "1"])
    run(["group", "create", "--offering", "1", "--kind", "rolling", "--capacity", "8", "--sessions", "10"])
    mp.undo()
    return folder / "seed.db"


def _argv(command: str, option: str, value: str) -> list[str]:
    args = list(COMMANDS[command])
    if option == "ARG":
        args[0] = value
    elif option in args:
        args[args.index(option) + 1] = value
    else:
        args += [option, value]
    return [*command.split(), *args]


def _stored_text(url: str) -> list[str]:
    from desist.adapters.orm import Base

    eng = create_engine(url)
    out: list[str] = []
    with eng.connect() as conn:
        for table in Base.metadata.tables.values():
            cols = [c for c in table.c if isinstance(c.type, String | Text)]
            for row in conn.execute(select(*cols)) if cols else []:
                out += [v for v in row if isinstance(v, str)]
    eng.dispose()
    return out


@pytest.mark.parametrize(("command", "option"), CASES, ids=[f"{c}:{o}" for c, o in CASES])
@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=HOSTILE)
def test_hostile_text_in_every_option(
    seeded: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, capsys,  # type: ignore[no-untyped-def]
    command: str, option: str, value: str,
) -> None:
    folder = tmp_path_factory.mktemp("run")
    shutil.copy(seeded, folder / "desist.db")
    url = f"sqlite:///{folder / 'desist.db'}"
    monkeypatch.setenv("DESIST_DATABASE_URL", url)
    monkeypatch.setenv("DESIST_USER", "tester")
    monkeypatch.chdir(folder)
    before = sorted(_stored_text(url))
    code, out, err = run_cli(_argv(command, option, value), capsys)
    assert code in (0, 2), (code, err)
    assert "Traceback" not in err and "internal error" not in err, err
    if code == 2:
        assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
        assert sorted(_stored_text(url)) == before  # refused: nothing written
    assert not [v for v in _stored_text(url) if CONTROL.search(v)]
    assert "\x1b" not in out and "\u202e" not in out


KINDS = ("people", "sentences", "assessments", "programme-history", "outcomes")


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_hostile_cell_in_every_import_kind(
    seeded: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, capsys,  # type: ignore[no-untyped-def]
    kind: str, data: st.DataObject,
) -> None:
    import pandas as pd

    folder = tmp_path_factory.mktemp("imp")
    shutil.copy(seeded, folder / "desist.db")
    url = f"sqlite:///{folder / 'desist.db'}"
    monkeypatch.setenv("DESIST_DATABASE_URL", url)
    monkeypatch.chdir(folder)
    frame = pd.read_csv(EXAMPLES / "import" / f"{kind}.csv", dtype=str, keep_default_na=False)
    row = data.draw(st.integers(0, len(frame) - 1))
    column = data.draw(st.sampled_from(list(frame.columns)))
    frame.loc[row, column] = data.draw(HOSTILE)
    # CSV goes through the writer's quoting; Parquet reaches us raw; a lone surrogate becomes a CSV file
    # holding bytes that are not UTF-8 (an odd encoding), which Parquet cannot hold at all
    odd = any("\ud800" <= ch <= "\udfff" for ch in frame.loc[row, column])
    as_parquet = data.draw(st.booleans()) and not odd
    name = f"in.{'parquet' if as_parquet else 'csv'}"
    if as_parquet:
        frame.to_parquet(name)
    else:
        frame.to_csv(name, index=False, errors="surrogateescape")
    before = sorted(_stored_text(url))
    code, out, err = run_cli(["import", kind, "--input", name, "--as", ADMIN], capsys)
    assert code in (0, 2), (code, err)
    assert "Traceback" not in err and "internal error" not in err, err
    if code == 2:
        assert sorted(_stored_text(url)) == before
    assert not [v for v in _stored_text(url) if CONTROL.search(v)]
