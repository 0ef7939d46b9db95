"""Is the replay's Core SOTP hazard ratio biased? Many synthetic national histories, measured.

For each seed: the covariate-adjusted Cox estimate a review makes (``desist.monitoring.looks.cox_look`` on
``History.cohort``) on two dates, next to three versions of the TRUE effect over the same treated men:

* ``per-man geometric mean``: the mean log of the hazard ratio each treated man was generated with (1.15 for
  medium risk, 1.35 for high and very high, times 1.1 for men who went on to Extended SOTP);
* ``marginal``: :meth:`desist.synth.generate.Population.true_marginal_hr`, the Cox hazard ratio of the treated
  men's simulated reoffending against their own simulated reoffending without the programme (same draws) -
  the estimand a matched or adjusted comparison of these men targets;
* the estimate with Extended SOTP completers left out (is the 1.1 extra the gap?).

Also the same with no effect (both hazard ratios 1.0), to show the design has no bias of its own.

    python benchmarks/monitoring_bias.py [SEEDS]          # default 20 seeds, about 10 s each
"""

from __future__ import annotations

import datetime as dt
import math
import sys
import time

import numpy as np
import pandas as pd

from desist.monitoring.looks import _fit, cox_look
from desist.synth.history import COVARIATES, national_history

DATES = (dt.date(2011, 9, 30), dt.date(2017, 3, 31))


def one(seed: int, effects: dict[str, float] | None) -> list[dict[str, float]]:
    history = national_history(seed, effects=effects)
    pop = history.population
    men = pop.men.set_index("prison_number")
    rows = []
    for as_of in DATES:
        cohort = history.cohort("SOTP-CORE", as_of)
        look = cox_look(cohort, COVARIATES, subgroup=None)
        treated = cohort.loc[cohort["treated"] == 1, "prison_number"]
        extended = cohort["prison_number"].map(men["extended_completed"]).astype(bool)
        fit = _fit(cohort[~(extended & (cohort["treated"] == 1))], COVARIATES)
        rows.append(
            {
                "seed": seed,
                "as_of": as_of.isoformat(),
                "estimate": math.exp(look.log_hr) if look else float("nan"),
                "se": look.se if look else float("nan"),
                "without_extended": math.exp(fit[0]) if fit else float("nan"),
                "true_per_man": pop.average_true_hr(treated),
                "true_marginal": pop.true_marginal_hr(treated),
                "extended_share": float(extended[cohort["treated"] == 1].mean()),
            }
        )
    return rows


def summary(label: str, frame: pd.DataFrame) -> None:
    for as_of, part in frame.groupby("as_of"):
        log_est = np.log(part["estimate"])
        k = len(part)
        mean, sd = log_est.mean(), log_est.std(ddof=1)
        half = 1.96 * sd / math.sqrt(k)
        print(
            f"{label} {as_of}: {k} histories; estimate (geometric mean) {math.exp(mean):.3f} "
            f"(95% MC {math.exp(mean - half):.3f} to {math.exp(mean + half):.3f}), spread of one history's "
            f"estimate SD(log) {sd:.3f} against its mean SE {part['se'].mean():.3f}; range "
            f"{part['estimate'].min():.2f} to {part['estimate'].max():.2f}; without Extended completers "
            f"{math.exp(np.log(part['without_extended']).mean()):.3f}; TRUE per-man "
            f"{math.exp(np.log(part['true_per_man']).mean()):.3f}, TRUE marginal "
            f"{math.exp(np.log(part['true_marginal']).mean()):.3f}; Extended share of treated "
            f"{part['extended_share'].mean():.1%}; coverage of the marginal truth by the 95% CI "
            f"{(np.abs(log_est - np.log(part['true_marginal'])) <= 1.96 * part['se']).mean():.0%}"
        )


def main() -> None:
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    start = time.perf_counter()
    for label, effects in (("seed's effect", None), ("no effect", {"SOTP-CORE": 1.0, "SOTP-EXT": 1.0})):
        rows = []
        for seed in range(1, seeds + 1):
            rows += one(seed, effects)
            if seed == 1:
                print(label, "seed 1:", rows[-2:], flush=True)
        summary(label, pd.DataFrame(rows))
    print(f"{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
