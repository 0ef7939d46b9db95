"""Read, validate and write bulk records for ``desist risk`` and ``desist recommend``.

Files are a JSON list of objects or a CSV with a header row (empty cells become None). Each record is
validated with a pydantic model; every problem becomes one line naming the record (row number and id), the
field and what was expected, e.g. ``record 3 (id P-003): field 'age': 7 is out of range, expected 10 to 110``.
Callers validate and score everything before writing anything, so a failing run leaves no half-written output.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from desist.adapters.csv_header import header_problem
from desist.adapters.spreadsheet import restore
from desist.domain.errors import InputError
from desist.domain.risk.base import FieldError
from desist.domain.risk.rejects import Reject, record_id, to_reject

__all__ = ["Reject", "Validated", "read_records", "record_id", "to_reject", "validate_records"]

OnError = Literal["fail", "skip"]
OutputFormat = Literal["json", "csv", "table"]


@dataclass
class Validated:
    """Validated records as (1-based row, model), plus the rejects."""

    valid: list[tuple[int, BaseModel]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------- reading
def read_records(path: Path) -> list[dict[str, Any]]:
    """Read a JSON list of objects or a CSV (header row) into dicts; empty CSV cells become None.

    Raises
    ------
    InputError
        The file is missing, unreadable, or not a list of objects / a CSV with a header.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"input file {path}: not found, expected a JSON or CSV file of records") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"input file {path}: cannot be read ({type(exc).__name__}), expected a UTF-8 JSON or CSV file"
        ) from None
    if path.suffix.lower() == ".json" or (path.suffix.lower() != ".csv" and text.lstrip()[:1] in "[{"):
        return _parse_json(text, path)
    return _parse_csv(text, path)


def _parse_json(text: str, path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"input file {path}: invalid JSON at line {exc.lineno} column {exc.colno} ({exc.msg}), "
            f"expected a JSON list of objects"
        ) from None
    except (ValueError, RecursionError) as exc:
        # json.loads refuses integers of more than 4300 digits (ValueError) and nesting deeper than the
        # interpreter's recursion limit (RecursionError); neither can be a record a person wrote
        reason = "nested too deeply" if isinstance(exc, RecursionError) else "a number too long to read"
        raise InputError(f"input file {path}: {reason}, expected a JSON list of flat objects") from None
    if not isinstance(data, list):
        raise InputError(
            f"input file {path}: top level is a {type(data).__name__}, expected a JSON list of objects"
        )
    for i, rec in enumerate(data, start=1):
        if not isinstance(rec, dict):
            raise InputError(f"input file {path}: record {i} is a {type(rec).__name__}, expected an object")
    return data


def _parse_csv(text: str, path: Path) -> list[dict[str, Any]]:
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or not any(h.strip() for h in reader.fieldnames):
        raise InputError(
            f"input file {path}: no header row, expected a CSV with field names in the first row"
        )
    problem = header_problem([h.strip() for h in reader.fieldnames])
    if problem is not None:
        raise InputError(f"input file {path}: {problem}")
    out = []
    for i, row in enumerate(reader, start=1):
        if None in row:  # more cells than headers
            raise InputError(
                f"input file {path}: record {i} has {len(reader.fieldnames) + len(row[None])} cells, "
                f"expected {len(reader.fieldnames)} (one per header)"
            )
        out.append(
            {k.strip(): (restore(v.strip()) if v is not None and v.strip() else None) for k, v in row.items()}
        )
    return out


# ----------------------------------------------------------------------------------------------------
# validation
def validate_records(
    records: Sequence[dict[str, Any]], model: type[BaseModel], *, on_error: OnError = "fail"
) -> Validated:
    """Validate each record with ``model``.

    Parameters
    ----------
    records : sequence of dict
        As read by :func:`read_records`.
    model : pydantic model class
        The input model (extra fields are ignored by the risk models).
    on_error : {"fail", "skip"}
        ``fail`` raises on the first bad record (after checking them all); ``skip`` returns the rejects.

    Raises
    ------
    InputError
        ``on_error="fail"`` and a record is invalid: the first reject's one-line message.
    """
    result = Validated()
    for row, rec in enumerate(records, start=1):
        try:
            result.valid.append((row, model.model_validate(rec)))
        except (ValidationError, FieldError) as exc:
            result.rejects.append(to_reject(row, rec, exc, model))
    if on_error == "fail" and result.rejects:
        raise InputError(str(result.rejects[0]))
    return result


# ---------------------------------------------------------------------------------------------------- writing
def write_rejects(
    path: Path,
    rejects: Iterable[Reject],
    *,
    not_over: Path | None = None,
    force: bool = False,
    protect: Iterable[Path] = (),
) -> None:
    """Write rejected records as CSV with columns row,id,field,value,message (formulas neutralised).

    Parameters
    ----------
    path : Path
    rejects : iterable of Reject
    not_over : Path, optional
        The input file: refused as the rejects path, so a typo cannot overwrite the records being read.
    force : bool
        Replace an existing file (never the input or a database).
    protect : iterable of Path
        Other files that must not be written (e.g. the database).

    Raises
    ------
    InputError
        The file cannot be written (a folder, a missing folder, no permission, disk full), it is the input
        file or a database, or it exists and ``force`` is not given.
    """
    from desist.adapters import files, spreadsheet

    guarded = [*protect, *([not_over] if not_over is not None else [])]
    rows = ([r.row, r.id or "", r.field, "" if r.value is None else r.value, str(r)] for r in rejects)
    with files.atomic_open(path, protect=guarded, force=force, what="--rejects", newline="") as fh:
        spreadsheet.write_rows(fh, ["row", "id", "field", "value", "message"], rows)


def flatten(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten nested dicts into dotted column names; lists become JSON text."""
    out: dict[str, Any] = {}
    for k, v in row.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, f"{name}."))
        elif isinstance(v, list | tuple):
            out[name] = json.dumps(v, default=str)
        else:
            out[name] = v
    return out


def write_output(rows: list[dict[str, Any]], fmt: OutputFormat, title: str) -> None:
    """Write result rows to stdout as JSON (a list), CSV (flattened, dotted names) or a Rich table."""
    if fmt == "json":
        sys.stdout.write(json.dumps(rows, indent=2, default=str) + "\n")
        return
    flat = [flatten(r) for r in rows]
    columns: list[str] = list(dict.fromkeys(c for r in flat for c in r))
    if fmt == "csv":
        from desist.adapters import spreadsheet

        # stdout is usually redirected to a file that someone opens in a spreadsheet
        spreadsheet.write_rows(sys.stdout, columns, ([r.get(c) for c in columns] for r in flat), "\n")
        return
    if fmt == "table":
        from rich.console import Console
        from rich.table import Table

        if not rows:
            Console().print(f"{title}: no records", markup=False)
            return

        table = Table(title=title)
        for c in columns:
            table.add_column(c, overflow="fold")
        for r in flat:
            table.add_row(*("" if r.get(c) is None else _cell(r.get(c)) for c in columns))
        Console().print(table)
        return
    raise InputError(f"--format {fmt!r}: unknown, expected json, csv or table")


def _cell(v: Any) -> Any:
    """A table cell as Rich Text: never read as markup ("[red]"), control characters shown escaped."""
    from rich.text import Text

    from desist.domain.limits import visible

    return Text(visible(f"{v:.4g}" if isinstance(v, float) else str(v)))
