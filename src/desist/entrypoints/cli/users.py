"""``desist user``: add, disable, enable, grant, revoke, password, list, and API tokens.

Passwords are read from a hidden prompt (typed twice) or, for scripts, one line on standard input
(``--password-stdin``); never from a flag, which would leave them in the shell history and process list.
Every command but ``add --first-admin`` acts as an administrator named by ``--as`` (or ``DESIST_USER``).
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import typer

from desist.domain.errors import InputError
from desist.entrypoints.cli.casework_common import MAX_ID, Acting, casework_command, emit_rows, open_app
from desist.entrypoints.cli.options import command_group

RoleOpt = typer.Option(
    None, "--role", metavar="[referrer|programme_team|treatment_manager|analyst|admin]",
    help="A role (repeat for several).",
)
PasswordStdinOpt = typer.Option(
    False, "--password-stdin", help="Read the password from one line of standard input (for scripts)."
)
UserArg = typer.Argument(..., metavar="USERNAME", help="User name (letters, digits, '.', '-', '_').")


def _password(from_stdin: bool, prompt: str = "Password") -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line.strip():
            raise InputError("--password-stdin: no password on standard input; expected one line")
        return line.rstrip("\r\n")
    value: str = typer.prompt(prompt, hide_input=True, confirmation_prompt=True)
    return value


def _show(view: Any) -> str:
    where = "national" if view.national else view.organisation
    state = " (disabled)" if view.disabled else ""
    return f"user {view.username}: {', '.join(view.roles) or 'no role'}; {where}{state}"


def register(app: typer.Typer) -> None:
    user = command_group(app, "user", "Manage user accounts and API tokens (administrators).")
    token = command_group(user, "token", "Issue, list and revoke API tokens.")

    @casework_command(user, "add")
    def add(
        act: Acting,
        username: str = UserArg,
        roles: list[str] = RoleOpt,
        organisation: str = typer.Option(
            None, "--organisation", help="The user's prison or probation region, e.g. 'HMP Whatton'."
        ),
        national: bool = typer.Option(False, "--national", help="Access to every organisation's records."),
        display_name: str = typer.Option(None, "--display-name", help="The name shown to people."),
        first_admin: bool = typer.Option(
            False, "--first-admin", help="Create the first administrator (only while no user exists)."
        ),
        password_stdin: bool = PasswordStdinOpt,
    ) -> None:
        """Add a user (an administrator), or the first administrator (--first-admin)."""
        from desist.services import users

        if first_admin:
            if roles and set(roles) != {"admin"}:
                raise InputError("--first-admin: the first user is an administrator; expected no --role")
            the_app = open_app(act.url)
            with the_app:
                factory = the_app.uow_factory("system:first-admin")
                with the_app.uow("system:first-admin") as uow:  # refuse before asking for a password
                    if uow.users.count():
                        raise InputError(
                            "--first-admin: users exist already; an administrator adds users with --as ADMIN"
                        )
                view = users.create_first_admin(
                    factory, username=username, password=_password(password_stdin),
                    organisation=organisation, national=national or not organisation,
                    display_name=display_name,
                )
            typer.echo(_show(view))
            return
        if not roles:
            raise InputError("--role: missing; expected at least one role for the new user")
        view = act(lambda uow: users.add_user(
            uow, username=username, password=_password(password_stdin), roles=roles,
            organisation=organisation, national=national, display_name=display_name,
        ))
        typer.echo(_show(view))

    @casework_command(user, "disable")
    def disable(act: Acting, username: str = UserArg) -> None:
        """Disable a user: no sign-in, no acting; their sessions and API tokens are revoked."""
        from desist.services.users import disable_user

        typer.echo(_show(act(lambda uow: disable_user(uow, username))))

    @casework_command(user, "enable")
    def enable(act: Acting, username: str = UserArg) -> None:
        """Enable a disabled user again."""
        from desist.services.users import enable_user

        typer.echo(_show(act(lambda uow: enable_user(uow, username))))

    @casework_command(user, "grant")
    def grant(
        act: Acting,
        username: str = UserArg,
        roles: list[str] = RoleOpt,
        national: bool = typer.Option(
            None, "--national/--no-national", help="Give (or take away) access to every organisation."
        ),
        organisation: str = typer.Option(None, "--organisation", help="Move the user to this organisation."),
    ) -> None:
        """Give a user more roles, national access, or another organisation."""
        from desist.services.users import grant as service

        if not roles and national is None and organisation is None:
            raise InputError("grant: nothing to change; expected --role, --national or --organisation")
        view = act(
            lambda uow: service(uow, username, roles or [], national=national, organisation=organisation)
        )
        typer.echo(_show(view))

    @casework_command(user, "revoke")
    def revoke(act: Acting, username: str = UserArg, roles: list[str] = RoleOpt) -> None:
        """Take roles away from a user."""
        from desist.services.users import revoke_roles

        if not roles:
            raise InputError("--role: missing; expected the roles to take away")
        typer.echo(_show(act(lambda uow: revoke_roles(uow, username, roles))))

    @casework_command(user, "password")
    def password(act: Acting, username: str = UserArg, password_stdin: bool = PasswordStdinOpt) -> None:
        """Set a user's password (an administrator, or the user themselves); their sessions end."""
        from desist.services.users import set_password

        view = act(lambda uow: set_password(uow, username, _password(password_stdin, "New password")))
        typer.echo(f"user {view.username}: password changed; their sessions were ended")

    @casework_command(user, "list", formats=True)
    def list_(act: Acting) -> None:
        """The users you may manage (never a password or its hash)."""
        from desist.services.users import list_users

        rows = act(list_users)

        def table() -> None:
            for v in rows:
                typer.echo(f"{_show(v)}; since {v.created_at:%Y-%m-%d}")

        emit_rows(rows, act.fmt, table)

    @casework_command(token, "issue")
    def issue(
        act: Acting,
        username: str = UserArg,
        name: str = typer.Option(..., "--name", help="What the token is for, e.g. 'caseload sync'."),
        scopes: list[str] = typer.Option(
            ..., "--scope", help="An action the token may do, e.g. person.read (repeat for several)."
        ),
        expires: str = typer.Option(None, "--expires", help="Last day it works, YYYY-MM-DD (default never)."),
    ) -> None:
        """Issue an API token; it is printed once and never stored (only its hash is)."""
        from desist.services.users import issue_token

        ends = None
        if expires is not None:
            try:
                day = dt.date.fromisoformat(expires.strip())
            except ValueError:
                raise InputError(f"--expires: {expires!r} is not a date; expected YYYY-MM-DD") from None
            ends = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        issued = act(
            lambda uow: issue_token(uow, username=username, name=name, scopes=scopes, expires_at=ends)
        )
        typer.echo(f"token {issued.id} ({issued.name}; {', '.join(issued.scopes)}): {issued.token}")
        typer.echo("Keep it secret: it is shown this once; send it as 'Authorization: Bearer TOKEN'.",
                   err=True)

    @casework_command(token, "list", formats=True)
    def token_list(
        act: Acting,
        username: str = typer.Argument(None, metavar="[USERNAME]", help="Only this user's tokens."),
    ) -> None:
        """API tokens (names, scopes, dates; never the token)."""
        from desist.services.users import list_tokens

        rows = act(lambda uow: list_tokens(uow, username))

        def table() -> None:
            for t in rows:
                state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else (
                    f"expires {t.expires_at:%Y-%m-%d}" if t.expires_at else "no expiry")
                typer.echo(f"token {t.id} of {t.username}: {t.name}; {', '.join(t.scopes)}; {state}")

        emit_rows(rows, act.fmt, table)

    @casework_command(token, "revoke")
    def token_revoke(
        act: Acting,
        token_id: int = typer.Argument(..., metavar="TOKEN", min=1, max=MAX_ID, help="Token id."),
    ) -> None:
        """Revoke an API token (it stops working at once)."""
        from desist.services.users import revoke_token

        view = act(lambda uow: revoke_token(uow, token_id))
        typer.echo(f"token {view.id} of {view.username}: revoked")
