"""Random but valid risk-tool records, for the scalar/vectorised agreement tests and the benchmark.

Values are drawn to hit every band: small counts with many zeros, ages across each cut, PNI scores that sit on
and either side of every threshold, and missing answers. Records are synthetic; no real person is described.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from desist.domain.risk.bands import Band, NeedLevel
from desist.domain.risk.pni import OASYS_ITEMS
from desist.domain.risk.static99r import FLAG_ITEMS

_SEX_ITEMS = OASYS_ITEMS[:3]
#: scores on and beside every PNI threshold, mixed with uniform draws
_EDGES = {
    "ogrs3": [49.99, 50.0, 74.99, 75.0],
    "ovp": [29.99, 30.0, 59.99, 60.0],
    "rsr": [0.99, 1.0, 2.99, 3.0],
}


def _counts(rng: np.random.Generator, n: int, p_zero: float = 0.5, high: int = 7) -> np.ndarray:
    return np.where(rng.random(n) < p_zero, 0, rng.integers(1, high, n))


def _ids(n: int, prefix: str) -> list[str]:
    return [f"{prefix}-{i:07d}" for i in range(1, n + 1)]


def osp_records(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """OSP inputs (men mostly, some women, some without sexual sanctions)."""
    age = rng.integers(10, 111, n)
    c = {
        f: _counts(rng, n, p)
        for f, p in (
            ("contact_adult_sanctions", 0.5),
            ("contact_child_sanctions", 0.6),
            ("paraphilia_sanctions", 0.7),
            ("indecent_image_sanctions", 0.6),
        )
    }
    total = np.maximum.reduce(list(c.values())) + rng.integers(0, 6, n)
    any_sexual = sum(c.values()) > 0
    last = np.where(any_sexual, np.floor(10 + rng.random(n) * (age - 10 + 1)), np.nan)
    years = np.where(rng.random(n) < 0.2, np.nan, rng.choice([0.0, 2.0, 4.99, 5.0, 8.0, 20.0], n))
    return pd.DataFrame(
        {
            "id": _ids(n, "O"),
            "sex": np.where(rng.random(n) < 0.95, "M", "F"),
            "age": age,
            **c,
            "total_sanctions": total,
            "age_at_last_sexual_offence": np.minimum(last, age),
            "stranger_victim": rng.random(n) < 0.3,
            "in_custody": rng.random(n) < 0.5,
            "years_since_community_date": years,
            "offence_in_last_5_years": rng.random(n) < 0.3,
            "sexual_offence_in_last_5_years": rng.random(n) < 0.2,
        }
    )


def static99r_records(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Static-99R inputs."""
    flags = ("lived_with_partner_2y", *FLAG_ITEMS)
    return pd.DataFrame(
        {
            "id": _ids(n, "S"),
            "sex": "M",
            "age_at_release": np.round(18 + rng.random(n) * 62, 1),
            **{f: rng.random(n) < 0.4 for f in flags},
            "prior_sex_charges": _counts(rng, n, 0.5, 9),
            "prior_sex_convictions": _counts(rng, n, 0.6, 6),
            "prior_sentencing_dates": _counts(rng, n, 0.3, 9),
        }
    )


def rm2000_records(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """RM2000 inputs."""
    flags = ("male_victim", "stranger_victim", "never_married", "noncontact_sexual_offence", "burglary")
    return pd.DataFrame(
        {
            "id": _ids(n, "R"),
            "sex": "M",
            "age_at_commencement_of_risk": rng.integers(18, 80, n).astype(float),
            "sexual_appearances": rng.integers(1, 8, n),
            "criminal_appearances": rng.integers(0, 15, n),
            "violent_appearances": _counts(rng, n, 0.5, 7),
            **{f: rng.random(n) < 0.4 for f in flags},
        }
    )


def _score(rng: np.random.Generator, n: int, name: str, top: float) -> np.ndarray:
    v = np.where(rng.random(n) < 0.4, rng.choice(_EDGES[name], n), np.round(rng.random(n) * top, 2))
    return np.where(rng.random(n) < 0.1, np.nan, v)


def pni_records(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """PNI inputs with missing answers; sex items are present whenever a man has an OSP level."""
    bands = np.array([None, *(str(b) for b in Band)], dtype=object)
    sara = np.array([None, *(str(x) for x in NeedLevel)], dtype=object)
    df = pd.DataFrame(
        {
            "id": _ids(n, "N"),
            "sex": np.where(rng.random(n) < 0.9, "M", "F"),
            "ogrs3": _score(rng, n, "ogrs3", 100),
            "ovp": _score(rng, n, "ovp", 100),
            "rsr": _score(rng, n, "rsr", 8),
            "osp_dc_band": rng.choice(bands, n),
            "osp_iic_band": rng.choice(bands, n),
            "sara_partner": rng.choice(sara, n),
            "sara_others": rng.choice(sara, n),
        }
    )
    for item in OASYS_ITEMS:
        df[item] = np.where(rng.random(n) < 0.03, np.nan, rng.integers(0, 3, n).astype(float))
    osp_level = (df["sex"] == "M") & (
        df["osp_dc_band"].isin(["LOW", "MEDIUM", "HIGH", "VERY_HIGH"])
        | df["osp_iic_band"].isin(["LOW", "MEDIUM", "HIGH", "VERY_HIGH"])
    )
    for item in _SEX_ITEMS:
        df.loc[osp_level & df[item].isna(), item] = 1.0
    return df


GENERATORS = {
    "osp": osp_records,
    "static99r": static99r_records,
    "rm2000": rm2000_records,
    "pni": pni_records,
}
