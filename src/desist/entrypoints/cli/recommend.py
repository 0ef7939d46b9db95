"""``desist recommend``: which programmes each man in a file should be offered, and why not the others.

Every record is validated and every recommendation made before anything is written, so a bad record (with
``--on-error fail``) leaves no partial output: one line on stderr naming the record and field, exit status 2.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from desist.domain.errors import DesistError, InputError
from desist.entrypoints.cli.record_files import ForceOpt, Format, FormatOpt, OnError, RejectsOpt

if TYPE_CHECKING:
    from desist.adapters.records import Reject
    from desist.domain.pathways import Policy, Recommendation


def parse_day(text: str | None) -> date | None:
    """``--as-of`` as a date, or an InputError naming the option."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"--as-of {text!r}: not a valid date, expected YYYY-MM-DD") from None


def recommend_records(
    records: list[dict[str, Any]], as_of: date | None, policy: Policy, on_error: str
) -> tuple[list[Recommendation], list[Reject]]:
    """Validate every record and recommend for each valid one; return (recommendations, rejects).

    ``as_of`` applies to records without their own ``as_of``. Raises InputError (the first reject's line) when
    ``on_error`` is ``fail`` and any record is refused: nothing is recommended, nothing written.
    """
    from desist.adapters.records import validate_records
    from desist.domain.pathways import recommend_many
    from desist.domain.profile import Profile

    checked = validate_records(records, Profile, on_error="skip")
    if checked.rejects and on_error == OnError.fail:
        raise InputError(str(checked.rejects[0]))
    profiles = [p for _, p in checked.valid if isinstance(p, Profile)]
    # every record's own checks (including the PNI's precondition) ran in validation, so scoring cannot fail
    return recommend_many(profiles, default_as_of=as_of, policy=policy), list(checked.rejects)


def csv_row(rec: Recommendation) -> dict[str, Any]:
    """One spreadsheet-friendly row per man (lists joined with ' | ')."""
    a = rec.assessment
    return {
        "id": rec.id,
        "as_of": rec.as_of.isoformat(),
        "pathway": str(rec.pathway),
        "risk_basis": a.basis,
        "risk_band": str(a.band),
        "intensity": None if a.target is None else str(a.target),
        "recommended": ";".join(r.code for r in rec.recommended),
        "recommended_reasons": " | ".join(f"{r.code}: {' '.join(r.reasons)}" for r in rec.recommended),
        "excluded": " | ".join(f"{e.code}: {' '.join(e.reasons)}" for e in rec.excluded),
        "reason": rec.reason,
    }


def render_table(recs: list[Recommendation]) -> None:
    """A programme manager's view: per man, what to offer and why, what not and why not."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from desist.domain.catalogue import default_catalogue
    from desist.domain.limits import visible

    catalogue = default_catalogue()
    console = Console()
    for rec in recs:
        a = rec.assessment
        risk = f"{a.basis} {a.band}"
        if a.osp.dc.points is not None:
            risk += f" (OSP/DC {a.osp.dc.points} points, {a.osp.dc.band})"
        # the id comes from the user's file: shown as plain text, never as Rich markup or terminal codes
        title = Text(visible(f"{rec.id or 'record'} · as of {rec.as_of.isoformat()} ({a.era} menu)"))
        caption = f"risk {risk} · pathway {rec.pathway} · intensity {a.target or 'none'}"
        table = Table(
            title=title,
            caption=caption,
            title_justify="left",
            caption_justify="left",
            show_lines=True,
            expand=True,
        )
        table.add_column("Programme", ratio=2, overflow="fold")
        table.add_column("Decision", min_width=11, no_wrap=True)
        table.add_column("Why", ratio=5, overflow="fold")
        names = {p.code: p.name for p in catalogue}
        for i, r in enumerate(rec.recommended, start=1):
            table.add_row(_label(r.name, r.code), Text(f"OFFER {i}", style="bold green"), _bullets(r.reasons))
        if rec.reason:
            table.add_row("(none)", Text("NOTHING FITS", style="bold red"), rec.reason)
        off_menu = [e.code for e in rec.excluded if "not_available" in e.kinds]
        for e in rec.excluded:
            if "not_available" not in e.kinds:
                table.add_row(
                    _label(names[e.code], e.code), Text("not offered", style="yellow"), _bullets(e.reasons)
                )
        if off_menu:
            note = f"Not on the menu on {rec.as_of.isoformat()}: {', '.join(off_menu)}."
            table.add_row(
                f"{len(off_menu)} others", Text("not running", style="dim"), Text(note, style="dim")
            )
        console.print(table)
        console.print()


def _label(name: str, code: str) -> str:
    return f"{name}\n[dim]{code}[/dim]"


def _bullets(lines: tuple[str, ...]) -> str:
    return "\n".join(f"• {line}" for line in lines)


def register(app: typer.Typer) -> None:
    """Add ``desist recommend`` to the app."""

    @app.command("recommend")
    def recommend_cmd(
        input_path: Path = typer.Option(
            ..., "--input", help="JSON list or CSV of men (fields in docs/recommend.md)."
        ),
        as_of: str | None = typer.Option(
            None, "--as-of", help="Date of the menu (YYYY-MM-DD) for records without their own as_of."
        ),
        fmt: Format = FormatOpt,
        on_error: OnError = typer.Option(
            OnError.fail, "--on-error", help="fail: stop at a bad record, write nothing; skip: do the rest."
        ),
        rejects_path: Path | None = RejectsOpt,
        force: bool = ForceOpt,
        offer_low_risk: bool = typer.Option(
            False, "--policy-offer-low-risk", help="Offer programmes to low-risk men (off by default)."
        ),
    ) -> None:
        """Recommend programmes for every man in a file, with a reason for every programme not offered."""
        from desist.adapters.records import read_records, write_output, write_rejects
        from desist.domain.pathways import Policy
        from desist.entrypoints.cli.app import fail

        try:
            day = parse_day(as_of)
            records = read_records(input_path)
            recs, rejects = recommend_records(records, day, Policy(offer_low_risk=offer_low_risk), on_error)
        except DesistError as exc:
            raise fail(exc.message) from None
        if rejects_path is not None:
            write_rejects(rejects_path, rejects, not_over=input_path, force=force)
        if fmt is Format.table:
            render_table(recs)
        elif fmt is Format.json:
            write_output([r.to_dict() for r in recs], "json", "Programme recommendations")
        else:
            write_output([csv_row(r) for r in recs], "csv", "Programme recommendations")
        for r in rejects:
            typer.echo(f"skipped: {r}", err=True)
