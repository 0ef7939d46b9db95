"""Import use case: check a whole file, then write all of it in one transaction, or nothing.

Steps: read (CSV/Parquet) -> check every cell -> resolve prison numbers and kind-specific rules (catalogue
codes, PNC clashes, risk-tool inputs scored with ``desist.domain.risk``) -> if anything is wrong raise
:class:`ImportRejected` listing every problem -> compare with what is stored by natural key -> insert
new rows (bulk, audited), update changed rows (ORM, audited), leave identical rows alone -> commit once.

Only a user whose role allows ``import`` (administrators, ``data/access_policy.yaml``) may import; the
check comes first, before the file is read, and the audit log names that user.

Example
-------
>>> report = import_file(app.uow(admin), "people", "examples/import/people.csv")  # doctest: +SKIP
>>> report.inserted, report.unchanged  # doctest: +SKIP
(3, 0)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from desist.adapters.import_kinds import KINDS, Kind
from desist.adapters.importers import Problem, cell, limit_problems, positions, read_table, validate
from desist.domain.access import Action
from desist.domain.errors import Conflict, InputError
from desist.services import scoring
from desist.services.scope import acting

Progress = Callable[[str], None]


class ImportRejected(InputError):
    """A file with bad rows: nothing was imported; ``problems`` lists every bad cell."""

    def __init__(self, path: Path | str, problems: list[Problem]) -> None:
        rows = len({p.row for p in problems if p.row > 0})  # row 0 is the file itself (a missing column)
        where, fix = (f"{rows} row(s)", "the rows") if rows else ("the header", "the columns")
        super().__init__(
            f"{path}: {len(problems)} problem(s) in {where}; nothing was imported "
            f"(fix {fix} listed and import again)"
        )
        self.path = str(path)
        self.problems = problems


@dataclass(frozen=True)
class ImportReport:
    """What an import did."""

    kind: str
    path: str
    rows: int
    inserted: int
    updated: int
    unchanged: int
    ignored_columns: tuple[str, ...] = field(default=())
    dry_run: bool = False

    def summary(self) -> str:
        text = (
            f"{self.path}: {self.rows} {self.kind} row(s): {self.inserted} new, {self.updated} updated, "
            f"{self.unchanged} unchanged"
        )
        if self.ignored_columns:
            text += f" (ignored columns: {', '.join(self.ignored_columns)})"
        if self.dry_run:
            text += "; dry run: nothing was written"
        return text


def import_file(
    uow: Any,
    kind: str,
    path: Path | str,
    progress: Progress | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Import one file of ``kind`` all-or-nothing as ``uow``'s user; see docs/import.md for the columns.

    ``uow`` is a fresh unit of work (:class:`desist.services.unit_of_work.UnitOfWork`, whose ``imports``
    store is used) acting as a user whose role allows ``import``.

    With ``dry_run`` everything is checked and written inside the transaction (so database rules are
    checked too), then rolled back: the report says what an import would do.

    Raises
    ------
    Forbidden
        The acting user's roles do not allow ``import`` (checked before the file is read).
    InputError
        Unknown kind, unreadable file.
    ImportRejected
        Any bad row; nothing is written.
    """
    acting(uow, Action.IMPORT, f"import {kind}")
    if kind not in KINDS:
        raise InputError(f"unknown import kind {kind!r}, expected one of {', '.join(KINDS)}")
    spec = KINDS[kind]
    say = progress or (lambda _msg: None)
    frame = read_table(path)
    spec = spec.for_file(frame.columns)  # e.g. person flags a file does not carry stay as stored
    say(f"checking {len(frame)} row(s) of {path}")
    clean, problems, ignored = validate(frame, spec.schema)
    n_rows = len(frame)
    del frame  # a million-row file: keep one copy in memory, not three
    if any(p.row == 0 for p in problems):  # missing columns: the rows cannot be read at all
        raise ImportRejected(path, problems)
    try:
        with uow:
            store = uow.imports
            rows = _resolve(store, spec, clean, problems)
            del clean
            if problems:
                raise ImportRejected(path, sorted(set(problems)))
            new, changed, same = store.diff(spec, rows)
            say(f"writing {len(new)} new and {len(changed)} changed row(s)")
            inserted = store.insert(spec, new, uow.actor)
            store.update(spec, changed)
            if not dry_run:
                uow.commit()
    except Conflict as exc:
        # Typically two imports of the same rows at once: both found them new, the other committed first.
        raise Conflict(
            f"{path}: {exc}; nothing was imported (another import or change wrote the same records "
            "first: import again to add what is still missing)"
        ) from exc
    return ImportReport(kind, str(path), n_rows, inserted, len(changed), len(same), tuple(ignored), dry_run)


def _resolve(store: Any, spec: Kind, clean: pd.DataFrame, problems: list[Problem]) -> pd.DataFrame:
    """Turn file rows into table rows (prison number -> person id, tool scoring), collecting problems."""
    rows = clean  # ours to change: the caller drops its reference
    today = dt.date.today()
    if spec.name == "people":
        problems += _pnc_clashes(store.pnc_owners(), rows)
        problems += limit_problems(rows, spec.table.name, today)
        return rows[[c.name for c in spec.schema.columns]]
    ids = store.person_ids()
    person_id = rows["prison_number"].map(ids)
    births = store.person_births()
    problems += limit_problems(rows, spec.table.name, today, person_id.map(births))
    for i in positions(person_id.isna() & (rows["prison_number"] != "")):
        problems.append(
            Problem(
                i + 1,
                "prison_number",
                cell(rows["prison_number"], i),
                "no person with this prison number; import people first",
            )
        )
    rows.insert(0, "person_id", person_id.fillna(-1).astype(int).astype(str))
    rows = rows.drop(columns="prison_number")
    if spec.name == "programme-history":
        problems += _unknown_programmes(rows)
    if spec.name == "assessments":
        sexes = store.person_sexes()
        rows, bad = scoring.score_assessment_rows(rows, sexes)
        problems += bad
    table_cols = [c.name for c in spec.table.c]
    return rows[[c for c in rows.columns if c in table_cols]]


def _pnc_clashes(stored: dict[str, str], rows: pd.DataFrame) -> list[Problem]:
    out = []
    for i, (pnc, number) in enumerate(zip(rows["pnc_number"], rows["prison_number"], strict=True)):
        if pnc and pnc in stored and stored[pnc] != number:
            out.append(Problem(i + 1, "pnc_number", pnc, f"already belongs to prison number {stored[pnc]}"))
    dup = rows["pnc_number"].ne("") & rows.duplicated("pnc_number", keep="first")
    out += [
        Problem(i + 1, "pnc_number", cell(rows["pnc_number"], i), "repeats an earlier row's PNC number")
        for i in positions(dup)
    ]
    return out


def _unknown_programmes(rows: pd.DataFrame) -> list[Problem]:
    from desist.domain.catalogue import Catalogue

    known = {p.code.upper() for p in Catalogue.load().programmes}
    bad = rows["programme_code"].ne("") & ~rows["programme_code"].isin(known)
    return [
        Problem(
            i + 1,
            "programme_code",
            cell(rows["programme_code"], i),
            "not a programme in the catalogue (see `desist recommend` / data/programmes.yaml)",
        )
        for i in positions(bad)
    ]
