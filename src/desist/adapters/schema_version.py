"""The schema revision a database is at and the newest one this desist ships, without importing Alembic.

Every casework command checks that its database is at the newest revision before it runs. Importing Alembic
for that costs about 0.15 s (a third of the start-up budget), so the check reads
the ``alembic_version`` table with one query and finds the newest shipped revision from the migration files'
``revision`` / ``down_revision`` lines. Migrating still goes through Alembic (:mod:`desist.adapters.migrate`);
a test checks that both agree on the head.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

VERSIONS_DIR = Path(__file__).with_name("migrations") / "versions"
_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.M)


@cache
def head_revision() -> str | None:
    """The newest revision shipped: the one no other migration names as its ``down_revision``."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in VERSIONS_DIR.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found = _REVISION.search(source)
        if found:
            revisions.add(found.group(1))
            parents.update(_DOWN.findall(source))
    heads = sorted(revisions - parents)
    return heads[-1] if heads else None


def stored_revision(engine: Engine) -> str | None:
    """The revision the database is at, or ``None`` when it was never migrated (no version table)."""
    with engine.connect() as conn:
        try:
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        except DBAPIError as exc:
            # no version table: never initialised. Anything else (a locked or unreadable database) is not
            # an answer about the schema: it goes up to be explained as the fault it is
            text_ = str(exc.orig or exc)
            if "no such table" in text_ or getattr(exc.orig, "sqlstate", None) == "42P01":
                return None
            raise
    return None if row is None else str(row[0])
