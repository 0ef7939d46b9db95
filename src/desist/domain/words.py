"""Enum values as the plain words people read: ``MODERATE_INTENSITY`` -> "moderate intensity".

The one place recommendation reasons, the web pages and the command line's tables turn a stored value
(a band, a PNI pathway, a referral status...) into words. Machine-readable outputs (JSON, CSV, the API's
fields) keep the values themselves.
"""

from __future__ import annotations

from enum import Enum

from desist.domain.risk.bands import Pathway

#: values whose plain words are not simply the value in lower case (a PNI pathway is named by its kind:
#: "his PNI pathway is alternative", "... is not decided" when an answer is missing)
_PATHWAY_WORDS: dict[Pathway, str] = {
    Pathway.ALTERNATIVE_PATHWAY: "alternative",
    Pathway.MISSING_INFORMATION: "not decided",
}


def plain(value: Enum | str | None) -> str:
    """A value in plain lower-case words; "" for None.

    >>> plain(Pathway.MODERATE_INTENSITY)
    'moderate intensity'
    >>> plain(Pathway.ALTERNATIVE_PATHWAY)
    'alternative'
    >>> plain("VERY_HIGH")
    'very high'
    """
    if value is None:
        return ""
    if isinstance(value, Pathway) and value in _PATHWAY_WORDS:
        return _PATHWAY_WORDS[value]
    if isinstance(value, Enum):
        value = str(value.value)
    return value.replace("_", " ").lower()


def label(value: Enum | str | None) -> str:
    """A value as a label, first letter capitalised: ``ASSESSED_SUITABLE`` -> "Assessed suitable"."""
    return plain(value).capitalize()
