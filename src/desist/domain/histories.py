"""Consistent histories: nothing happens to a man before he was born, before his sentence started or before
he was referred. Casework services and the imports check dates with these same rules.
"""

from __future__ import annotations

import datetime as dt

from desist.domain.errors import InputError


def check_not_before(day: dt.date, earliest: dt.date | None, what: str, since: str) -> dt.date:
    """Return ``day``, or refuse it in one line when it is before ``earliest`` (``None``: nothing to check).

    Parameters
    ----------
    day : date
        The date given for the event.
    earliest : date or None
        The first date the event could have happened.
    what : str
        What ``day`` is, for the message ("session date").
    since : str
        What ``earliest`` is ("his date of birth", "referral 3 was made").

    Examples
    --------
    >>> check_not_before(dt.date(2020, 1, 2), dt.date(1980, 5, 1), "sentence start", "his date of birth")
    datetime.date(2020, 1, 2)
    """
    if earliest is not None and day < earliest:
        raise InputError(
            f"{what}: {day.isoformat()} is before {since} ({earliest.isoformat()}); "
            "expected a date on or after it"
        )
    return day
