"""evaluate_programme on the casework store (SQLite and PostgreSQL): the cohort from the database equals the
one from the generator's frames, the run is stored append-only and audited, and re-running its stored spec
gives the identical result."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from desist.adapters.orm import AuditLog, EvaluationRun
from desist.domain.errors import InputError, NotFound
from desist.evaluation.cohort import default_spec
from desist.evaluation.evaluate import evaluate
from desist.evaluation.matching import NearestNeighborMatcher
from desist.services.demo import load_population
from desist.services.evaluations import evaluate_programme, get_run, list_runs, rerun
from desist.synth import generate_population
from desist.synth.cohort import evaluation_cohort, tables_from_population
from desist.synth.export import write_import_files
from tests.principals import admin, analyst

MEN, SEED = 1500, 3
END = dt.date(2024, 12, 31)


@pytest.fixture(scope="module")
def population():
    return generate_population(MEN, seed=SEED)


@pytest.fixture
def loaded(engine, population, tmp_path):
    load_population(engine, write_import_files(population, END, tmp_path / "files"), principal=admin())
    return engine


def test_a_programme_evaluated_from_the_store(loaded, uow_factory, session_factory, population):  # noqa: PLR0915
    run = evaluate_programme("SOTP-CORE", END, None, uow_factory(analyst("ana.lyst")))
    r = run.result
    # the database round trip lost nothing: the same cohort and answer as from the generator's frames
    memory = evaluation_cohort(tables_from_population(population), END)
    assert r.n["treated"] == int(memory["treated"].sum()) >= 60
    assert r.n["control"] == int((memory["treated"] == 0).sum())
    direct = evaluate(memory, default_spec())
    assert r.estimates == direct.estimates and r.data_fingerprint == direct.data_fingerprint
    # provenance
    assert r.data_cutoff == "2024-12-31" and r.treatment == {
        "column": "treated",
        "programme": "SOTP-CORE",
        "definition": "completed",
    }
    assert r.source["rules"]["risk_bands"] == ["MEDIUM", "VERY_HIGH"]
    assert r.source["rules"]["pathway_programmes"] == ["SOTP-BLB-HIGH", "SOTP-BLB-LOW", "SOTP-EXT"]
    assert r.source["cohort"]["treated"] == r.n["treated"]
    assert r.covariates == list(default_spec().covariates)

    # stored, listed, read back as the same value
    assert [s.id for s in list_runs(uow_factory())] == [run.id]
    again = get_run(uow_factory(), run.id)
    assert again.result == r and again.actor == "ana.lyst" and again.as_of == END
    with session_factory() as s:
        audit = s.scalars(select(AuditLog).where(AuditLog.entity == "evaluation_run")).all()
        assert [(a.action, a.actor, a.entity_id) for a in audit] == [("insert", "ana.lyst", str(run.id))]

    # everything needed to reproduce it: the stored spec, re-run on the stored date, gives the same result
    old, new = rerun(run.id, lambda: uow_factory(analyst("re.runner")))
    assert new.id != old.id and new.result.same_answer(old.result)
    assert new.result.fitted_at >= old.result.fitted_at

    # append-only: the database refuses changes to a stored run
    for statement in ("UPDATE evaluation_run SET actor = 'x'", "DELETE FROM evaluation_run"):
        with session_factory() as s, pytest.raises(Exception, match="append-only"):
            s.execute(text(statement))
            s.flush()
    with session_factory() as s:
        assert s.scalar(select(EvaluationRun.actor).where(EvaluationRun.id == run.id)) == "ana.lyst"


def _intention_to_treat(uow_factory):
    spec = default_spec().replace(
        design=NearestNeighborMatcher(ratio=2, replace=True),
        treated_when="started",
        followup_years=2,
        subgroup=None,
        window="within 2 years of release",
    )
    run = evaluate_programme("SOTP-CORE", END, spec, uow_factory(analyst()))
    two_years = default_spec().replace(followup_years=2)
    completed = evaluate_programme("SOTP-CORE", END, two_years, uow_factory(analyst()))
    # starters include those who did not complete: more treated men under intention to treat
    assert run.result.n["treated"] > completed.result.n["treated"]
    assert run.result.treatment["definition"] == "started"
    assert run.result.settings_applied["params"]["ratio"] == 2
    assert run.spec == spec


REFUSALS = [
    ("SOTP-CORE", dt.date(2006, 6, 30), {}, InputError, "treated men (completed) with 5 years"),
    ("NOPE", END, {}, NotFound, "programme code 'NOPE' is not in the catalogue"),
    ("SOTP-CORE", dt.date(2999, 1, 1), {}, InputError, "is in the future"),
    ("BC-HIGH", END, {}, InputError, "selects men by PNI pathway"),
    (
        "SOTP-CORE",
        END,
        {"covariates": ("age_at_release", "iq")},
        InputError,
        "column 'iq' is not in the cohort",
    ),
    ("SOTP-CORE", END, {"treatment": "took_core"}, InputError, "spec.treatment 'took_core'"),
]


def test_refusals_are_one_line_and_store_nothing_then_another_design(loaded, uow_factory):
    for programme, as_of, spec_change, error, message in REFUSALS:
        spec = default_spec().replace(**spec_change) if spec_change else None
        with pytest.raises(error) as info:
            evaluate_programme(programme, as_of, spec, uow_factory(analyst()))
        assert message in str(info.value) and "\n" not in str(info.value)
    assert list_runs(uow_factory()) == []
    _intention_to_treat(uow_factory)
    assert len(list_runs(uow_factory())) == 2


def test_migration_0007_round_trip(engine):
    from sqlalchemy import inspect

    from desist.adapters.migrate import current_revision, downgrade, head_revision, upgrade

    assert current_revision(engine) == head_revision()
    assert "evaluation_run" in inspect(engine).get_table_names()
    downgrade(engine, "0006")
    assert "evaluation_run" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert "evaluation_run" in inspect(engine).get_table_names()
    with engine.begin() as conn:  # the append-only guard came back with the table
        conn.execute(
            text(
                "INSERT INTO evaluation_run (programme_code, as_of, spec, result, data_fingerprint, "
                "desist_version, actor, created_at) VALUES ('X', '2020-01-01', '{}', '{}', 'f', 'v', 'a', "
                "'2020-01-01 00:00:00')"
            )
        )
    with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM evaluation_run"))
