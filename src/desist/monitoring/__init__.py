"""Sequential monitoring of programmes: group-sequential and always-valid designs (pure; no storage).

The names below load on first use (the designs need SciPy), so importing a light module of the package,
such as :mod:`desist.monitoring.record` for the web API's schemas, does not load the analysis stack.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the names as mypy sees them (aliased: re-exported)
    from desist.monitoring.always_valid import AlwaysValidDesign as AlwaysValidDesign
    from desist.monitoring.design import METHODS as METHODS
    from desist.monitoring.design import make_design as make_design
    from desist.monitoring.group_sequential import Boundaries as Boundaries
    from desist.monitoring.group_sequential import GroupSequentialDesign as GroupSequentialDesign
    from desist.monitoring.information import fixed_sample_information as fixed_sample_information
    from desist.monitoring.information import information_from_events as information_from_events
    from desist.monitoring.information import information_from_se as information_from_se
    from desist.monitoring.information import maximum_information as maximum_information

#: each public name -> the module that defines it
_HOMES = {
    "METHODS": "design",
    "AlwaysValidDesign": "always_valid",
    "Boundaries": "group_sequential",
    "GroupSequentialDesign": "group_sequential",
    "fixed_sample_information": "information",
    "information_from_events": "information",
    "information_from_se": "information",
    "make_design": "design",
    "maximum_information": "information",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> object:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
