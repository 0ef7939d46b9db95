"""Facts about a man's identifiers that every way in (casework, imports) checks the same way."""

from __future__ import annotations

#: a prison (NOMIS) number once upper-cased: letters and digits, up to 20 (e.g. A1234BC)
PRISON_NUMBER_PATTERN = r"[A-Z0-9]{1,20}"
