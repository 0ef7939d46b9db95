"""Limits on stored values, read from ``data/limits.yaml``: text lengths, control characters, date ranges.

One set of rules for every way in: the importers check whole columns with :data:`CONTROL_PATTERN` and the
figures here, the store checks every row it flushes with :func:`check_text` and :func:`check_date`, and the
database holds matching CHECK constraints. Each refusal is one line naming the field, what was wrong and
what is expected.

Example
-------
>>> import datetime as dt
>>> limits().max_length("person.establishment")
100
>>> check_text("HMP Usk", "person.establishment")
'HMP Usk'
>>> check_text("HMP\\x1b[31mUsk", "person.establishment")
Traceback (most recent call last):
desist.domain.errors.InputError: establishment: contains a control character (U+001B), expected plain text
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desist.domain.errors import InputError

LIMITS_FILE = Path(__file__).resolve().parent.parent / "data" / "limits.yaml"


def _ranges(specs: list[str]) -> str:
    """A regex character class body from entries like ``U+202A-U+202E`` or ``U+FEFF``."""
    out = []
    for spec in specs:
        parts = [int(p.strip()[2:], 16) for p in spec.split("-")]
        lo, hi = parts[0], parts[-1]
        out.append(f"\\u{lo:04x}-\\u{hi:04x}" if hi != lo else f"\\u{lo:04x}")
    return "".join(out)


@dataclass(frozen=True)
class Limits:
    """The parsed limits file."""

    lengths: dict[str, int]
    json_max_length: int
    multiline: frozenset[str]
    refused: str  # regex class body of refused non-Cc code points
    earliest: dt.date
    min_age_years: int
    max_age_years: int
    future_tolerance_days: int
    not_future: frozenset[str]
    within_life: frozenset[str]

    def max_length(self, field: str) -> int | None:
        """Longest text allowed in ``table.column``, or None when the field has no text limit."""
        return self.lengths.get(field)

    def control_pattern(self, multiline: bool) -> re.Pattern[str]:
        """What may not appear in a field: Cc controls (but LF and CRLF in multi-line fields) and more."""
        cc = "\\x00-\\x09\\x0b-\\x1f\\x7f-\\x9f" if multiline else "\\x00-\\x1f\\x7f-\\x9f"
        return re.compile(f"[{cc}{self.refused}]")

    def latest(self, today: dt.date) -> dt.date:
        return today + dt.timedelta(days=self.future_tolerance_days)


@functools.cache
def limits() -> Limits:
    """The limits, read once from ``data/limits.yaml``."""
    from desist.domain.yaml_text import load_yaml

    raw: dict[str, Any] = load_yaml(LIMITS_FILE.read_text(encoding="utf-8"))
    text, dates = raw["text"], raw["dates"]
    earliest = dates["earliest"]
    return Limits(
        lengths={str(k): int(v) for k, v in text["max_length"].items()},
        json_max_length=int(text["json_max_length"]),
        multiline=frozenset(text["multiline"]),
        refused=_ranges(raw["control_characters"]["refused_code_points"]),
        earliest=earliest if isinstance(earliest, dt.date) else dt.date.fromisoformat(str(earliest)),
        min_age_years=int(dates["min_age_years"]),
        max_age_years=int(dates["max_age_years"]),
        future_tolerance_days=int(dates["future_tolerance_days"]),
        not_future=frozenset(dates["not_future"]),
        within_life=frozenset(dates["within_life"]),
    )


def _label(field: str) -> str:
    return field.split(".", 1)[-1]


def bad_character(value: str, field: str) -> str | None:
    """The first refused character of ``value`` for ``field``, written ``U+XXXX``, or None."""
    lim = limits()
    multiline = field in lim.multiline
    text = value.replace("\r\n", "\n") if multiline else value
    found = lim.control_pattern(multiline).search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def check_text(value: str, field: str, *, label: str | None = None, max_length: int | None = None) -> str:
    """Return ``value`` (CRLF as LF in multi-line fields), or refuse it in one line.

    Parameters
    ----------
    value : str
    field : str
        ``table.column``, as in ``data/limits.yaml``.
    label : str, optional
        How the user knows the field (an option or column name); default the column name.
    max_length : int, optional
        The limit for a field not listed in the limits file (e.g. its column size).

    Raises
    ------
    InputError
        A control character, a bidi override, NUL, a line break in a one-line field, or too long.
    """
    name = label or _label(field)
    bad = bad_character(value, field)
    if bad is not None:
        breaks = bad in ("U+000A", "U+000D", "U+2028", "U+2029")
        what = "a line break" if breaks else f"a control character ({bad})"
        expected = "plain text on one line" if breaks else "plain text"
        if bad == "U+0000":
            what = "a NUL character (U+0000)"
        raise InputError(f"{name}: contains {what}, expected {expected}")
    lim = limits()
    if field in lim.multiline:
        value = value.replace("\r\n", "\n")
    longest = lim.max_length(field) or max_length
    if longest is not None and len(value) > longest:
        raise InputError(f"{name}: {len(value):,} characters, expected at most {longest:,}")
    return value


#: what :func:`visible` rewrites: C0 controls but tab and line feed, DEL, C1 controls, and the invisible and
#: bidi code points refused at input (fixed here, not read from the file: display must work without it)
_UNSAFE_ON_SCREEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]"
)


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every character that could drive a terminal written as a visible escape (``\\x1b``).

    For showing text stored before the input rules, or read from a user's file: line breaks and tabs pass.
    """
    return _UNSAFE_ON_SCREEN.sub(_escaped, text)


def years_before(day: dt.date, years: int) -> dt.date:
    """``day`` moved back ``years`` calendar years (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def birth_date_range(today: dt.date) -> tuple[dt.date, dt.date]:
    """Plausible dates of birth: from ``earliest`` to ``min_age_years`` before today."""
    lim = limits()
    return lim.earliest, years_before(today, lim.min_age_years)


def check_date(
    value: dt.date, field: str, *, today: dt.date, born: dt.date | None = None, label: str | None = None
) -> dt.date:
    """Refuse, in one line, a date outside the plausible range for ``field``.

    Every date is from ``earliest`` on; a date of birth is at least ``min_age_years`` before today; an
    event in ``not_future`` is not after today (+ tolerance); an event in ``within_life`` falls when the man
    (born ``born``) was ``min_age_years`` to ``max_age_years`` old.
    """
    lim = limits()
    name = label or _label(field)
    if field == "person.date_of_birth":
        lo, hi = birth_date_range(today)
        if not lo <= value <= hi:
            raise InputError(
                f"{name}: {value} is out of range, expected a date of birth from {lo} to {hi} "
                f"(at least {lim.min_age_years} years ago)"
            )
        return value
    if value < lim.earliest:
        raise InputError(f"{name}: {value} is out of range, expected {lim.earliest} or later")
    if field in lim.not_future and value > lim.latest(today):
        raise InputError(f"{name}: {value} is in the future, expected {today} or earlier")
    if born is not None and field in lim.within_life:
        # 29 February + N years is taken as 28 February
        lo, hi = years_before(born, -lim.min_age_years), years_before(born, -lim.max_age_years)
        if not lo <= value <= hi:
            raise InputError(
                f"{name}: {value} is out of range, expected a date when he was {lim.min_age_years} to "
                f"{lim.max_age_years} years old ({lo} to {hi})"
            )
    return value
