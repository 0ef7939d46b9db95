"""Benchmark: programme recommendations, with reasons for every programme, for generated men.

Run: ``python3 benchmarks/recommend.py [N] [--workers W]`` (default 100,000 men, 2 worker processes).
Prints wall time per phase (generate, validate, recommend + JSON-ready dicts) and peak memory.
Target (issue 2 item 8): under 10 s for 100,000 on a 2-core machine.

The men are random but valid (offence type consistent with the sanction counts, custody consistent with the
setting), spread over 2008-2026 so both eras' menus are exercised, with PNI items for about half of them and
RM2000 items for a third.
"""

from __future__ import annotations

import argparse
import gc
import resource
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from typing import Any

import numpy as np

from desist.domain.catalogue import default_catalogue, hsp_checklist
from desist.domain.pathways import Policy, recommend_many
from desist.domain.profile import Profile
from desist.domain.risk.pni import OASYS_ITEMS

OFFENCES = np.array(["contact_adult", "contact_child", "images_only", "non_contact"])
SANCTION = {
    "contact_adult": "contact_adult_sanctions",
    "contact_child": "contact_child_sanctions",
    "non_contact": "paraphilia_sanctions",
}


def generate(n: int, seed: int = 2017) -> list[dict[str, Any]]:
    """``n`` random valid recommend records (vectorised draws, then one dict per man)."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n)
    last = np.maximum(10, age - rng.integers(0, 15, n))
    offence = OFFENCES[rng.choice(4, n, p=[0.4, 0.35, 0.15, 0.1])]
    main = rng.integers(1, 4, n)
    images = rng.integers(0, 3, n)
    extra = rng.integers(0, 6, n)
    custody = rng.random(n) < 0.6
    days = rng.integers(0, (date(2026, 12, 31) - date(2008, 1, 1)).days, n)
    months = np.round(rng.gamma(2.0, 12.0, n), 1)
    ldc = rng.random(n) < 0.15
    deny = rng.random(n) < 0.1
    yes = rng.random((n, 3)) < 0.5
    pni = rng.random(n) < 0.5
    oasys = rng.integers(0, 3, (n, len(OASYS_ITEMS)))
    rm = rng.random(n) < 0.33
    codes = np.array(default_catalogue().codes)
    done = rng.random(n) < 0.3
    done_code = codes[rng.integers(0, len(codes), n)]
    met = rng.random(n) < 0.7
    hsp_names = np.array(list(hsp_checklist().items))
    hsp_n = rng.integers(0, 4, n)

    out = []
    for i in range(n):
        kind = str(offence[i])
        counts = dict.fromkeys(SANCTION.values(), 0)
        if kind == "images_only":
            counts["indecent_image_sanctions"] = int(main[i])
        else:
            counts[SANCTION[kind]] = int(main[i])
            counts["indecent_image_sanctions"] = int(images[i])
        rec: dict[str, Any] = {
            "id": f"B-{i:06d}",
            "sex": "M",
            "age": int(age[i]),
            **counts,
            "total_sanctions": sum(counts.values()) + int(extra[i]),
            "age_at_last_sexual_offence": int(last[i]),
            "stranger_victim": bool(yes[i, 0]),
            "in_custody": bool(custody[i]),
            "setting": "custody" if custody[i] else "community",
            "years_since_community_date": None if custody[i] else float(extra[i]),
            "offence_in_last_5_years": bool(yes[i, 1]),
            "sexual_offence_in_last_5_years": bool(yes[i, 2]),
            "ldc": bool(ldc[i]),
            "offence_type": kind,
            "maintains_innocence": bool(deny[i]),
            "months_to_release": float(months[i]),
            "as_of": (date(2008, 1, 1) + timedelta(days=int(days[i]))).isoformat(),
            "completed_programmes": (
                [{"code": str(done_code[i]), "targets_met": bool(met[i])}] if done[i] else []
            ),
            "hsp_items": [str(x) for x in hsp_names[: hsp_n[i]]],
        }
        if pni[i]:
            rec.update(zip(OASYS_ITEMS, (int(v) for v in oasys[i]), strict=True))
        if rm[i]:
            rec.update(
                age_at_commencement_of_risk=float(max(18, last[i])),
                sexual_appearances=int(main[i]),
                criminal_appearances=int(extra[i]) + 1,
                male_victim=bool(yes[i, 1]),
                never_married=bool(yes[i, 2]),
                noncontact_sexual_offence=kind == "non_contact",
                violent_appearances=int(images[i]),
                burglary=bool(yes[i, 0]),
            )
        out.append(rec)
    return out


def work(records: list[dict[str, Any]], chunk: int = 5_000) -> tuple[int, int, float, float, float]:
    """Validate and recommend, a chunk at a time (bounded memory); return (men, programmes recommended,
    validate wall s, recommend wall s, CPU s of this process)."""
    cpu = time.process_time()
    gc.disable()  # as recommend_many does for a batch: many small acyclic objects, nothing to collect
    validate = recommend = 0.0
    men = offered = 0
    for start in range(0, len(records), chunk):
        t0 = time.perf_counter()
        profiles = [Profile.model_validate(r) for r in records[start : start + chunk]]
        t1 = time.perf_counter()
        for rec in recommend_many(profiles, policy=Policy()):
            offered += len(rec.to_dict()["recommended"])  # the JSON-ready output, reasons and all
        validate += t1 - t0
        recommend += time.perf_counter() - t1
        men += len(profiles)
    gc.enable()
    return men, offered, validate, recommend, time.process_time() - cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    t0 = time.perf_counter()
    records = generate(args.n)
    t1 = time.perf_counter()
    if args.workers <= 1:
        results = [work(records)]
    else:
        size = -(-len(records) // args.workers)
        chunks = [records[i : i + size] for i in range(0, len(records), size)]
        with ProcessPoolExecutor(args.workers) as pool:
            results = list(pool.map(work, chunks))
    t2 = time.perf_counter()
    men = sum(r[0] for r in results)
    offered = sum(r[1] for r in results)
    cpu = sum(r[4] for r in results)
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"men: {men:,}  programmes recommended: {offered:,}  workers: {args.workers}")
    print(f"generate: {t1 - t0:.2f} s")
    print(
        f"validate + recommend: wall {t2 - t1:.2f} s, CPU {cpu:.2f} s in workers "
        f"({cpu / men * 1e6:.0f} us CPU per man)"
    )
    print(
        f"  slowest worker: validate {max(r[2] for r in results):.2f} s, "
        f"recommend {max(r[3] for r in results):.2f} s"
    )
    print(f"peak memory (max RSS): main {peak_self:.0f} MB, largest worker {peak_children:.0f} MB")


if __name__ == "__main__":
    main()
