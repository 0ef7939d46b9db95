"""The keyword form of :class:`~desist.evaluation.evaluate.Evaluation` (its first interface, kept for
compatibility): the 24 flat settings, turned into an :class:`~desist.evaluation.spec.EvaluationSpec` whenever
the spec is asked for, so a setting that does not apply to the design is refused in one line."""

from __future__ import annotations

from typing import TYPE_CHECKING

from desist.domain.errors import InputError
from desist.evaluation.spec import EvaluationSpec, design_from_settings

if TYPE_CHECKING:
    from typing import Self


class KeywordSettings:
    """``Evaluation(treatment, outcome, covariates, method=..., ratio=..., ...)``."""

    _spec: EvaluationSpec | None

    def __init__(
        self,
        treatment: str,
        outcome: str,
        covariates: list[str],
        *,
        method: str = "nearest",
        estimand: str = "ATT",
        ratio: int = 1,
        replace: bool = False,
        caliper: float | None = None,
        std_caliper: bool = True,
        order: str | None = None,
        exact: list[str] | None = None,
        distance: str = "glm",
        discard: str = "none",
        n_subclasses: int = 6,
        trim: float | None = None,
        clip: float | None = None,
        time: str | None = None,
        event: str | None = None,
        subgroup: str | None = None,
        deniers: str | None = None,
        denier_base_rate: float | None = None,
        bootstrap: int = 0,
        missing: str = "error",
        window: str | None = None,
        random_state: int | None = None,
    ) -> None:
        self.treatment, self.outcome, self.covariates = treatment, outcome, covariates
        self.method, self.estimand, self.ratio, self.replace = method, estimand, ratio, replace
        self.caliper, self.std_caliper, self.order, self.exact = caliper, std_caliper, order, exact
        self.distance, self.discard, self.n_subclasses, self.trim = distance, discard, n_subclasses, trim
        self.clip = clip
        self.time, self.event, self.subgroup = time, event, subgroup
        self.deniers, self.denier_base_rate = deniers, denier_base_rate
        self.bootstrap, self.missing = bootstrap, missing
        self.window, self.random_state = window, random_state
        self._spec: EvaluationSpec | None = None
        self.spec  # noqa: B018  # at construction, so a bad setting is refused before any data is read

    def __repr__(self) -> str:
        """``Evaluation(treatment=..., outcome=..., covariates=[...], <settings that differ from defaults>)``,
        with the sample sizes once fitted."""
        import inspect

        if self._spec is not None and not hasattr(self, "treatment"):  # built by from_spec
            text = f"{type(self).__name__}.from_spec({self._spec!r})"
        else:
            params = inspect.signature(KeywordSettings.__init__).parameters
            shown = []
            for name, p in params.items():
                if name == "self":
                    continue
                value = getattr(self, name)
                if p.default is inspect.Parameter.empty or value != p.default:
                    shown.append(f"{name}={value!r}")
            text = f"{type(self).__name__}({', '.join(shown)})"
        n = getattr(self, "n_", None)
        if n:
            text += f"  # fitted: treated {n.get('treated')}, comparison {n.get('control')}"
        return text

    @classmethod
    def from_spec(cls, spec: EvaluationSpec) -> Self:
        """An evaluation of ``spec`` (the front door; the keyword constructor is the older form of it)."""
        if not isinstance(spec, EvaluationSpec):
            raise InputError(f"spec: expected an EvaluationSpec, got {type(spec).__name__}")
        ev = cls.__new__(cls)
        ev._spec = spec
        return ev

    @property
    def spec(self) -> EvaluationSpec:
        """The :class:`EvaluationSpec` this evaluation runs: given, or built from the keyword settings now
        (so settings changed after construction are checked again)."""
        if self._spec is not None:
            return self._spec
        design = design_from_settings(
            self.method,
            self.estimand,
            self.distance,
            self.random_state,
            ratio=self.ratio,
            replace=self.replace,
            caliper=self.caliper,
            std_caliper=self.std_caliper,
            order=self.order,
            exact=self.exact,
            discard=self.discard,
            n_subclasses=self.n_subclasses,
            trim=self.trim,
            clip=self.clip,
        )
        return EvaluationSpec(
            outcome=self.outcome,
            # a lone string is passed on as it is, for the spec to refuse ("age" is not ("a", "g", "e"))
            covariates=self.covariates if isinstance(self.covariates, str) else tuple(self.covariates),
            design=design,
            treatment=self.treatment,
            time=self.time,
            event=self.event,
            subgroup=self.subgroup,
            deniers=self.deniers,
            denier_base_rate=self.denier_base_rate,
            bootstrap=self.bootstrap,
            missing=self.missing,
            window=self.window,
            random_state=self.random_state,
        )
