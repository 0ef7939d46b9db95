"""The person flags maintains_innocence / recognised_appellant, end to end, on SQLite and PostgreSQL.

Schema (migration 0002), the people import and export, ``person add`` / ``person set-flags`` (audited), and
the incentive rule reading the *stored* flags: a man maintaining innocence or a recognised appellant may not
be put on Basic for not taking part in programmes (from 26 June 2017), and the 2017 Basic review finds men
held there before the rule.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, inspect, select, text

from desist.adapters.exporters import export, read_export
from desist.adapters.migrate import downgrade, upgrade
from desist.adapters.orm import AuditLog, Base, IncentiveLevelChange, Person
from desist.domain.errors import Conflict, InputError, InvalidTransition, NotFound
from desist.domain.incentives import IncentiveLevel as L
from desist.domain.incentives import LevelReason
from desist.domain.incentives import LevelReasonCategory as C
from desist.services import incentives as inc
from desist.services.casework import find_person, register_person, set_person_flags
from desist.services.imports import ImportRejected, import_file
from tests.cli import CASEWORK, seed_user
from tests.cli import run_cli as _cli
from tests.principals import importing

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "import"
FLAGS = ("maintains_innocence", "recognised_appellant")
REFUSES = LevelReason(C.NON_PARTICIPATION, "refuses Horizon")
AFTER_RULE = dt.date(2018, 3, 1)
#: a writer that knows nothing of the flags (an older tool, or SQL by hand)
BARE_INSERT = (
    "INSERT INTO person (prison_number, date_of_birth, sex, created_at, version) "
    "VALUES ('A0001AA', '1970-01-01', 'M', '2020-01-01 00:00:00', 1)"
)


def _flags(session_factory) -> dict[str, tuple[bool, bool]]:  # type: ignore[no-untyped-def]
    with session_factory() as s:
        rows = s.execute(select(Person.prison_number, *(getattr(Person, f) for f in FLAGS))).all()
    return {number: (innocence, appellant) for number, innocence, appellant in rows}


def _add(uow_factory, number: str, **flags: bool) -> None:  # type: ignore[no-untyped-def]
    register_person(
        uow_factory("reception"), prison_number=number, date_of_birth=dt.date(1970, 5, 1), sex="M", **flags
    )


def _count(session_factory, model) -> int:  # type: ignore[no-untyped-def]
    with session_factory() as s:
        return s.scalar(select(func.count()).select_from(model))


# --- schema ---------------------------------------------------------------------------------------------


def test_flags_are_not_null_with_a_false_server_default(engine) -> None:  # type: ignore[no-untyped-def]
    columns = {c["name"]: c for c in inspect(engine).get_columns("person")}
    for name in FLAGS:
        assert columns[name]["nullable"] is False
        assert str(columns[name]["default"]).strip("'").lower() in ("0", "false"), columns[name]
    with engine.begin() as conn:
        conn.execute(text(BARE_INSERT))
        assert conn.execute(text("SELECT maintains_innocence, recognised_appellant FROM person")).one() in (
            (False, False),
            (0, 0),
        )


def test_migrating_a_0001_database_keeps_its_people_with_flags_false(engine) -> None:  # type: ignore[no-untyped-def]
    downgrade(engine, "0001")
    assert not set(FLAGS) & {c["name"] for c in inspect(engine).get_columns("person")}
    with engine.begin() as conn:
        conn.execute(text(BARE_INSERT))
    upgrade(engine)
    from desist.adapters.engine import make_session_factory

    assert _flags(make_session_factory(engine)) == {"A0001AA": (False, False)}
    downgrade(engine, "0001")  # and back: only the two columns go, the man stays
    with engine.connect() as conn:
        assert conn.execute(text("SELECT prison_number FROM person")).scalars().all() == ["A0001AA"]
    upgrade(engine)
    assert {c["name"] for c in inspect(engine).get_columns("person")} == set(
        Base.metadata.tables["person"].c.keys()
    )


# --- import and export ----------------------------------------------------------------------------------


def test_example_people_file_carries_the_flags_and_export_round_trips(
    session_factory, engine, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    report = import_file(importing(session_factory), "people", EXAMPLES / "people.csv")
    assert report.inserted == 3 and report.ignored_columns == ()
    assert _flags(session_factory) == {
        "A1001AA": (False, False),
        "A1002AB": (True, False),
        "A1003AC": (False, True),
    }
    frame = read_export(engine, "people")
    assert list(frame.columns[-3:]) == [*FLAGS, "ldc"]
    assert frame.set_index("prison_number").loc["A1002AB", "maintains_innocence"] == True  # noqa: E712
    for suffix in (".csv", ".parquet"):
        export(engine, "people", tmp_path / f"people{suffix}")
        again = import_file(importing(session_factory), "people", tmp_path / f"people{suffix}")
        assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3), suffix


def test_yes_no_spellings_and_empty_cells(session_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "people.csv"
    path.write_text(
        "prison_number,date_of_birth,sex,maintains_innocence,recognised_appellant\n"
        "A0001AA,1970-01-01,M,YES,0\n"
        "A0002AA,1971-01-01,M,1,true\n"
        "A0003AA,1972-01-01,M,no,\n"
        "A0004AA,1973-01-01,M,,Yes\n"
    )
    import_file(importing(session_factory), "people", path)
    assert _flags(session_factory) == {
        "A0001AA": (True, False),
        "A0002AA": (True, True),
        "A0003AA": (False, False),
        "A0004AA": (False, True),
    }


def test_typed_parquet_booleans_import(session_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    frame = pd.DataFrame(
        {
            "prison_number": ["A0001AA", "A0002AA"],
            "date_of_birth": pd.to_datetime(["1970-01-01", "1980-01-01"]),
            "sex": ["M", "M"],
            "maintains_innocence": [True, False],
            "recognised_appellant": [False, True],
        }
    )
    frame.to_parquet(tmp_path / "people.parquet", index=False)
    import_file(importing(session_factory), "people", tmp_path / "people.parquet")
    assert _flags(session_factory) == {"A0001AA": (True, False), "A0002AA": (False, True)}


def test_a_bad_flag_imports_nothing_and_names_the_cell(session_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "people.csv"
    path.write_text(
        "prison_number,date_of_birth,sex,maintains_innocence,recognised_appellant\n"
        "A0001AA,1970-01-01,M,true,false\n"  # good, but the file is refused as a whole
        "A0002AA,1971-01-01,M,maybe,false\n"
        "A0003AA,1972-01-01,M,false,appealing\n"
    )
    with pytest.raises(ImportRejected) as info:
        import_file(importing(session_factory), "people", path)
    assert [(p.row, p.column, p.value) for p in info.value.problems] == [
        (2, "maintains_innocence", "maybe"),
        (3, "recognised_appellant", "appealing"),
    ]
    assert all("expected true/false" in p.reason for p in info.value.problems)
    assert _count(session_factory, Person) == 0


def test_a_file_without_the_columns_keeps_stored_flags(session_factory, uow_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_file(importing(session_factory), "people", EXAMPLES / "people.csv")
    set_person_flags(uow_factory("wing.officer"), person="A1001AA", recognised_appellant=True)
    older = tmp_path / "people.csv"  # the layout before the flags existed, plus one new man
    older.write_text(
        "prison_number,pnc_number,date_of_birth,sex,establishment,probation_region\n"
        "A1001AA,1998/0012345A,1971-03-14,M,HMP Whatton,\n"
        "A1002AB,2003/0200471K,1985-11-02,M,HMP Usk,\n"
        "A9999ZZ,,1990-01-01,M,HMP Usk,\n"
    )
    report = import_file(importing(session_factory), "people", older)
    assert (report.inserted, report.updated, report.unchanged) == (1, 0, 2)
    flags = _flags(session_factory)
    assert flags["A1001AA"] == (False, True) and flags["A1002AB"] == (True, False)
    assert flags["A9999ZZ"] == (False, False)

    # a file that does state the column is the truth for it: the change is an audited update
    stated = tmp_path / "stated.csv"
    stated.write_text(
        "prison_number,date_of_birth,sex,establishment,recognised_appellant\n"
        "A1001AA,1971-03-14,M,HMP Whatton,false\n"
    )
    report = import_file(importing(session_factory, "records.clerk"), "people", stated)
    assert (report.updated, _flags(session_factory)["A1001AA"]) == (1, (False, False))
    with session_factory() as s:
        last = s.scalars(select(AuditLog).where(AuditLog.actor == "records.clerk")).one()
    assert (last.action, last.before["recognised_appellant"], last.after["recognised_appellant"]) == (
        "update",
        True,
        False,
    )


# --- services -------------------------------------------------------------------------------------------


def test_register_and_set_flags_are_stored_and_audited(session_factory, uow_factory) -> None:  # type: ignore[no-untyped-def]
    view = register_person(
        uow_factory("reception"),
        prison_number="a0001aa",
        date_of_birth=dt.date(1970, 1, 1),
        sex="M",
        maintains_innocence=True,
    )
    assert (view.maintains_innocence, view.recognised_appellant, view.version) == (True, False, 1)
    changed = set_person_flags(
        uow_factory("wing.officer"), person="A0001AA", maintains_innocence=False, recognised_appellant=True
    )
    assert (changed.maintains_innocence, changed.recognised_appellant, changed.version) == (False, True, 2)
    assert _flags(session_factory) == {"A0001AA": (False, True)}
    # same values again: nothing to write, no audit row, version unchanged
    same = set_person_flags(uow_factory("wing.officer"), person=view.id, recognised_appellant=True)
    assert same.version == 2
    with session_factory() as s:
        log = s.scalars(select(AuditLog).where(AuditLog.entity == "person").order_by(AuditLog.id)).all()
    assert [(a.actor, a.action) for a in log] == [("reception", "insert"), ("wing.officer", "update")]
    assert log[0].after["maintains_innocence"] is True
    assert {k: (log[1].before[k], log[1].after[k]) for k in FLAGS} == {
        "maintains_innocence": (True, False),
        "recognised_appellant": (False, True),
    }


def test_set_flags_refuses_bad_requests(uow_factory) -> None:  # type: ignore[no-untyped-def]
    _add(uow_factory, "A0001AA")
    with pytest.raises(InputError, match="nothing to change"):
        set_person_flags(uow_factory("x"), person="A0001AA")
    with pytest.raises(NotFound):
        set_person_flags(uow_factory("x"), person="Z9999ZZ", maintains_innocence=True)
    set_person_flags(uow_factory("x"), person="A0001AA", maintains_innocence=True, expected_version=1)
    with pytest.raises(Conflict, match="changed by someone else .version 2, you had 1"):
        set_person_flags(uow_factory("y"), person="A0001AA", recognised_appellant=True, expected_version=1)


# --- the incentive rule reads the stored flags ------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "who"),
    [
        ({"maintains_innocence": True}, "a man maintaining innocence"),
        ({"recognised_appellant": True}, "a recognised appellant"),
    ],
)
def test_stored_flag_blocks_basic_for_non_participation(uow_factory, session_factory, flags, who) -> None:  # type: ignore[no-untyped-def]
    _add(uow_factory, "A0001AA", **flags)
    _add(uow_factory, "A0002AA")  # no flags: the same change is allowed
    with pytest.raises(InvalidTransition, match=f"{who} may not be placed on basic"):
        inc.set_level(uow_factory("wing"), person="A0001AA", level=L.BASIC, reason=REFUSES, on=AFTER_RULE)
    assert _count(session_factory, IncentiveLevelChange) == 0
    ok = inc.set_level(uow_factory("wing"), person="A0002AA", level=L.BASIC, reason=REFUSES, on=AFTER_RULE)
    assert ok.to_level == "basic"
    # his behaviour can still put him on Basic, and before the rule the record keeps what happened
    inc.set_level(
        uow_factory("wing"),
        person="A0001AA",
        level=L.BASIC,
        reason=LevelReason(C.NON_PARTICIPATION, "refused SOTP"),
        on=dt.date(2016, 1, 4),
    )
    inc.set_level(
        uow_factory("wing"),
        person="A0001AA",
        level=L.STANDARD,
        reason=LevelReason(C.REVIEW, "review"),
        on=dt.date(2017, 9, 1),
    )
    inc.set_level(
        uow_factory("wing"),
        person="A0001AA",
        level=L.BASIC,
        reason=LevelReason(C.BEHAVIOUR, "assault on staff"),
        on=AFTER_RULE,
    )
    assert [v.to_level for v in inc.level_history(uow_factory("r"), "A0001AA")] == [
        "basic",
        "standard",
        "basic",
    ]


def test_a_flag_set_later_protects_him_from_then_on(uow_factory) -> None:  # type: ignore[no-untyped-def]
    _add(uow_factory, "A0001AA")
    inc.set_level(
        uow_factory("wing"),
        person="A0001AA",
        level=L.STANDARD,
        reason=LevelReason(C.RECEPTION, "arrival"),
        on=dt.date(2018, 1, 2),
    )
    set_person_flags(uow_factory("casework"), person="A0001AA", recognised_appellant=True)
    with pytest.raises(InvalidTransition, match="recognised appellant"):
        inc.set_level(uow_factory("wing"), person="A0001AA", level=L.BASIC, reason=REFUSES, on=AFTER_RULE)
    # a caller stating False cannot switch the stored flag off for one change
    with pytest.raises(InvalidTransition):
        inc.set_level(
            uow_factory("wing"),
            person="A0001AA",
            level=L.BASIC,
            reason=REFUSES,
            on=AFTER_RULE,
            maintains_innocence=False,
            recognised_appellant=False,
        )


def test_the_2017_review_finds_flagged_men_and_the_rule_then_holds(uow_factory, session_factory) -> None:  # type: ignore[no-untyped-def]
    """The seed's event: men on Basic for denial / not doing SOTP go to Standard and may not be put back."""
    _add(uow_factory, "A0001AA", maintains_innocence=True)
    _add(uow_factory, "A0002AA", recognised_appellant=True)
    _add(uow_factory, "A0003AA")  # on Basic for behaviour: not the review's business
    before = [
        ("A0001AA", LevelReason(C.MAINTAINING_INNOCENCE, "denies the offence, so cannot do SOTP")),
        ("A0002AA", LevelReason(C.NON_PARTICIPATION, "will not do SOTP while appealing")),
        ("A0003AA", LevelReason(C.BEHAVIOUR, "fighting")),
    ]
    for number, reason in before:
        inc.set_level(
            uow_factory("wing"), person=number, level=L.BASIC, reason=reason, on=dt.date(2016, 3, 1)
        )
    moved = inc.review_basic(uow_factory("hq"), on=dt.date(2017, 7, 1))
    assert [(v.prison_number, v.from_level, v.to_level) for v in moved] == [
        ("A0001AA", "basic", "standard"),
        ("A0002AA", "basic", "standard"),
    ]
    for number, who in (("A0001AA", "maintaining innocence"), ("A0002AA", "recognised appellant")):
        with pytest.raises(InvalidTransition, match=who):
            inc.set_level(uow_factory("wing"), person=number, level=L.BASIC, reason=REFUSES, on=AFTER_RULE)
    assert inc.review_basic(uow_factory("hq"), on=AFTER_RULE) == []
    with session_factory() as s:
        levels = s.execute(
            select(Person.prison_number, IncentiveLevelChange.level)
            .join(Person, Person.id == IncentiveLevelChange.person_id)
            .order_by(IncentiveLevelChange.id)
        ).all()
    assert levels[-2:] == [("A0001AA", "Standard"), ("A0002AA", "Standard")]


def test_a_flag_committed_while_a_level_change_waits_is_seen(uow_factory, session_factory) -> None:  # type: ignore[no-untyped-def]
    """set_level re-reads the man under its row lock, so a flag set meanwhile counts (no stale read)."""
    _add(uow_factory, "A0001AA")
    outcome: list[object] = []

    def put_on_basic() -> None:
        try:
            outcome.append(
                inc.set_level(
                    uow_factory("wing"), person="A0001AA", level=L.BASIC, reason=REFUSES, on=AFTER_RULE
                )
            )
        except InvalidTransition as exc:
            outcome.append(exc)

    with uow_factory("casework") as flagging:
        p = find_person(flagging, "A0001AA")
        p.maintains_innocence = True
        flagging.session.flush()  # holds the row (PostgreSQL) / the write lock (SQLite) until commit
        worker = threading.Thread(target=put_on_basic)
        worker.start()
        time.sleep(1.0)  # let it read the man and queue on the lock
        assert outcome == []
        flagging.commit()
    worker.join(30)
    assert len(outcome) == 1 and isinstance(outcome[0], InvalidTransition), outcome
    assert _count(session_factory, IncentiveLevelChange) == 0


# --- CLI ------------------------------------------------------------------------------------------------


def test_cli_person_add_and_set_flags_drive_the_rule(database_url, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DESIST_DATABASE_URL", database_url)
    monkeypatch.setenv("DESIST_USER", "tester")
    seed_user(database_url, "tester", *CASEWORK)
    basic = [
        "incentive",
        "set",
        "--level",
        "basic",
        "--reason-category",
        "non_participation",
        "--reason",
        "refuses Horizon",
        "--on",
        "2018-03-01",
        "--person",
    ]
    assert _cli(
        ["person", "add", "--prison-number", "A0001AA", "--date-of-birth", "1970-01-01",
         "--maintains-innocence"],
        capsys,
    )[1] == ("person 1: A0001AA (maintains innocence)\n")
    code, _, err = _cli([*basic, "A0001AA"], capsys)  # no --maintains-innocence: his record says so
    assert code == 2 and err.startswith(
        "error: person A0001AA: a man maintaining innocence may not be placed"
    )

    assert (
        _cli(["person", "add", "--prison-number", "A0002AA", "--date-of-birth", "1971-01-01"], capsys)[1]
        == "person 2: A0002AA\n"
    )
    code, out, _ = _cli(["person", "set-flags", "A0002AA", "--appellant", "--expect-version", "1"], capsys)
    assert (code, out) == (0, "person 2: A0002AA (recognised appellant) (version 2)\n")
    code, _, err = _cli([*basic, "A0002AA"], capsys)
    assert code == 2 and "a recognised appellant may not be placed on basic" in err

    code, out, _ = _cli(["person", "set-flags", "A0002AA", "--not-appellant"], capsys)
    assert (code, out) == (0, "person 2: A0002AA (no flags) (version 3)\n")
    assert _cli([*basic, "A0002AA"], capsys)[0] == 0

    code, _, err = _cli(["person", "set-flags", "A0002AA"], capsys)
    assert code == 2 and err.count("\n") == 1 and "nothing to change" in err
    code, _, err = _cli(["person", "set-flags", "A0002AA", "--appellant", "--expect-version", "1"], capsys)
    assert code == 2 and "changed by someone else" in err
