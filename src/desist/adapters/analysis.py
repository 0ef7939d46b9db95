"""Analysis tables from the casework store, and the stored evaluation runs.

:class:`AnalysisTables` reads what an evaluation needs (people, sentences, OSP assessments, programme history,
proven reoffences) in the import layout of :mod:`desist.evaluation.cohort`, as recorded by a date;
:class:`EvaluationRuns` adds and reads ``evaluation_run`` rows. Both work on the unit of work's session, so
the run is stored in the same transaction (and audit trail) as the service that made it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import Text, cast, func, select
from sqlalchemy.orm import Session

from desist.adapters.orm import Assessment, EvaluationRun, Outcome, Person, ProgrammeHistory, Sentence
from desist.domain.errors import NotFound


def _json(value: Any) -> Any:
    import json

    return json.loads(value) if isinstance(value, str) else value


class AnalysisTables:
    """The evaluation's input tables as recorded on a date (keyed by prison number)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _frame(self, statement: Any) -> pd.DataFrame:
        return pd.read_sql(statement, self.session.connection())

    def tables(self, as_of: dt.date) -> dict[str, pd.DataFrame]:
        """``people``, ``sentences``, ``osp``, ``history`` and ``outcomes`` known on ``as_of``.

        Rows dated after ``as_of`` are left out in SQL (sentences begun, assessments made, programmes
        started, reoffences proven); :func:`desist.evaluation.cohort.known_on` applies the same cut (and
        hides results of programmes still running on ``as_of``), so a file and the store agree. On SQLite
        dates come back as ISO text, as in an import file.
        """
        number = Person.prison_number.label("prison_number")
        # SQLite: dates as ISO text, parsed by the cohort a column at a time (SQLAlchemy's per-value parse
        # was slow); PostgreSQL: dates as they come (the driver's own, fast; text would follow DateStyle)
        as_text = self.session.get_bind().dialect.name == "sqlite"
        _day = _text_day if as_text else _same_day
        people = self._frame(
            select(number, _day(Person.date_of_birth), Person.maintains_innocence, Person.ldc)
        )
        sentences = self._frame(
            select(number, _day(Sentence.start_date), _day(Sentence.release_date))
            .join(Person, Person.id == Sentence.person_id)
            .where(Sentence.start_date <= as_of)
        )
        # the JSON columns come back as text and are parsed in one call below: SQLAlchemy's per-value JSON
        # processing took most of a review's time on a 50,000-man store
        osp = self._frame(
            select(
                number,
                _day(Assessment.assessed_on),
                cast(Assessment.inputs, Text).label("inputs"),
                cast(Assessment.outputs, Text).label("outputs"),
            )
            .join(Person, Person.id == Assessment.person_id)
            .where(Assessment.tool == "osp", Assessment.assessed_on <= as_of)
        )
        history = self._frame(
            select(
                number,
                ProgrammeHistory.programme_code,
                _day(ProgrammeHistory.started_on),
                _day(ProgrammeHistory.ended_on),
                ProgrammeHistory.result,
            )
            .join(Person, Person.id == ProgrammeHistory.person_id)
            .where(ProgrammeHistory.started_on <= as_of)
        )
        outcomes = self._frame(
            select(number, _day(Outcome.offence_date), _day(Outcome.proven_date), Outcome.kind)
            .join(Person, Person.id == Outcome.person_id)
            .where(Outcome.proven_date <= as_of)
        )
        for flag in ("maintains_innocence", "ldc"):  # SQLite hands booleans back as 0/1
            people[flag] = people[flag].astype(bool)
        return {
            "people": people,
            "sentences": sentences,
            "osp": _osp_columns(osp),
            "history": history,
            "outcomes": outcomes,
        }


def _text_day(column: Any) -> Any:
    """A SQLite date column read as its stored ``YYYY-MM-DD`` text under its own name (NULL stays NULL)."""
    return cast(column, Text).label(column.key)


def _same_day(column: Any) -> Any:
    return column


def _json_column(values: pd.Series) -> list[Any]:
    """Parse a column of JSON texts (or already-parsed values) at once: one ``json.loads`` of an array."""
    import json

    if all(isinstance(v, str) for v in values):
        return list(json.loads("[" + ",".join(values) + "]"))
    return [_json(v) for v in values]


def _osp_columns(osp: pd.DataFrame) -> pd.DataFrame:
    """Spread the stored OSP inputs into columns and add the scored points, probability and band."""
    inputs = pd.DataFrame([v or {} for v in _json_column(osp.pop("inputs"))], index=osp.index)
    outputs = [v or {} for v in _json_column(osp.pop("outputs"))]
    out = pd.concat([osp, inputs], axis=1)
    dc = [o.get("osp_dc") or {} for o in outputs]
    out["osp_dc_points"] = [d.get("points") for d in dc]
    out["osp_dc_probability"] = [d.get("probability") for d in dc]
    out["osp_dc_band"] = [str(d.get("band", "")).lower() or None for d in dc]
    # an assessment stored without its scores cannot place a man in a risk band: it is not used
    return out[out["osp_dc_band"].notna()].reset_index(drop=True)


class EvaluationRuns:
    """``evaluation_run`` rows: add (append-only), list newest first, get by id."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        *,
        programme_code: str,
        as_of: dt.date,
        spec: dict[str, Any],
        result: dict[str, Any],
        actor: str,
    ) -> EvaluationRun:
        run = EvaluationRun(
            programme_code=programme_code,
            as_of=as_of,
            spec=spec,
            result=result,
            data_fingerprint=result["data_fingerprint"],
            desist_version=result["desist_version"],
            actor=actor,
        )
        self.session.add(run)
        self.session.flush()  # the id now, for the caller's message
        return run

    def list(self, programme_code: str | None = None, limit: int = 100) -> list[EvaluationRun]:
        q = select(EvaluationRun).order_by(EvaluationRun.id.desc()).limit(limit)
        if programme_code:
            q = q.where(EvaluationRun.programme_code == programme_code)
        return list(self.session.scalars(q))

    def count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(EvaluationRun)) or 0)

    def get(self, run_id: int) -> EvaluationRun:
        run = self.session.get(EvaluationRun, run_id)
        if run is None:
            raise NotFound(
                f"evaluation run {run_id}: not found; `desist evaluate runs` lists the stored runs"
            )
        return run
