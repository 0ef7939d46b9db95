"""The answer of one evaluation as a frozen value: :class:`EvaluationResult`.

``to_dict()`` (and its JSON) is the single truth: the estimates, balance, survival, sensitivity and subgroups,
and everything needed to reproduce them - the spec as given, the design settings as applied, the covariates,
the treatment definition, where the data came from and their cut-off date, a fingerprint of the rows used,
the desist version and the time. ``to_frame()``, ``summary()`` (with counts and diagnostics),
``print(result)`` and the text report
(:func:`desist.evaluation.report.table_text`) are views of it; ``from_dict(result.to_dict()) == result``,
so a stored run reads back as the same value.

Example
-------
>>> from desist.evaluation.simulate import simulate_cohort
>>> from desist.evaluation.spec import EvaluationSpec
>>> from desist.evaluation.evaluate import evaluate
>>> spec = EvaluationSpec(outcome="reoffended_2y", covariates=("age", "risk_band"))
>>> result = evaluate(simulate_cohort(1500, seed=2, intercept=-2.0), spec)
>>> list(result.to_frame().measure)
['difference', 'risk_ratio', 'odds_ratio']
>>> EvaluationResult.from_json(result.to_json()) == result
True
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from desist.domain.errors import InputError
from desist.evaluation._fingerprint import fingerprint

__all__ = ["SCHEMA_VERSION", "EvaluationResult", "fingerprint", "plain"]

if TYPE_CHECKING:
    import pandas as pd

    from desist.evaluation.summary import ResultSummary

#: bumped when a key's meaning changes, so stored runs can be read by later versions
SCHEMA_VERSION = 1


def plain(obj: Any) -> Any:
    """JSON values only: numpy scalars to Python, NaN/inf to None, tuples to lists, keys to text."""
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [plain(v) for v in obj.tolist()]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if obj is None or isinstance(obj, str | int | float | bool):
        return obj
    pandas = sys.modules.get("pandas")  # pandas' NA and NaT exist only if pandas is in use
    if pandas is not None:
        try:
            if pandas.isna(obj):
                return None
        except (TypeError, ValueError):
            pass
    return str(obj)


@dataclass(frozen=True)
class EvaluationResult:
    """One evaluation's answer and its provenance (see the module docstring). Build with
    :func:`desist.evaluation.evaluate.evaluate` or :meth:`from_dict`; all fields hold plain JSON values."""

    method: str
    estimand: str
    spec: dict[str, Any]
    settings_applied: dict[str, Any]
    treatment: dict[str, Any]
    covariates: list[str]
    source: dict[str, Any]
    data_cutoff: str | None
    data_fingerprint: str
    n: dict[str, Any]
    estimates: list[dict[str, Any]]
    outcome: dict[str, Any]
    balance: list[dict[str, Any]]
    survival: dict[str, Any] | None
    sensitivity: dict[str, Any]
    subgroups: dict[str, Any] | None
    plain_language: str
    warnings: list[str]
    rows_dropped: int
    desist_version: str
    fitted_at: str
    schema_version: int = SCHEMA_VERSION
    #: what report.html's charts need, so a stored run redraws them without its data (survival curves with
    #: bands and numbers at risk, propensity-score histograms): :mod:`desist.evaluation.chart_data`
    charts: dict[str, Any] = dataclasses.field(default_factory=dict)
    #: the outcome's unweighted mean in each arm before any design ("treated", "untreated"): the comparison a
    #: reader would make without matching, reported so the report can show how far the design moved it
    naive: dict[str, Any] = dataclasses.field(default_factory=dict)

    # ------------------------------------------------------------------ views
    def to_dict(self) -> dict[str, Any]:
        """Every field as plain JSON values (a deep copy: the result itself cannot be changed through it)."""
        out: dict[str, Any] = json.loads(json.dumps({f.name: getattr(self, f.name) for f in _FIELDS}))
        out["settings"] = out["settings_applied"]  # the key the text report and older readers use
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def to_frame(self) -> pd.DataFrame:
        """The effect measures with 95% CIs: difference, risk/odds ratios, and the hazard ratio if fitted."""
        import pandas as pd

        return pd.DataFrame(
            self.estimates, columns=["measure", "estimate", "ci_low", "ci_high", "p_value"]
        ).astype({"estimate": float, "ci_low": float, "ci_high": float, "p_value": float})

    def summary(self) -> ResultSummary:
        """The effects with the counts and design diagnostics (balance, kept men, ties, sensitivity).

        ``print(result.summary())`` shows them with the rule each is judged by; ``.effects`` is
        :meth:`to_frame`, ``.diagnostics`` a DataFrame (:mod:`desist.evaluation.summary`).
        """
        from desist.evaluation.summary import summarise

        return summarise(self)

    def report(self) -> str:
        """The plain-text report (``desist evaluate --format table``)."""
        from desist.evaluation.report import table_text

        return table_text(self.to_dict(), window=self.spec.get("window"))

    def estimate(self, measure: str) -> dict[str, Any]:
        """One row of :meth:`to_frame` as a dict ("difference", "risk_ratio", "hazard_ratio", ...)."""
        for row in self.estimates:
            if row["measure"] == measure:
                return dict(row)
        have = ", ".join(r["measure"] for r in self.estimates)
        raise InputError(f"measure {measure!r}: not in this result; it has {have}")

    def same_answer(self, other: EvaluationResult) -> bool:
        """True when ``other`` is the same evaluation with the same answer (everything but the time)."""
        a, b = self.to_dict(), other.to_dict()
        a.pop("fitted_at"), b.pop("fitted_at")
        return a == b

    def __str__(self) -> str:
        n = self.n
        head = (
            f"EvaluationResult: {self.method} ({self.estimand}) of {self.treatment.get('column')!r} on "
            f"{self.outcome.get('name')!r}; treated {n.get('treated')} (matched/weighted "
            f"{n.get('treated_matched')}), comparison {n.get('control')} (matched/weighted "
            f"{n.get('control_matched')})"
        )
        lines = [head]
        for row in self.estimates:
            p = row.get("p_value")
            lines.append(
                f"  {row['measure']:<13} {_num(row['estimate'])} (95% CI {_num(row['ci_low'])} to "
                f"{_num(row['ci_high'])})" + ("" if p is None else f", p = {p:.3g}")
            )
        lines += [f"  warning: {w}" for w in self.warnings]
        lines.append(
            f"  data {self.data_fingerprint[:19]}..., cut-off {self.data_cutoff or 'not given'}; "
            f"desist {self.desist_version}, {self.fitted_at}"
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    # ------------------------------------------------------------------ reading back
    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvaluationResult:
        """Read a result written by :meth:`to_dict` (a stored run); unknown or missing keys are refused."""
        if not isinstance(data, dict):
            raise InputError(f"result: expected a mapping, got {type(data).__name__}")
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise InputError(f"result: schema_version {version!r}; this desist reads {SCHEMA_VERSION}")
        kwargs = {k: v for k, v in data.items() if k != "settings"}
        names = {f.name for f in _FIELDS}
        required = {
            f.name
            for f in _FIELDS
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        }
        missing = sorted(required - set(kwargs))
        if missing:
            raise InputError(f"result: missing {missing[0]!r}; expected every field of a stored result")
        unknown = sorted(set(kwargs) - names)
        if unknown:
            raise InputError(f"result: unknown key {unknown[0]!r}")
        return cls(**kwargs)

    @classmethod
    def from_json(cls, text: str) -> EvaluationResult:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"result: not valid JSON ({exc.msg}, line {exc.lineno})") from None
        return cls.from_dict(data)


_FIELDS = dataclasses.fields(EvaluationResult)


def _required(f: dataclasses.Field[Any]) -> bool:
    """A field a stored result must have (those with defaults were added later and may be absent)."""
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def _num(v: Any) -> str:
    return "n/a" if v is None else f"{v:.4g}"
