"""Read a file of records a chunk at a time, so memory does not grow with the file (risk, recommend).

Formats: a JSON list of objects (decoded object by object), a CSV with a header row (pyarrow's streaming
reader, every cell read as text exactly as :func:`desist.adapters.records.read_records` reads it: stripped, an
empty cell missing), or Parquet (row groups in batches). Each chunk offers its records as columns (for the
vectorised checks) and one by one as the record path sees them (for the doubtful rows and for
``desist recommend``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desist.adapters.csv_header import header_problem
from desist.domain.errors import InputError

CHUNK_ROWS = 50_000
_BLOCK = 1 << 20  # characters of JSON read at a time
_MAX_RECORD = 16 << 20  # characters one record may take
_CSV_BLOCK = 1 << 20  # bytes of CSV parsed at a time
_ESCAPED = r"^'([=+\-@\t\r'])"  # spreadsheet.restore's pattern, as a pyarrow (RE2) rewrite


@dataclass(frozen=True)
class Chunk:
    """Records ``first_row .. first_row + n - 1`` of a file (1-based)."""

    first_row: int
    n: int
    columns: dict[str, Any]  # name -> pyarrow array or list of Python values
    _rows: list[dict[str, Any]] | None = None

    def record(self, i: int) -> dict[str, Any]:
        """Record ``i`` of the chunk as the record path reads it (Python values, None when missing)."""
        if self._rows is not None:
            return self._rows[i]
        return {k: (v[i].as_py() if hasattr(v, "type") else v[i]) for k, v in self.columns.items()}

    def records(self) -> list[dict[str, Any]]:
        """Every record of the chunk as a dict."""
        if self._rows is not None:
            return self._rows
        import pyarrow as pa

        rows: list[dict[str, Any]] = pa.table(self.columns).to_pylist()
        return rows


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in (".json", ".csv"):
        return suffix[1:]
    with path.open("rb") as fh:
        head = fh.read(4096).decode("utf-8-sig", errors="replace").lstrip()
    if head.startswith("PAR1"):
        return "parquet"
    return "json" if head[:1] in ("[", "{") else "csv"


def read_chunks(path: Path, chunk_rows: int | None = None) -> Iterator[Chunk]:
    """Chunks of the records in ``path`` (JSON list, CSV with a header row, or Parquet).

    Raises
    ------
    InputError
        The file is missing or unreadable, or not a list of objects / a CSV with a header / Parquet; raised
        when the problem is met, which may be after earlier chunks were yielded.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"input file {path}: not found, expected a JSON, CSV or Parquet file of records")
    try:
        kind = _kind(path)
    except OSError as exc:
        raise InputError(f"input file {path}: cannot be read ({type(exc).__name__})") from None
    reader = {"json": _json_chunks, "csv": _csv_chunks, "parquet": _parquet_chunks}[kind]
    return reader(path, chunk_rows or CHUNK_ROWS)


# ---------------------------------------------------------------------------------------------------- JSON
def _no_constant(name: str) -> Any:
    # NaN and Infinity are not JSON; Python's decoder accepts them, and a NaN would read as "missing"
    raise ValueError(f"{name} is not a JSON value")


def _json_chunks(path: Path, chunk_rows: int) -> Iterator[Chunk]:
    decoder = json.JSONDecoder(parse_constant=_no_constant)
    try:
        fh = path.open(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"input file {path}: cannot be read ({type(exc).__name__})") from None
    with fh:
        buf, pos, line_base, eof = "", 0, 1, False

        def fill() -> None:
            nonlocal buf, pos, line_base, eof
            line_base += buf.count("\n", 0, pos)
            buf = buf[pos:]
            pos = 0
            try:
                more = fh.read(_BLOCK)
            except UnicodeDecodeError:
                raise InputError(
                    f"input file {path}: cannot be read (UnicodeDecodeError), expected a UTF-8 JSON file"
                ) from None
            eof = not more
            buf += more

        def skip_ws() -> str:
            nonlocal pos
            while True:
                while pos < len(buf) and buf[pos] in " \t\r\n":
                    pos += 1
                if pos < len(buf) or eof:
                    return buf[pos : pos + 1]
                fill()

        def where(at: int | None = None) -> str:
            at = pos if at is None else at
            line = line_base + buf.count("\n", 0, at)
            col = at - (buf.rfind("\n", 0, at) + 1) + 1
            return f"line {line} column {col}"

        first = skip_ws()
        if first != "[":
            try:
                what = type(decoder.raw_decode(buf, pos)[0]).__name__ if first else "nothing"
            except json.JSONDecodeError as exc:
                if first in '{"':
                    what = {"{": "dict", '"': "str"}[first]
                else:
                    raise InputError(
                        f"input file {path}: invalid JSON at line {exc.lineno} column {exc.colno} "
                        f"({exc.msg}), "
                        "expected a JSON list of objects"
                    ) from None
            except (ValueError, RecursionError):
                what = "value"
            raise InputError(f"input file {path}: top level is a {what}, expected a JSON list of objects")
        pos += 1
        rows: list[dict[str, Any]] = []
        row = 1
        n_read = 0
        while True:
            c = skip_ws()
            if c == "]" and n_read == 0:
                pos += 1
                break
            while True:  # decode one value; read more text while it is cut off by the buffer's end
                try:
                    value, end = decoder.raw_decode(buf, pos)
                    break
                except json.JSONDecodeError as exc:
                    # cut off by the end of the text read so far: read more (a record is far smaller
                    # than _MAX_RECORD, so a real error is reported after at most that much more text)
                    if not eof and len(buf) - pos < _MAX_RECORD:
                        fill()
                        continue
                    raise InputError(
                        f"input file {path}: invalid JSON at {where(exc.pos)} ({exc.msg}), "
                        "expected a JSON list of objects"
                    ) from None
                except (ValueError, RecursionError) as exc:
                    # json refuses integers of more than 4300 digits (ValueError) and nesting deeper than the
                    # interpreter's recursion limit; NaN / Infinity are refused by _no_constant
                    reason = (
                        "nested too deeply"
                        if isinstance(exc, RecursionError)
                        else "a number too long to read"
                        if "digits" in str(exc)
                        else str(exc)
                    )
                    raise InputError(
                        f"input file {path}: {reason}, expected a JSON list of flat objects"
                    ) from None
            if not isinstance(value, dict):
                raise InputError(
                    f"input file {path}: record {row + len(rows)} is a {type(value).__name__}, "
                    "expected an object"
                )
            rows.append(value)
            n_read += 1
            pos = end
            if len(rows) == chunk_rows:
                yield _chunk_of(rows, row)
                row += len(rows)
                rows = []
            c = skip_ws()
            if c == ",":
                pos += 1
                continue
            if c == "]":
                pos += 1
                break
            raise InputError(
                f"input file {path}: invalid JSON at {where()} (expected ',' or ']'), "
                "expected a JSON list of objects"
            )
        if skip_ws() != "":
            raise InputError(f"input file {path}: invalid JSON at {where()} (extra data after the list)")
        if rows:
            yield _chunk_of(rows, row)


def _chunk_of(rows: list[dict[str, Any]], first_row: int) -> Chunk:
    names = list(dict.fromkeys(k for r in rows for k in r))
    return Chunk(first_row, len(rows), {k: [r.get(k) for r in rows] for k in names}, rows)


# ---------------------------------------------------------------------------------------------------- CSV
def _header(path: Path) -> list[str]:
    """The header row, checked as :func:`desist.adapters.records.read_records` checks it."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            first = next(csv.reader(io.StringIO(fh.readline())), [])
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"input file {path}: cannot be read ({type(exc).__name__}), expected a UTF-8 CSV file"
        ) from None
    names = [h.strip() for h in first]
    if not names or not any(names):
        raise InputError(
            f"input file {path}: no header row, expected a CSV with field names in the first row"
        )
    problem = header_problem(names)
    if problem is not None:
        raise InputError(f"input file {path}: {problem}")
    return names


def _recut(batches: Iterable[Any], rows: int) -> Iterator[Any]:
    """The record batches cut again into batches of ``rows`` rows (the last may be shorter)."""
    import pyarrow as pa

    rest: Any = None
    for batch in batches:
        table = pa.Table.from_batches([batch])
        if rest is not None:
            table = pa.concat_tables([rest, table])
        while table.num_rows >= rows:
            yield table.slice(0, rows).combine_chunks().to_batches()[0]
            table = table.slice(rows)
        rest = table if table.num_rows else None
    if rest is not None:
        yield rest.combine_chunks().to_batches()[0]


def _csv_chunks(path: Path, chunk_rows: int) -> Iterator[Chunk]:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pv

    names = _header(path)
    # every cell as text, as the record path reads it; pyarrow parses the file in C++ a block at a time
    opts = pv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()),
        null_values=[""],
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )
    # the reader parses ~two dozen blocks ahead of the one asked for: 1 MB blocks keep that to ~35 MB (8 MB
    # blocks held ~200 MB, most of a 1,000,000-men run's main process); a record must fit in a block (the
    # record path's csv module refuses a cell over 128 KB)
    read = pv.ReadOptions(column_names=names, skip_rows=1, block_size=_CSV_BLOCK, encoding="utf-8")
    row = 1
    try:
        # a quoted cell may hold a line break, as the csv module (the record path) allows
        parse = pv.ParseOptions(newlines_in_values=True)
        reader = pv.open_csv(path, read_options=read, parse_options=parse, convert_options=opts)
        for part in _recut(reader, chunk_rows):
            cols: dict[str, Any] = {}
            for name, arr in zip(names, part.columns, strict=True):
                if not name:
                    continue
                text = pc.utf8_trim_whitespace(arr)
                # undo the apostrophe desist's CSV writers put before a formula-like cell
                # (desist.adapters.spreadsheet.restore, as the record path's reader does)
                text = pc.replace_substring_regex(text, pattern=_ESCAPED, replacement=r"\1")
                cols[name] = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
            yield Chunk(row, part.num_rows, cols)
            row += part.num_rows
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        detail = str(exc).split("CSV parse error: ")[-1].split("\n")[0]
        raise InputError(
            f"input file {path}: cannot be read near record {row} ({detail}), "
            "expected a comma-separated UTF-8 CSV with one cell per header"
        ) from None


# ---------------------------------------------------------------------------------------------------- Parquet
def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[Chunk]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(
            f"input file {path}: cannot be read ({type(exc).__name__}), expected a JSON, CSV or Parquet file"
        ) from None
    row = 1
    for batch in pf.iter_batches(batch_size=chunk_rows):
        yield Chunk(row, batch.num_rows, dict(zip(batch.schema.names, batch.columns, strict=True)))
        row += batch.num_rows
