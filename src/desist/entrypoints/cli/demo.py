"""CLI command: ``desist demo`` - the whole mission in one command on an embedded SQLite database.

Generate a synthetic population, store the demo users, import the population through the import service as
the demo administrator, recommend programmes for three men, run one Kaizen group through the casework
services as Whatton's staff, evaluate Core SOTP from what the database holds as the demo analyst, and write
a report. See docs/demo.md.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import typer

from desist.domain.errors import InputError

MIN_MEN, MAX_MEN = 1000, 2_000_000
CASEWORK_START = dt.date(2021, 1, 4)  # within the population: most of its men are released by 2025
#: a second look: what the store knew at the end of 2016, while Core SOTP still ran (the MoJ's impact
#: evaluation, published in 2017, followed men released up to about then)
EARLY_LOOK = dt.date(2016, 12, 31)
MAIN_CODES = ("SOTP-CORE", "SOTP-EXT", "KAIZEN", "HORIZON", "SOTP-BNM", "BNM-PLUS")


def _int(text: str, option: str, low: int, high: int) -> int:
    try:
        value = int(str(text).replace("_", "").replace(",", ""))
    except ValueError:
        raise InputError(f"{option} {text!r}: not a whole number, expected {low:,} to {high:,}") from None
    if not low <= value <= high:
        raise InputError(f"{option} {value:,}: out of range, expected {low:,} to {high:,}")
    return value


def _positive(text: str | None, option: str) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{option} {text!r}: not a number, expected a hazard ratio such as 1.25") from None
    if not 0.05 <= value <= 20:
        raise InputError(f"{option} {value:g}: out of range, expected a hazard ratio from 0.05 to 20")
    return value


class _Screen:
    """Rich output, or nothing but the closing lines with --quiet."""

    def __init__(self, quiet: bool) -> None:
        from rich.console import Console

        self.quiet = quiet
        self.console = Console(highlight=False, soft_wrap=True)

    def step(self, text: str) -> None:
        if not self.quiet:
            self.console.rule(f"[bold]{text}", align="left")

    def say(self, text: str = "", **kw: Any) -> None:
        if not self.quiet:
            self.console.print(text, **kw)


def _show_recommendations(screen: _Screen, examples: list[tuple[str, Any]]) -> None:
    from desist.domain.words import plain

    for label, rec in examples:
        risk = rec.assessment
        band = getattr(risk, "osp_dc_band", None) or getattr(risk, "band", "")
        where = f"{label}; on {rec.as_of}; risk {plain(band)}; PNI pathway {plain(rec.pathway)}"
        screen.say(f"[bold]{rec.id}[/] ({where})")
        for r in rec.recommended:
            screen.say(f"  [green]recommend {r.code}[/] - {r.name}")
            for why in r.reasons[:3]:
                screen.say(f"      because {why}")
        if not rec.recommended:
            screen.say(f"  [yellow]no programme[/]: {rec.reason}")
        for e in rec.excluded:
            if e.code in MAIN_CODES and not any(r.code == e.code for r in rec.recommended):
                screen.say(f"  [red]not {e.code}[/]: {e.reasons[0]}")
        screen.say()


def _output_folder(out: Path) -> None:
    """Create ``out/data`` now, or refuse ``--out`` in one line (was a FileNotFoundError after the db)."""
    import os

    try:
        (out / "data").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"--out {out}: cannot create the folder ({exc.strerror or type(exc).__name__}), "
            "expected a folder that can be written"
        ) from None
    if not os.access(out / "data", os.W_OK):
        raise InputError(f"--out {out}: not writable, expected a folder that can be written")


def _db_files(db: Path) -> list[Path]:
    from desist.adapters.files import SQLITE_COMPANIONS

    return [db, *(Path(f"{db}{suffix}") for suffix in SQLITE_COMPANIONS)]


def _early_look(svc: Any, engine: Any, analyst: Any) -> str:
    """Evaluate Core SOTP again on what the database knew at :data:`EARLY_LOOK` (stored as another run)."""
    from desist.domain.errors import DesistError

    try:
        early = svc.evaluate_core(engine, EARLY_LOOK, principal=analyst, keep_fit=False)
    except DesistError as exc:
        return f"as of {EARLY_LOOK}: no estimate ({exc.message})"
    r = early.result
    hr = r.estimate("hazard_ratio")
    return (
        f"as of {EARLY_LOOK} (run {early.id}; men released by mid-2011, followed up 5 years): "
        f"{r.n['treated']} treated, hazard ratio {hr['estimate']:.2f} ({hr['ci_low']:.2f} to "
        f"{hr['ci_high']:.2f}) - `desist evaluate --programme SOTP-CORE --as-of {EARLY_LOOK} "
        f"--as {svc.DEMO_ANALYST}` gives the same"
    )


def run_demo(db: Path, men: int, seed: int, out: Path, true_hr: float | None, quiet: bool) -> dict[str, Any]:
    """Run every step; returns the key figures (also written to the report)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from desist.services import demo as svc
    from desist.synth import generate_population
    from desist.synth.export import write_import_files
    from desist.synth.study import (
        casework_candidates,
        demo_section,
        example_recommendations,
        hazard_ratio,
        study_of_run,
        write_report,
    )

    started = time.perf_counter()
    screen = _Screen(quiet)
    svc.check_target(db)  # refuse a non-demo file before doing anything
    _output_folder(out)  # and an --out that cannot be written, before the database is touched
    screen.step(f"1. Generating {men:,} synthetic men (seed {seed})")
    pop = generate_population(men, seed=seed, true_hr=true_hr)
    end = pop.calibration.value("era.end_of_data")
    m = pop.men
    candidates = casework_candidates(m, CASEWORK_START)
    if len(candidates) < 4:
        raise InputError(
            f"--men {men}: only {len(candidates)} men suit a Kaizen group in {CASEWORK_START:%Y}, "
            "expected at least 4; use more men"
        )
    engine = svc.prepare_database(db)
    screen.say(
        f"custody {m.custody_start.min():%Y}-{m.custody_start.max():%Y}; offences "
        + ", ".join(f"{k} {v:.0%}" for k, v in m.offence_type.value_counts(normalize=True).items())
        + f"; maintaining innocence {m.maintains_innocence.mean():.0%}; LDC {m.ldc.mean():.0%}; "
        f"{len(pop.history):,} programme records; {len(pop.outcomes):,} proven reoffences by {end}"
    )

    # the users first: every later step acts as one of them, checked like a signed-in user
    svc.seed_users(engine)
    admin, analyst = svc.demo_user(engine, svc.DEMO_ADMIN), svc.demo_user(engine, svc.DEMO_ANALYST)
    users = [f"{name} ({'/'.join(roles)}, {org or 'national'})" for name, roles, org, _ in svc.DEMO_USERS]
    screen.say(f"demo users (password {svc.DEMO_PASSWORD!r}): " + ", ".join(users))

    screen.step(f"2. Importing into {db} as {admin.username} (desist import, validated and audited)")
    # the Kaizen candidates are held at HMP Whatton, whose staff (demo users) refer them to its group
    held = dict.fromkeys(candidates, "HMP Whatton")
    files = write_import_files(pop, end, out / "data", protect=_db_files(db), held_at=held)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=screen.console,
        disable=quiet,
        transient=False,
    ) as bar:
        task = bar.add_task("importing", total=len(files))

        def advance(kind: str, report: Any) -> None:
            bar.update(task, advance=1, description=f"imported {kind}")
            if not quiet:
                bar.console.print(f"  {report.summary()}")

        svc.load_population(engine, files, advance, principal=admin)

    screen.step("3. Recommendations for three men (desist recommend)")
    _show_recommendations(screen, example_recommendations(m))

    screen.step(f"4. One live casework cycle: a Kaizen group from {CASEWORK_START}")
    cw = svc.casework_cycle(engine, candidates, CASEWORK_START, seed=seed)
    waiting = len(cw.referred) - len(cw.withdrawn) - len(cw.not_suitable) - len(cw.enrolled)
    screen.say(
        f"offering {cw.offering_id} (KAIZEN at HMP Whatton), group {cw.group_id}: "
        f"{len(cw.referred)} referred, "
        f"{len(cw.withdrawn)} withdrawn, {len(cw.not_suitable)} not suitable, {len(cw.enrolled)} allocated"
        + (f" ({len(cw.passed_over)} passed over: {cw.passed_over[0][1]})" if cw.passed_over else "")
        + f"; {waiting} left waiting for the next group (group {cw.next_group_id}, Kaizen 2, no session yet)"
        + f"; {cw.sessions} sessions; {len(cw.completed)} completed, {len(cw.deselected)} deselected"
    )
    screen.say(
        f"audit log: {cw.audit_rows} rows written by the casework "
        f"(see `desist audit --db sqlite:///{db} --entity referral --as {admin.username}`)"
    )

    screen.step(
        f"5. Evaluating Core SOTP from the database as {analyst.username} "
        "(desist evaluate --programme SOTP-CORE)"
    )
    as_of = dt.date.fromisoformat(str(end))
    run = svc.evaluate_core(engine, as_of, principal=analyst)
    study = study_of_run(run, pop)
    ev = study.evaluation
    hr = hazard_ratio(study)
    if not quiet:
        screen.console.print(run.result.report(), markup=False)
        screen.say(
            f"stored as evaluation run {run.id}; the same from the command line: desist evaluate "
            f"--programme SOTP-CORE --as-of {as_of} --db sqlite:///{db} --as {analyst.username}"
        )
    screen.say(_early_look(svc, engine, analyst))
    screen.say(
        f"naive (unmatched) within 5 years: treated {study.naive['treated']:.1%}, untreated "
        f"{study.naive['untreated']:.1%}"
    )
    if quiet:
        typer.echo(ev.plain_language_)

    facts = {
        "men": men,
        "seed": seed,
        "db": str(db),
        "end_of_data": str(end),
        "tables": svc.table_counts(engine),
    }
    paths = write_report(study, out, facts, protect=_db_files(db))
    engine.dispose()
    seconds = time.perf_counter() - started
    screen.step("6. Report")
    for name, path in paths.items():
        screen.say(f"{name:>10}: {path}")
    inside = hr["ci_low"] <= study.true_hr <= hr["ci_high"]
    typer.echo(
        f"estimated hazard ratio {hr['estimate']:.2f} (95% CI {hr['ci_low']:.2f} to {hr['ci_high']:.2f}); "
        f"true {study.true_hr:.2f} (marginal over the treated; per man {study.true_effect_text}) - "
        f"{'inside' if inside else 'outside'} the CI"
    )
    screen.step("7. Monitoring: when would we have known? (desist monitor replay)")
    from desist.services.monitoring import replay_synthetic, save_chart

    # yearly reviews of a national-scale synthetic history (the demo's 5,000 men are too few to monitor)
    watched = replay_synthetic(
        ["SOTP-CORE"], dt.date(2000, 1, 1), dt.date(2017, 12, 31), seed=seed, yearly=True
    )
    chart_title = "Core SOTP: yearly reviews of a national synthetic history"
    chart = save_chart(
        watched, "SOTP-CORE", out / "monitoring-core-sotp.png", title=chart_title, protect=_db_files(db)
    )
    alert = watched.first_alerts["SOTP-CORE"]
    alert_text = (
        f"first harm alert for Core SOTP at the review of {alert.as_of} (HR {alert.estimate:.2f})"
        if alert is not None
        else "no harm alert for Core SOTP by 2017"
    )
    if "SOTP-CORE" in watched.truth:
        alert_text += f"; synthetic truth {watched.truth['SOTP-CORE']:.2f} over the treated men"
    screen.say(f"{alert_text}; chart: {chart}")
    paths["monitoring"] = chart

    from desist.entrypoints.cli.report import write_report as write_html
    from desist.services.reports import monitoring_section, run_report

    sections = [monitoring_section(watched, "SOTP-CORE", alert_text, chart_title), demo_section(study, facts)]
    page = run_report(run, sections)
    paths["report"] = write_html(out / "report.html", page, protect=_db_files(db), force=True)
    screen.say(f"    report: {paths['report']}")
    seconds = time.perf_counter() - started
    typer.echo(f"demo finished in {seconds:.1f} s; open the report: {paths['report']}")
    if not quiet:  # --quiet keeps to the paragraph, the estimate and the time
        typer.echo(
            f"next: DESIST_COOKIE_SECURE=false desist serve --db sqlite:///{db}  then sign in at "
            f"http://127.0.0.1:8000 as a demo user, e.g. rita.whatton, password {svc.DEMO_PASSWORD}"
        )
    return {"hazard_ratio": hr, "true_hr": study.true_hr, "seconds": seconds, "paths": paths}


def register(app: typer.Typer) -> None:
    """Add ``desist demo``."""

    @app.command("demo")
    def demo(
        db: Path = typer.Option(
            Path("desist-demo.db"),
            "--db",
            help="SQLite file to create (a demo file is replaced; any other file is refused).",
        ),  # noqa: E501
        men: str = typer.Option(
            "5000", "--men", metavar="N", help=f"Men to generate ({MIN_MEN:,} to {MAX_MEN:,})."
        ),
        seed: str = typer.Option(
            "1", "--seed", metavar="S", help="Random seed (the same seed gives the same run)."
        ),
        out: Path = typer.Option(
            Path("desist-demo"), "--out", help="Folder for the import files and the report."
        ),
        true_hr: str = typer.Option(
            None,
            "--true-hr",
            metavar="X",
            help="TRUE Core SOTP hazard ratio for every band, the whole effect (1 = none) "
            "(default: calibration.yaml, 1.15 medium / 1.35 high).",
        ),  # noqa: E501
        quiet: bool = typer.Option(False, "--quiet", help="Print only the result lines."),
    ) -> None:
        """Generate synthetic men, import them, recommend, run a group, evaluate Core SOTP, write a report."""
        n = _int(men, "--men", MIN_MEN, MAX_MEN)
        s = _int(seed, "--seed", 0, 2**32 - 1)
        hr = _positive(true_hr, "--true-hr")
        if out.exists() and not out.is_dir():
            raise InputError(f"--out {out}: is a file, expected a folder")
        run_demo(db, n, s, out, hr, quiet)
