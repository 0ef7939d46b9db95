"""Operating characteristics of the monitoring designs over quarterly looks, 2000 to March 2017.

Release dates and treatment come from the synthetic national history's Core SOTP cohort
(``desist.synth.history``, seed 1: ~4,700 completers, ~11,000 comparison men); each of ``--histories``
simulated histories draws new outcomes (see ``desist.monitoring.operating``) with the comparison group's
yearly rate of proven sexual reoffending. Under no effect (HR 1) it counts false alarms; under the seed's
effect (HR 1.25) the power by March 2017 and the median date of the first harm alert. Both designs:
O'Brien-Fleming group-sequential (alpha 0.05, two-sided, maximum information for HR 1.25 with 90% power
over 12 looks) and the always-valid normal mixture (alpha 0.05, two-sided). Prints wall time and peak memory.

    python benchmarks/monitoring_oc.py [--histories 1000] [--json results.json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import time

import numpy as np
import pandas as pd

from desist.monitoring import AlwaysValidDesign, GroupSequentialDesign, maximum_information
from desist.monitoring.operating import simulate
from desist.monitoring.review import quarter_ends
from desist.synth.history import national_history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--histories", type=int, default=1000)
    parser.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = parser.parse_args()
    start = time.perf_counter()
    history = national_history(seed=1)
    cohort = history.cohort("SOTP-CORE", "2024-12-31")
    men = history.population.men.set_index("prison_number")
    origin = pd.Timestamp("2000-01-01")
    release = (pd.to_datetime(cohort["prison_number"].map(men["release_date"])) - origin).dt.days.to_numpy(
        float
    )
    treated = cohort["treated"].to_numpy(bool)
    dates = quarter_ends(dt.date(2000, 1, 1), dt.date(2017, 3, 31))
    looks = np.array([(pd.Timestamp(d) - origin).days for d in dates], float)
    comparison = cohort[cohort["treated"] == 0]
    yearly = float(comparison["event"].sum() / (comparison["time_days"].sum() / 365.25))
    designs = [GroupSequentialDesign(), AlwaysValidDesign()]
    max_info = maximum_information(GroupSequentialDesign())
    print(
        f"cohort: {int(treated.sum()):,} treated, {int((~treated).sum()):,} comparison; "
        f"{len(dates)} quarterly "
        f"looks; yearly rate {yearly:.4f}; maximum information {max_info:.1f}"
    )
    out: dict[str, object] = {"histories": args.histories, "looks": len(dates), "yearly_rate": yearly}
    for hr, seed in ((1.0, 11), (1.25, 12)):
        t0 = time.perf_counter()
        results = simulate(
            release,
            treated,
            looks,
            designs,
            hazard_ratio=hr,
            yearly_rate=yearly,
            max_information=max_info,
            histories=args.histories,
            seed=seed,
        )
        took = time.perf_counter() - t0
        for r in results:
            lo, hi = r.interval()
            median = r.median_alert_look()
            when = dates[int(round(median))].isoformat() if median is not None else "none"
            label = "false-alarm rate" if hr == 1.0 else "power by 2017-03-31"
            print(
                f"HR {hr:g} {r.method:16s} {label} {r.rate:.3f} (95% MC interval {lo:.3f} to {hi:.3f}); "
                f"benefit alerts {r.benefit_alerts}; median first harm alert {when}"
            )
            out[f"{r.method} HR {hr:g}"] = {
                "rate": r.rate,
                "interval": [lo, hi],
                "median_alert": when,
                "benefit_alerts": r.benefit_alerts,
            }
        print(f"  {args.histories} histories x {len(dates)} looks: {took:.1f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"wall {time.perf_counter() - start:.1f} s; peak memory {peak:.0f} MB")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2)


if __name__ == "__main__":
    main()
