"""The number rules: counts, per 100, ratios, intervals and p-values as people read them."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from desist.evaluation import formatting as fmt


@pytest.mark.parametrize(
    ("p", "text"),
    [(0.0, "< 0.001"), (2.776e-17, "< 0.001"), (0.00099, "< 0.001"), (0.001, "0.001"), (0.0042, "0.0042"),
     (0.0135, "0.01"), (0.049, "0.05"), (0.6623, "0.66"), (0.999, "1.00"), (None, fmt.MISSING),
     (math.nan, fmt.MISSING)],
)
def test_p_values_never_print_zero_or_e_notation(p: float, text: str) -> None:
    assert fmt.p_value(p) == text


def test_counts_have_thousands_separators() -> None:
    assert fmt.count(13219) == "13,219"
    assert fmt.count(5000.0) == "5,000"
    assert fmt.count(None) == fmt.MISSING


@pytest.mark.parametrize(("rate", "text"), [(0.0929, "9.3"), (0.10, "10"), (0.175, "18"), (0.0, "0.0"),
                                            (0.0996, "10")])
def test_per_100_one_decimal_below_ten(rate: float, text: str) -> None:
    assert fmt.per_100(rate) == text
    assert fmt.percent(rate) == text + "%"


def test_signed_differences_use_a_true_minus() -> None:
    assert fmt.signed_per_100(0.0096) == "+1.0"
    assert fmt.signed_per_100(-0.0335) == "−3.4"
    assert fmt.signed_per_100(0.0001) == "0.0"


def test_ratios_and_intervals() -> None:
    assert fmt.ratio(1.2334) == "1.23"
    assert fmt.ratio(0.0123) == "0.012"
    assert fmt.ci((0.8395, 1.812)) == "0.84 to 1.81"
    assert fmt.ci((-0.0335, 0.0528), "per_100") == "−3.4 to +5.3"
    assert fmt.ratio_ci(1.233, (0.8395, 1.812)) == "1.23 (95% CI 0.84 to 1.81)"
    assert fmt.ci(None) == fmt.MISSING


def test_numbers_avoid_e_notation() -> None:
    assert fmt.number(2.5e-05) == "0.000025"
    assert fmt.number(123456.7) == "123,457"
    assert fmt.number(1.4741) == "1.47"


@pytest.mark.parametrize(
    "write", [fmt.count, fmt.per_100, fmt.percent, fmt.signed_per_100, fmt.ratio, fmt.p_value, fmt.number,
              fmt.smd, fmt.years],
)  # fmt: skip
@pytest.mark.parametrize("missing", [None, math.nan])
def test_every_writer_prints_a_dash_for_a_missing_number(write: Callable[..., str], missing: object) -> None:
    assert write(missing) == fmt.MISSING


def test_a_writer_keeps_its_own_settings() -> None:
    assert fmt.number(None, digits=2) == fmt.MISSING
    assert fmt.number(1234.4, digits=2) == "1,234" and fmt.number(0.012345, 2) == "0.012"
