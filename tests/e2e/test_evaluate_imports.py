"""`desist evaluate`'s default path (nearest-neighbour matching on a logistic score) stays light.

pandas, scipy, statsmodels, scikit-learn, lifelines and matplotlib each cost from a tenth of a second to most
of a second to import, more than R takes to load MatchIt and match a few thousand people; they are loaded only
by the options that need them (survival, subgroups, plots, GBM, AIPW, Wilcoxon bounds), and numba only for
national files. Parquet input reads the same.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

HEAVY = ("pandas", "scipy", "statsmodels", "sklearn", "lifelines", "matplotlib", "numba")
PROBE = """
import json, sys
from desist.entrypoints.cli.app import main
sys.argv = ["desist", "evaluate", "--data", sys.argv[1], "--treatment", "t", "--outcome", "y",
            "--covariates", "x,band", "--distance", "logit", "--caliper", "0.2", "--format", "json"]
try:
    main()
except SystemExit as exc:
    assert not exc.code, exc.code
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
print(json.dumps({{"heavy": heavy}}))
"""


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_default_evaluation_imports_nothing_heavy(tmp_path: Path, suffix: str) -> None:
    rng = np.random.default_rng(4)
    n = 3000
    t = rng.random(n) < 0.2
    df = pd.DataFrame(
        {
            "t": t.astype(int),
            "x": rng.normal(size=n) + 0.5 * t,
            "band": rng.choice(["low", "medium", "high"], n),
            "y": (rng.random(n) < 0.3).astype(int),
            "unused": "text that is never read",
        }
    )
    path = tmp_path / f"cohort{suffix}"
    df.to_csv(path, index=False) if suffix == ".csv" else df.to_parquet(path)
    res = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = res.stdout.strip().splitlines()
    result = json.loads("\n".join(lines[:-1]))
    assert result["n"]["treated"] == int(t.sum()) and result["outcome"]["type"] == "binary"
    assert json.loads(lines[-1])["heavy"] == []
