"""Band, pathway and need-level words shared by every risk tool.

The values are the upper-case words used in input files and JSON output (issue 2, item 5).
"""

from __future__ import annotations

from enum import StrEnum


class Band(StrEnum):
    """Risk band of an actuarial tool (OSP/DC, OSP/IIC, RM2000 categories)."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    VERY_HIGH = "VERY_HIGH"
    NOT_APPLICABLE = "NOT_APPLICABLE"


class Pathway(StrEnum):
    """Programme pathway chosen by the Programme Needs Identifier."""

    HIGH_INTENSITY = "HIGH_INTENSITY"
    MODERATE_INTENSITY = "MODERATE_INTENSITY"
    ALTERNATIVE_PATHWAY = "ALTERNATIVE_PATHWAY"
    MISSING_INFORMATION = "MISSING_INFORMATION"


class NeedLevel(StrEnum):
    """Overall need level, and the PNI risk level (both LOW / MEDIUM / HIGH)."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


#: the ordered bands a score can move along (NOT_APPLICABLE is outside the scale)
ORDERED_BANDS: tuple[Band, ...] = (Band.LOW, Band.MEDIUM, Band.HIGH, Band.VERY_HIGH)

#: the PNI / overall-need word for a missing answer
MISSING_INFORMATION = "MISSING_INFORMATION"


def shift_band(band: Band, steps: int) -> Band:
    """Move a band up (``steps > 0``) or down along LOW..VERY_HIGH, stopping at either end.

    Parameters
    ----------
    band : Band
        Starting band; NOT_APPLICABLE is returned unchanged.
    steps : int
        Number of categories to move.

    Returns
    -------
    Band

    Examples
    --------
    >>> shift_band(Band.HIGH, 1)
    <Band.VERY_HIGH: 'VERY_HIGH'>
    >>> shift_band(Band.LOW, -1)
    <Band.LOW: 'LOW'>
    """
    if band is Band.NOT_APPLICABLE:
        return band
    i = ORDERED_BANDS.index(band) + steps
    return ORDERED_BANDS[min(max(i, 0), len(ORDERED_BANDS) - 1)]
