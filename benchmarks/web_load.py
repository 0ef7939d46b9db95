"""Load on the web application: concurrent signed-in clients against ``desist serve`` on PostgreSQL.

    python3 benchmarks/web_load.py --db postgresql+psycopg://postgres@127.0.0.1:5432/desist_load \
        [--men 20000] [--clients 32] [--seconds 60] [--reuse]

Loads the demo's synthetic population (``desist.synth``, imported through the import service as
``desist demo`` does, here into PostgreSQL: the database's tables are dropped and migrated first unless
``--reuse``), adds a KAIZEN offering at HMP Whatton and one user per client of the North East probation
region (referrer and programme team, no national access), starts ``desist serve`` in a subprocess, signs
every client in through the sign-in form, then for ``--seconds`` each client loops over: the person page of a
North East man, a caseload search by a prison-number prefix, the referral list (``/api/v1/referrals`` with
the client's bearer token), and, one request in ten, a write (referring a man of its own pool to KAIZEN
through the person page's form). Reports requests, errors (any answer other than 2xx/3xx, or a failed
request), latency percentiles, wall time, and the server's peak resident memory (VmHWM), with the machine's
load average. Not a test: the figures go in the README.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
ORG = "North East"  # a probation region: most synthetic men are in the community
SITE = "HMP Whatton"
PASSWORD = "load test password 2026"
END = dt.date(2024, 12, 31)


def prepare(url: str, men: int, clients: int, reuse: bool) -> tuple[int, list[tuple[int, str]]]:
    """The database: population, offering, users. Returns the offering id and Whatton's men (id, number)."""
    from sqlalchemy import text

    from desist.adapters.engine import make_engine
    from desist.adapters.migrate import upgrade
    from desist.bootstrap import bootstrap
    from desist.config import Settings
    from desist.domain.access import Principal, StaffRole
    from desist.domain.errors import Conflict, Forbidden
    from desist.services import users
    from desist.services.demo import load_population
    from desist.synth import generate_population
    from desist.synth.export import write_import_files

    engine = make_engine(url)
    if not reuse:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
        upgrade(url).dispose()
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory() as folder:
            files = write_import_files(generate_population(men, seed=11), END, Path(folder))
            importer = Principal("load-import", frozenset({StaffRole.ADMIN}), national=True)
            load_population(engine, files, principal=importer)
        print(f"loaded {men:,} synthetic men into PostgreSQL in {time.perf_counter() - t0:.0f} s", flush=True)
    with bootstrap(Settings(database_url=url)) as app:  # type: ignore[call-arg]
        seeder = Principal("load-seed", frozenset({StaffRole.TREATMENT_MANAGER}), national=True)
        from desist.services.groups import create_offering

        with engine.connect() as conn:
            row = conn.execute(
                text("select id from offering where programme_code = 'KAIZEN' and site = :s"), {"s": SITE}
            ).first()
        if row is None:
            kwargs: dict[str, object] = {"programme_code": "KAIZEN", "site": SITE}
            import inspect

            if "role" in inspect.signature(create_offering).parameters:
                from desist.domain.referrals import Role

                kwargs["role"] = Role.PROGRAMME_TEAM
            offering = int(create_offering(app.uow(seeder), **kwargs)["id"])  # type: ignore[arg-type]
        else:
            offering = int(row[0])
        with contextlib.suppress(Forbidden):
            users.create_first_admin(lambda: app.uow("system:load"), username="load-admin", password=PASSWORD)
        admin = users.principal_for(app.uow("system:load"), "load-admin")
        for i in range(clients):
            with contextlib.suppress(Conflict):
                users.add_user(
                    app.uow(admin),
                    username=f"load-{i:02d}",
                    password=PASSWORD,
                    roles=["referrer", "programme_team"],
                    organisation=ORG,
                )
    with engine.connect() as conn:
        people = [
            (int(r[0]), str(r[1]))
            for r in conn.execute(
                text(
                    "select p.id, p.prison_number from person p where p.probation_region = :s and not exists "
                    "(select 1 from referral r where r.person_id = p.id and r.programme_code = 'KAIZEN' "
                    "and r.status not in ('WITHDRAWN','NOT_ELIGIBLE','NOT_SUITABLE','DESELECTED',"
                    "'PROGRAMME_COMPLETE')) order by p.id"
                ),
                {"s": ORG},
            )
        ]
    engine.dispose()
    return offering, people


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def peak_memory_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of the server and its worker processes, summed."""

    def hwm(p: int) -> float:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    children = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            ppid = next(x for x in status.read_text().splitlines() if x.startswith("PPid:")).split()[1]
        except (OSError, StopIteration):
            continue
        if int(ppid) == pid:
            children.append(int(status.parent.name))
    return hwm(pid) + sum(hwm(c) for c in children)


async def sign_in(base: str, username: str) -> tuple[httpx.AsyncClient, str, str]:
    client = httpx.AsyncClient(base_url=base, timeout=120, follow_redirects=True)
    page = await client.get("/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    r = await client.post(
        "/sign-in", data={"username": username, "password": PASSWORD, "csrf_token": token[1]}
    )
    assert r.status_code == 200 and "Signed in as" in r.text, (r.status_code, r.text[:300])
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', r.text)
    assert csrf
    return client, csrf[1], username


async def run(
    base: str,
    clients: int,
    seconds: float,
    offering: int,
    people: list[tuple[int, str]],
    api_tokens: list[str],
) -> dict[str, object]:
    gate = asyncio.Semaphore(4)  # sign-in is deliberately slow (argon2): not part of the measured load

    async def gated(i: int) -> tuple[httpx.AsyncClient, str, str]:
        async with gate:
            return await sign_in(base, f"load-{i:02d}")

    sessions = await asyncio.gather(*(gated(i) for i in range(clients)))
    pools = [people[i::clients] for i in range(clients)]  # each client refers only men of its own pool
    latencies: list[float] = []
    kinds: dict[str, list[float]] = {"person": [], "search": [], "referrals": [], "write": []}
    errors: list[str] = []
    stop = time.perf_counter() + seconds

    async def worker(i: int) -> None:
        client, csrf, _ = sessions[i]
        rng = random.Random(i)
        pool = list(pools[i])
        n = 0
        headers = {"Authorization": f"Bearer {api_tokens[i]}"}
        while time.perf_counter() < stop:
            n += 1
            if n % 10 == 0 and pool:
                kind = "write"
                pid, _ = pool.pop()
                req = client.post(
                    f"/people/{pid}/referrals",
                    data={"csrf_token": csrf, "offering_id": str(offering)},
                    follow_redirects=False,
                )
            else:
                kind = ("person", "search", "referrals")[n % 10 % 3]
                pid, number = rng.choice(people)
                if kind == "person":
                    req = client.get(f"/people/{pid}")
                elif kind == "search":
                    req = client.get("/people", params={"q": number[:7]})
                else:
                    req = client.get("/api/v1/referrals", params={"limit": 50}, headers=headers)
            t0 = time.perf_counter()
            try:
                r = await req
                ok = r.status_code < 400
                if not ok:
                    errors.append(f"{kind} {r.status_code} {r.text[:120]!r}")
            except httpx.HTTPError as exc:
                errors.append(f"{kind} {type(exc).__name__}")
            took = time.perf_counter() - t0
            latencies.append(took)
            kinds[kind].append(took)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(clients)))
    wall = time.perf_counter() - t0
    for client, _, _ in sessions:
        await client.aclose()
    return {"latencies": latencies, "kinds": kinds, "errors": errors, "wall": wall}


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--db",
        default=os.environ.get(
            "DESIST_LOAD_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/desist_load"
        ),
    )
    ap.add_argument("--men", type=int, default=20_000)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--workers", type=int, default=1, help="desist serve --workers (server processes)")
    ap.add_argument("--reuse", action="store_true", help="keep the database's data (skip the import)")
    args = ap.parse_args()
    if not args.db.startswith("postgresql"):
        sys.exit("error: --db: expected a PostgreSQL URL (postgresql+psycopg://...)")

    offering, people = prepare(args.db, args.men, args.clients, args.reuse)
    print(f"{len(people):,} men of {ORG} without a KAIZEN referral; offering {offering}", flush=True)
    from desist.bootstrap import bootstrap
    from desist.config import Settings
    from desist.domain.access import Action
    from desist.services import users

    with bootstrap(Settings(database_url=args.db)) as app:  # type: ignore[call-arg]
        tokens = []
        for i in range(args.clients):
            me = users.principal_for(app.uow("system:load"), f"load-{i:02d}")
            tokens.append(
                str(
                    users.issue_token(
                        app.uow(me), username=me.username, name="load", scopes={Action.PERSON_READ}
                    ).token
                )
            )
    port = free_port()
    env = {**os.environ, "DESIST_COOKIE_SECURE": "false", "PYTHONPATH": str(ROOT / "src")}
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from desist.entrypoints.cli import main; main()",
            "serve",
            "--db",
            args.db,
            "--port",
            str(port),
            *(["--workers", str(args.workers)] if args.workers > 1 else []),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        load_before = os.getloadavg()
        result = asyncio.run(run(base, args.clients, args.seconds, offering, people, tokens))
        load_after = os.getloadavg()
        peak = peak_memory_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    lat: list[float] = result["latencies"]  # type: ignore[assignment]
    errors: list[str] = result["errors"]  # type: ignore[assignment]
    kinds: dict[str, list[float]] = result["kinds"]  # type: ignore[assignment]
    wall: float = result["wall"]  # type: ignore[assignment]
    print(
        f"\n{args.clients} clients, {args.seconds:.0f} s, {args.men:,} men on PostgreSQL, "
        f"{args.workers} server process(es) "
        f"(load average before {load_before[0]:.2f}, after {load_after[0]:.2f}; {os.cpu_count()} cores)"
    )
    print(
        f"requests {len(lat):,} ({len(lat) / wall:.0f}/s), errors {len(errors)}, wall {wall:.1f} s, "
        f"server peak memory {peak:.0f} MB"
    )
    print(
        f"latency ms: p50 {pct(lat, 50):.0f}, p95 {pct(lat, 95):.0f}, p99 {pct(lat, 99):.0f}, "
        f"mean {statistics.fmean(lat) * 1000:.0f}"
    )
    for kind, values in kinds.items():
        print(
            f"  {kind:9s} n={len(values):6,}  p50 {pct(values, 50):5.0f}  p95 {pct(values, 95):5.0f}  "
            f"p99 {pct(values, 99):5.0f}"
        )
    for line in sorted(set(errors))[:10]:
        print("  error:", line)


if __name__ == "__main__":
    main()
