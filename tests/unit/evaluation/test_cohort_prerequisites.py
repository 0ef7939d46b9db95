"""A programme taken after another (Extended SOTP after Core) is evaluable from the store: its prerequisite
is not "another programme" that excludes the treated, and the comparison men completed it too."""

import datetime as dt

import pytest

from desist.domain.catalogue import default_catalogue
from desist.evaluation.cohort import default_spec, programme_cohort, programme_rules
from desist.synth import generate_population
from desist.synth.cohort import tables_from_population

AS_OF = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def tables():
    return tables_from_population(generate_population(20_000, seed=3))


def completed(tables, code):
    h = tables["history"]
    return set(h.loc[(h["programme_code"] == code) & (h["result"] == "completed"), "prison_number"])


def test_extended_sotp_compares_core_completers_with_and_without_it(tables):
    cat = default_catalogue()
    ext = cat["SOTP-EXT"]
    assert programme_rules(ext, cat)["prerequisites"] == [["SOTP-CORE"]]
    cohort = programme_cohort(tables, ext, cat, AS_OF, default_spec())
    frame = cohort.frame
    treated = set(frame.loc[frame.treated == 1, "prison_number"])
    comparison = set(frame.loc[frame.treated == 0, "prison_number"])
    assert len(treated) >= 60 and len(comparison) > len(treated)
    core = completed(tables, "SOTP-CORE")
    assert treated <= core and comparison <= core  # both groups did the prerequisite
    started_ext = set(
        tables["history"].loc[tables["history"]["programme_code"] == "SOTP-EXT", "prison_number"]
    )
    assert not comparison & started_ext  # nobody in the comparison group took Extended


def test_a_programme_without_prerequisites_is_unchanged(tables):
    cat = default_catalogue()
    core = cat["SOTP-CORE"]
    assert programme_rules(core, cat)["prerequisites"] == []
    frame = programme_cohort(tables, core, cat, AS_OF, default_spec()).frame
    # Extended follows Core, so Core's comparison men never took Extended, and Extended's men count as Core's
    started_ext = set(
        tables["history"].loc[tables["history"]["programme_code"] == "SOTP-EXT", "prison_number"]
    )
    assert not set(frame.loc[frame.treated == 0, "prison_number"]) & started_ext
    assert frame.treated.sum() >= 60
