"""Is the replay's Core SOTP hazard ratio biased? Many synthetic national histories, measured.

For each seed: the covariate-adjusted Cox estimate a review makes (``desist.monitoring.looks.cox_look`` on
``History.cohort``) on two dates, next to versions of the TRUE effect over the same treated men:

* ``per man``: the geometric mean of the hazard ratio each treated man was generated with (1.15 for medium
  risk, 1.35 for high and very high, times 1.1 for men who went on to Extended SOTP);
* ``per man, event-weighted``: the same, weighted by the treated men's reoffences in the cohort (a Cox
  model's information comes from events, so an adjusted Cox model of an effect that differs between men
  estimates roughly this: :func:`desist.services.monitoring.synthetic_truth`);
* ``marginal``: :meth:`desist.synth.generate.Population.true_marginal_hr`, the Cox hazard ratio of the
  treated men's simulated reoffending against their own simulated reoffending without the programme (same
  draws), over the follow-up known on the date (``marginal, full``: to the end of the data) - the estimand of
  a matched comparison with an unadjusted Cox model (``evaluate_programme``);
* the estimate with Extended SOTP completers left out (is the 1.1 extra the gap?).

Also the same with no effect (both hazard ratios 1.0), to show the design has no bias of its own.

``--first-alert``: instead, replay each history quarter by quarter (2000 to March 2017, O'Brien-Fleming) and
compare the estimate at the first harm alert with the truth on that date (a sequential design stops when
the estimate happens to be high).

    python benchmarks/monitoring_bias.py [SEEDS]                 # default 20 seeds, about 10 s each
    python benchmarks/monitoring_bias.py SEEDS --first-alert     # about 30 s each
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
        events = cohort.loc[cohort["treated"] == 1, "event"].to_numpy(float)
        true_hr = treated.map(men["true_hr"]).to_numpy(float)
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
                "true_event_weighted": float(np.exp(np.average(np.log(true_hr), weights=events)))
                if events.sum()
                else float("nan"),
                "true_marginal": pop.true_marginal_hr(treated, end=as_of),
                "true_marginal_full": pop.true_marginal_hr(treated),
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
            f"{math.exp(np.log(part['without_extended']).mean()):.3f}; TRUE per man "
            f"{gm(part['true_per_man']):.3f}, per man event-weighted {gm(part['true_event_weighted']):.3f}, "
            f"marginal {gm(part['true_marginal']):.3f} "
            f"(full follow-up {gm(part['true_marginal_full']):.3f}); "
            f"Extended share of treated {part['extended_share'].mean():.1%}; 95% CI coverage of the "
            f"event-weighted truth {cover(part, 'true_event_weighted'):.0%}, of the marginal "
            f"{cover(part, 'true_marginal'):.0%}"
        )


def gm(values: pd.Series) -> float:
    return math.exp(float(np.log(values).mean()))


def cover(part: pd.DataFrame, truth: str) -> float:
    inside = np.abs(np.log(part["estimate"]) - np.log(part[truth])) <= 1.96 * part["se"]
    return float(inside.mean())


def first_alerts(seeds: int) -> None:
    from desist.monitoring.review import quarter_ends, replay
    from desist.services.monitoring import make_monitor, synthetic_truth

    rows = []
    for seed in range(1, seeds + 1):
        history = national_history(seed)

        def fast(programme: str, as_of: dt.date, history=history):  # noqa: ANN001, ANN202
            return cox_look(history.cohort(programme, as_of), COVARIATES, subgroup=None)

        dates = quarter_ends(dt.date(2000, 1, 1), dt.date(2017, 3, 31))
        alert = replay(fast, ["SOTP-CORE"], dates, make_monitor()).first_alerts["SOTP-CORE"]
        if alert is None:
            rows.append({"seed": seed, "as_of": None})
            continue
        truth = synthetic_truth(history, "SOTP-CORE", alert.as_of)
        late = cox_look(history.cohort("SOTP-CORE", dates[-1]), COVARIATES, subgroup=None)
        rows.append(
            {
                "seed": seed,
                "as_of": alert.as_of.isoformat(),
                "estimate": alert.estimate,
                "truth": truth,
                "estimate_2017": math.exp(late.log_hr) if late else float("nan"),
            }
        )
        print(rows[-1], flush=True)
    frame = pd.DataFrame(rows)
    hit = frame.dropna(subset=["as_of"])
    ratio = np.log(hit["estimate"] / hit["truth"])
    half = 1.96 * ratio.std(ddof=1) / math.sqrt(len(hit))
    median = sorted(hit["as_of"])[len(hit) // 2]
    print(
        f"{len(hit)} of {len(frame)} histories alerted by March 2017 (median {median});"
        f" estimate at the first alert {gm(hit['estimate']):.3f} against the truth then "
        f"{gm(hit['truth']):.3f}:"
        f" {math.exp(ratio.mean()):.3f} times (95% MC {math.exp(ratio.mean() - half):.3f} to "
        f"{math.exp(ratio.mean() + half):.3f}); the same histories' estimate in March 2017 "
        f"{gm(hit['estimate_2017']):.3f}"
    )


def main() -> None:
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    start = time.perf_counter()
    if "--first-alert" in sys.argv:
        first_alerts(seeds)
        print(f"{time.perf_counter() - start:.0f} s")
        return
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
