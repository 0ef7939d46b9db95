"""The column schema of each import kind (documented in docs/import.md) and how a row maps to a table.

Every kind except ``people`` names the man by ``prison_number``; the importer swaps it for ``person_id``.
The natural key of each kind makes re-importing the same file a no-op.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Table

from desist.adapters.importers import Column, Schema
from desist.adapters.orm import (
    HISTORY_RESULTS,
    OUTCOME_KINDS,
    SEXES,
    Assessment,
    Outcome,
    Person,
    ProgrammeHistory,
    Sentence,
)
from desist.domain.people import PRISON_NUMBER_PATTERN

PRISON_NUMBER = Column(
    "prison_number",
    required=True,
    upper=True,
    pattern=PRISON_NUMBER_PATTERN,
    doc="prison (NOMIS) number, e.g. A1234BC; letters and digits, up to 20",
)
#: tools whose inputs an assessment row may carry (the risk tools in desist.domain.risk)
ASSESSMENT_TOOLS = ("osp", "static99r", "rm2000", "pni")


def _one_of(name: str, choices: tuple[str, ...]) -> Column:
    """A required column holding one of ``choices`` (read without regard to case, kept lower-case)."""
    doc = "one of " + ", ".join(choices)
    return Column(name, "choice", required=True, choices=choices, lower=True, doc=doc)


@dataclass(frozen=True)
class Kind:
    """An import kind: its file schema, target table, and columns compared on re-import."""

    schema: Schema
    table: Table
    #: table columns that identify a row (with person_id in place of prison_number)
    key: tuple[str, ...]
    #: table columns whose change makes a re-imported row an update
    values: tuple[str, ...]
    #: columns holding JSON (dicts), written as objects, compared as canonical text
    json_columns: tuple[str, ...] = ()
    #: values a file that lacks the column leaves as stored (new rows get the column's default). For
    #: flags set one man at a time (``desist person set-flags``) that an older file knows nothing about:
    #: re-importing it must not quietly clear them.
    kept_when_absent: tuple[str, ...] = ()

    def for_file(self, columns: Iterable[str]) -> Kind:
        """This kind as a file with ``columns`` updates it: ``kept_when_absent`` values it lacks drop out."""
        present = set(columns)
        absent = {c for c in self.kept_when_absent if c not in present}
        if not absent:
            return self
        return replace(self, values=tuple(v for v in self.values if v not in absent))

    @property
    def name(self) -> str:
        return self.schema.kind


PEOPLE = Kind(
    Schema(
        "people",
        (
            PRISON_NUMBER,
            Column(
                "pnc_number",
                upper=True,
                max_length=20,
                pattern=r"[0-9]{2,4}/[0-9]{1,7}[A-Z]",
                doc="Police National Computer number, e.g. 2001/0012345A (optional, unique)",
            ),
            Column("given_name", max_length=100, doc="given name(s), as on the case system (optional)"),
            Column("family_name", max_length=100, doc="family name (optional; the caseload search finds it)"),
            Column("date_of_birth", "date", required=True, doc="YYYY-MM-DD"),
            Column("sex", "choice", required=True, choices=SEXES, upper=True, doc="M or F"),
            Column("establishment", max_length=100, doc="prison, if in custody (optional)"),
            Column(
                "probation_region", max_length=100, doc="probation region, if in the community (optional)"
            ),
            Column(
                "maintains_innocence",
                "bool",
                default="false",
                doc="he denies the offence (optional, default false)",
            ),
            Column(
                "recognised_appellant",
                "bool",
                default="false",
                doc="a recognised appellant (optional, default false)",
            ),
            Column(
                "ldc",
                "bool",
                default="false",
                doc="learning disability or challenges (OASys LDC subtotal 3+; optional, default false)",
            ),
        ),
        key=("prison_number",),
    ),
    Person.__table__,  # type: ignore[arg-type]
    key=("prison_number",),
    values=(
        "pnc_number",
        "given_name",
        "family_name",
        "date_of_birth",
        "sex",
        "establishment",
        "probation_region",
        "maintains_innocence",
        "recognised_appellant",
        "ldc",
    ),
    kept_when_absent=("maintains_innocence", "recognised_appellant", "ldc", "given_name", "family_name"),
)

def _of_a_man(
    model: Any,
    name: str,
    columns: tuple[Column, ...],
    key: tuple[str, ...],
    values: tuple[str, ...],
    *,
    ordered_dates: tuple[tuple[str, str], ...] = (),
    open_columns: bool = False,
    json_columns: tuple[str, ...] = (),
) -> Kind:
    """A kind whose rows are about one man: the file names him by ``prison_number`` (its first column and
    the first of its key), the table by ``person_id``; ``key`` is the rest of the natural key."""
    schema = Schema(
        name,
        (PRISON_NUMBER, *columns),
        key=("prison_number", *key),
        ordered_dates=ordered_dates,
        open_columns=open_columns,
    )
    return Kind(schema, model.__table__, ("person_id", *key), values, json_columns=json_columns)


SENTENCES = _of_a_man(
    Sentence,
    "sentences",
    (
        Column("start_date", "date", required=True, doc="sentence or custody episode start, YYYY-MM-DD"),
        Column("release_date", "date", doc="release date (optional)"),
        Column("licence_end_date", "date", doc="end of licence/supervision (optional)"),
        Column("custodial", "bool", default="true", doc="true for custody, false for a community sentence"),
        Column("index_offence", max_length=200, doc="index offence in words (optional)"),
    ),
    key=("start_date",),
    values=("release_date", "licence_end_date", "custodial", "index_offence"),
    ordered_dates=(
        ("start_date", "release_date"),
        ("release_date", "licence_end_date"),
        ("start_date", "licence_end_date"),
    ),
)

ASSESSMENTS = _of_a_man(
    Assessment,
    "assessments",
    (
        Column("assessed_on", "date", required=True, doc="date of the assessment, YYYY-MM-DD"),
        _one_of("tool", ASSESSMENT_TOOLS),
        Column("inputs", "json", doc="the tool's inputs as a JSON object; or give them as extra columns"),
        Column("assessor", max_length=100, doc="who assessed (optional)"),
    ),
    key=("assessed_on", "tool"),
    values=("inputs", "assessor"),
    open_columns=True,
    json_columns=("inputs", "outputs"),
)

PROGRAMME_HISTORY = _of_a_man(
    ProgrammeHistory,
    "programme-history",
    (
        Column(
            "programme_code",
            required=True,
            upper=True,
            max_length=40,
            doc="a programme code from the catalogue, e.g. SOTP-CORE, HORIZON",
        ),
        Column("started_on", "date", required=True, doc="YYYY-MM-DD"),
        Column("ended_on", "date", doc="YYYY-MM-DD (optional)"),
        _one_of("result", HISTORY_RESULTS),
        Column("targets_met", "bool", doc="treatment targets met (optional)"),
        Column(
            "source",
            max_length=40,
            default="pre_system",
            doc="where the record came from; default pre_system",
        ),
    ),
    key=("programme_code", "started_on"),
    values=("ended_on", "result", "targets_met", "source"),
    ordered_dates=(("started_on", "ended_on"),),
)

OUTCOMES = _of_a_man(
    Outcome,
    "outcomes",
    (
        Column("offence_date", "date", required=True, doc="date of the new offence, YYYY-MM-DD"),
        Column("proven_date", "date", required=True, doc="date it was proven (conviction/caution)"),
        _one_of("kind", OUTCOME_KINDS),
        Column("disposal", max_length=100, doc="sentence or disposal in words (optional)"),
    ),
    key=("offence_date", "kind"),
    values=("proven_date", "disposal"),
    ordered_dates=(("offence_date", "proven_date"),),
)

KINDS: dict[str, Kind] = {k.name: k for k in (PEOPLE, SENTENCES, ASSESSMENTS, PROGRAMME_HISTORY, OUTCOMES)}
