"""CLI commands: ``desist group`` (allocation, sessions, attendance, completion) and ``desist incentive``."""

from __future__ import annotations

import typer

from desist.domain.errors import InputError
from desist.entrypoints.cli.casework_common import (
    MAX_ID,
    Acting,
    AppellantOpt,
    DryRunOpt,
    Format,
    GroupArg,
    MaintainsInnocenceOpt,
    OnOpt,
    PersonOpt,
    casework_command,
    date_opt,
    emit_rows,
    people_list,
    required_date,
    rows_per_item,
)
from desist.entrypoints.cli.options import command_group


def _print_group(view, fmt: Format) -> None:  # type: ignore[no-untyped-def]
    def table() -> None:
        limit = f", joiners until session {view.last_joining_session}" if view.last_joining_session else ""
        typer.echo(
            f"group {view.id}: {view.kind} {view.programme_code} at {view.site}"
            f"{' (' + view.label + ')' if view.label else ''} - "
            f"{view.places_taken} of {view.capacity} places, "
            f"{view.sessions_held} of {view.planned_sessions} sessions held{limit}"
        )
        for m in view.members:
            state = "in group" if m.left_on is None else ("completed" if m.completed else "left")
            typer.echo(
                f"  {m.prison_number}\treferral {m.referral_id}\tjoined session {m.joined_session}\t"
                f"attended {m.sessions_attended}/{m.sessions_offered} "
                f"({m.attendance_rate:.0%} of plan)\t{state}"
            )

    # CSV: one row per member, the group's fields repeated
    emit_rows(view, fmt, table, csv_rows=rows_per_item(view, "members", "member_"))


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


def _review(act: Acting, level: str, on: str | None, dry_run: bool) -> None:
    """Run one of the bulk reviews to Standard (``basic``: 2017; ``entry``: 2019) and print who moved."""
    from desist.services import incentives

    service = incentives.review_basic if level == "basic" else incentives.review_entry
    moved = act(lambda uow: service(uow, on=date_opt(on, "--on"), dry_run=dry_run))

    def table() -> None:
        typer.echo(f"{'would move' if dry_run else 'moved'} {len(moved)} men from {level} to standard")
        for v in moved:
            typer.echo(f"  {v.prison_number}")

    emit_rows(moved, act.fmt, table)


#: the men marked at a session, by how (comma-separated prison numbers)
AttendedOpt = typer.Option(None, "--attended", help="Comma-separated prison numbers.")
AbsentOpt = typer.Option(None, "--absent", help="Comma-separated prison numbers.")
ExcusedOpt = typer.Option(None, "--excused", help="Comma-separated prison numbers.")
#: why a man leaves a group or changes level
ReasonCategoryOpt = typer.Option(
    ..., "--reason-category", help="The reason group, e.g. behaviour, motivation, operational."
)
ReasonOpt = typer.Option(..., "--reason", help="Why, in words.")
OfferingOpt = typer.Option(..., "--offering", min=1, max=MAX_ID, help="Offering id.")


def register_group(app: typer.Typer) -> None:
    group = command_group(
        app, "group", "Groups: allocate from the waiting list, sessions, attendance, completion."
    )

    @casework_command(group, "create", formats=True)
    def create(
        act: Acting,
        offering: int = OfferingOpt,
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
    ) -> None:
        """Create a closed or rolling group for an offering."""
        from desist.domain.groups import GroupKind, parse_enum
        from desist.services.groups import create_group

        view = act(
            lambda uow: create_group(
                uow,
                offering_id=offering,
                kind=parse_enum(GroupKind, kind, "--kind"),
                capacity=capacity,
                planned_sessions=sessions,
                label=label,
                facilitators=list(facilitator or []),
                start_date=date_opt(start, "--start-date"),
                last_joining_session=last_joining_session,
            )
        )
        _print_group(view, act.fmt)

    @casework_command(group, "waiting", formats=True)
    def waiting(act: Acting, offering: int = OfferingOpt) -> None:
        """The waiting list for an offering, in priority order (earliest release, then referral date)."""
        from desist.services.groups import waiting_list

        entries = act(lambda uow: waiting_list(uow, offering))

        def table() -> None:
            for i, e in enumerate(entries, 1):
                band = e.member.risk_band.value if e.member.risk_band else "unknown"
                typer.echo(
                    f"{i}. referral {e.referral_id}\trelease {e.release_date or 'none'}\t"
                    f"referred {e.referral_date}\trisk {band}"
                )

        rows = (
            {
                "position": i,
                "referral_id": e.referral_id,
                "release_date": e.release_date,
                "referral_date": e.referral_date,
                "risk_band": e.member.risk_band,
                "offence_type": e.member.offence_type,
            }
            for i, e in enumerate(entries, 1)
        )
        emit_rows(entries, act.fmt, table, csv_rows=rows)

    @casework_command(group, "allocate", formats=True)
    def allocate(
        act: Acting,
        group_id: int = GroupArg,
        on: str = typer.Option(None, "--on", help="Joining date (default today)."),
    ) -> None:
        """Fill free places from the waiting list in priority order, within the mixing rules."""
        from desist.services.groups import allocate as service

        result = act(lambda uow: service(uow, group_id=group_id, on=date_opt(on, "--on")))

        def table() -> None:
            typer.echo(f"allocated referrals {', '.join(map(str, result.enrolled_referrals)) or 'none'}")
            for rid, why in result.passed_over:
                typer.echo(f"passed over referral {rid}: {why}")
            _print_group(result.group, act.fmt)

        rows = [{"referral_id": r, "allocated": True, "why_not": ""} for r in result.enrolled_referrals] + [
            {"referral_id": r, "allocated": False, "why_not": why} for r, why in result.passed_over
        ]
        emit_rows(result, act.fmt, table, csv_rows=rows)

    @casework_command(group, "enrol", formats=True)
    def enrol(
        act: Acting,
        group_id: int = GroupArg,
        referral: int = typer.Option(..., "--referral", min=1, max=MAX_ID, help="Referral id."),
        on: str = OnOpt,
    ) -> None:
        """Enrol one man (his referral must be ASSESSED_SUITABLE) if there is a place and the rules allow."""
        from desist.services.groups import enrol as service

        view = act(
            lambda uow: service(uow, group_id=group_id, referral_id=referral, on=date_opt(on, "--on"))
        )
        _print_group(view, act.fmt)

    @casework_command(group, "session")
    def session(
        act: Acting,
        group_id: int = GroupArg,
        on: str = typer.Option(..., "--on", help="Date held, YYYY-MM-DD."),
        topic: str = typer.Option(None, "--topic", help="What the session covered."),
        attended: str = AttendedOpt,
        absent: str = AbsentOpt,
        excused: str = ExcusedOpt,
    ) -> None:
        """Record the group's next session, optionally with attendance."""
        from desist.services.groups import record_session

        out = act(
            lambda uow: record_session(
                uow,
                group_id=group_id,
                held_on=required_date(on, "--on"),
                topic=topic,
                attendance=_marks(attended, absent, excused),
            )
        )
        typer.echo(
            f"group {group_id}: session {out['session']} held {out['held_on']}, {out['marked']} marked"
        )

    @casework_command(group, "attend")
    def attend(
        act: Acting,
        group_id: int = GroupArg,
        session_number: int = typer.Option(..., "--session", max=MAX_ID, help="Session number."),
        attended: str = AttendedOpt,
        absent: str = AbsentOpt,
        excused: str = ExcusedOpt,
    ) -> None:
        """Mark (or correct) attendance at a session already held."""
        from desist.services.groups import record_attendance

        out = act(
            lambda uow: record_attendance(
                uow,
                group_id=group_id,
                session_number=session_number,
                marks=_marks(attended, absent, excused),
            )
        )
        typer.echo(f"group {group_id}: session {out['session']}, {out['marked']} marked")

    @casework_command(group, "complete")
    def complete(
        act: Acting,
        group_id: int = GroupArg,
        person: str = PersonOpt,
        targets_met: bool = typer.Option(
            ..., "--targets-met/--targets-not-met", help="Treatment targets met."
        ),
        on: str = OnOpt,
    ) -> None:
        """Complete a member (attendance threshold and treatment targets are checked)."""
        from desist.services.groups import complete as service

        view = act(
            lambda uow: service(
                uow, group_id=group_id, person=person, targets_met=targets_met, on=date_opt(on, "--on")
            )
        )
        _print_left(view)

    @casework_command(group, "deselect")
    def deselect(
        act: Acting,
        group_id: int = GroupArg,
        person: str = PersonOpt,
        reason_category: str = ReasonCategoryOpt,
        reason: str = ReasonOpt,
        to: str = typer.Option(
            "DESELECTED", "--to", help="DESELECTED, or ASSESSED_SUITABLE/SUITABLE_NOT_READY."
        ),
        on: str = OnOpt,
    ) -> None:
        """Take a man out of a group, with a reason (the referral closes or stays open)."""
        from desist.domain.referrals import Reason, parse_status
        from desist.services.groups import deselect as service

        why = Reason.parse(reason_category, reason)
        view = act(
            lambda uow: service(
                uow,
                group_id=group_id,
                person=person,
                reason=why,
                to=parse_status(to, "--to"),
                on=date_opt(on, "--on"),
            )
        )
        _print_left(view)

    @casework_command(group, "show", formats=True)
    def show(act: Acting, group_id: int = GroupArg) -> None:
        """Show a group and each member's progress."""
        from desist.services.groups import show_group

        _print_group(act(lambda uow: show_group(uow, group_id)), act.fmt)


def _print_left(view) -> None:  # type: ignore[no-untyped-def]
    """A man who left a group (completed or deselected): his referral's new status."""
    typer.echo(f"referral {view.id}: {view.status}; programme history written for {view.prison_number}")


def register_incentive(app: typer.Typer) -> None:
    incentive = command_group(app, "incentive", "Incentive (IEP) levels and the 2017 Basic review.")

    @casework_command(incentive, "set")
    def set_(
        act: Acting,
        person: str = PersonOpt,
        level: str = typer.Option(..., "--level", help="basic, entry, standard or enhanced."),
        reason_category: str = ReasonCategoryOpt,
        reason: str = ReasonOpt,
        on: str = OnOpt,
        maintains_innocence: bool = MaintainsInnocenceOpt,
        appellant: bool = AppellantOpt,
    ) -> None:
        """Change a man's level, with a reason."""
        from desist.domain.incentives import LevelReason, parse_level
        from desist.services.incentives import set_level

        lvl, why = parse_level(level, "--level"), LevelReason.parse(reason_category, reason)
        v = act(
            lambda uow: set_level(
                uow,
                person=person,
                level=lvl,
                reason=why,
                on=date_opt(on, "--on"),
                maintains_innocence=maintains_innocence,
                recognised_appellant=appellant,
            )
        )
        typer.echo(
            f"{v.prison_number}: {v.from_level or 'none'} -> {v.to_level} from {v.effective_on} "
            f"[{v.reason_category}] {v.reason}"
        )

    @casework_command(incentive, "review-basic", formats=True)
    def review_basic(
        act: Acting,
        on: str = typer.Option(None, "--on", help="Date the reversal takes effect."),
        dry_run: bool = DryRunOpt,
    ) -> None:
        """Move everyone on Basic for maintaining innocence / non-participation to Standard (2017 review)."""
        _review(act, "basic", on, dry_run)

    @casework_command(incentive, "review-entry", formats=True)
    def review_entry(
        act: Acting,
        on: str = typer.Option(None, "--on", help="Default: the day after Entry's last day (Aug 2019)."),
        dry_run: bool = DryRunOpt,
    ) -> None:
        """Move everyone still on Entry to Standard (Entry was abolished in Aug 2019)."""
        _review(act, "entry", on, dry_run)

    @casework_command(incentive, "history", formats=True)
    def history(act: Acting, person: str = PersonOpt) -> None:
        """A man's level changes in date order."""
        from desist.services.incentives import level_history

        rows = act(lambda uow: level_history(uow, person))

        def table() -> None:
            for v in rows:
                typer.echo(
                    f"{v.effective_on}\t{v.from_level or '-'} -> {v.to_level}\t"
                    f"[{v.reason_category}] {v.reason}"
                )

        emit_rows(rows, act.fmt, table)


def register(app: typer.Typer) -> None:
    register_group(app)
    register_incentive(app)
