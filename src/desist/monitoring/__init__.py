"""Sequential monitoring of programmes: group-sequential and always-valid designs (pure; no storage)."""

from desist.monitoring.always_valid import AlwaysValidDesign
from desist.monitoring.design import METHODS, make_design
from desist.monitoring.group_sequential import Boundaries, GroupSequentialDesign
from desist.monitoring.information import (
    fixed_sample_information,
    information_from_events,
    information_from_se,
    maximum_information,
)

__all__ = [
    "METHODS",
    "AlwaysValidDesign",
    "Boundaries",
    "GroupSequentialDesign",
    "fixed_sample_information",
    "information_from_events",
    "information_from_se",
    "make_design",
    "maximum_information",
]
