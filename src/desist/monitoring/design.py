"""Choosing a monitoring method by name: "group-sequential" (the default) or "always-valid"."""

from __future__ import annotations

from desist.domain.errors import InputError
from desist.domain.records import values
from desist.monitoring.always_valid import AlwaysValidDesign
from desist.monitoring.group_sequential import GroupSequentialDesign
from desist.monitoring.record import Method

METHODS = values(Method)


def make_design(
    method: str = Method.GROUP_SEQUENTIAL,
    *,
    alpha: float = 0.05,
    sided: int = 2,
    spending: str = "obf",
    gamma: float | None = None,
) -> GroupSequentialDesign | AlwaysValidDesign:
    """The design for ``method``; ``spending`` and ``gamma`` apply to the group-sequential method only.

    Examples
    --------
    >>> make_design("always-valid", alpha=0.05)
    AlwaysValidDesign(alpha=0.05, sided=2, tightest_at=1.0)
    """
    if method == Method.GROUP_SEQUENTIAL:
        return GroupSequentialDesign(alpha=alpha, sided=sided, spending=spending, gamma=gamma)
    if method == Method.ALWAYS_VALID:
        if gamma is not None or spending != "obf":
            raise InputError("method 'always-valid' takes no spending or gamma (used by 'group-sequential')")
        return AlwaysValidDesign(alpha=alpha, sided=sided)
    raise InputError(f"method {method!r} is not known; expected one of {', '.join(METHODS)}")
