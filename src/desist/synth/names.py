"""Made-up names for the synthetic men, so the caseload search can be tried as staff use it.

The name lists (with their weights) come from Faker's British English person provider, a well-kept
library of such lists; the draws use numpy so a million men take a fraction of a second (Faker's own
generator makes one name per call). The names are invented pairings: any likeness to a real man is chance,
and no real record is involved.
"""

from __future__ import annotations

import numpy as np


def synthetic_names(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` given names and ``n`` family names, reproducible from ``seed``."""
    from faker.providers.person.en_GB import Provider

    rng = np.random.default_rng(seed)
    given = np.asarray(Provider.first_names_male, dtype=object)
    families = np.asarray(list(Provider.last_names), dtype=object)
    weights = np.asarray(list(Provider.last_names.values()), dtype=float)
    return rng.choice(given, n), rng.choice(families, n, p=weights / weights.sum())
