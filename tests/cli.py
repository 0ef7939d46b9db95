"""Run the ``desist`` command line in-process, as the console script would, for the CLI tests."""

from __future__ import annotations

import contextlib
from typing import Any

from desist.entrypoints.cli.app import main


def run_cli(argv: list[str], capsys: Any) -> tuple[int, str, str]:
    """Run ``desist ARGV``; return (exit status, stdout, stderr) captured by pytest's ``capsys``."""
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


ADMIN = "test.admin"
PASSWORD = "test password 123"


def seed_user(
    database_url: str, username: str, *roles: str, org: str | None = None, national: bool = False
) -> None:
    """Store a user the CLI can act as (``--as username``); the first call also creates an administrator.

    ``org=None`` without ``national`` gives national access (tests not about scope).
    """
    from desist.bootstrap import bootstrap
    from desist.config import Settings
    from desist.domain.errors import Forbidden
    from desist.services import users

    with bootstrap(Settings(database_url=database_url)) as app:  # type: ignore[call-arg]
        with contextlib.suppress(Forbidden):  # an administrator exists already
            users.create_first_admin(lambda: app.uow("system:test"), username=ADMIN, password=PASSWORD)
        admin = users.principal_for(app.uow("system:test"), ADMIN)
        if username != ADMIN:
            users.add_user(
                app.uow(admin), username=username, password=PASSWORD, roles=roles or ("referrer",),
                organisation=org, national=national or org is None,
            )


#: every casework role (a user for tests of the casework commands rather than of access)
CASEWORK = ("referrer", "programme_team", "treatment_manager")
