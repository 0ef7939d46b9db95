"""What to evaluate, as one frozen, serialisable value: :class:`EvaluationSpec`.

A spec names the treatment, the outcome (and survival time/event), the covariates, the design as an estimator
object (:class:`~desist.evaluation.matching.NearestNeighborMatcher`, :class:`~desist.evaluation.matching.
SubclassMatcher`, :class:`~desist.evaluation.weighting.IPWWeighter` or :class:`~desist.evaluation.aipw.
AIPWEstimator`), subgroups and sensitivity analyses, and - for an evaluation built from the casework store -
who counts as treated and the Justice Data Lab follow-up window. ``to_dict()``/``from_dict()`` round-trip it
through JSON or YAML, so a stored run can be re-run exactly.

Example
-------
>>> from desist.evaluation.matching import NearestNeighborMatcher
>>> spec = EvaluationSpec(outcome="reoffended_2y", covariates=("age", "risk_band"),
...                       design=NearestNeighborMatcher(ratio=2, caliper=0.2))
>>> spec.design
NearestNeighborMatcher(ratio=2, caliper=0.2)
>>> EvaluationSpec.from_dict(spec.to_dict()) == spec
True
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from desist.domain.errors import InputError
from desist.evaluation._checks import check_roles, check_settings
from desist.evaluation.aipw import AIPWEstimator
from desist.evaluation.estimator import clone
from desist.evaluation.matching import NearestNeighborMatcher, SubclassMatcher
from desist.evaluation.weighting import IPWWeighter

Design = NearestNeighborMatcher | SubclassMatcher | IPWWeighter | AIPWEstimator

#: the design registry: method name -> estimator class
DESIGNS: dict[str, type[Design]] = {
    "nearest": NearestNeighborMatcher,
    "subclass": SubclassMatcher,
    "ipw": IPWWeighter,
    "aipw": AIPWEstimator,
}
TREATED_WHEN = ("completed", "started")
MISSING = ("error", "drop")


def method_of(design: Any) -> str:
    """The registry name of a design object ("nearest", "subclass", "ipw", "aipw")."""
    for name, cls in DESIGNS.items():
        if type(design) is cls:
            return name
    raise InputError(
        f"design {design!r}: expected one of " + ", ".join(f"{c.__name__}(...)" for c in DESIGNS.values())
    )


@dataclass(frozen=True, eq=False)
class EvaluationSpec:
    """Everything that decides an evaluation's answer, apart from the data.

    Parameters
    ----------
    outcome : str
        Outcome column (0/1, count or number). From the casework store it is the name given to the 0/1
        proven-reoffence-within-the-window column.
    covariates : tuple of str
        Confounders measured before treatment; text columns become dummies as in R's formulas.
    design : estimator
        ``NearestNeighborMatcher(...)``, ``SubclassMatcher(...)``, ``IPWWeighter(...)`` or
        ``AIPWEstimator(...)``; its ``estimand`` is the evaluation's. The spec keeps its own copy.
    treatment : str
        0/1 treatment column.
    time, event : str, optional
        Time to first proven reoffence and its 0/1 event column: adds weighted Kaplan-Meier, log-rank and Cox.
    subgroup : str, optional
        Column whose levels are analysed separately (at most 20 levels), with an interaction test.
    deniers : str, optional
        0/1 column marking men who maintain innocence: adds the innocent-deniers scenario.
    denier_base_rate : float, optional
        Outcome assumed for an innocent denier (0 to 1); None removes them instead.
    bootstrap : int
        Cluster-bootstrap replicates for the outcome CIs (0: analytic robust SEs); not with AIPW.
    missing : {"error", "drop"}
        Rows missing a column used: refuse, or drop and say how many.
    window : str, optional
        Words for the follow-up window in the plain-language paragraph ("within two years").
    random_state : int, optional
        Seed for the bootstrap (the design has its own ``random_state``).
    treated_when : {"completed", "started"}
        From the casework store: treated means completed the programme, or started it (intention to treat).
    followup_years : float
        From the casework store: the fixed window for the 0/1 outcome (the Justice Data Lab's is 1 year).
    waiting_months : int
        From the casework store: months allowed after the window for the offence to be proven (JDL: 6).
    reoffence_kinds : tuple of str
        From the casework store: which recorded outcome kinds count as a reoffence.
    """

    outcome: str
    covariates: tuple[str, ...]
    design: Design = field(default_factory=NearestNeighborMatcher)
    treatment: str = "treated"
    time: str | None = None
    event: str | None = None
    subgroup: str | None = None
    deniers: str | None = None
    denier_base_rate: float | None = None
    bootstrap: int = 0
    missing: str = "error"
    window: str | None = None
    random_state: int | None = None
    treated_when: str = "completed"
    followup_years: float = 1.0
    waiting_months: int = 6
    reoffence_kinds: tuple[str, ...] = ("sexual_contact", "sexual_images")

    def __post_init__(self) -> None:
        # a list given for a tuple field would make the spec mutable and unequal to its round trip
        for name in ("covariates", "reoffence_kinds"):
            value = getattr(self, name)
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise InputError(f"{name} {value!r}: expected a list of column names")
            object.__setattr__(self, name, tuple(value))
        if not self.covariates:
            raise InputError("covariates: expected at least one confounder")
        method = method_of(self.design)
        object.__setattr__(self, "design", clone(self.design))  # the caller cannot change it later
        dist = getattr(self.design, "distance", "glm")
        if not isinstance(dist, str):
            raise InputError("design.distance: a spec takes a distance name or column, not an array")
        for name in ("outcome", "treatment"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise InputError(f"{name} {getattr(self, name)!r}: expected a column name")
        check_settings(self.bootstrap, self.denier_base_rate)
        check_roles(self.treatment, self.outcome, self.covariates, self.time, self.event)
        if (self.time is None) != (self.event is None):
            raise InputError("time and event: give both (a survival analysis), or neither")
        if method == "aipw" and self.bootstrap:
            raise InputError("bootstrap: not available with aipw, whose CIs come from its influence function")
        if method == "nearest" and getattr(self.design, "estimand", "ATT") == "ATE":
            raise InputError(
                "estimand ATE: nearest-neighbour matching estimates the ATT; use ipw, aipw or subclass"
            )
        if self.missing not in MISSING:
            raise InputError(f"missing {self.missing!r}: expected error or drop")
        if self.treated_when not in TREATED_WHEN:
            raise InputError(f"treated_when {self.treated_when!r}: expected completed or started")
        if isinstance(self.followup_years, bool) or not (
            isinstance(self.followup_years, int | float) and 0 < self.followup_years <= 20
        ):
            raise InputError(f"followup_years {self.followup_years!r}: expected a number of years, 0 to 20")
        if isinstance(self.waiting_months, bool) or not (
            isinstance(self.waiting_months, int) and 0 <= self.waiting_months <= 24
        ):
            raise InputError(f"waiting_months {self.waiting_months!r}: expected whole months, 0 to 24")

    # ------------------------------------------------------------------ views
    @property
    def method(self) -> str:
        return method_of(self.design)

    @property
    def estimand(self) -> str:
        return str(getattr(self.design, "estimand", "ATT"))

    def columns(self) -> list[str]:
        """Every column the evaluation reads, each once."""
        exact = getattr(self.design, "exact", None) or []
        cols = [self.treatment, self.outcome, *self.covariates, *exact]
        cols += [c for c in (self.time, self.event, self.subgroup, self.deniers) if c]
        dist = getattr(self.design, "distance", "glm")
        if isinstance(dist, str) and dist not in ("glm", "logit", "gbm", "mahalanobis"):
            cols.append(dist)  # a user-supplied distance column
        return list(dict.fromkeys(cols))

    def replace(self, **changes: Any) -> EvaluationSpec:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values; ``design`` is ``{"method": ..., "params": design.get_params()}``."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "design":
                value = {"method": self.method, "params": _plain(value.get_params())}
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "spec") -> EvaluationSpec:
        """Build a spec from :meth:`to_dict`'s layout; unknown or inapplicable settings are refused."""
        if not isinstance(data, Mapping):
            raise InputError(f"{where}: expected a mapping of settings, got {type(data).__name__}")
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = [k for k in data if k not in names]
        if unknown:
            raise InputError(f"{where}.{unknown[0]}: not a setting; expected one of {', '.join(names)}")
        for required in ("outcome", "covariates"):
            if required not in data:
                raise InputError(f"{where}.{required}: missing; expected it in every spec")
        kwargs = dict(data)
        kwargs["design"] = design_from_dict(data.get("design") or {"method": "nearest"}, f"{where}.design")
        for name in ("covariates", "reoffence_kinds"):
            if name in kwargs and isinstance(kwargs[name], list):
                kwargs[name] = tuple(kwargs[name])
        try:
            return cls(**kwargs)
        except TypeError as exc:  # a wrong type that the checks did not name
            raise InputError(f"{where}: {exc}") from None

    @classmethod
    def from_json(cls, text: str, where: str = "spec") -> EvaluationSpec:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
        return cls.from_dict(data, where)

    @classmethod
    def read(cls, path: Path) -> EvaluationSpec:
        """Read a spec from a ``.json``, ``.yaml`` or ``.yml`` file."""
        import yaml

        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError(f"spec {path}: file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"spec {path}: cannot be read ({exc})") from None
        if path.suffix.lower() in (".yaml", ".yml"):
            try:
                data = yaml.safe_load(text)
            except yaml.YAMLError as exc:
                raise InputError(f"spec {path}: not valid YAML ({str(exc).splitlines()[0]})") from None
            return cls.from_dict(data, str(path))
        return cls.from_json(text, str(path))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EvaluationSpec):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_dict(), sort_keys=True))


def _plain(params: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}


def design_from_dict(data: Any, where: str = "design") -> Design:
    """``{"method": "nearest", "params": {"ratio": 2}}`` -> ``NearestNeighborMatcher(ratio=2)``."""
    if not isinstance(data, Mapping):
        raise InputError(f"{where}: expected a mapping with a 'method' and its 'params'")
    extra = [k for k in data if k not in ("method", "params")]
    if extra:
        raise InputError(f"{where}.{extra[0]}: not allowed here; put design settings under {where}.params")
    method = data.get("method")
    if method not in DESIGNS:
        raise InputError(f"{where}.method {method!r}: expected one of {', '.join(DESIGNS)}")
    params = data.get("params") or {}
    if not isinstance(params, Mapping):
        raise InputError(f"{where}.params: expected a mapping of settings")
    cls = DESIGNS[method]
    valid = cls._param_names()
    for name in params:
        if name not in valid:
            raise InputError(
                f"{where}.params.{name}: does not apply to method {method!r}; "
                f"its settings are {', '.join(valid)}"
            )
    return cls(**params)


#: the flat settings of the old ``Evaluation`` constructor and the CLI, with their defaults; which designs
#: each applies to is read from the estimators' own parameters (so it cannot drift from them)
FLAT_SETTINGS: dict[str, Any] = {
    "ratio": 1,
    "replace": False,
    "caliper": None,
    "std_caliper": True,
    "order": None,
    "exact": None,
    "discard": "none",
    "n_subclasses": 6,
    "trim": None,
    "trim_rule": "weightit",
    "trim_lower": False,
    "clip": None,
}


def _applies(key: str) -> tuple[str, ...]:
    return tuple(m for m, cls in DESIGNS.items() if key in cls._param_names())


def design_from_settings(
    method: str,
    estimand: str = "ATT",
    distance: str = "glm",
    random_state: int | None = None,
    name: Callable[[str], str] = str,
    **settings: Any,
) -> Design:
    """Build a design from flat settings, refusing any that do not apply to ``method``.

    A setting counts as given when it differs from its default. ``name`` turns a Python parameter name into
    the word the caller's user knows (the CLI passes ``lambda p: "--" + p.replace("_", "-")``).
    """
    if method not in DESIGNS:
        raise InputError(f"{name('method')} {method!r}: expected one of {', '.join(DESIGNS)}")
    for key, value in settings.items():
        if key not in FLAT_SETTINGS:
            raise InputError(f"{name(key)}: not a design setting; expected one of {', '.join(FLAT_SETTINGS)}")
        applies = _applies(key)
        if method not in applies and value != FLAT_SETTINGS[key]:
            raise InputError(
                f"{name(key)} {value!r}: does not apply to {name('method')} {method}; "
                f"it is a setting of {' and '.join(applies)}"
            )
    given = {k: v for k, v in settings.items() if method in _applies(k)}
    if method in ("ipw", "aipw"):
        if distance not in ("glm", "gbm"):
            raise InputError(
                f"{name('distance')} {distance!r}: {method} needs a propensity model; expected glm or gbm"
            )
        model: Any = DESIGNS[method]  # IPWWeighter or AIPWEstimator: ``method`` is the propensity model
        return cast(Design, model(estimand=estimand, method=distance, random_state=random_state, **given))
    matcher: Any = DESIGNS[method]
    return cast(Design, matcher(estimand=estimand, distance=distance, random_state=random_state, **given))
