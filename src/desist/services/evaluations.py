"""Evaluate a programme from the casework store, and keep every run.

``evaluate_programme(programme, as_of, spec, uow)`` reads what the store knew on ``as_of``, builds the
programme's analysis cohort (:func:`desist.evaluation.cohort.programme_cohort`: the catalogue's eligibility,
the assessment in force, Justice Data Lab outcomes), runs the spec and stores the frozen result in
``evaluation_run`` (append-only, audited) in one transaction. ``list_runs``/``get_run`` read them back;
``rerun`` runs a stored run's spec again on the same date.

The unit of work gives the queries (``uow.analysis``) and the run store (``uow.evaluation_runs``); the
service itself holds no SQL. It also gives the acting user: running an evaluation needs ``evaluation.run``
(analysts), reading stored runs ``evaluation.read`` (``data/access_policy.yaml``), as in the web app.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from desist.domain.access import Action
from desist.domain.errors import InputError
from desist.services.scope import acting

if TYPE_CHECKING:
    from desist.domain.catalogue import Catalogue
    from desist.evaluation.result import EvaluationResult
    from desist.evaluation.spec import EvaluationSpec

#: the Justice Data Lab will not publish an analysis of fewer treated people (domain.md section 6)
MIN_TREATED = 60


class TooFewTreated(InputError):
    """Fewer treated men than ``min_treated`` on the date: a later date may have enough (monitoring records
    such a look as "too little data" instead of failing). ``treated`` and ``comparison`` are the cohort's."""

    def __init__(self, message: str, treated: int = 0, comparison: int = 0) -> None:
        super().__init__(message)
        self.treated = treated
        self.comparison = comparison


@dataclass(frozen=True)
class StoredRun:
    """One ``evaluation_run`` row: who ran what, on which data cut-off, and the full result."""

    id: int
    programme: str
    as_of: dt.date
    actor: str
    created_at: str
    result: EvaluationResult
    #: with ``keep_fit=True`` only (never stored): the cohort analysed and the fitted evaluation, for plots
    cohort: Any = field(default=None, repr=False, compare=False)
    evaluation: Any = field(default=None, repr=False, compare=False)

    @property
    def spec(self) -> EvaluationSpec:
        from desist.evaluation.spec import EvaluationSpec

        return EvaluationSpec.from_dict(self.result.spec)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "programme": self.programme,
            "as_of": self.as_of.isoformat(),
            "actor": self.actor,
            "created_at": self.created_at,
            "result": self.result.to_dict(),
        }


def _stored(row: Any) -> StoredRun:
    from desist.evaluation.result import EvaluationResult

    created = row.created_at
    if isinstance(created, dt.datetime) and created.tzinfo is None:  # SQLite keeps no zone; stored as UTC
        created = created.replace(tzinfo=dt.UTC)
    return StoredRun(
        id=int(row.id),
        programme=str(row.programme_code),
        as_of=row.as_of,
        actor=str(row.actor),
        created_at=created.isoformat(timespec="seconds") if hasattr(created, "isoformat") else str(created),
        result=EvaluationResult.from_dict(row.result),
    )


def evaluate_programme(
    programme: str,
    as_of: dt.date,
    spec: EvaluationSpec | None,
    uow: Any,
    *,
    catalogue: Catalogue | None = None,
    today: dt.date | None = None,
    min_treated: int = MIN_TREATED,
    keep_fit: bool = False,
) -> StoredRun:
    """Evaluate ``programme`` on what the store knew on ``as_of``, store the run and return it.

    Parameters
    ----------
    programme : str
        Catalogue code, e.g. ``"SOTP-CORE"``.
    as_of : date
        The data cut-off: programmes started, assessments made and reoffences proven after it are not seen;
        only men whose follow-up window and waiting period ended by then are analysed.
    spec : EvaluationSpec or None
        None: :func:`desist.evaluation.cohort.default_spec` (the demo's design).
    uow : unit of work
        Its ``analysis`` and ``evaluation_runs`` repositories are used, and it commits once.
    min_treated : int
        Refuse below this many treated men (default the Justice Data Lab's 60; the synthetic demo uses less).
    keep_fit : bool
        Also return the cohort and the fitted :class:`~desist.evaluation.evaluate.Evaluation` (for plots).

    Raises
    ------
    Forbidden
        The acting user's roles do not allow ``evaluation.run`` (checked first).
    NotFound
        Unknown programme code.
    InputError
        ``as_of`` in the future, a spec column the cohort does not have, or fewer than 60 treated men.
    """
    acting(uow, Action.EVALUATION_RUN, f"evaluate {programme}")
    from desist.domain.catalogue import default_catalogue
    from desist.evaluation.cohort import default_spec, programme_cohort
    from desist.evaluation.evaluate import Evaluation

    catalogue = catalogue or default_catalogue()
    prog = catalogue[programme]
    spec = spec or default_spec()
    if as_of > (today or dt.date.today()):
        raise InputError(f"--as-of {as_of.isoformat()}: is in the future; expected a date up to today")
    with uow:
        cohort = programme_cohort(uow.analysis.tables(as_of), prog, catalogue, as_of, spec)
        _check_columns(spec, list(cohort.frame.columns))
        treated = cohort.counts["treated"]
        if treated < min_treated:
            raise TooFewTreated(
                f"programme {prog.code} as of {as_of.isoformat()}: {treated} treated men "
                f"({spec.treated_when}) with {spec.followup_years:g} years of follow-up and the "
                f"{spec.waiting_months}-month waiting period complete; expected at least {min_treated}"
                + (" (the Justice Data Lab minimum)" if min_treated == MIN_TREATED else "")
                + "; choose a later --as-of or a shorter followup_years",
                treated=treated,
                comparison=len(cohort.frame) - treated,
            )
        fitted = Evaluation.from_spec(spec).fit(cohort.frame)
        result = fitted.result(
            source={"kind": "casework store", "rules": cohort.rules, "cohort": cohort.counts},
            data_cutoff=as_of.isoformat(),
            treatment={"programme": prog.code, "definition": spec.treated_when},
        )
        row = uow.evaluation_runs.add(
            programme_code=prog.code,
            as_of=as_of,
            spec=spec.to_dict(),
            result=result.to_dict(),
            actor=uow.actor,
        )
        stored = _stored(row)
        uow.commit()
    if keep_fit:
        return dataclasses.replace(stored, cohort=cohort.frame, evaluation=fitted)
    return stored


def _check_columns(spec: EvaluationSpec, columns: list[str]) -> None:
    if spec.treatment != "treated":
        raise InputError(f"spec.treatment {spec.treatment!r}: from the store it is 'treated'")
    for name, value in (("time", spec.time), ("event", spec.event)):
        expected = {"time": "time_days", "event": "event"}[name]
        if value is not None and value != expected:
            raise InputError(f"spec.{name} {value!r}: from the store it is {expected!r} (or leave it out)")
    offered = [
        c for c in columns if c not in ("prison_number", "treated", spec.outcome, "time_days", "event")
    ]
    for name in spec.columns():
        if name not in columns:
            raise InputError(
                f"spec: column {name!r} is not in the cohort built from the store; "
                f"expected covariates among {', '.join(offered)}"
            )


def list_runs(uow: Any, programme: str | None = None, limit: int = 100) -> list[StoredRun]:
    """Stored runs, newest first (optionally of one programme); needs ``evaluation.read``."""
    acting(uow, Action.EVALUATION_READ, "list evaluation runs")
    with uow:
        return [
            _stored(r)
            for r in uow.evaluation_runs.list(programme.strip().upper() if programme else None, limit)
        ]


def get_run(uow: Any, run_id: int) -> StoredRun:
    """One stored run (``NotFound`` if there is no such id); needs ``evaluation.read``."""
    acting(uow, Action.EVALUATION_READ, f"read evaluation run {run_id}")
    with uow:
        return _stored(uow.evaluation_runs.get(run_id))


def rerun(run_id: int, uow_factory: Any, **kwargs: Any) -> tuple[StoredRun, StoredRun]:
    """Run a stored run's spec again on its date; returns (the stored run, the new run)."""
    old = get_run(uow_factory(), run_id)
    new = evaluate_programme(old.programme, old.as_of, old.spec, uow_factory(), **kwargs)
    return old, new
