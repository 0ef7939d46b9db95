"""Domain exceptions.

Every error a user can cause is a :class:`DesistError` whose message is one line saying what was wrong,
where, and what was expected. Entry points (CLI, web) turn these into exit status 2 or an HTTP 4xx;
they never show a traceback.
"""

from __future__ import annotations


class DesistError(Exception):
    """Base class for errors a user can cause (bad input, a forbidden action, a conflict)."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(DesistError):
    """A record, file or argument is malformed: names what, where, and what was expected."""


class NotFound(DesistError):
    """A referenced thing (person, referral, group, programme) does not exist."""


class Forbidden(DesistError):
    """The actor's role may not do this."""


class Locked(Forbidden):
    """Sign-in refused for a while after repeated failures (for one user name or one client).

    ``minutes_left`` says when to try again (the web app answers HTTP 429 with ``Retry-After``).
    """

    def __init__(self, message: str, minutes_left: int) -> None:
        super().__init__(message)
        self.minutes_left = minutes_left


class NotAuthenticated(DesistError):
    """No valid sign-in: an unknown, expired or revoked session or token, or a disabled user."""


class InvalidTransition(DesistError):
    """A state change the rules do not allow (e.g. leaving a closed referral status)."""


class Conflict(DesistError):
    """Someone else changed the same thing first, or a uniqueness rule (duplicate referral) was hit."""


class StaleVersion(Conflict):
    """The version of a record the caller last read (and sent back) is no longer current.

    Raised by :func:`desist.domain.versions.check_version` before anything is changed; the API answers it
    412 Precondition Failed when the version came in ``If-Match``. A change that collides with a concurrent
    one while it is being written is a plain :class:`Conflict` (409).
    """


class CapacityError(DesistError):
    """A group is full or no longer takes joiners."""


class AnalysisError(DesistError):
    """The data cannot support the requested analysis (no common support, separation, too few treated)."""
