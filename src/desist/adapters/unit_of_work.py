"""Unit of work: one session, one transaction, one commit, and the audit trail of everything it wrote.

Services take a unit of work and commit once; inside the block they reach the store through its
repositories (:mod:`desist.adapters.repositories`)::

    with UnitOfWork(session_factory, actor="j.smith") as uow:
        person = uow.people.get(1)
        person.establishment = "HMP Whatton"
        uow.commit()

Leaving the block without ``commit()`` (or by an exception) rolls back; objects read in a block that
ends without an exception stay readable after it (detached), so read-only services can return them.

A use case that only reads enters ``with uow.reading():`` instead: on SQLite its transaction then starts
deferred (no write lock, see :mod:`desist.adapters.engine`), so readers run side by side with each other and
with a writer; it cannot commit, and nothing it changes is flushed.

Database errors a user can cause come out as one-line domain errors: a stale version (someone else
changed the row first), a uniqueness or foreign-key violation, and a serialisation failure or deadlock
all become :class:`Conflict`.
"""

from __future__ import annotations

import importlib
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from desist.adapters import audit
from desist.domain.errors import Conflict, DesistError, InputError, NotAuthenticated

if TYPE_CHECKING:
    from desist.config import Settings
    from desist.domain.access import Principal

#: SQLSTATEs PostgreSQL uses for "run it again": serialization_failure, deadlock_detected, lock_not_available
_RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03"}
#: numeric_value_out_of_range: e.g. an id above 2**31 - 1 compared with a 32-bit column
_OUT_OF_RANGE = "22003"


class _Store:
    """A unit of work's attribute giving the store ``module:Class`` (under ``desist.adapters``) over its
    session, a new one each time it is read; the module is imported on first use."""

    def __init__(self, path: str, doc: str) -> None:
        self.module, self.name = path.split(":")
        self.__doc__ = f"{doc} (:class:`desist.adapters.{self.module}.{self.name}`)"

    def __get__(self, uow: UnitOfWork | None, owner: type | None = None) -> Any:
        if uow is None:
            return self
        store = getattr(importlib.import_module(f"desist.adapters.{self.module}"), self.name)
        return store(uow.session)


class UnitOfWork:
    """A transaction boundary with an audit trail.

    Parameters
    ----------
    session_factory : callable
        Returns a new :class:`sqlalchemy.orm.Session`
        (e.g. :func:`desist.adapters.engine.make_session_factory`).
    actor : str
        Who is acting (a user name or ``system:import``); recorded on every audit row.
    principal : Principal, optional
        The signed-in user the services check (:mod:`desist.domain.access`); its user name is the actor.
        None for the few system tasks that act before anyone can sign in (the first administrator).
    settings : Settings, optional
        The process's settings (session timeouts...); default: read from the environment when needed.

    Attributes
    ----------
    session : sqlalchemy.orm.Session
        Available inside the ``with`` block.
    """

    def __init__(
        self,
        session_factory: Callable[[], Session],
        actor: str | None = None,
        *,
        principal: Principal | None = None,
        settings: Settings | None = None,
    ) -> None:
        if principal is not None:
            actor = principal.username
        if not actor or not actor.strip():
            raise ValueError("UnitOfWork needs a non-empty actor")
        self.session_factory = session_factory
        self.actor = actor
        self._principal = principal
        self._settings = settings
        self._session: Session | None = None
        self._committed = False
        self._reading = False

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("UnitOfWork.session is only available inside 'with UnitOfWork(...)'")
        return self._session

    @property
    def principal(self) -> Principal:
        """The acting user; a unit of work without one refuses every service that checks access."""
        if self._principal is None:
            raise NotAuthenticated(
                f"no signed-in user (acting as {self.actor}); sign in or act as a named user"
            )
        return self._principal

    @property
    def has_principal(self) -> bool:
        return self._principal is not None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from desist.config import get_settings

            self._settings = get_settings()
        return self._settings

    # the stores below import their modules on first use (pandas, the analysis stack: only where needed)
    users = _Store("user_store:UserStore", "Accounts, sessions, API tokens, sign-in attempts.")
    analysis = _Store("analysis:AnalysisTables", "The evaluation's input tables.")
    monitoring = _Store("monitoring_store:MonitoringStore", "Stored monitoring reviews and alerts.")
    caseload = _Store("caseload_queries:CaseloadQueries", "The web application's read queries.")
    evaluation_runs = _Store("analysis:EvaluationRuns", "Stored evaluation runs.")
    imports = _Store("import_store:ImportStore", "The bulk import's access to the store.")

    @contextmanager
    def reading(self) -> Iterator[UnitOfWork]:
        """The unit of work for a use case that only reads: a transaction without the write lock (SQLite),
        no autoflush, and :meth:`commit` refused. Enter it again plainly (``with uow:``) to write."""
        self._reading = True
        try:
            with self:
                yield self
        finally:
            self._reading = False

    def __enter__(self) -> UnitOfWork:
        from desist.adapters import repositories as r
        from desist.adapters.engine import reading_options

        self._session = session = self.session_factory()
        audit.install(session, self.actor)
        self._committed = False
        if self._reading:
            session.autoflush = False
            # before the transaction begins: SQLite's without the write lock, PostgreSQL's in autocommit
            session.connection(execution_options=reading_options(session.get_bind().dialect.name))
        # the repositories the services use (services/unit_of_work.py lists them)
        self.people = r.PersonRepository(session)
        self.sentences = r.SentenceRepository(session)
        self.assessments = r.AssessmentRepository(session)
        self.outcomes = r.OutcomeRepository(session)
        self.offerings = r.OfferingRepository(session)
        self.referrals = r.ReferralRepository(session)
        self.groups = r.GroupRepository(session)
        self.programme_history = r.ProgrammeHistoryRepository(session)
        self.incentives = r.IncentiveRepository(session)
        return self

    def commit(self) -> None:
        """Flush, write the audit rows, and commit; database conflicts are raised as :class:`Conflict`."""
        if self._committed:
            raise RuntimeError("UnitOfWork.commit() called twice; a unit of work commits once")
        if self._reading:
            raise RuntimeError("UnitOfWork.commit() in reading(): a reading unit of work writes nothing")
        try:
            self.session.commit()
        except Exception as exc:
            self.session.rollback()
            mapped = to_domain_error(exc)
            if mapped is not None:
                raise mapped from exc
            raise
        self._committed = True

    def rollback(self) -> None:
        self.session.rollback()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        session = self.session
        try:
            # On error, expire everything so no half-written object is mistaken for stored data. On a
            # clean exit without commit (a read), close() alone rolls the transaction back and leaves
            # the loaded objects readable, detached, for the service to return.
            if exc is not None and not self._committed:
                session.rollback()
        finally:
            session.close()
            self._session = None
        # A flush inside the block (autoflush on a query) can hit the same conflicts as commit().
        if exc is not None:
            mapped = to_domain_error(exc)
            if mapped is not None:
                raise mapped from exc


def to_domain_error(exc: BaseException) -> DesistError | None:
    """Translate a database exception a user can cause into a one-line :class:`Conflict` (else ``None``)."""
    if isinstance(exc, StaleDataError):
        table = _match(r"on table '([^']+)'", str(exc)) or "a record"
        return Conflict(f"{table} was changed by someone else since it was read; reload it and try again")
    if isinstance(exc, IntegrityError):
        return Conflict(_integrity_message(exc.orig))
    # Bulk writers talk to the driver directly (COPY, executemany), so its own exceptions arrive unwrapped:
    # class 23 is an integrity constraint (e.g. a row another import committed first).
    raw_state = getattr(exc, "sqlstate", None)
    if isinstance(raw_state, str) and raw_state.startswith("23") or isinstance(exc, sqlite3.IntegrityError):
        return Conflict(_integrity_message(exc))
    if isinstance(raw_state, str) and raw_state in _RETRYABLE_SQLSTATES:
        return Conflict("another change to the same records was in progress; try again")
    if isinstance(exc, DBAPIError):
        state = _sqlstate(exc)
        if state in _RETRYABLE_SQLSTATES:
            return Conflict("another change to the same records was in progress; try again")
        if state == _OUT_OF_RANGE:
            return InputError(
                "a number is too large for the database (ids, counts and sizes are at most 2,147,483,647)"
            )
        if isinstance(exc, OperationalError) and "database is locked" in str(exc.orig):
            return Conflict("the database is busy with another change (SQLite lock timeout); try again")
    return None


def _integrity_message(orig: Any) -> str:
    diag = getattr(orig, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None):  # PostgreSQL names the constraint
        detail = (getattr(diag, "message_detail", None) or "").strip()
        what = f"{diag.table_name or 'record'} breaks rule {diag.constraint_name}"
        return f"{what}: {detail}" if detail else what
    text = str(orig).splitlines()[0] if str(orig) else type(orig).__name__
    # SQLite: "UNIQUE constraint failed: person.prison_number" / "FOREIGN KEY constraint failed"
    unique = _match(r"UNIQUE constraint failed: (.+)", text)
    if unique:
        return f"a record with the same {unique} already exists"
    return f"the change breaks a database rule ({text})"


def _sqlstate(exc: DBAPIError) -> str | None:
    orig = exc.orig
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def _match(pattern: str, text: str) -> str | None:
    m = re.search(pattern, text)
    return m.group(1) if m else None
