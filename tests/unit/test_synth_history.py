"""The synthetic national history: scale, flows, per-programme TRUE effects, as-of cohorts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from desist.domain.errors import InputError
from desist.synth.history import as_of_cohort, national_history, national_size


@pytest.fixture(scope="module")
def small():
    return national_history(seed=4, men=12_000, effects={"KAIZEN": 1.5})


def test_national_size_follows_the_calibrated_receptions() -> None:
    size = national_size()
    assert 55_000 < size < 75_000  # ~2,700 to ~3,400 a year from 2000 to 2020


def test_flows_cover_every_programme_from_2000(small) -> None:
    flows = small.flows
    assert set(flows.flow) == {"referral", "start", "completion", "release", "reoffence"}
    assert {"SOTP-CORE", "SOTP-EXT", "KAIZEN", "HORIZON"} <= set(flows.programme)
    assert flows.date.min() >= pd.Timestamp("2000-01-01")
    core = flows[flows.programme == "SOTP-CORE"]
    # referral <= start <= completion for the same men, counted per flow
    counts = core.flow.value_counts()
    assert counts["referral"] == counts["start"] >= counts["completion"] > 0
    quarterly = small.quarterly()
    assert quarterly.loc["SOTP-CORE"]["start"].sum() == counts["start"]


def test_true_effects_per_programme(small) -> None:
    men = small.population.men
    kaizen = men[(men.programme == "KAIZEN") & men.current_completed]
    horizon = men[(men.programme == "HORIZON") & men.current_completed]
    assert np.allclose(kaizen.true_hr, 1.5) and np.allclose(horizon.true_hr, 1.0)
    core = men[men.core_completed & ~men.extended_completed]
    assert set(np.round(core.true_hr, 2)) <= {1.15, 1.35}  # the seed's effect by band (calibration.yaml)
    assert "hazard ratio 1.5" in small.effects["KAIZEN"]


def test_bad_effects_are_one_line() -> None:
    with pytest.raises(InputError, match="'NOPE' is not in the history"):
        national_history(seed=1, men=500, effects={"NOPE": 1.2})
    with pytest.raises(InputError, match="expected a hazard ratio above 0"):
        national_history(seed=1, men=500, effects={"KAIZEN": -1})


def test_as_of_cohort_uses_only_what_was_known(small) -> None:
    pop = small.population
    early = as_of_cohort(pop, "SOTP-CORE", "2008-12-31")
    late = as_of_cohort(pop, "SOTP-CORE", "2016-12-31")
    assert 0 < early.treated.sum() < late.treated.sum()
    men = pop.men.set_index("prison_number")
    released = pd.to_datetime(early.prison_number.map(men.release_date))
    assert (released <= pd.Timestamp("2008-06-30")).all()  # released before the 6-month waiting period
    assert (early.time_days <= (pd.Timestamp("2008-06-30") - released).dt.days.clip(lower=1)).all()
    # a man's event can only appear, never disappear, as time passes
    both = early.merge(late, on="prison_number", suffixes=("_e", "_l"))
    assert (both.event_l >= both.event_e).all()
    assert as_of_cohort(pop, "KAIZEN", "2012-01-01").empty
    with pytest.raises(InputError, match="'XYZ' has no one"):
        as_of_cohort(pop, "XYZ", "2012-01-01")
