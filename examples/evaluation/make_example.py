"""Write the worked example's data: a simulated cohort of 2,500 men (no real people) to cohort.csv.

Run from the repository root:  python examples/evaluation/make_example.py
The programme's true effect in this simulation is -4 percentage points on two-year reoffending and -2 on the
score; treated men are higher risk, so the naive comparison is biased against the programme.
"""

import os
from pathlib import Path

from desist.evaluation.simulate import simulate_cohort


def main() -> Path:
    path = Path(__file__).with_name("cohort.csv")
    simulate_cohort(2500, effect=-0.04, score_effect=-2.0, seed=2017, intercept=-2.2).to_csv(
        path, index=False
    )
    return path


if __name__ == "__main__":
    print(os.path.relpath(main()))  # as docs/evaluation.md shows it: relative to where it was run
