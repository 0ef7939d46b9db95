"""CLI commands for casework: ``desist person``, ``desist offering`` and ``desist referral`` (incl. transfer).

Groups and incentives are in :mod:`desist.entrypoints.cli.casework_groups`; both are registered here.
Each command only parses its arguments, calls one service use case and prints the result; errors a user
can cause are :class:`~desist.domain.errors.DesistError` (one line, exit 2, mapped by ``app.main``).
"""

from __future__ import annotations

import typer

from desist.domain.errors import InputError
from desist.entrypoints.cli.casework_common import (
    MAX_ID,
    Acting,
    AppellantOpt,
    Format,
    MaintainsInnocenceOpt,
    PersonArg,
    ReferralArg,
    casework_command,
    date_opt,
    emit_rows,
    required_date,
    rows_per_item,
)
from desist.entrypoints.cli.options import command_group, plain


def _print_referral(view, fmt: Format) -> None:  # type: ignore[no-untyped-def]
    def table() -> None:
        typer.echo(
            f"referral {view.id}: {view.status} (version {view.version}) - person {view.prison_number}, "
            f"offering {view.offering_id} {view.programme_code} at {view.site}, referred by {view.referrer}"
        )
        for h in view.history:
            why = (
                f" [{h.reason_category}] {h.reason}"
                if h.reason_category
                else (f" ({h.reason})" if h.reason else "")
            )
            typer.echo(f"  {h.at:%Y-%m-%d %H:%M} {h.from_status or '-'} -> {h.to_status} by {h.actor}{why}")

    # CSV: one row per status change, the referral's fields repeated
    emit_rows(view, fmt, table, csv_rows=rows_per_item(view, "history", "change_"))


def _flags_text(p) -> str:  # type: ignore[no-untyped-def]
    named = (
        ("maintains innocence", p.maintains_innocence),
        ("recognised appellant", p.recognised_appellant),
        ("LDC", p.ldc),
    )
    flags = [name for name, on in named if on]
    return f" ({', '.join(flags)})" if flags else ""


def register_person(app: typer.Typer) -> None:
    person = command_group(app, "person", "Record a man, his sentence and his assessments (single records).")

    @casework_command(person, "add")
    def add(
        act: Acting,
        prison_number: str = typer.Option(..., "--prison-number", help="e.g. A1234BC"),
        given_name: str = typer.Option(None, "--given-name", help="Given name(s), as on the case system."),
        family_name: str = typer.Option(None, "--family-name", help="Family name (for the caseload search)."),
        dob: str = typer.Option(..., "--date-of-birth", help="Date of birth, YYYY-MM-DD."),
        sex: str = typer.Option("M", "--sex", metavar="[M|F]", help="Sex as recorded."),
        establishment: str = typer.Option(None, "--establishment", help="Prison he is held in."),
        region: str = typer.Option(None, "--probation-region", help="Probation region."),
        pnc: str = typer.Option(None, "--pnc-number", help="Police National Computer number."),
        maintains_innocence: bool = MaintainsInnocenceOpt,
        appellant: bool = AppellantOpt,
        ldc: bool = typer.Option(
            False, "--ldc", help="Learning disability or challenges (OASys LDC subtotal 3 or more)."
        ),
    ) -> None:
        """Record a new man (innocence/appellant protect him from Basic; LDC: adapted programmes)."""
        from desist.services.casework import register_person as service

        p = act(
            lambda uow: service(
                uow,
                prison_number=prison_number,
                date_of_birth=required_date(dob, "--date-of-birth"),
                sex=sex,
                establishment=establishment,
                probation_region=region,
                pnc_number=pnc,
                maintains_innocence=maintains_innocence,
                recognised_appellant=appellant,
                ldc=ldc,
                given_name=given_name,
                family_name=family_name,
            )
        )
        named = f" {p.name}" if p.name else ""
        typer.echo(f"person {p.id}: {p.prison_number}{named}{_flags_text(p)}")

    @casework_command(person, "set-flags")
    def set_flags(
        act: Acting,
        person_key: str = PersonArg,
        maintains_innocence: bool = typer.Option(
            None, "--maintains-innocence/--no-maintains-innocence", help="He denies the offence (or no more)."
        ),
        appellant: bool = typer.Option(
            None, "--appellant/--not-appellant", help="A recognised appellant (or no longer)."
        ),
        ldc: bool = typer.Option(
            None, "--ldc/--no-ldc", help="Learning disability or challenges (OASys LDC subtotal 3+), or not."
        ),
        expect_version: int = typer.Option(
            None, "--expect-version", min=1, max=MAX_ID, help="Refuse if his record changed since you saw it."
        ),
    ) -> None:
        """Change a man's flags (audited); flags not given stay as they are."""
        from desist.services.casework import set_person_flags

        if maintains_innocence is None and appellant is None and ldc is None:
            raise InputError(
                "person set-flags: nothing to change; expected --maintains-innocence/"
                "--no-maintains-innocence, --appellant/--not-appellant and/or --ldc/--no-ldc"
            )
        p = act(
            lambda uow: set_person_flags(
                uow,
                person=person_key,
                maintains_innocence=maintains_innocence,
                recognised_appellant=appellant,
                ldc=ldc,
                expected_version=expect_version,
            )
        )
        typer.echo(f"person {p.id}: {p.prison_number}{_flags_text(p) or ' (no flags)'} (version {p.version})")

    @casework_command(person, "sentence")
    def sentence(
        act: Acting,
        person_key: str = PersonArg,
        start: str = typer.Option(..., "--start-date", help="Sentence start, YYYY-MM-DD."),
        release: str = typer.Option(None, "--release-date", help="(Expected) release, YYYY-MM-DD."),
        licence_end: str = typer.Option(None, "--licence-end-date", help="Licence end, YYYY-MM-DD."),
        community: bool = typer.Option(False, "--community", help="A community sentence (not custodial)."),
        offence: str = typer.Option(None, "--index-offence", help="The index offence, as text."),
    ) -> None:
        """Record a sentence or custody episode."""
        from desist.services.casework import record_sentence

        out = act(
            lambda uow: record_sentence(
                uow,
                person=person_key,
                start_date=required_date(start, "--start-date"),
                release_date=date_opt(release, "--release-date"),
                licence_end_date=date_opt(licence_end, "--licence-end-date"),
                custodial=not community,
                index_offence=offence,
            )
        )
        typer.echo(f"sentence {out['id']}: person {person_key}, release {out['release_date'] or 'not set'}")

    @casework_command(person, "assess")
    def assess(
        act: Acting,
        person_key: str = typer.Argument(..., metavar="PERSON"),
        tool: str = typer.Option(..., "--tool", help="The tool, e.g. OSP, RM2000, Static-99R."),
        on: str = typer.Option(..., "--assessed-on", help="Assessment date, YYYY-MM-DD."),
        risk_band: str = typer.Option(
            None, "--risk-band", metavar="[low|medium|high|very_high]", help="The band it gave."
        ),
        offence_type: str = typer.Option(
            None, "--offence-type", metavar="[contact|non_contact]", help="Contact or non-contact offending."
        ),
        assessor: str = typer.Option(None, "--assessor", help="Who assessed him."),
    ) -> None:
        """Record an assessment's result (the band the group mixing rules use)."""
        from desist.services.casework import record_assessment

        outputs = {k: v for k, v in (("risk_band", risk_band), ("offence_type", offence_type)) if v}
        out = act(
            lambda uow: record_assessment(
                uow,
                person=person_key,
                assessed_on=required_date(on, "--assessed-on"),
                tool=tool,
                inputs={},
                outputs=outputs,
                assessor=assessor,
            )
        )
        typer.echo(
            f"assessment {out['id']}: person {person_key}, {out['tool']} on {out['assessed_on']} {outputs}"
        )


def register_offering(app: typer.Typer) -> None:
    offering = command_group(app, "offering", "Programmes offered at a site.")

    @casework_command(offering, "create")
    def create(
        act: Acting,
        programme: str = typer.Option(..., "--programme", help="Catalogue programme code, e.g. Horizon."),
        site: str = typer.Option(..., "--site", help="Where it runs, e.g. HMP Whatton."),
    ) -> None:
        """Offer a programme at a site."""
        from desist.services.groups import create_offering

        o = act(lambda uow: create_offering(uow, programme_code=programme, site=site))
        typer.echo(f"offering {o['id']}: {o['programme_code']} at {o['site']}")


#: ``--expect-version`` of a referral
ExpectVersionOpt = typer.Option(
    None, "--expect-version", min=1, max=MAX_ID, help="Refuse if it changed since you saw it."
)


def register_referral(app: typer.Typer) -> None:
    referral = command_group(
        app, "referral", "Referrals and their status (the accredited-programmes workflow)."
    )

    @casework_command(referral, "create", formats=True)
    def create(
        act: Acting,
        person: str = typer.Option(..., "--person", help="Prison number, or #ID for an internal id."),
        offering: int = typer.Option(..., "--offering", min=1, max=MAX_ID, help="Offering id."),
        referred_on: str = typer.Option(
            None, "--referred-on", help="The day it was made, YYYY-MM-DD, if earlier (default: now)."
        ),
    ) -> None:
        """Start a referral (REFERRAL_STARTED); a second open referral to the same offering is refused."""
        from desist.services.referrals import create_referral

        view = act(
            lambda uow: create_referral(
                uow, person=person, offering_id=offering, referred_on=date_opt(referred_on, "--referred-on")
            )
        )
        _print_referral(view, act.fmt)

    @casework_command(referral, "submit", formats=True)
    def submit(
        act: Acting,
        referral_id: int = ReferralArg,
        assessment_confirmed: bool = typer.Option(
            False, "--assessment-confirmed", help="The assessment is confirmed."
        ),
        history_reviewed: bool = typer.Option(
            False, "--history-reviewed", help="Programme history reviewed."
        ),
    ) -> None:
        """Submit a started referral (needs --assessment-confirmed and --history-reviewed)."""
        from desist.domain.referrals import ReferralStatus
        from desist.services.referrals import move_referral

        view = act(
            lambda uow: move_referral(
                uow,
                referral_id,
                ReferralStatus.REFERRAL_SUBMITTED,
                assessment_confirmed=assessment_confirmed,
                programme_history_reviewed=history_reviewed,
            )
        )
        _print_referral(view, act.fmt)

    @casework_command(referral, "move", formats=True)
    def move(
        act: Acting,
        referral_id: int = ReferralArg,
        to: str = typer.Option(..., "--to", help="Target status, e.g. AWAITING_ASSESSMENT."),
        reason_category: str = typer.Option(None, "--reason-category", help="motivation, operational, ..."),
        reason: str = typer.Option(None, "--reason", help="Why (needed to withdraw, deselect or hold)."),
        expect_version: int = ExpectVersionOpt,
        targets_met: bool = typer.Option(
            None,
            "--targets-met/--targets-not-met",
            help="Treatment targets met (completion; deselection optional).",
        ),
        on: str = typer.Option(None, "--on", help="Effective date of completion/deselection (YYYY-MM-DD)."),
    ) -> None:
        """Move a referral to another status (the state machine decides who may)."""
        from desist.domain.referrals import Reason, parse_status
        from desist.services.referrals import move_referral

        target, why = parse_status(to, "--to"), Reason.parse(reason_category, reason)
        view = act(
            lambda uow: move_referral(
                uow,
                referral_id,
                target,
                reason=why,
                expected_version=expect_version,
                targets_met=targets_met,
                on=date_opt(on, "--on"),
            )
        )
        _print_referral(view, act.fmt)

    @casework_command(referral, "transfer", formats=True)
    def transfer(
        act: Acting,
        referral_id: int = ReferralArg,
        to_offering: int = typer.Option(
            ..., "--to-offering", min=1, max=MAX_ID, help="The same programme's offering at the new site."
        ),
        reason_category: str = typer.Option(None, "--reason-category", help="e.g. operational."),
        reason: str = typer.Option(None, "--reason", help="Why, e.g. 'moved to HMP Usk'."),
        expect_version: int = ExpectVersionOpt,
    ) -> None:
        """Move an open referral to the programme's offering at another site (keeps status and history)."""
        from desist.domain.referrals import Reason
        from desist.services.transfers import transfer_referral

        why = Reason.parse(reason_category, reason)
        view = act(
            lambda uow: transfer_referral(
                uow, referral_id, to_offering_id=to_offering, reason=why, expected_version=expect_version
            )
        )
        _print_referral(view, act.fmt)

    @casework_command(referral, "show", formats=True)
    def show(act: Acting, referral_id: int = ReferralArg) -> None:
        """Show a referral with its full status history."""
        from desist.services.referrals import show_referral

        _print_referral(act(lambda uow: show_referral(uow, referral_id)), act.fmt)

    @casework_command(referral, "list", formats=True)
    def list_(
        act: Acting,
        status: str = typer.Option(
            None, "--status", metavar="STATUS", help="Only this status, e.g. ASSESSED_SUITABLE."
        ),
        offering: int = typer.Option(None, "--offering", min=1, max=MAX_ID, help="Only this offering id."),
        person: str = typer.Option(None, "--person", help="Only this man (prison number or #ID)."),
    ) -> None:
        """List referrals, optionally by status, offering or person."""
        from desist.domain.referrals import parse_status
        from desist.services.referrals import list_referrals

        st = parse_status(status, "--status") if status else None
        views = act(lambda uow: list_referrals(uow, status=st, offering_id=offering, person=person))

        def table() -> None:
            for v in views:
                typer.echo(
                    f"{v.id}\t{v.status}\t{v.prison_number}\t{v.programme_code} at {v.site}\tv{v.version}"
                )

        no_history = ({k: v for k, v in plain(view).items() if k != "history"} for view in views)
        emit_rows(views, act.fmt, table, csv_rows=no_history)


def register(app: typer.Typer) -> None:
    """Add ``person``, ``offering``, ``referral``, ``group`` and ``incentive`` commands to the app."""
    from desist.entrypoints.cli import casework_groups

    register_person(app)
    register_offering(app)
    register_referral(app)
    casework_groups.register(app)
