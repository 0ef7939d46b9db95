"""Facts about a man's identifiers that every way in (casework, imports) checks the same way."""

from __future__ import annotations

#: a prison (NOMIS) number once upper-cased: letters and digits, up to 20 (e.g. A1234BC)
PRISON_NUMBER_PATTERN = r"[A-Z0-9]{1,20}"


def clean_name(value: str | None) -> str | None:
    """A name as stored: surrounding spaces and runs of inner spaces dropped; blank is no name (None).

    Length and control characters are checked where every stored text is (data/limits.yaml).
    """
    if value is None:
        return None
    text = " ".join(value.split())
    return text or None


def full_name(given: str | None, family: str | None) -> str | None:
    """"Given Family" as recorded (either part may be missing); None when neither is on file."""
    parts = [p for p in (given, family) if p]
    return " ".join(parts) if parts else None
