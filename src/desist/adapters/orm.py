"""Storage tables for casework (SQLAlchemy 2, declarative mapped classes).

We map *storage* classes here and keep the rules in ``desist.domain`` as pure functions over plain values.
This is a deliberate departure from ARCHITECTURE.md's imperative mapping onto domain classes: the rules
(referral state machine, capacity and mixing, incentive review) take and return values, so mapping the
domain classes themselves would only couple them to SQLAlchemy's instrumentation without gaining anything.

Conventions
-----------
- Integer surrogate keys (``id``); natural keys are unique constraints (prison number, PNC number,
  outcome person + offence date + kind, ...), which is what makes re-imports a no-op.
- Mutable rows that people edit concurrently (person, referral, programme_group, enrolment) carry a
  ``version`` column used as SQLAlchemy's ``version_id_col``: an UPDATE from a stale read matches no row
  and raises ``StaleDataError``, which the unit of work turns into ``Conflict``.
- Closed vocabularies are strings checked by the database (portable across SQLite and PostgreSQL, unlike
  native enums, and visible in exports as plain text).
- ``audit_log`` is append-only: the service API offers no update or delete, and database triggers reject
  UPDATE and DELETE on both SQLite and PostgreSQL; each row is hash-chained to the one before it by the
  database (migration 0006, :mod:`desist.adapters.audit_chain`). The schema is made by the migrations;
  ``metadata.create_all`` gives the tables with only the plain append-only triggers
  (:mod:`desist.adapters.append_only`).
"""

# No ``from __future__ import annotations`` here: with it every ``Mapped[...]`` annotation is a string
# that SQLAlchemy evaluates again when it maps the class, a quarter of the time the ORM takes to import.
import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    false,
    func,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.schema import CreateIndex

from desist.adapters.append_only import append_only_ddl, append_only_drop
from desist.domain.groups import GroupKind
from desist.domain.incentives import IncentiveLevel
from desist.domain.records import AttendanceMark, HistoryResult, OutcomeKind, Sex, values
from desist.domain.referrals import CLOSED_STATUSES, ReferralStatus

#: constraint naming so Alembic migrations and error messages name things predictably
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class JSONType(TypeDecorator[Any]):
    """JSON on SQLite, JSONB on PostgreSQL (indexable, compact).

    A type that picks JSONB when it meets PostgreSQL rather than ``JSON().with_variant(JSONB(), ...)``: that
    needs SQLAlchemy's PostgreSQL dialect imported to declare the tables, a twentieth of a second of every
    command's start on SQLite. Like JSON, a Python ``None`` is stored as JSON ``null`` and values are not
    hashed.
    """

    impl = JSON
    cache_ok = True
    hashable = False
    should_evaluate_none = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


def is_json(column_type: Any) -> bool:
    """True for a JSON column, :class:`JSONType` included (a TypeDecorator: not itself a ``JSON``)."""
    return isinstance(column_type, JSON) or isinstance(getattr(column_type, "impl", None), JSON)

# The allowed values of constrained columns, built from the domain's enums (one word per concept; a test in
# tests/unit/test_vocabulary.py ties each to its enum).
SEXES = values(Sex)
GROUP_KINDS = values(GroupKind)
ATTENDANCE = values(AttendanceMark)
#: stored capitalised ("Basic"), in the order the levels were introduced
_LEVEL_ORDER = (IncentiveLevel.ENTRY, IncentiveLevel.BASIC, IncentiveLevel.STANDARD, IncentiveLevel.ENHANCED)
INCENTIVE_LEVELS = tuple(level.value.capitalize() for level in _LEVEL_ORDER)
HISTORY_RESULTS = values(HistoryResult)
OUTCOME_KINDS = values(OutcomeKind)
AUDIT_ACTIONS = ("insert", "update", "delete")
#: referral statuses nothing leaves (domain.md section 2); an open referral is any other status
CLOSED_REFERRAL_STATUSES = tuple(s.value for s in ReferralStatus if s in CLOSED_STATUSES)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timestamp that is always UTC with a zone in Python, on SQLite and PostgreSQL alike.

    PostgreSQL keeps the zone (``timestamptz``); SQLite has no time zones and hands back naive values, so the
    audit trail mixed timestamps with and without one. Values are stored as UTC (naive text on SQLite, where a
    naive value is taken to be UTC, as desist only ever writes UTC) and read back as aware UTC datetimes.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def dialect_index(name: str, *expressions: Any, unique: bool = False, **dialect_kw: Any) -> Index:
    """An Index whose dialect options (``sqlite_where=``, ``postgresql_ops=``...) wait for its DDL.

    Given to :class:`~sqlalchemy.Index` itself, SQLAlchemy imports every dialect named there and then to check
    its options: the PostgreSQL dialect cost each command on SQLite a twentieth of a second of its start. The
    options wait in ``info`` until :func:`_create_index` writes CREATE INDEX for a dialect (imported by then)
    and hands that dialect's over.
    """
    return Index(name, *expressions, unique=unique, info={"dialect_kw": dialect_kw})


def _one_open(table: str, open_rows: str) -> Index:
    """At most one open row (where ``open_rows`` holds) of ``table`` per man and programme."""
    where = text(open_rows)
    return dialect_index(
        f"uq_{table}_open_person_programme",
        "person_id",
        "programme_code",
        unique=True,
        sqlite_where=where,
        postgresql_where=where,
    )


@compiles(CreateIndex)
def _create_index(create: CreateIndex, compiler: Any, **kw: Any) -> str:
    index = create.element
    prefix = f"{compiler.dialect.name}_"
    for key, value in index.info.get("dialect_kw", {}).items():
        if key.startswith(prefix):
            index.dialect_kwargs[key] = value
    sql: str = compiler.visit_create_index(create, **kw)
    return sql


def on_dialect(obj: Any, dialect: str) -> bool:
    """Whether the schema on ``dialect`` has ``obj``: an index declared with ``ddl_if(dialect=...)`` for
    another database has not (Alembic's comparison is told so through ``include_object``)."""
    only = getattr(getattr(obj, "_ddl_if", None), "dialect", None)
    return only is None or only == dialect


def utcnow() -> dt.datetime:
    """Now in UTC (timezone-aware)."""
    return dt.datetime.now(dt.UTC)


def _offering_programme(context: Any) -> str | None:
    # Default for referral.programme_code: the offering's code, read on the inserting connection, so
    # code that builds a Referral from an offering id alone still writes the copy the trigger expects.
    offering_id = context.get_current_parameters().get("offering_id")
    return context.connection.execute(  # type: ignore[no-any-return]
        text("SELECT programme_code FROM offering WHERE id = :id"), {"id": offering_id}
    ).scalar()


def _group_programme(context: Any) -> str | None:
    # Default for enrolment.programme_code: the code of the group's offering (see _offering_programme).
    group_id = context.get_current_parameters().get("group_id")
    return context.connection.execute(  # type: ignore[no-any-return]
        text(
            "SELECT o.programme_code FROM programme_group g JOIN offering o ON o.id = g.offering_id "
            "WHERE g.id = :id"
        ),
        {"id": group_id},
    ).scalar()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSONType(), list[Any]: JSONType()}


class Person(Base):
    __tablename__ = "person"
    id: Mapped[int] = mapped_column(primary_key=True)
    prison_number: Mapped[str] = mapped_column(String(20), unique=True)
    pnc_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    date_of_birth: Mapped[dt.date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    establishment: Mapped[str | None] = mapped_column(String(100))
    probation_region: Mapped[str | None] = mapped_column(String(100))
    # optional: staff find a man by name; never in pseudonymised exports (migration 0010)
    given_name: Mapped[str | None] = mapped_column(String(100))
    family_name: Mapped[str | None] = mapped_column(String(100))
    # Incentive rule (domain.md section 5): neither may be held on Basic for not taking part in
    # programmes. A server default so rows written before migration 0002 (and bulk inserts) read false.
    maintains_innocence: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    recognised_appellant: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Learning disability/challenges (domain.md: an OASys LDC subtotal of 3 or more, successor of the old
    # "IQ under 80" rule): adapted programmes (BNM, BNM+, New Me Strengths) instead of Core/Kaizen/Horizon.
    # A server default so rows written before migration 0003 read false.
    ldc: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    __table_args__ = (
        CheckConstraint(_in("sex", SEXES), name="sex"),
        Index("ix_person_family_name_lower", func.lower(family_name)),
        # the caseload search's prefixes, compared byte by byte (migration 0011): PostgreSQL needs the
        # pattern operator classes; SQLite compares so anyway (its unique index on prison_number and the
        # family-name index above serve it too)
        dialect_index(
            "ix_person_prison_number_prefix",
            "prison_number",
            postgresql_ops={"prison_number": "varchar_pattern_ops"},
        ).ddl_if(dialect="postgresql"),
        *(
            dialect_index(
                f"ix_person_{name}_prefix", expr.label(name), postgresql_ops={name: "text_pattern_ops"}
            ).ddl_if(dialect="postgresql")
            for name, expr in (
                ("pnc_number", func.upper(pnc_number)),
                ("family_name", func.lower(family_name)),
                ("given_name", func.lower(given_name)),
            )
        ),
        Index("ix_person_pnc_number_upper", func.upper(pnc_number)).ddl_if(dialect="sqlite"),
        Index("ix_person_given_name_lower", func.lower(given_name)).ddl_if(dialect="sqlite"),
    )
    __mapper_args__ = {"version_id_col": version}


class Sentence(Base):
    """A sentence / custody episode; natural key person + start date."""

    __tablename__ = "sentence"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    start_date: Mapped[dt.date] = mapped_column(Date)
    release_date: Mapped[dt.date | None] = mapped_column(Date)
    licence_end_date: Mapped[dt.date | None] = mapped_column(Date)
    custodial: Mapped[bool] = mapped_column(Boolean, default=True)
    index_offence: Mapped[str | None] = mapped_column(String(200))
    __table_args__ = (UniqueConstraint("person_id", "start_date"),)


class Assessment(Base):
    """One tool applied to one man on one date, inputs and outputs frozen as they were then."""

    __tablename__ = "assessment"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    assessed_on: Mapped[dt.date] = mapped_column(Date)
    tool: Mapped[str] = mapped_column(String(30))
    inputs: Mapped[dict[str, Any]] = mapped_column()
    outputs: Mapped[dict[str, Any] | None] = mapped_column()
    assessor: Mapped[str | None] = mapped_column(String(100))
    __table_args__ = (UniqueConstraint("person_id", "assessed_on", "tool"),)


class Offering(Base):
    """A catalogue programme offered at a site."""

    __tablename__ = "offering"
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_code: Mapped[str] = mapped_column(String(40))
    site: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    __table_args__ = (UniqueConstraint("programme_code", "site"),)


class ProgrammeGroup(Base):
    """A group running an offering; closed groups stop taking joiners after ``last_joining_session``."""

    __tablename__ = "programme_group"
    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int] = mapped_column(ForeignKey("offering.id"), index=True)
    label: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))
    capacity: Mapped[int] = mapped_column(Integer)
    facilitators: Mapped[list[Any]] = mapped_column(default=list)
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    session_plan: Mapped[list[Any]] = mapped_column(default=list)
    last_joining_session: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    __table_args__ = (
        CheckConstraint(_in("kind", GROUP_KINDS), name="kind"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
    )
    __mapper_args__ = {"version_id_col": version}


class Referral(Base):
    """A referral of a man to an offering; status history in ``referral_status_change``.

    At most one *open* referral per person and *programme*, across sites: a partial unique index on
    ``(person_id, programme_code)`` enforces it in the database, so two simultaneous duplicates cannot both
    commit, not even at two prisons. ``programme_code`` repeats the offering's code so the index can reach
    it; a trigger (migration 0004) refuses any row whose code differs from its offering's. Moving a man to
    another site changes ``offering_id`` (a transfer, recorded in ``referral_transfer``).
    """

    __tablename__ = "referral"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    offering_id: Mapped[int] = mapped_column(ForeignKey("offering.id"), index=True)
    programme_code: Mapped[str] = mapped_column(String(40), default=_offering_programme)
    status: Mapped[str] = mapped_column(String(40))
    referrer: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    __table_args__ = (
        _one_open("referral", f"NOT ({_in('status', CLOSED_REFERRAL_STATUSES)})"),
    )
    __mapper_args__ = {"version_id_col": version}


class ReferralTransfer(Base):
    """A referral moved from one offering to another of the same programme (another site)."""

    __tablename__ = "referral_transfer"
    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    from_offering_id: Mapped[int] = mapped_column(ForeignKey("offering.id"))
    to_offering_id: Mapped[int] = mapped_column(ForeignKey("offering.id"))
    status: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(100))
    transferred_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    reason_category: Mapped[str | None] = mapped_column(String(60))
    reason: Mapped[str | None] = mapped_column(Text)


class ReferralStatusChange(Base):
    __tablename__ = "referral_status_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    changed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    from_status: Mapped[str | None] = mapped_column(String(40))
    to_status: Mapped[str] = mapped_column(String(40))
    reason_category: Mapped[str | None] = mapped_column(String(60))
    reason: Mapped[str | None] = mapped_column(Text)


class Enrolment(Base):
    """A man's place in a group; ``joined_session`` tracks where a rolling-group member came in.

    One open place (``left_on`` empty) per man and programme: a partial unique index on
    ``(person_id, programme_code)``, with the code kept equal to the group's offering's by a trigger.
    ``(group_id, person_id)`` stays unique, so a man who left a group waits for another group.
    """

    __tablename__ = "enrolment"
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("programme_group.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"), index=True)
    programme_code: Mapped[str] = mapped_column(String(40), default=_group_programme)
    joined_on: Mapped[dt.date] = mapped_column(Date)
    joined_session: Mapped[int | None] = mapped_column(Integer)
    left_on: Mapped[dt.date | None] = mapped_column(Date)
    completed: Mapped[bool | None] = mapped_column(Boolean)
    targets_met: Mapped[bool | None] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    __table_args__ = (
        UniqueConstraint("group_id", "person_id"),
        _one_open("enrolment", "left_on IS NULL"),
    )
    __mapper_args__ = {"version_id_col": version}


class GroupSession(Base):
    __tablename__ = "group_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("programme_group.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    held_on: Mapped[dt.date] = mapped_column(Date)
    topic: Mapped[str | None] = mapped_column(String(200))
    __table_args__ = (UniqueConstraint("group_id", "number"),)


class Attendance(Base):
    __tablename__ = "attendance"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("group_session.id"), index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id"), index=True)
    status: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (
        UniqueConstraint("session_id", "enrolment_id"),
        CheckConstraint(_in("status", ATTENDANCE), name="status"),
    )


class IncentiveLevelChange(Base):
    __tablename__ = "incentive_level_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    level: Mapped[str] = mapped_column(String(10))
    effective_on: Mapped[dt.date] = mapped_column(Date)
    reason_category: Mapped[str] = mapped_column(String(60))
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    __table_args__ = (CheckConstraint(_in("level", INCENTIVE_LEVELS), name="level"),)


class ProgrammeHistory(Base):
    """Programmes a man started, including those done before the system existed (``source``)."""

    __tablename__ = "programme_history"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    programme_code: Mapped[str] = mapped_column(String(40))
    started_on: Mapped[dt.date] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    result: Mapped[str] = mapped_column(String(12))
    targets_met: Mapped[bool | None] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(40))
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"))
    __table_args__ = (
        UniqueConstraint("person_id", "programme_code", "started_on"),
        CheckConstraint(_in("result", HISTORY_RESULTS), name="result"),
    )


class Outcome(Base):
    """A proven reoffence; natural key person + offence date + kind."""

    __tablename__ = "outcome"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    offence_date: Mapped[dt.date] = mapped_column(Date)
    proven_date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))
    disposal: Mapped[str | None] = mapped_column(String(100))
    __table_args__ = (
        UniqueConstraint("person_id", "offence_date", "kind"),
        CheckConstraint(_in("kind", OUTCOME_KINDS), name="kind"),
        CheckConstraint("proven_date >= offence_date", name="proven_after_offence"),
    )


class EvaluationRun(Base):
    """One stored evaluation: the spec and the full result (``EvaluationResult.to_dict()``), append-only.

    Runs are compared over time (monitoring re-evaluates each quarter), so a stored run is never changed:
    the services offer no update or delete and database triggers refuse both
    (:mod:`desist.adapters.append_only`).
    """

    __tablename__ = "evaluation_run"
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_code: Mapped[str] = mapped_column(String(40), index=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    spec: Mapped[dict[str, Any]] = mapped_column()
    result: Mapped[dict[str, Any]] = mapped_column()
    data_fingerprint: Mapped[str] = mapped_column(String(80))
    desist_version: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditLog(Base):
    """Append-only record of every write: who, when, which row, and its column values before and after."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), index=True)
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(10))
    before: Mapped[dict[str, Any] | None] = mapped_column()
    after: Mapped[dict[str, Any] | None] = mapped_column()
    # sha256 of the previous row's hash and this row's content, computed by the database (migration 0006,
    # desist.adapters.audit_chain); desist never writes it
    hash: Mapped[str | None] = mapped_column(String(64))
    __table_args__ = (
        Index("ix_audit_log_entity", "entity", "entity_id"),
        CheckConstraint(_in("action", AUDIT_ACTIONS), name="action"),
    )


# the account tables (users, roles, sessions, tokens, sign-in attempts) live in their own module
import desist.adapters.orm_users  # noqa: E402, F401

#: tables written through the unit of work (everything but the audit log itself)
AUDITED_TABLES = tuple(t for t in Base.metadata.sorted_tables if t.name != "audit_log")

@event.listens_for(EvaluationRun.__table__, "after_create")
@event.listens_for(AuditLog.__table__, "after_create")
def _append_only(target: Any, connection: Any, **_: Any) -> None:
    for statement in append_only_ddl(target.name, connection.dialect.name):
        connection.exec_driver_sql(statement)


@event.listens_for(EvaluationRun.__table__, "before_drop")
@event.listens_for(AuditLog.__table__, "before_drop")
def _drop_append_only(target: Any, connection: Any, **_: Any) -> None:
    for statement in append_only_drop(target.name, connection.dialect.name):
        connection.exec_driver_sql(statement)


class MonitoringReview(Base):
    """One sequential review of one programme on one date (append-only; one per programme, date, method)."""

    __tablename__ = "monitoring_review"
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_code: Mapped[str] = mapped_column(String(20), index=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(20))
    design: Mapped[dict[str, Any]] = mapped_column()
    source: Mapped[str] = mapped_column(String(200))
    treated: Mapped[int] = mapped_column(Integer)
    comparison: Mapped[int] = mapped_column(Integer)
    events: Mapped[int] = mapped_column(Integer)
    estimate: Mapped[float | None] = mapped_column(Float)
    ci_low: Mapped[float | None] = mapped_column(Float)
    ci_high: Mapped[float | None] = mapped_column(Float)
    z: Mapped[float | None] = mapped_column(Float)
    information: Mapped[float | None] = mapped_column(Float)
    information_fraction: Mapped[float | None] = mapped_column(Float)
    # NULL with a tested look: the look spends no alpha (boundary infinite)
    boundary: Mapped[float | None] = mapped_column(Float)
    decision: Mapped[str] = mapped_column(String(20))
    evidence: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    __table_args__ = (
        UniqueConstraint("programme_code", "as_of", "method"),
        CheckConstraint(_in("decision", ("continue", "harm", "benefit", "too little data")), name="decision"),
    )


class MonitoringAlert(Base):
    """A review that crossed the harm (or benefit) boundary; acknowledged once, with a reason."""

    __tablename__ = "monitoring_alert"
    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("monitoring_review.id"), unique=True)
    programme_code: Mapped[str] = mapped_column(String(20), index=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    direction: Mapped[str] = mapped_column(String(10))
    evidence: Mapped[dict[str, Any]] = mapped_column()
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    ack_reason: Mapped[str | None] = mapped_column(String(2000))
    __table_args__ = (CheckConstraint(_in("direction", ("harm", "benefit")), name="direction"),)
