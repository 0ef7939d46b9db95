"""Sign-in lockout: how many failures within how long lock sign-in, and until when.

A user name is locked for 15 minutes once it has had 5 failed sign-ins within 15 minutes (since its
last success); a client (an address) once it has had 20 within 15 minutes, whatever the names tried.
Attempts refused during a lockout are not counted again, so a lockout ends on time.

Example
-------
>>> import datetime as dt
>>> t = [dt.datetime(2026, 12, 1, 9, m, tzinfo=dt.UTC) for m in (0, 1, 2, 3, 4)]
>>> locked_until(t, USER_RULE)
datetime.datetime(2026, 12, 1, 9, 19, tzinfo=datetime.timezone.utc)
>>> locked_until(t[:4], USER_RULE) is None
True
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class LockRule:
    """``failures`` failures within ``window`` lock for ``duration`` from the last of them."""

    failures: int
    window: dt.timedelta
    duration: dt.timedelta

    @property
    def lookback(self) -> dt.timedelta:
        """How far back failures can matter to a lockout in force now."""
        return self.window + self.duration


USER_RULE = LockRule(5, dt.timedelta(minutes=15), dt.timedelta(minutes=15))
CLIENT_RULE = LockRule(20, dt.timedelta(minutes=15), dt.timedelta(minutes=15))


def locked_until(failures: Sequence[dt.datetime], rule: LockRule) -> dt.datetime | None:
    """The end of the latest lockout the failure times (oldest first) cause, or None."""
    n = rule.failures
    until = None
    for i in range(n - 1, len(failures)):
        if failures[i] - failures[i - n + 1] <= rule.window:
            until = failures[i] + rule.duration
    return until


def minutes_left(until: dt.datetime, now: dt.datetime) -> int:
    """Whole minutes until ``until`` (at least 1)."""
    return max(1, math.ceil((until - now).total_seconds() / 60))
