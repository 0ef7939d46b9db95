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
from typing import Any

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
            offering = int(create_offering(app.uow(seeder), programme_code="KAIZEN", site=SITE)["id"])
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


def _descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (uvicorn's worker processes)."""
    parents: dict[int, int] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            line = next(x for x in status.read_text().splitlines() if x.startswith("PPid:"))
        except (OSError, StopIteration):
            continue
        parents[int(status.parent.name)] = int(line.split()[1])
    out, frontier = [pid], [pid]
    while frontier:
        frontier = [c for c, p in parents.items() if p in frontier]
        out.extend(frontier)
    return out


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time the processes have used so far (those that are gone count 0)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def peak_memory_mb(pids: list[int]) -> float:
    """Peak resident memory (VmHWM) of the processes, summed."""
    total = 0.0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


class DatabaseCpu:
    """CPU time of the PostgreSQL backends serving this database (the server runs on this machine).

    Sampled at the start and the end: a backend that exits in between (a pool overflow connection)
    takes its time with it, so the figure is a lower bound.
    """

    def __init__(self, url: str) -> None:
        import psycopg
        from sqlalchemy import make_url

        u = make_url(url)
        self.conn = psycopg.connect(
            host=u.host or "127.0.0.1",
            port=u.port or 5432,
            user=u.username,
            password=u.password,
            dbname=u.database,
            autocommit=True,
        )
        self.start: dict[int, float] = {}

    def _backends(self) -> dict[int, float]:
        rows = self.conn.execute(
            "select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()"
        ).fetchall()
        return {int(r[0]): cpu_seconds([int(r[0])]) for r in rows}

    def begin(self) -> None:
        self.start = self._backends()

    def used(self) -> float:
        return sum(t - self.start.get(pid, 0.0) for pid, t in self._backends().items())

    def close(self) -> None:
        self.conn.close()


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


KINDS = ("person", "search", "referrals", "write")


class Client:
    """One signed-in member of staff: a web session, an API token, and the men they may refer."""

    def __init__(
        self,
        session: tuple[httpx.AsyncClient, str, str],
        token: str,
        pool: list[tuple[int, str]],
        people: list[tuple[int, str]],
        offering: int,
        seed: int,
    ) -> None:
        self.http, self.csrf, _ = session
        self.headers = {"Authorization": f"Bearer {token}"}
        self.pool, self.people, self.offering = list(pool), people, offering
        self.rng = random.Random(seed)
        self.n = 0

    def next_kind(self) -> str:
        """One request in ten a write (while the client has men left to refer), the rest in turn."""
        self.n += 1
        if self.n % 10 == 0 and self.pool:
            return "write"
        return ("person", "search", "referrals")[self.n % 10 % 3]

    async def send(self, kind: str) -> httpx.Response:
        if kind == "write":
            pid, _ = self.pool.pop()
            return await self.http.post(
                f"/people/{pid}/referrals",
                data={"csrf_token": self.csrf, "offering_id": str(self.offering)},
                follow_redirects=False,
            )
        pid, number = self.rng.choice(self.people)
        if kind == "person":
            return await self.http.get(f"/people/{pid}")
        if kind == "search":
            return await self.http.get("/people", params={"q": number[:7]})
        return await self.http.get("/api/v1/referrals", params={"limit": 50}, headers=self.headers)


async def timed(client: Client, kind: str, errors: list[str]) -> float:
    t0 = time.perf_counter()
    try:
        r = await client.send(kind)
        if r.status_code >= 400:
            errors.append(f"{kind} {r.status_code} {r.text[:120]!r}")
    except httpx.HTTPError as exc:
        errors.append(f"{kind} {type(exc).__name__}")
    return time.perf_counter() - t0


async def sign_in_all(base: str, clients: int) -> list[tuple[httpx.AsyncClient, str, str]]:
    gate = asyncio.Semaphore(4)  # sign-in is deliberately slow (argon2): not part of the measured load

    async def gated(i: int) -> tuple[httpx.AsyncClient, str, str]:
        async with gate:
            return await sign_in(base, f"load-{i:02d}")

    return list(await asyncio.gather(*(gated(i) for i in range(clients))))


async def per_page(
    client: Client, n: int, server: list[int], db: DatabaseCpu
) -> dict[str, tuple[float, ...]]:
    """``n`` requests of each kind from one client, one after another: server and database CPU per request
    (ms) and the median latency, by kind."""
    out: dict[str, tuple[float, ...]] = {}
    for kind in KINDS:
        count = n if kind != "write" else min(n, len(client.pool) - 3)  # one write per man of its pool
        if count < 1:
            continue
        errors: list[str] = []
        for _ in range(3):  # warm: connections, caches
            await timed(client, kind, errors)
        cpu0, wall = cpu_seconds(server), []
        db.begin()
        for _ in range(count):
            wall.append(await timed(client, kind, errors))
        cpu = (cpu_seconds(server) - cpu0) / count * 1000
        out[kind] = (cpu, db.used() / count * 1000, statistics.median(wall) * 1000, float(len(errors)))
    return out


async def run(clients: list[Client], seconds: float, think: tuple[float, float]) -> dict[str, object]:
    kinds: dict[str, list[float]] = {k: [] for k in KINDS}
    errors: list[str] = []
    stop = time.perf_counter() + seconds

    async def staff(c: Client) -> None:
        lo, hi = think
        if hi > 0:  # staff do not all click at the same instant
            await asyncio.sleep(c.rng.uniform(0, hi))
        while time.perf_counter() < stop:
            kind = c.next_kind()
            kinds[kind].append(await timed(c, kind, errors))
            if hi > 0:
                await asyncio.sleep(c.rng.uniform(lo, hi))

    t0 = time.perf_counter()
    await asyncio.gather(*(staff(c) for c in clients))
    return {"kinds": kinds, "errors": errors, "wall": time.perf_counter() - t0}


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] * 1000


def parse_think(text: str) -> tuple[float, float]:
    """``0.5-2`` (a random pause from 0.5 to 2 s), ``1`` (always 1 s) or ``0`` (none)."""
    try:
        lo, _, hi = text.partition("-")
        pause = (float(lo), float(hi or lo))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected seconds, e.g. 0.5-2 or 0") from None
    if pause[0] < 0 or pause[1] < pause[0]:
        raise argparse.ArgumentTypeError(f"{text!r}: expected 0 <= MIN <= MAX seconds")
    return pause


def start_server(url: str, workers: int) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    env = {**os.environ, "DESIST_COOKIE_SECURE": "false", "PYTHONPATH": str(ROOT / "src")}
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from desist.entrypoints.cli import main; main()",
            "serve",
            "--db",
            url,
            "--port",
            str(port),
            *(["--workers", str(workers)] if workers > 1 else []),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        server.terminate()
        sys.exit("error: the server did not answer /healthz within a minute")
    if workers > 1:  # every worker warms up on its own: wait until all are listening
        time.sleep(3)
    return server, base


def api_tokens(url: str, clients: int) -> list[str]:
    from desist.bootstrap import bootstrap
    from desist.config import Settings
    from desist.domain.access import Action
    from desist.services import users

    with bootstrap(Settings(database_url=url)) as app:  # type: ignore[call-arg]
        tokens = []
        for i in range(clients):
            me = users.principal_for(app.uow("system:load"), f"load-{i:02d}")
            issued = users.issue_token(
                app.uow(me), username=me.username, name="load", scopes={Action.PERSON_READ}
            )
            tokens.append(str(issued.token))
    return tokens


async def measure(
    args: argparse.Namespace,
    base: str,
    server: list[int],
    offering: int,
    people: list[tuple[int, str]],
    tokens: list[str],
) -> dict[str, object]:
    sessions = await sign_in_all(base, args.clients)
    pools = [people[i :: args.clients] for i in range(args.clients)]  # each refers only men of its own pool
    clients = [Client(sessions[i], tokens[i], pools[i], people, offering, i) for i in range(args.clients)]
    db = DatabaseCpu(args.db)
    result: dict[str, object] = {}
    try:
        if args.per_page:
            result["per_page"] = await per_page(clients[0], args.per_page, server, db)
        load_before = os.getloadavg()
        cpu0, client0 = cpu_seconds(server), time.process_time()
        db.begin()
        result.update(await run(clients, args.seconds, args.think))
        result["server_cpu"] = cpu_seconds(server) - cpu0
        result["db_cpu"] = db.used()
        result["client_cpu"] = time.process_time() - client0
        result["load"] = (load_before, os.getloadavg())
    finally:
        db.close()
        for c in clients:
            await c.http.aclose()
    return result


def report(args: argparse.Namespace, result: dict[str, Any], peak: float) -> None:
    kinds: dict[str, list[float]] = result["kinds"]
    errors: list[str] = result["errors"]
    wall: float = result["wall"]
    lat = [x for values in kinds.values() for x in values]
    (before, after), n = result["load"], max(1, len(lat))
    pause = "none (saturation)" if args.think[1] == 0 else f"{args.think[0]:g}-{args.think[1]:g} s"
    print(
        f"\n{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC: {args.clients} clients, think time {pause}, "
        f"{args.seconds:.0f} s, {args.men:,} men on PostgreSQL, {args.workers} server process(es); "
        f"load average {before[0]:.2f} before, {after[0]:.2f} after; {os.cpu_count()} cores"
    )
    if "per_page" in result:
        print("one client, one request at a time (CPU ms per request: server, database; median latency ms):")
        for kind, (cpu, db, med, errs) in result["per_page"].items():
            print(
                f"  {kind:9s} server {cpu:5.1f}  database {db:5.1f}  latency {med:5.1f}"
                + (f"  ({errs:.0f} errors)" if errs else "")
            )
    print(
        f"requests {len(lat):,} ({len(lat) / wall:.1f}/s), errors {len(errors)}, wall {wall:.1f} s, "
        f"server peak memory {peak:.0f} MB"
    )
    print(
        f"CPU per request: server {result['server_cpu'] / n * 1000:.1f} ms, "
        f"database {result['db_cpu'] / n * 1000:.1f} ms (lower bound), "
        f"load generator {result['client_cpu'] / n * 1000:.1f} ms"
    )
    print(
        f"latency ms: p50 {pct(lat, 50):.0f}, p95 {pct(lat, 95):.0f}, p99 {pct(lat, 99):.0f}, "
        f"mean {statistics.fmean(lat) * 1000 if lat else float('nan'):.0f}; "
        f"p95 < 100 ms: {'yes' if pct(lat, 95) < 100 else 'no'}"
    )
    for kind, values in kinds.items():
        print(
            f"  {kind:9s} n={len(values):6,}  p50 {pct(values, 50):5.0f}  p95 {pct(values, 95):5.0f}  "
            f"p99 {pct(values, 99):5.0f}"
        )
    for line in sorted(set(errors))[:10]:
        print("  error:", line)


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
    ap.add_argument(
        "--think",
        type=parse_think,
        default=(0.5, 2.0),
        metavar="MIN-MAX",
        help="pause between a client's requests in seconds, uniformly random "
        "(default 0.5-2; 0: none, saturation)",
    )
    ap.add_argument("--workers", type=int, default=1, help="desist serve --workers (server processes)")
    ap.add_argument(
        "--per-page",
        type=int,
        default=0,
        metavar="N",
        help="first send N requests of each kind from one client, one at a time: CPU per request by page",
    )
    ap.add_argument("--reuse", action="store_true", help="keep the database's data (skip the import)")
    args = ap.parse_args()
    if not args.db.startswith("postgresql"):
        sys.exit("error: --db: expected a PostgreSQL URL (postgresql+psycopg://...)")

    offering, people = prepare(args.db, args.men, args.clients, args.reuse)
    print(f"{len(people):,} men of {ORG} without a KAIZEN referral; offering {offering}", flush=True)
    tokens = api_tokens(args.db, args.clients)
    server, base = start_server(args.db, args.workers)
    try:
        pids = _descendants(server.pid)
        result = asyncio.run(measure(args, base, pids, offering, people, tokens))
        peak = peak_memory_mb(_descendants(server.pid))
    finally:
        server.terminate()
        server.wait(timeout=30)
    report(args, result, peak)


if __name__ == "__main__":
    main()
