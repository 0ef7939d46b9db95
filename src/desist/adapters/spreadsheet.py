"""CSV cells that a spreadsheet cannot run: formula neutralisation on write, reversed on import.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel, LibreOffice and
Google Sheets as a formula (OWASP "CSV injection"): ``=HYPERLINK(...)`` in an establishment name would run
when an analyst opens an export. desist writes such a text cell with a leading apostrophe, which spreadsheets
show as text and hide. ``desist import`` removes it again, so export -> import gives back every value exactly.

The rule is a bijection on text, so nothing is ambiguous:

- a text that starts with a trigger character and is not a plain number gets one ``'`` in front;
- a text that starts with ``'`` followed by a trigger character or another ``'`` also gets one in front
  (so a value that really starts with an apostrophe survives the round trip);
- on import, a cell starting with ``'`` followed by a trigger character or ``'`` loses its first character.

Numbers stay numbers: ``-5`` and ``+1.5e3`` are written as they are (a spreadsheet reads them as numbers,
which run nothing), and numeric columns are never touched. A lone ``'`` or ``'t Hooft`` is left as it is.

Example
-------
>>> neutralise("=1+1"), restore("'=1+1")
("'=1+1", '=1+1')
>>> neutralise("-5"), neutralise("'-x"), restore("''-x")
('-5', "''-x", "'-x")
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_ESCAPED = re.compile(r"'[=+\-@\t\r']")


def needs_quote(text: str) -> bool:
    """True when ``text`` must be written with a leading apostrophe (see the module docstring)."""
    if not text:
        return False
    if text[0] in TRIGGERS:
        return _NUMBER.fullmatch(text) is None
    return _ESCAPED.match(text) is not None


def neutralise(value: Any) -> Any:
    """``value`` as it is safe to write in a CSV cell; anything but text is returned unchanged."""
    if isinstance(value, str) and needs_quote(value):
        return "'" + value
    return value


def restore(text: str) -> str:
    """The value :func:`neutralise` was given, from the cell it wrote (other text is returned unchanged)."""
    return text[1:] if _ESCAPED.match(text) else text


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell neutralised; numeric, date and boolean columns untouched."""
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if series.dtype == object or pd.api.types.is_string_dtype(series):
            out[col] = series.map(neutralise, na_action="ignore")
    return out


def restore_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`neutralise_frame` on a frame of text cells read from CSV (in place; returned)."""
    for col in frame.columns:
        series = frame[col]
        if series.dtype == object and series.astype(str).str.startswith("'").any():
            frame[col] = series.map(lambda v: restore(v) if isinstance(v, str) else v)
    return frame


#: line ending of the CSV files desist writes: RFC 4180's CRLF. With it the csv writers quote a cell holding a
#: bare carriage return; with "\n" they write it raw and a reader splits the row there.
LINE_END = "\r\n"


def frame_to_csv(frame: pd.DataFrame, path: Any) -> None:
    """Write ``frame`` as CSV to ``path`` with text cells neutralised (the one way desist writes a frame)."""
    neutralise_frame(frame).to_csv(path, index=False, lineterminator=LINE_END)


def safe_row(values: Iterable[Any]) -> list[Any]:
    """One CSV row with every text cell neutralised."""
    return [neutralise(v) for v in values]


def write_rows(
    fh: Any, header: Sequence[str], rows: Iterable[Iterable[Any]], line_end: str = LINE_END
) -> None:
    """Write ``header`` and ``rows`` as CSV to the open text handle ``fh``, text cells neutralised.

    ``fh`` must be opened with ``newline=""``; ``line_end="\n"`` suits a terminal.
    """
    w = csv.writer(fh, lineterminator=line_end)
    w.writerow(safe_row(header))
    for row in rows:
        w.writerow(safe_row(row))
