"""Benchmark: programme recommendations, with reasons for every programme, for generated men.

Run: ``python3 benchmarks/recommend.py [N] [--formats csv,json]`` (default 1,000,000 men; with
``PYTHONPATH=src`` to time a work tree's code). Writes the men to a CSV in a temporary folder, then times the
whole ``desist recommend`` process (this interpreter, the ``desist`` that ``import desist`` finds) with
``/usr/bin/time -v`` (wall time, start-up included) and its peak memory: the sum of the proportional set sizes
of the command and its worker processes, sampled from /proc (shared pages counted once). Target (issue 12):
1,000,000 men under 60 s and 1 GB.

The men are random but valid (offence type consistent with the sanction counts, custody consistent with the
setting), spread over 2008-2026 so both eras' menus are exercised, with PNI items for about half of them and
RM2000 items for a third.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from desist.domain.catalogue import default_catalogue, hsp_checklist
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


def write_csv(path: Path, n: int, chunk: int = 100_000) -> None:
    """Write ``n`` generated men to a CSV a chunk at a time (lists in CSV form: ``a;b``, ``CODE:met``), every
    chunk's columns in the header's order."""
    columns: list[str] = []
    for start in range(0, n, chunk):
        recs = generate(min(chunk, n - start), seed=2017 + start)
        for i, r in enumerate(recs):
            r["id"] = f"B-{start + i:07d}"
            r["completed_programmes"] = ";".join(
                f"{c['code']}:{'met' if c['targets_met'] else 'not_met'}" for c in r["completed_programmes"]
            )
            r["hsp_items"] = ";".join(r["hsp_items"])
        frame = pd.DataFrame(recs)
        for c in frame.columns:
            if frame[c].dtype == bool:
                frame[c] = frame[c].map({True: "true", False: "false"})
        first = not columns
        columns = columns or list(frame.columns)  # (a chunk orders its fields as its first man does)
        frame.reindex(columns=columns).to_csv(path, mode="w" if first else "a", header=first, index=False)


def _tree_pss_mb(root: int) -> float:
    """Proportional set size of a process and all its descendants, MB (shared pages counted once)."""
    parents: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                parents[int(d.name)] = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, grew = {root}, True
    while grew:
        more = {p for p, pp in parents.items() if pp in tree} - tree
        tree |= more
        grew = bool(more)
    total = 0
    for pid in tree:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def timed(cmd: list[str], stdout: Path) -> tuple[float, float, float, float]:
    """(wall seconds, CPU seconds of the process and its workers, peak resident MB of the main process from
    /usr/bin/time -v, peak memory MB of the whole process tree: the sum of proportional set sizes, sampled
    every 0.2 s, worker processes included)."""
    t0 = time.perf_counter()
    peak_tree = 0.0
    with stdout.open("w") as out:
        proc = subprocess.Popen(["/usr/bin/time", "-v", *cmd], stdout=out, stderr=subprocess.PIPE, text=True)
        while proc.poll() is None:
            peak_tree = max(peak_tree, _tree_pss_mb(proc.pid))
            time.sleep(0.2)
        err = proc.stderr.read() if proc.stderr else ""
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{err[-2000:]}")
    kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1))  # type: ignore[union-attr]
    cpu = sum(float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", err))
    return wall, cpu, kb / 1024, peak_tree


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, default=1_000_000)
    ap.add_argument("--formats", default="csv", help="output formats to time, e.g. csv,json")
    ap.add_argument("--reuse", type=Path, help="a CSV written by an earlier run (skips generating the men)")
    args = ap.parse_args()
    # this interpreter and the desist that ``import desist`` finds (not the installed script's copy)
    main_call = "import sys; sys.argv[0] = 'desist'; from desist.entrypoints.cli import main; main()"
    desist = [sys.executable, "-c", main_call]
    with tempfile.TemporaryDirectory(prefix="desist-bench-recommend-") as tmp:
        folder = Path(tmp)
        src = folder / "men.csv"
        t0 = time.perf_counter()
        if args.reuse:
            shutil.copy(args.reuse, src)
        else:
            write_csv(src, args.n)
        size = src.stat().st_size / 2**20
        print(f"men: {args.n:,} ({size:.0f} MB CSV, generated in {time.perf_counter() - t0:.1f} s)")
        for fmt in args.formats.split(","):
            out = folder / f"out.{fmt}"
            wall, cpu, mb, tree = timed([*desist, "recommend", "--input", str(src), "--format", fmt], out)
            print(
                f"  desist recommend --format {fmt}: {wall:.1f} s wall, {cpu:.1f} s CPU "
                f"({cpu / args.n * 1e6:.0f} us CPU per man); "
                f"peak memory {tree:.0f} MB for all its processes "
                f"(largest single process, /usr/bin/time: {mb:.0f} MB); "
                f"output {out.stat().st_size / 2**20:.0f} MB"
            )
    print("target (issue 12): 1,000,000 men under 60 s and 1 GB")


if __name__ == "__main__":
    main()
