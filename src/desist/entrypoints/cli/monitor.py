"""``desist monitor``: sequential reviews of programmes.

``run``: one review per programme on a date, stored with its alert (append-only, audited, idempotent per
date); by default the evidence is the casework database's own evaluation (``evaluate_programme`` as of the
date), ``--synthetic`` reviews the synthetic national history instead. ``status``: each programme's latest
review and the open alerts; ``ack``: acknowledge an alert with a reason. ``replay``: "when would we have
known?" - reviews of the synthetic national history (``desist.synth.history``), printed.

``run``, ``status`` and ``ack`` act on the casework database as a stored user (``--as USER`` or
``DESIST_USER``) whose role the service checks: ``run`` stores reviews (an analyst, also with
``--synthetic``: the reviews and alerts are stored beside the casework's), ``status`` reads them, ``ack``
needs a treatment manager or an analyst. ``replay`` stores nothing and needs no user.
"""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from pathlib import Path

import typer

from desist.entrypoints.cli.casework_common import AsOpt
from desist.entrypoints.cli.options import command_group
from desist.monitoring.record import Method


class Every(StrEnum):
    quarter = "quarter"
    year = "year"


class Format(StrEnum):
    table = "table"
    json = "json"


MethodOpt = typer.Option(Method.GROUP_SEQUENTIAL, "--method", help="Sequential design.")
AlphaOpt = typer.Option(0.05, "--alpha", help="Overall false-alarm probability (both sides).")
FormatOpt = typer.Option(Format.table, "--format", help="table or json.")
DbOpt = typer.Option(
    None, "--db", help="Database URL (default: DESIST_DATABASE_URL, else sqlite file desist.db here)."
)


def _date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        from desist.domain.errors import InputError

        raise InputError(f"{option} {text!r}: expected a date as YYYY-MM-DD") from None


def register(app: typer.Typer) -> None:
    monitor = command_group(
        app, "monitor", "Sequential monitoring: review programmes again and again, alarm on harm."
    )

    @monitor.command("replay")
    def replay_command(
        programme: str = typer.Option("SOTP-CORE", "--programme", help="Programme code(s), comma-separated."),
        start: str = typer.Option("2000-01-01", "--from", help="First review date (YYYY-MM-DD)."),
        end: str = typer.Option("2017-03-31", "--to", help="Last review date (YYYY-MM-DD)."),
        every: Every = typer.Option(Every.quarter, "--every", help="How often to review."),
        method: Method = MethodOpt,
        alpha: float = AlphaOpt,
        effect: float = typer.Option(
            1.25,
            "--effect",
            help="Hazard ratio worth detecting (sets the planned "
            "maximum information, 90% power over 12 looks).",
        ),
        seed: int = typer.Option(1, "--seed", help="Seed of the synthetic national history."),
        men: int = typer.Option(0, "--men", help="Men in the synthetic history (0: national scale)."),
        fmt: Format = FormatOpt,
        chart: Path | None = typer.Option(
            None, "--chart", help="Also draw the monitoring chart to this PNG/SVG (replaces an earlier file)."
        ),
    ) -> None:
        """Walk a programme's history review by review and print each decision and the first alert."""
        from desist.services.monitoring import replay_synthetic, save_chart

        first, last = _date(start, "--from"), _date(end, "--to")
        codes = [c.strip().upper() for c in programme.split(",") if c.strip()]
        result = replay_synthetic(
            codes,
            first,
            last,
            method=method.value,
            alpha=alpha,
            effect=effect,
            seed=seed,
            men=men or None,
            yearly=every is Every.year,
        )
        if chart is not None:
            save_chart(
                result,
                codes[0],
                chart,
                title=f"{codes[0]}: reviews of the synthetic history ({method.value})",
            )
        if fmt is Format.json:
            typer.echo(json.dumps(result.to_dict(), indent=2))
            return
        typer.echo(
            f"{'programme':10} {'as of':10} {'HR':>6} {'95% CI':>13} {'z':>6} {'info':>5} {'bound':>6}"
            "  decision"
        )
        for r in result.reviews:
            hr = f"{r.estimate:6.2f}" if r.estimate is not None else "     -"
            ci = f"{r.ci[0]:5.2f} to {r.ci[1]:4.2f}" if r.ci is not None else "            -"
            z = f"{r.z:6.2f}" if r.z is not None else "     -"
            frac = f"{r.information_fraction:5.2f}" if r.information_fraction is not None else "    -"
            b = f"{r.boundary:6.2f}" if r.boundary is not None else "     -"
            typer.echo(f"{r.programme:10} {r.as_of.isoformat()} {hr} {ci:>13} {z} {frac} {b}  {r.decision}")
        for code, true in result.truth.items():
            typer.echo(f"{code}: synthetic truth, hazard ratio {true:.2f} over the men treated by {last}")
        for code, alert in result.first_alerts.items():
            if alert is None:
                typer.echo(f"{code}: no harm alert from {first} to {last}")
            else:
                typer.echo(
                    f"{code}: first harm alert on {alert.as_of} (HR {alert.estimate:.2f}, z {alert.z:.2f} "
                    f">= boundary {alert.boundary:.2f})"
                )

    @monitor.command("run")
    def run_command(
        programme: str = typer.Option(
            None,
            "--programme",
            help="Programme code(s), comma-separated (default: every programme in the database's programme "
            "history that the store evaluation supports; with --synthetic, SOTP-CORE).",
        ),
        as_of: str = typer.Option(None, "--as-of", help="Review date (YYYY-MM-DD; default today)."),
        method: Method = MethodOpt,
        alpha: float = AlphaOpt,
        effect: float = typer.Option(1.25, "--effect", help="Hazard ratio worth detecting."),
        min_treated: int = typer.Option(
            60,
            "--min-treated",
            help="Fewer treated men than this on the date: 'too little data' (default the Justice Data "
            "Lab's 60).",
        ),
        synthetic: bool = typer.Option(
            False,
            "--synthetic",
            help="Review the synthetic national history (--seed, --men) instead of the database's casework.",
        ),
        seed: int = typer.Option(1, "--seed", help="With --synthetic: seed of the synthetic history."),
        men: int = typer.Option(0, "--men", help="With --synthetic: men in the history (0: national scale)."),
        as_user: str = AsOpt,
        db: str = DbOpt,
        fmt: Format = FormatOpt,
    ) -> None:
        """Review each programme on a date and store the review (and any alert); re-running is a no-op.

        The evidence is the database's own evaluation of each programme as it could have been made on the
        date (men treated and released by then, reoffences proven by then after the waiting period), each
        kept as an evaluation run; --synthetic reviews the synthetic national history instead.
        """
        from desist.domain.errors import InputError
        from desist.entrypoints.cli.casework_common import database_errors, user_uow_factory
        from desist.services import monitoring as svc

        day = _date(as_of, "--as-of") if as_of else dt.date.today()
        if min_treated < 1:
            raise InputError(f"--min-treated {min_treated}: expected a whole number of at least 1")
        codes = [c.strip().upper() for c in (programme or "").split(",") if c.strip()]
        monitor_ = svc.make_monitor(method.value, alpha, effect)
        with database_errors():
            factory = user_uow_factory(as_user, db)
            svc.check_may_store_reviews(factory)  # before building a history or evaluating anything
            if synthetic:
                codes = codes or ["SOTP-CORE"]
                _, evaluator = svc.synthetic_evaluators(seed, men or None, codes, day)
                source = svc.synthetic_source(seed, men or None)
            else:
                if seed != 1 or men:
                    raise InputError("--seed/--men: only with --synthetic; expected --synthetic or neither")
                codes = codes or svc.store_programmes(factory)
                if not codes:
                    raise InputError(
                        "--programme: the database has no programme history the store evaluation supports; "
                        "expected `desist import` of programme history first (or --synthetic)"
                    )
                evaluator = svc.store_evaluator(factory, min_treated=min_treated)
                source = svc.STORE_SOURCE
            reviews = svc.run_reviews(factory, evaluator, codes, day, monitor_, source=source)
        if fmt is Format.json:
            typer.echo(json.dumps({"reviews": reviews}, indent=2, default=str))
            return
        for r in reviews:
            est = f"HR {r['estimate']:.2f}, z {r['z']:.2f}" if r["estimate"] is not None else "no estimate"
            kept = "stored" if r["stored"] else "already stored"
            typer.echo(
                f"{r['programme']} {r['as_of']}: {r['decision']} ({est}; {r['treated']} treated, "
                f"{r['comparison']} comparison, {r['events']} events) - review {r['id']} {kept}"
            )

    @monitor.command("status")
    def status_command(
        db: str = DbOpt,
        as_user: str = AsOpt,
        fmt: Format = FormatOpt,
    ) -> None:
        """Each programme's latest review and the alerts not yet acknowledged."""
        from desist.entrypoints.cli.casework_common import database_errors, user_uow_factory
        from desist.services.monitoring import status

        with database_errors():
            state = status(user_uow_factory(as_user, db))
        if fmt is Format.json:
            typer.echo(json.dumps(state, indent=2, default=str))
            return
        for r in state["programmes"]:  # type: ignore[attr-defined]
            typer.echo(f"{r['programme']}: latest review {r['as_of']} ({r['method']}): {r['decision']}")
        alerts = state["open_alerts"]
        if not alerts:
            typer.echo("no open alerts")
        for a in alerts:  # type: ignore[attr-defined]
            ev = a["evidence"]
            typer.echo(
                f"alert {a['id']}: {a['programme']} {a['direction']} at the review of {a['as_of']} "
                f"(HR {ev.get('estimate', float('nan')):.2f}, z {ev.get('z', float('nan')):.2f} >= "
                f"{ev.get('boundary') or float('nan'):.2f}); "
                f"acknowledge with `desist monitor ack {a['id']} --reason ...`"
            )

    @monitor.command("ack")
    def ack_command(
        alert_id: int = typer.Argument(..., help="The alert's id (from `desist monitor status`)."),
        reason: str = typer.Option(..., "--reason", help="What was decided about the alert."),
        as_user: str = AsOpt,
        db: str = DbOpt,
    ) -> None:
        """Acknowledge an alert: a recorded, audited action with a reason (a treatment manager or analyst)."""
        from desist.entrypoints.cli.casework_common import database_errors, user_uow_factory
        from desist.services.monitoring import acknowledge

        with database_errors():
            done = acknowledge(user_uow_factory(as_user, db), alert_id, reason)
        typer.echo(f"alert {done['id']} ({done['programme']}) acknowledged by {done['acknowledged_by']}")
