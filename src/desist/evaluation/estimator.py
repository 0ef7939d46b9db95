"""The estimator contract every design object follows (scikit-learn's, without depending on scikit-learn).

``__init__`` stores its arguments as attributes of the same names and nothing else; ``fit`` validates and
learns state ending in ``_``. The designs keep it by declaring their settings as dataclass fields
(``@dataclass(eq=False, repr=False)``: the generated ``__init__`` only stores them; repr and equality stay
this base's). On that contract this base gives ``get_params()``, ``set_params()``, a readable
``repr`` (only the settings that differ from their defaults, as scikit-learn prints them), equality of
settings, and :func:`clone`. scikit-learn's own ``BaseEstimator`` would do the same but would make
scikit-learn a dependency of the statistics for four small methods, so they are written here.

Example
-------
>>> from desist.evaluation.matching import NearestNeighborMatcher
>>> m = NearestNeighborMatcher(ratio=2, caliper=0.2)
>>> m
NearestNeighborMatcher(ratio=2, caliper=0.2)
>>> m.get_params()["ratio"], clone(m) == m
(2, True)
"""

from __future__ import annotations

import copy
import inspect
from typing import Any, TypeVar

import numpy as np

from desist.domain.errors import InputError

E = TypeVar("E", bound="BaseEstimator")


class BaseEstimator:
    """Settings introspection for estimators whose ``__init__`` only stores its keyword arguments."""

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [
            p.name
            for p in sig.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]

    @classmethod
    def _param_defaults(cls) -> dict[str, Any]:
        sig = inspect.signature(cls.__init__)
        return {
            name: p.default for name, p in sig.parameters.items() if p.default is not inspect.Parameter.empty
        }

    def get_params(self) -> dict[str, Any]:
        """The settings as given to ``__init__``, in signature order (copies of lists)."""
        return {name: copy.copy(getattr(self, name)) for name in self._param_names()}

    def set_params(self: E, **params: Any) -> E:
        """Change settings in place (fitted state is not cleared: refit); unknown names are refused."""
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise InputError(
                    f"{name}: not a setting of {type(self).__name__}; expected one of {', '.join(valid)}"
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = self._param_defaults()
        shown = []
        for name, value in self.get_params().items():
            if name in defaults and _same(value, defaults[name]):
                continue
            shown.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    def __eq__(self, other: object) -> bool:
        # equal settings, whatever was fitted: two designs are the same design
        if type(self) is not type(other):
            return NotImplemented
        assert isinstance(other, BaseEstimator)
        a, b = self.get_params(), other.get_params()
        return all(_same(a[k], b[k]) for k in a)

    __hash__ = None  # type: ignore[assignment]  # settings are mutable through set_params


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):  # a given distance array: equal values
        return type(a) is type(b) and bool(np.array_equal(a, b))
    try:
        return type(a) is type(b) and bool(a == b)
    except (TypeError, ValueError):
        return a is b


def clone(estimator: E, **changes: Any) -> E:
    """A new, unfitted estimator with the same settings (and ``changes`` applied)."""
    params = estimator.get_params()
    params.update(changes)
    new = type(estimator)(**params)
    return new
