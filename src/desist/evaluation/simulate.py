"""A simulated cohort with a known programme effect, for validation tests, the docs and the example CSV.

Nothing here is real data: ages, risk bands and outcomes are drawn from simple distributions chosen to look
like a prison population of men with sexual convictions (treatment more likely at higher risk; men maintaining
innocence rarely treated, as under SOTP). The effect is additive on the probability scale, so the true ATT and
ATE on the risk difference scale are exactly ``effect``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

RISK_BANDS = ("low", "medium", "high", "very high")


def simulate_cohort(
    n: int = 2000,
    *,
    effect: float = -0.04,
    score_effect: float = -2.0,
    seed: int | None = 0,
    selection: float = 1.0,
    intercept: float = -1.5,
) -> pd.DataFrame:
    """Simulate one row per man with covariates, treatment and outcomes with a known effect.

    Parameters
    ----------
    n : int
        Number of men.
    effect : float
        Treatment effect on the two-year reoffending probability (risk difference), the same for everyone;
        must lie in [-0.05, 0.3] so every man's probabilities stay in [0, 1].
    score_effect : float
        Treatment effect on the continuous ``score`` outcome (additive).
    seed : int, optional
    selection : float
        Strength of selection into treatment on the covariates (0 = randomised).
    intercept : float
        Intercept of the treatment model's logit: -1.5 treats about a third, -2.5 about one in seven (as in
        the         MoJ's 2017 SOTP evaluation, 2,562 treated against 13,219 comparison men).

    Returns
    -------
    DataFrame
        ``id, age, risk_band, prior_sexual, setting, maintains_innocence, treated, reoffended_2y, score,
        time_days, event`` where ``time_days``/``event`` give time to first proven reoffence with
        administrative censoring after 2 to 6 years, consistent with ``reoffended_2y``.
    """
    if not -0.05 <= effect <= 0.3:
        raise ValueError("effect must lie in [-0.05, 0.3] to keep probabilities valid")
    rng = np.random.default_rng(seed)
    age = np.clip(rng.normal(42, 12, n), 21, 80).round()
    risk = rng.choice(4, size=n, p=[0.35, 0.35, 0.2, 0.1])
    prior = rng.poisson(0.3 + 0.4 * risk)
    setting = rng.choice(["prison", "community"], size=n, p=[0.6, 0.4])
    deny = rng.random(n) < 0.15
    lin = (
        intercept
        + selection * (0.55 * risk + 0.25 * prior - 0.025 * (age - 42) + 0.4 * (setting == "prison"))
        - 2.5 * deny
    )
    treated = rng.random(n) < 1 / (1 + np.exp(-lin))
    # two-year reoffending probability without treatment: rises with risk and priors, falls with age
    p0 = np.clip(0.06 + 0.06 * risk + 0.03 * np.minimum(prior, 4) - 0.002 * (age - 42), 0.06, 0.6)
    p = p0 + effect * treated
    # exponential time to reoffence calibrated so that P(T < 730 days) = p
    rate = -np.log1p(-p) / 730.0
    t_event = rng.exponential(1 / rate)
    follow = rng.uniform(730, 2190, n)
    score = 50 + 3 * risk + 1.5 * prior - 0.1 * (age - 42) + score_effect * treated + rng.normal(0, 4, n)
    return pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "age": age.astype(int),
            "risk_band": pd.Categorical(np.asarray(RISK_BANDS)[risk], categories=RISK_BANDS),
            "prior_sexual": prior.astype(int),
            "setting": setting,
            "maintains_innocence": deny.astype(int),
            "treated": treated.astype(int),
            "reoffended_2y": (t_event < 730).astype(int),
            "score": score.round(2),
            "time_days": np.minimum(t_event, follow).round(1),
            "event": (t_event <= follow).astype(int),
        }
    )
