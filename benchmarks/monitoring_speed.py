"""Speed of monitoring reviews on the synthetic national history (about 63,600 men from 2000 to 2020).

One review = the as-of cohort of Core SOTP (completers against comparable untreated men, outcomes as known
on the date) and the covariate-adjusted Cox fit; the replay walks every quarter from 2000 to March 2017
(69 reviews) with the O'Brien-Fleming design. Prints wall time and peak memory.

    python benchmarks/monitoring_speed.py
"""

from __future__ import annotations

import datetime as dt
import resource
import time

from desist.monitoring import GroupSequentialDesign, maximum_information
from desist.monitoring.looks import cox_look
from desist.monitoring.review import Monitor, quarter_ends, replay
from desist.synth.history import COVARIATES, national_history


def main() -> None:
    t0 = time.perf_counter()
    history = national_history(seed=1)
    built = time.perf_counter() - t0
    men, flows = len(history.population.men), len(history.flows)
    print(f"national history: {men:,} men, {flows:,} flows in {built:.1f} s")

    def evaluate(programme: str, as_of: dt.date):  # noqa: ANN202
        return cox_look(history.cohort(programme, as_of), COVARIATES, subgroup=None)

    t1, c1 = time.perf_counter(), time.process_time()
    look = evaluate("SOTP-CORE", dt.date(2017, 3, 31))
    assert look is not None
    one, one_cpu = time.perf_counter() - t1, time.process_time() - c1
    men_ = look.treated + look.comparison
    print(f"one review (SOTP-CORE as of 2017-03-31: {men_:,} men): {one:.2f} s wall, {one_cpu:.2f} s CPU")
    dates = quarter_ends(dt.date(2000, 1, 1), dt.date(2017, 3, 31))
    t2, c2 = time.perf_counter(), time.process_time()
    design = GroupSequentialDesign()
    result = replay(
        evaluate,
        ["SOTP-CORE"],
        dates,
        Monitor(design, maximum_information(design)),
        detail=lambda p, d: cox_look(history.cohort(p, d), COVARIATES),
    )
    took, cpu = time.perf_counter() - t2, time.process_time() - c2
    first = result.first_alerts["SOTP-CORE"]
    print(
        f"replay of {len(dates)} quarters: {took:.1f} s wall, {cpu:.1f} s CPU; "
        f"first harm alert {first.as_of if first else None}"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"wall {time.perf_counter() - t0:.1f} s; peak memory {peak:.0f} MB")


if __name__ == "__main__":
    main()
