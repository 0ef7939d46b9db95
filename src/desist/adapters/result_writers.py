"""Write ``desist risk`` results a chunk at a time as JSON, CSV or a table that fits 80 columns.

Output goes to a temporary spool file and is copied to its destination only when the whole run succeeded, so
a bad record met late in a big file (with ``--on-error fail``) still leaves nothing half-written, while memory
stays bounded. Probabilities are rounded to 4 significant figures in every format (the OSP model's
coefficients have four); points and bands are exact.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any, NamedTuple

import numpy as np
import pandas as pd

from desist.adapters import spreadsheet
from desist.domain.risk.rejects import Reject

#: the compact table per tool: (header, output column); item breakdowns stay in JSON and CSV
TABLE_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "osp": (
        ("id", "id"),
        ("DC points", "osp_dc.points"),
        ("DC band", "osp_dc.band"),
        ("DC p", "osp_dc.probability"),
        ("IIC band", "osp_iic.band"),
        ("IIC p", "osp_iic.probability"),
    ),
    "static99r": (("id", "id"), ("total", "total"), ("level", "level")),
    "rm2000": (
        ("id", "id"),
        ("S pts", "s.points"),
        ("S", "s.category"),
        ("V pts", "v.points"),
        ("V", "v.category"),
        ("C pts", "c.points"),
        ("C", "c.category"),
    ),
    "pni": (
        ("id", "id"),
        ("need", "need.overall"),
        ("need level", "need.level"),
        ("risk", "risk_level"),
        ("pathway", "pathway"),
    ),
}
_ID_WIDTH = 16
_WORD_WIDTH = {
    "osp_dc.band": 14,  # NOT_APPLICABLE
    "osp_iic.band": 14,
    "need.level": 19,  # MISSING_INFORMATION
    "pathway": 19,  # ALTERNATIVE_PATHWAY
    "risk_level": 6,
}


class Spool:
    """A temporary file that becomes the output only on :meth:`commit`."""

    def __init__(self) -> None:
        # kept open across chunks and closed by commit/discard, so not a with-block
        self._raw = tempfile.TemporaryFile("w+b")  # noqa: SIM115
        self.fh: IO[str] = io.TextIOWrapper(self._raw, encoding="utf-8", newline="", write_through=True)

    def commit(self, dest: IO[str] | None = None) -> None:
        """Copy everything written to ``dest`` (default stdout) and close."""
        out = dest or sys.stdout
        self.fh.flush()
        _Sink(out).copy(self._raw, 0, self._raw.seek(0, io.SEEK_END))
        self.fh.close()

    def discard(self) -> None:
        self.fh.close()


class Piece(NamedTuple):
    """Where one part of an output lies: ``length`` bytes from ``offset`` of the file ``path``."""

    path: str
    offset: int
    length: int


#: this process's part file in each folder it writes to
#: (keyed by process too: a worker forked after this process wrote a part inherits the dict, and must not
#: write through the inherited handle, whose file position it would share)
_PART_FILES: dict[tuple[str, int], IO[bytes]] = {}


def write_part(folder: str, data: bytes | Iterable[str]) -> Piece:
    """Append UTF-8 text (bytes, or texts encoded one at a time: a chunk's text is never held twice) to this
    process's part file in ``folder`` (see :class:`PartsSpool`)."""
    pid = os.getpid()
    fh = _PART_FILES.get((folder, pid))
    if fh is None:
        fh = _PART_FILES[folder, pid] = open(os.path.join(folder, f"part-{pid}"), "ab")  # noqa: SIM115
    offset = fh.tell()
    if isinstance(data, bytes):
        fh.write(data)
    else:
        fh.writelines(map(str.encode, data))
    fh.flush()  # in the file (the page cache) before the piece is handed on
    return Piece(fh.name if isinstance(fh.name, str) else str(fh.name), offset, fh.tell() - offset)


class PartsSpool:
    """An output written in pieces, by this process or by worker processes, to files in a private temporary
    folder; it becomes the output only on :meth:`commit`, which copies the pieces in the order they were
    added. A worker writes its chunk's text itself (:func:`write_part` with :attr:`folder`) and hands back
    only the :class:`Piece`, so the text is not passed between processes."""

    def __init__(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="desist-output-")
        self._pieces: list[Piece] = []

    def write_bytes(self, data: bytes) -> None:
        """Append UTF-8 text written here."""
        self.add(write_part(self.folder, data))

    def add(self, piece: Piece) -> None:
        """Append a piece a worker wrote (with :func:`write_part`)."""
        if piece.length:
            self._pieces.append(piece)

    def commit(self, dest: IO[str] | None = None) -> None:
        """Copy every piece, in order, to ``dest`` (default stdout); then remove the folder."""
        sink = _Sink(dest or sys.stdout)
        files: dict[str, IO[bytes]] = {}
        try:
            for piece in self._pieces:
                src = files.get(piece.path)
                if src is None:
                    src = files[piece.path] = open(piece.path, "rb")  # noqa: SIM115
                sink.copy(src, piece.offset, piece.length)
        finally:
            for src in files.values():
                src.close()
            self.discard()

    def discard(self) -> None:
        """Remove the folder and everything written (safe to call twice)."""
        own = _PART_FILES.pop((self.folder, os.getpid()), None)
        if own is not None:
            own.close()
        shutil.rmtree(self.folder, ignore_errors=True)


class _Sink:
    """Copies byte ranges of files to a text stream: by the kernel (sendfile) where the stream is UTF-8 with a
    descriptor that takes it, else through Python."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        out.flush()
        self.fd: int | None = None
        if (
            hasattr(os, "sendfile")
            and (getattr(out, "encoding", "") or "").lower().replace("-", "") == "utf8"
        ):
            with contextlib.suppress(AttributeError, OSError, io.UnsupportedOperation):
                self.fd = out.fileno()

    def copy(self, src: IO[bytes], offset: int, length: int) -> None:
        done = 0
        if self.fd is not None:
            try:
                while done < length:
                    sent = os.sendfile(self.fd, src.fileno(), offset + done, length - done)
                    if sent == 0:
                        raise OSError("sendfile copied nothing")
                    done += sent
            except OSError:
                if done:
                    raise
                self.fd = None  # the kernel will not: Python copies from here on
        if self.fd is None:
            src.seek(offset)
            decoder = codecs.getincrementaldecoder("utf-8")()
            while done < length:
                block = src.read(min(1 << 20, length - done))
                if not block:
                    raise OSError(f"{src.name}: shorter than expected")
                done += len(block)
                self.out.write(decoder.decode(block, final=done >= length))
        self.out.flush()


def round_sig(x: float | None, digits: int = 4) -> float | None:
    """``x`` to ``digits`` significant figures (None stays None)."""
    return None if x is None else float(f"{x:.{digits}g}")


def _values(series: pd.Series) -> list[Any]:
    """A result column as Python values, None where missing."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    out = series.astype(object).where(series.notna(), None).tolist()
    return [v.item() if isinstance(v, np.generic) else v for v in out]


def nested_rows(frame: pd.DataFrame, *, round_probabilities: bool = True) -> list[dict[str, Any]]:
    """Result rows in the JSON shape (``osp_dc.points`` -> ``{"osp_dc": {"points": ...}}``)."""
    paths = [str(c).split(".") for c in frame.columns]
    cols = []
    for c, path in zip(frame.columns, paths, strict=True):
        values = _values(frame[c])
        if path[-1] == "probability" and round_probabilities:
            values = [round_sig(v) for v in values]
        cols.append(values)
    rows = []
    for i in range(len(frame)):
        row: dict[str, Any] = {}
        for path, values in zip(paths, cols, strict=True):
            node = row
            for key in path[:-1]:
                node = node.setdefault(key, {})
            node[path[-1]] = values[i]
        rows.append(row)
    return rows


class ResultWriter:
    """Writes result frames in one format to a spool; ``finish`` writes the end (JSON's ``]``) and commits."""

    def __init__(self, fmt: str, tool: str, title: str) -> None:
        self.fmt, self.tool, self.title = fmt, tool, title
        self.spool = Spool()
        self.rows = 0
        self.widths: list[int] | None = None

    def write(self, frame: pd.DataFrame) -> None:
        out = self.spool.fh
        if self.fmt == "json":
            for row in nested_rows(frame):
                out.write(("[\n" if self.rows == 0 else ",\n") + json.dumps(row))
                self.rows += 1
        elif self.fmt == "csv":
            shown = frame.copy()
            for c in shown.columns:
                if str(c).endswith("probability"):
                    shown[c] = [round_sig(v) for v in _values(shown[c])]
                elif shown[c].dtype == object:  # free text (the id): no formula a spreadsheet would run
                    shown[c] = shown[c].map(spreadsheet.neutralise, na_action="ignore")
            shown.to_csv(out, index=False, header=self.rows == 0 and self.widths is None, lineterminator="\n")
            self.widths = []  # header written
            self.rows += len(frame)
        else:
            self._table(frame)

    def _table(self, frame: pd.DataFrame) -> None:
        spec = TABLE_COLUMNS[self.tool]
        cells = [[_cell(v) for v in _values(frame[col])] for _, col in spec]
        if self.widths is None:
            self.widths = [
                # a band column is as wide as its longest word, so later chunks line up too
                min(
                    max([len(h), *(len(x) for x in c), _WORD_WIDTH.get(col, 0)]),
                    _ID_WIDTH if col == "id" else 99,
                )
                for (h, col), c in zip(spec, cells, strict=True)
            ]
            self.spool.fh.write(f"{self.title}\n")
            self.spool.fh.write(_line([h for h, _ in spec], self.widths) + "\n")
            self.spool.fh.write(_line(["-" * w for w in self.widths], self.widths) + "\n")
        for i in range(len(frame)):
            self.spool.fh.write(_line([c[i] for c in cells], self.widths) + "\n")
        self.rows += len(frame)

    def finish(self, dest: IO[str] | None = None) -> None:
        if self.fmt == "json":
            self.spool.fh.write("\n]\n" if self.rows else "[]\n")
        elif self.fmt == "table" and self.rows == 0:
            self.spool.fh.write(f"{self.title}: no records\n")
        self.spool.commit(dest)

    def discard(self) -> None:
        self.spool.discard()


def _cell(v: Any) -> str:
    from desist.domain.limits import visible

    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4g}"
    return visible(str(v))  # an id from the user's file never drives the terminal


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    # one left-aligned layout for words and numbers keeps the widths simple and fits 80 columns
    return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()


class _Discard(Exception):
    """Thrown into the atomic writer to drop its temporary file."""


class RejectsFile:
    """The ``--rejects`` CSV (``row,id,field,value,message``, text cells neutralised for spreadsheets),
    written as rejects arrive to a temporary file that replaces ``path`` only on :meth:`finish`
    (:func:`desist.adapters.files.atomic_open`): a failed run leaves no partial file, an existing file is
    kept unless ``force``, and the input file is never written."""

    def __init__(self, path: Path, not_over: Path | None = None, force: bool = False) -> None:
        from desist.adapters import files

        self._stack = contextlib.ExitStack()
        guarded = [not_over] if not_over is not None else []
        self.fh: IO[str] = self._stack.enter_context(
            files.atomic_open(path, protect=guarded, force=force, what="--rejects", newline="")
        )
        self.writer = csv.writer(self.fh, lineterminator=spreadsheet.LINE_END)
        self.writer.writerow(["row", "id", "field", "value", "message"])

    def write(self, rejects: Sequence[Reject]) -> None:
        for r in rejects:
            row = [r.row, r.id or "", r.field, "" if r.value is None else r.value, str(r)]
            self.writer.writerow(spreadsheet.safe_row(row))

    def finish(self) -> None:
        self._stack.close()

    def discard(self) -> None:
        self._stack.__exit__(_Discard, _Discard(), None)
