"""Dates of things that happened: a record of an incentive change, a session, a completion, an assessment or
a reoffence cannot be dated after today.

A small tolerance (``TOLERANCE_DAYS``) allows for time zones: a record typed just after midnight in one
place is still "today" somewhere else. Plans (a group's start date, a sentence's release date) are not
records of events and are not checked here.
"""

from __future__ import annotations

import datetime as dt

from desist.domain.errors import InputError

#: how far past today's date a record of an event may be dated (time zones), documented in docs/casework.md
TOLERANCE_DAYS = 1


def check_happened(day: dt.date, what: str, today: dt.date | None = None) -> dt.date:
    """Return ``day``, or refuse it with one line when it is after today (plus the tolerance).

    Parameters
    ----------
    day : date
        The date given for an event that has happened.
    what : str
        What the date is, for the message ("incentive change date").
    today : date, optional
        Today's date (default: the machine's); a parameter so tests need not patch the clock.
    """
    today = today or dt.date.today()
    if day > today + dt.timedelta(days=TOLERANCE_DAYS):
        raise InputError(
            f"{what}: {day.isoformat()} is in the future (today is {today.isoformat()}); "
            "expected the date it happened"
        )
    return day
