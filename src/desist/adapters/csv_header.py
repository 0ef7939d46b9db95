"""The checks every CSV reader in desist makes of a header row (analysis tables, records, imports).

A repeated column name would be silently renamed (pandas: ``name.1``) or overwritten (``csv.DictReader``),
and a file separated by semicolons or tabs (as Excel writes in some locales) reads as one column; either
would surface later as a misleading "required column missing". Standard library only: the record and
import readers load it without the analysis stack.
"""

from __future__ import annotations

from collections.abc import Sequence


def header_problem(names: Sequence[str]) -> str | None:
    """What is wrong with a CSV header row: a repeated column name, or a separator other than commas.

    >>> header_problem(["a;b"])
    'the header row is separated by semicolons, expected a comma-separated CSV'
    >>> header_problem(["a", "b"]) is None
    True
    """
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            return f"column {name!r} appears twice in the header row, expected each column once"
        seen.add(name)
    if len(names) == 1:
        for sep, what in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
            if sep in names[0]:
                return f"the header row is separated by {what}, expected a comma-separated CSV"
    return None
