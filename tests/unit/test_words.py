"""Stored values as plain words (desist.domain.words), the one place reasons and pages name them."""

from __future__ import annotations

import pytest

from desist.domain.referrals import ReferralStatus
from desist.domain.risk.bands import Band, NeedLevel, Pathway
from desist.domain.words import label, plain


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (Pathway.HIGH_INTENSITY, "high intensity"),
        (Pathway.MODERATE_INTENSITY, "moderate intensity"),
        (Pathway.ALTERNATIVE_PATHWAY, "alternative"),
        (Pathway.MISSING_INFORMATION, "not decided"),
        (NeedLevel.LOW, "low"),
        (Band.VERY_HIGH, "very high"),
        (Band.NOT_APPLICABLE, "not applicable"),
        ("MISSING_INFORMATION", "missing information"),  # a stored string is not read as a pathway
        (None, ""),
    ],
)
def test_plain(value: object, words: str) -> None:
    assert plain(value) == words  # type: ignore[arg-type]


def test_label_capitalises_the_first_word() -> None:
    assert label(ReferralStatus.ASSESSED_SUITABLE) == "Assessed suitable"
    assert label(None) == ""
