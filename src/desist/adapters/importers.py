"""Read import files (CSV or Parquet) and check every cell, collecting *all* problems before any write.

Validation is vectorised with pandas so a million-row file is checked in seconds; each problem names
the row (data rows counted from 1, so CSV row N is on line N + 1), the column, the value and the reason.
Cleaned values come back as canonical text (dates ``YYYY-MM-DD``, booleans ``true``/``false``, missing
as ``""``) so that file rows and stored rows compare exactly, which is what makes re-imports a no-op.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from desist.adapters.spreadsheet import restore_frame
from desist.adapters.tables import check_csv_header
from desist.domain.errors import InputError
from desist.domain.limits import limits

#: names desist uses for the columns it adds or computes while importing; never read from a file
INTERNAL_COLUMNS = frozenset({"id", "person_id", "outputs", "version", "created_at", "updated_at"})
TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0"})


@dataclass(frozen=True, order=True)
class Problem:
    """One bad cell: ``row`` counts data rows from 1 (0 = the file or its header)."""

    row: int
    column: str
    value: str
    reason: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "row", int(self.row))  # numpy positions arrive as np.int64

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "file"
        shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
        return f"{where}, column {self.column!r}, value {shown!r}: {self.reason}"


@dataclass(frozen=True)
class Column:
    """How one import column is checked.

    ``kind`` is one of ``text``, ``date``, ``bool``, ``choice``, ``json``; ``choices`` for ``choice``;
    ``default`` fills empty optional cells.
    """

    name: str
    kind: str = "text"
    required: bool = False
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    default: str = ""
    upper: bool = False
    lower: bool = False
    pattern: str | None = None
    doc: str = ""


@dataclass(frozen=True)
class Schema:
    """The columns of one import kind and the rules across columns."""

    kind: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    #: (earlier column, later column): later must be on or after earlier when both present
    ordered_dates: tuple[tuple[str, str], ...] = ()
    #: allow columns not listed (e.g. the tool fields of an assessment); otherwise they are ignored
    open_columns: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def read_table(path: Path | str) -> pd.DataFrame:
    """Read a CSV or Parquet file into a frame of text cells (missing cells as ``""``).

    Raises
    ------
    InputError
        The file is missing, unreadable, or not ``.csv`` / ``.parquet``.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if p.is_dir():
        raise InputError(f"{p}: is a folder, expected a .csv or .parquet file")
    if suffix not in (".csv", ".parquet", ".pq"):
        raise InputError(f"{p}: unknown file type {suffix or '(none)'!r}, expected .csv or .parquet")
    if not p.is_file():
        raise InputError(f"{p}: no such file")
    try:
        if suffix == ".csv":
            df = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[], encoding="utf-8-sig")
        else:
            df = pd.read_parquet(p)
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{p}: cannot read the file ({first})") from exc
    df.columns = [str(c).strip() for c in df.columns]
    if suffix == ".csv":  # already text; undo the formula neutralisation desist's exports apply
        check_csv_header(p)
        return restore_frame(df)
    return df.apply(_as_text) if len(df.columns) else df


def _as_text(col: pd.Series) -> pd.Series:
    """Render a typed (Parquet) column as the text a CSV would hold, so one validator serves both."""
    if pd.api.types.is_datetime64_any_dtype(col):
        text = col.dt.strftime("%Y-%m-%d")
        has_time = col.notna() & (col != col.dt.normalize())
        text = text.where(~has_time, col.dt.strftime("%Y-%m-%dT%H:%M:%S"))
        return text.fillna("")
    if pd.api.types.is_bool_dtype(col):
        return col.map({True: "true", False: "false"}).fillna("")
    if pd.api.types.is_float_dtype(col):
        # integers stored as floats (NaN for missing) should read as "3", not "3.0"
        whole = col.notna() & np.isfinite(col) & (col == np.round(col))
        out = col.astype(object).where(~whole, col.where(whole).astype("Int64").astype(object))
        return out.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    if col.dtype == object:
        if pd.api.types.infer_dtype(col, skipna=True) in ("string", "empty"):
            return col.fillna("")
        return col.map(cell_text)
    return col.astype("string").fillna("").astype(object)


def cell_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat() if value.time() != dt.time(0) else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, np.ndarray):
        return json.dumps(value.tolist(), sort_keys=True)
    return str(value)


def positions(mask: pd.Series) -> list[int]:
    """0-based positions where ``mask`` is true, as Python ints."""
    return [int(i) for i in np.flatnonzero(mask.to_numpy(dtype=bool))]


def cell(series: pd.Series, i: int) -> str:
    """The text of ``series`` at position ``i``."""
    return str(series.iat[i])


def validate(df: pd.DataFrame, schema: Schema) -> tuple[pd.DataFrame, list[Problem], list[str]]:
    """Check every cell of ``df`` against ``schema``.

    Returns
    -------
    clean : DataFrame
        The schema's columns in canonical text (plus extra columns when the schema is open), index kept.
    problems : list of Problem
        Every bad cell, sorted by row then column; empty when the file is good.
    ignored : list of str
        Columns in the file that the schema does not use.
    """
    problems: list[Problem] = []
    missing = [c.name for c in schema.columns if c.required and c.name not in df.columns]
    for name in missing:
        reason = f"required column missing; expected columns {', '.join(schema.names)}"
        problems.append(Problem(0, name, "", reason))
    if missing:
        return df.iloc[0:0], problems, []
    df = df.reset_index(drop=True)
    clean = pd.DataFrame(index=df.index)
    for col in schema.columns:
        # Check each distinct value once and share the results: a million rows hold far fewer distinct
        # prison numbers, dates and codes, and shared string objects keep memory near the file's size.
        if col.name in df.columns:
            codes, uniques = pd.factorize(df[col.name].astype(str), use_na_sentinel=False)
        else:
            codes, uniques = np.zeros(len(df), dtype=np.intp), np.array([""], dtype=object)
        raw = pd.Series(uniques, dtype=object).str.strip()
        values, bad = _check_column(raw, col)
        clean[col.name] = values.to_numpy(dtype=object)[codes]
        bad_codes = set(positions(bad != ""))
        if bad_codes:
            for i in positions(pd.Series(np.isin(codes, list(bad_codes)))):
                code = int(codes[i])
                problems.append(Problem(i + 1, col.name, cell(raw, code), cell(bad, code)))
    for earlier, later in schema.ordered_dates:
        both = (clean[earlier] != "") & (clean[later] != "")
        wrong = both & (clean[later] < clean[earlier])
        for i in positions(wrong):
            reason = f"is before {earlier} {cell(clean[earlier], i)}"
            problems.append(Problem(i + 1, later, cell(clean[later], i), reason))
    problems += duplicate_keys(clean, schema.key)
    extra = [c for c in df.columns if c not in schema.names]
    if schema.open_columns:
        # a column named like one desist adds or computes (person_id, id, outputs) is never a tool input:
        # taken as one it collided with the internal column; it is ignored and named, like any other
        taken = [c for c in extra if c not in INTERNAL_COLUMNS]
        for name in taken:
            clean[name] = df[name].astype(str).str.strip()
        extra = [c for c in extra if c in INTERNAL_COLUMNS]
    return clean, sorted(set(problems)), extra


def duplicate_keys(clean: pd.DataFrame, key: tuple[str, ...]) -> list[Problem]:
    """A natural key repeated within the file is ambiguous: report each repeat against its first row.

    Rows with an empty key cell are left out: the cell was missing or invalid (already reported), and
    two different bad dates both cleaned to "" are not the same key.
    """
    if not key or clean.empty:
        return []
    keyed = clean[(clean[list(key)] != "").all(axis=1)]
    dup = keyed.duplicated(list(key), keep="first")
    if not dup.any():
        return []
    first_row = keyed.reset_index().groupby(list(key), sort=False)["index"].transform("min")
    out = []
    for j in positions(dup):
        i = int(keyed.index[j])
        shown = "/".join(cell(keyed[k], j) for k in key)
        reason = f"repeats row {int(cell(first_row, j)) + 1} (same {', '.join(key)})"
        out.append(Problem(i + 1, key[-1], shown, reason))
    return out


MIN_DATE, MAX_DATE = pd.Timestamp.min.ceil("D").date(), pd.Timestamp.max.floor("D").date()


def _iso_date(text: object) -> bool:
    """True for a real calendar date written YYYY-MM-DD (fromisoformat alone also takes 20200101)."""
    value = str(text)
    if len(value) != 10 or value[4] != "-" or value[7] != "-":
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _check_column(raw: pd.Series, col: Column) -> tuple[pd.Series, pd.Series]:
    """Return (canonical values, reasons) where reasons is "" for good cells."""
    values = raw.str.upper() if col.upper else raw.str.lower() if col.lower else raw
    empty = values == ""
    if col.default:
        values = values.where(~empty, col.default)
        empty = values == ""
    reasons = pd.Series("", index=raw.index, dtype=object)
    if col.required:
        reasons = reasons.where(~empty, "required, but empty")
    present = ~empty
    # control characters, bidi overrides and NUL are refused in every column (data/limits.yaml): stored,
    # they would forge lines of a history on screen or recolour a terminal
    controlled = present & values.str.contains(limits().control_pattern(multiline=False), regex=True)
    if controlled.any():
        shown = values.where(controlled, "").map(lambda v: _control_reason(v) if v else "")
        reasons = reasons.where(~controlled, shown)
        present = present & ~controlled
    if col.kind == "date":
        parsed = pd.to_datetime(values.where(present, None), format="%Y-%m-%d", errors="coerce")
        bad = present & parsed.isna()
        reasons = reasons.where(~bad, "not a date, expected YYYY-MM-DD")
        # a real calendar date outside pandas' range (1677-2262) is a typo like 9999-12-31, not a bad format
        in_calendar = bad & values.map(_iso_date)
        reasons = reasons.where(~in_calendar, f"out of range, expected a date from {MIN_DATE} to {MAX_DATE}")
        values = parsed.dt.strftime("%Y-%m-%d").where(present & ~bad, "").fillna("")
    elif col.kind == "bool":
        low = values.str.lower()
        truth = low.isin(TRUE_WORDS)
        bad = present & ~truth & ~low.isin(FALSE_WORDS)
        reasons = reasons.where(~bad, "not a yes/no value, expected true/false (or yes/no, 1/0)")
        values = pd.Series(np.where(truth, "true", "false"), index=raw.index).where(present & ~bad, "")
    elif col.kind == "choice":
        bad = present & ~values.isin(col.choices)
        reasons = reasons.where(~bad, f"unknown value, expected one of {', '.join(col.choices)}")
    elif col.kind == "json":
        longest_json = limits().json_max_length
        too_long = present & (values.str.len() > longest_json)
        reasons = reasons.where(~too_long, f"longer than {longest_json:,} characters")
        present = present & ~too_long
        parsed_json = values.where(present, "").map(_json_object)
        bad = present & parsed_json.isna()
        reasons = reasons.where(~bad, 'not a JSON object, expected {"field": value, ...}')
        values = parsed_json.where(~bad, "").fillna("")
    if col.max_length is not None:
        bad = present & (values.str.len() > col.max_length) & (reasons == "")
        reasons = reasons.where(~bad, f"longer than {col.max_length:,} characters")
    if col.pattern is not None:
        bad = present & ~values.str.fullmatch(col.pattern) & (reasons == "")
        reasons = reasons.where(~bad, f"badly formed, expected to match {col.pattern}")
    return values, reasons


def _control_reason(value: str) -> str:
    found = limits().control_pattern(multiline=False).search(value)
    code = f"U+{ord(found.group()):04X}" if found else "?"
    if code in ("U+000A", "U+000D"):
        return "contains a line break, expected text on one line"
    return f"contains a control character ({code}), expected plain text"


def limit_problems(
    rows: pd.DataFrame, table: str, today: dt.date, born: pd.Series | None = None
) -> list[Problem]:
    """Dates outside the plausible ranges of data/limits.yaml, checked a whole column at a time.

    Parameters
    ----------
    rows : DataFrame
        Canonical cells (dates ``YYYY-MM-DD`` or ``""``), index = data row - 1.
    table : str
        The table the rows go to (``person``, ``outcome``...), naming the fields in the limits.
    today : date
    born : Series, optional
        Each row's date of birth (``YYYY-MM-DD`` or missing), for the age at each event.
    """
    from desist.domain.limits import birth_date_range

    lim = limits()
    problems: list[Problem] = []
    latest = lim.latest(today).isoformat()
    born_text = None if born is None else born.fillna("").astype(str)
    for name in rows.columns:
        field = f"{table}.{name}"
        values = rows[name]
        if name in ("date_of_birth",) and table == "person":
            lo, hi = (d.isoformat() for d in birth_date_range(today))
            bad = (values != "") & ((values < lo) | (values > hi))
            reason = (
                f"out of range, expected a date of birth from {lo} to {hi} "
                f"(at least {lim.min_age_years} years ago)"
            )
            problems += [Problem(i + 1, name, cell(values, i), reason) for i in positions(bad)]
            continue
        if field not in lim.not_future and field not in lim.within_life:
            continue
        present = values != ""
        early = present & (values < lim.earliest.isoformat())
        reason = f"out of range, expected {lim.earliest} or later"
        problems += [Problem(i + 1, name, cell(values, i), reason) for i in positions(early)]
        if field in lim.not_future:
            future = present & ~early & (values > latest)
            reason = f"in the future, expected {today} or earlier"
            problems += [Problem(i + 1, name, cell(values, i), reason) for i in positions(future)]
        if field in lim.within_life and born_text is not None:
            known = present & ~early & (born_text != "")
            # ISO dates compare as text; "born + N years" is the year moved on, which for 29 February gives
            # a non-date that still sorts between the 28th and 1 March, as the bound should
            year = pd.to_numeric(born_text.str[:4], errors="coerce").fillna(0).astype(int)
            rest = born_text.str[4:]
            lo = (year + lim.min_age_years).astype(str).str.zfill(4) + rest
            hi = (year + lim.max_age_years).astype(str).str.zfill(4) + rest
            outside = known & ((values < lo) | (values > hi))
            for i in positions(outside):
                reason = (
                    f"out of range, expected a date when he was {lim.min_age_years} to "
                    f"{lim.max_age_years} years old ({cell(lo, i)} to {cell(hi, i)})"
                )
                problems.append(Problem(i + 1, name, cell(values, i), reason))
    return problems


def _json_object(text: str) -> str | None:
    if not text:
        return ""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        # RecursionError: nesting deeper than the interpreter's recursion limit ([[[[...]]]]); a cell of
        # tool inputs is a flat object, so such a cell is simply not one
        return None
    return json.dumps(value, sort_keys=True) if isinstance(value, dict) else None
