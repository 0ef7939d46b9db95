"""CLI commands: ``desist group`` (allocation, sessions, attendance, completion) and ``desist incentive``."""

from __future__ import annotations

import typer

from desist.domain.errors import InputError
from desist.entrypoints.cli.casework_common import (
    MAX_ID,
    AppellantOpt,
    AsOpt,
    DryRunOpt,
    Format,
    FormatOpt,
    GroupArg,
    OnOpt,
    PersonOpt,
    UrlOpt,
    check_format,
    database_errors,
    date_opt,
    emit_json,
    people_list,
    required_date,
    user_uow_factory,
)
from desist.entrypoints.cli.options import emit_csv, plain


def _print_group(view, fmt: str) -> None:  # type: ignore[no-untyped-def]
    if fmt == "json":
        emit_json(view.to_dict())
        return
    if fmt == "csv":  # one row per member, the group's fields repeated
        base = {k: v for k, v in plain(view).items() if k != "members"}
        emit_csv(
            [{**base, **{f"member_{k}": v for k, v in plain(m).items()}} for m in view.members] or [base]
        )
        return
    limit = f", joiners until session {view.last_joining_session}" if view.last_joining_session else ""
    typer.echo(
        f"group {view.id}: {view.kind} {view.programme_code} at {view.site}"
        f"{' (' + view.label + ')' if view.label else ''} - {view.places_taken} of {view.capacity} places, "
        f"{view.sessions_held} of {view.planned_sessions} sessions held{limit}"
    )
    for m in view.members:
        state = "in group" if m.left_on is None else ("completed" if m.completed else "left")
        typer.echo(
            f"  {m.prison_number}\treferral {m.referral_id}\tjoined session {m.joined_session}\t"
            f"attended {m.sessions_attended}/{m.sessions_offered} ({m.attendance_rate:.0%} of plan)\t{state}"
        )


def _marks(attended: str | None, absent: str | None, excused: str | None) -> dict[str, str]:
    marks: dict[str, str] = {}
    for status, people in (("attended", attended), ("absent", absent), ("excused", excused)):
        for p in people_list(people):
            key = p.upper()
            if key in marks:
                # a dict would keep the last mark silently: the man would be recorded as one or the other
                where = "twice" if marks[key] == status else f"in --{marks[key]} too"
                raise InputError(f"--{status}: {p} is given {where}; expected each man once per session")
            marks[key] = status
    return marks


def _print_review(moved, fmt: str, dry_run: bool, from_level: str) -> None:  # type: ignore[no-untyped-def]
    """The men a bulk incentive review moved (or would move) to Standard."""
    if fmt == "json":
        emit_json(moved)
        return
    if fmt == "csv":
        emit_csv(moved)
        return
    typer.echo(f"{'would move' if dry_run else 'moved'} {len(moved)} men from {from_level} to standard")
    for v in moved:
        typer.echo(f"  {v.prison_number}")


def _review(level: str, on: str | None, dry_run: bool, as_user: str, url: str | None, fmt: Format) -> None:
    """Run one of the bulk reviews to Standard (``basic``: 2017; ``entry``: 2019) and print who moved."""
    from desist.services import incentives

    service = incentives.review_basic if level == "basic" else incentives.review_entry
    with database_errors():
        moved = service(user_uow_factory(as_user, url)(), on=date_opt(on, "--on"), dry_run=dry_run)
    _print_review(moved, check_format(fmt), dry_run, level)


def register_group(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Groups: allocate from the waiting list, sessions, attendance, completion.", no_args_is_help=True
    )
    app.add_typer(group, name="group")

    @group.command("create")
    def create(
        offering: int = typer.Option(..., "--offering", min=1, max=MAX_ID, help="Offering id."),
        kind: str = typer.Option(
            ...,
            "--kind",
            metavar="[closed|rolling]",
            help="Closed (start together) or rolling (join any time).",
        ),
        capacity: int = typer.Option(..., "--capacity", max=MAX_ID, help="Places in the group."),
        sessions: int = typer.Option(..., "--sessions", max=MAX_ID, help="Number of sessions in the plan."),
        last_joining_session: int = typer.Option(
            None, "--last-joining-session", max=MAX_ID, help="Closed groups only."
        ),
        label: str = typer.Option(None, "--label", help="A name for the group."),
        facilitator: list[str] = typer.Option(None, "--facilitator", help="A facilitator (repeat for more)."),
        start: str = typer.Option(None, "--start-date", help="Planned start, YYYY-MM-DD."),
        as_user: str = AsOpt,
        url: str = UrlOpt,
        fmt: Format = FormatOpt,
    ) -> None:
        """Create a closed or rolling group for an offering."""
        from desist.domain.groups import GroupKind, parse_enum
        from desist.services.groups import create_group

        fmt = check_format(fmt)
        with database_errors():
            view = create_group(
                user_uow_factory(as_user, url)(),
                offering_id=offering,
                kind=parse_enum(GroupKind, kind, "--kind"),
                capacity=capacity,
                planned_sessions=sessions,
                label=label,
                facilitators=list(facilitator or []),
                start_date=date_opt(start, "--start-date"),
                last_joining_session=last_joining_session,
            )
        _print_group(view, fmt)

    @group.command("waiting")
    def waiting(
        offering: int = typer.Option(..., "--offering", min=1, max=MAX_ID, help="Offering id."),
        fmt: Format = FormatOpt,
        as_user: str = AsOpt,
        url: str = UrlOpt,
    ) -> None:
        """The waiting list for an offering, in priority order (earliest release, then referral date)."""
        from desist.services.groups import waiting_list

        fmt = check_format(fmt)
        with database_errors():
            entries = waiting_list(user_uow_factory(as_user, url)(), offering)
        if fmt == "json":
            emit_json(entries)
            return
        if fmt == "csv":
            emit_csv(
                [
                    {
                        "position": i,
                        "referral_id": e.referral_id,
                        "release_date": e.release_date,
                        "referral_date": e.referral_date,
                        "risk_band": e.member.risk_band,
                        "offence_type": e.member.offence_type,
                    }
                    for i, e in enumerate(entries, 1)
                ]
            )
            return
        for i, e in enumerate(entries, 1):
            band = e.member.risk_band.value if e.member.risk_band else "unknown"
            typer.echo(
                f"{i}. referral {e.referral_id}\trelease {e.release_date or 'none'}\t"
                f"referred {e.referral_date}\trisk {band}"
            )

    @group.command("allocate")
    def allocate(
        group_id: int = GroupArg,
        on: str = typer.Option(None, "--on", help="Joining date (default today)."),
        as_user: str = AsOpt,
        url: str = UrlOpt,
        fmt: Format = FormatOpt,
    ) -> None:
        """Fill free places from the waiting list in priority order, within the mixing rules."""
        from desist.services.groups import allocate as service

        fmt = check_format(fmt)
        with database_errors():
            result = service(
                user_uow_factory(as_user, url)(), group_id=group_id, on=date_opt(on, "--on")
            )
        if fmt == "json":
            emit_json(result)
            return
        if fmt == "csv":
            emit_csv(
                [{"referral_id": r, "allocated": True, "why_not": ""} for r in result.enrolled_referrals]
                + [{"referral_id": r, "allocated": False, "why_not": why} for r, why in result.passed_over]
            )
            return
        typer.echo(f"allocated referrals {', '.join(map(str, result.enrolled_referrals)) or 'none'}")
        for rid, why in result.passed_over:
            typer.echo(f"passed over referral {rid}: {why}")
        _print_group(result.group, fmt)

    @group.command("enrol")
    def enrol(
        group_id: int = GroupArg,
        referral: int = typer.Option(..., "--referral", min=1, max=MAX_ID, help="Referral id."),
        on: str = OnOpt,
        as_user: str = AsOpt,
        url: str = UrlOpt,
        fmt: Format = FormatOpt,
    ) -> None:
        """Enrol one man (his referral must be ASSESSED_SUITABLE) if there is a place and the rules allow."""
        from desist.services.groups import enrol as service

        fmt = check_format(fmt)
        with database_errors():
            view = service(
                user_uow_factory(as_user, url)(),
                group_id=group_id,
                referral_id=referral,
                on=date_opt(on, "--on"),
            )
        _print_group(view, fmt)

    @group.command("session")
    def session(
        group_id: int = GroupArg,
        on: str = typer.Option(..., "--on", help="Date held, YYYY-MM-DD."),
        topic: str = typer.Option(None, "--topic", help="What the session covered."),
        attended: str = typer.Option(None, "--attended", help="Comma-separated prison numbers."),
        absent: str = typer.Option(None, "--absent", help="Comma-separated prison numbers."),
        excused: str = typer.Option(None, "--excused", help="Comma-separated prison numbers."),
        as_user: str = AsOpt,
        url: str = UrlOpt,
    ) -> None:
        """Record the group's next session, optionally with attendance."""
        from desist.services.groups import record_session

        with database_errors():
            out = record_session(
                user_uow_factory(as_user, url)(),
                group_id=group_id,
                held_on=required_date(on, "--on"),
                topic=topic,
                attendance=_marks(attended, absent, excused),
            )
        typer.echo(
            f"group {group_id}: session {out['session']} held {out['held_on']}, {out['marked']} marked"
        )

    @group.command("attend")
    def attend(
        group_id: int = GroupArg,
        session_number: int = typer.Option(..., "--session", max=MAX_ID, help="Session number."),
        attended: str = typer.Option(None, "--attended", help="Comma-separated prison numbers."),
        absent: str = typer.Option(None, "--absent", help="Comma-separated prison numbers."),
        excused: str = typer.Option(None, "--excused", help="Comma-separated prison numbers."),
        as_user: str = AsOpt,
        url: str = UrlOpt,
    ) -> None:
        """Mark (or correct) attendance at a session already held."""
        from desist.services.groups import record_attendance

        with database_errors():
            out = record_attendance(
                user_uow_factory(as_user, url)(),
                group_id=group_id,
                session_number=session_number,
                marks=_marks(attended, absent, excused),
            )
        typer.echo(f"group {group_id}: session {out['session']}, {out['marked']} marked")

    @group.command("complete")
    def complete(
        group_id: int = GroupArg,
        person: str = PersonOpt,
        targets_met: bool = typer.Option(
            ..., "--targets-met/--targets-not-met", help="Treatment targets met."
        ),
        on: str = OnOpt,
        as_user: str = AsOpt,
        url: str = UrlOpt,
    ) -> None:
        """Complete a member (attendance threshold and treatment targets are checked)."""
        from desist.services.groups import complete as service

        with database_errors():
            view = service(
                user_uow_factory(as_user, url)(),
                group_id=group_id,
                person=person,
                targets_met=targets_met,
                on=date_opt(on, "--on"),
            )
        typer.echo(f"referral {view.id}: {view.status}; programme history written for {view.prison_number}")

    @group.command("deselect")
    def deselect(
        group_id: int = GroupArg,
        person: str = PersonOpt,
        reason_category: str = typer.Option(
            ..., "--reason-category", help="The reason group, e.g. behaviour, motivation, operational."
        ),
        reason: str = typer.Option(..., "--reason", help="Why, in words."),
        to: str = typer.Option(
            "DESELECTED", "--to", help="DESELECTED, or ASSESSED_SUITABLE/SUITABLE_NOT_READY."
        ),
        on: str = OnOpt,
        as_user: str = AsOpt,
        url: str = UrlOpt,
    ) -> None:
        """Take a man out of a group, with a reason (the referral closes or stays open)."""
        from desist.domain.referrals import Reason, parse_status
        from desist.services.groups import deselect as service

        why = Reason.parse(reason_category, reason)
        with database_errors():
            view = service(
                user_uow_factory(as_user, url)(),
                group_id=group_id,
                person=person,
                reason=why,
                to=parse_status(to, "--to"),
                on=date_opt(on, "--on"),
            )
        typer.echo(f"referral {view.id}: {view.status}; programme history written for {view.prison_number}")

    @group.command("show")
    def show(
        group_id: int = GroupArg, fmt: Format = FormatOpt, as_user: str = AsOpt, url: str = UrlOpt
    ) -> None:
        """Show a group and each member's progress."""
        from desist.services.groups import show_group

        fmt = check_format(fmt)
        with database_errors():
            view = show_group(user_uow_factory(as_user, url)(), group_id)
        _print_group(view, fmt)


def register_incentive(app: typer.Typer) -> None:
    incentive = typer.Typer(help="Incentive (IEP) levels and the 2017 Basic review.", no_args_is_help=True)
    app.add_typer(incentive, name="incentive")

    @incentive.command("set")
    def set_(
        person: str = PersonOpt,
        level: str = typer.Option(..., "--level", help="basic, entry, standard or enhanced."),
        reason_category: str = typer.Option(
            ..., "--reason-category", help="The reason group, e.g. behaviour, motivation, operational."
        ),
        reason: str = typer.Option(..., "--reason", help="Why, in words."),
        on: str = OnOpt,
        maintains_innocence: bool = typer.Option(
            False, "--maintains-innocence", help="He denies the offence."
        ),
        appellant: bool = AppellantOpt,
        as_user: str = AsOpt,
        url: str = UrlOpt,
    ) -> None:
        """Change a man's level, with a reason."""
        from desist.domain.incentives import LevelReason, parse_level
        from desist.services.incentives import set_level

        lvl, why = parse_level(level, "--level"), LevelReason.parse(reason_category, reason)
        with database_errors():
            v = set_level(
                user_uow_factory(as_user, url)(),
                person=person,
                level=lvl,
                reason=why,
                on=date_opt(on, "--on"),
                maintains_innocence=maintains_innocence,
                recognised_appellant=appellant,
            )
        typer.echo(
            f"{v.prison_number}: {v.from_level or 'none'} -> {v.to_level} from {v.effective_on} "
            f"[{v.reason_category}] {v.reason}"
        )

    @incentive.command("review-basic")
    def review_basic(
        on: str = typer.Option(None, "--on", help="Date the reversal takes effect."),
        dry_run: bool = DryRunOpt,
        as_user: str = AsOpt,
        url: str = UrlOpt,
        fmt: Format = FormatOpt,
    ) -> None:
        """Move everyone on Basic for maintaining innocence / non-participation to Standard (2017 review)."""
        _review("basic", on, dry_run, as_user, url, fmt)

    @incentive.command("review-entry")
    def review_entry(
        on: str = typer.Option(None, "--on", help="Default: the day after Entry's last day (Aug 2019)."),
        dry_run: bool = DryRunOpt,
        as_user: str = AsOpt,
        url: str = UrlOpt,
        fmt: Format = FormatOpt,
    ) -> None:
        """Move everyone still on Entry to Standard (Entry was abolished in Aug 2019)."""
        _review("entry", on, dry_run, as_user, url, fmt)

    @incentive.command("history")
    def history(
        person: str = PersonOpt, fmt: Format = FormatOpt, as_user: str = AsOpt, url: str = UrlOpt
    ) -> None:
        """A man's level changes in date order."""
        from desist.services.incentives import level_history

        fmt = check_format(fmt)
        with database_errors():
            rows = level_history(user_uow_factory(as_user, url)(), person)
        if fmt == "json":
            emit_json(rows)
            return
        if fmt == "csv":
            emit_csv(rows)
            return
        for v in rows:
            typer.echo(
                f"{v.effective_on}\t{v.from_level or '-'} -> {v.to_level}\t[{v.reason_category}] {v.reason}"
            )


def register(app: typer.Typer) -> None:
    register_group(app)
    register_incentive(app)
