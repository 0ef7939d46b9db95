"""Optimistic locking across requests: the one check that a record has not changed since the caller saw it."""

from __future__ import annotations

from desist.domain.errors import StaleVersion


def check_version(what: str, current: int | None, expected: int | None) -> None:
    """Refuse a change to ``what`` if its version moved on since the caller read ``expected``.

    Parameters
    ----------
    what : str
        The record as the message names it, e.g. ``"referral 12"`` or ``"person A1234BC"``.
    current : int or None
        Its version now.
    expected : int or None
        The version the caller last saw; ``None`` skips the check.

    Raises
    ------
    StaleVersion
        The versions differ.

    Examples
    --------
    >>> check_version("referral 1", 3, 3)
    >>> check_version("referral 1", 3, None)
    """
    if expected is not None and current != expected:
        raise StaleVersion(
            f"{what} was changed by someone else (version {current}, you had {expected}); "
            "reload it and try again"
        )
