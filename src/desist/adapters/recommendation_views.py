"""Views of recommendations for ``desist recommend``: a JSON object per man, a spreadsheet row, a table.

:func:`render_chunk` turns one chunk's recommendations into text; it runs in the worker processes of a big
run, so each chunk is rendered where it was made and only text travels back.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from itertools import chain, islice, repeat
from typing import TYPE_CHECKING, Any

from desist.adapters.spreadsheet import neutralise

if TYPE_CHECKING:
    from rich.console import Console

    from desist.adapters.result_writers import Piece
    from desist.domain.pathways import Recommendation

CSV_COLUMNS = (
    "id",
    "as_of",
    "pathway",
    "risk_basis",
    "risk_band",
    "intensity",
    "recommended",
    "recommended_reasons",
    "excluded",
    "reason",
)


def render_chunk(recs: list[Recommendation], fmt: str, width: int = 80) -> list[str]:
    """One chunk as text: a JSON object per man (``json``), a CSV row per man without header (``csv``), or
    the tables (``table``, ``width`` columns wide)."""
    if fmt == "json":
        return [json_text(r) for r in recs]
    if fmt == "csv":
        return [csv_line(r) for r in recs]
    from rich.console import Console

    buf = io.StringIO()
    render_table(recs, Console(file=buf, width=width))
    return [buf.getvalue()]


def write_block(recs: list[Recommendation], folder: str, fmt: str, width: int = 80) -> Piece:
    """One chunk's text (:func:`render_chunk`: the CSV rows, the JSON objects separated by ",\\n" (the command
    writes the list's brackets and the separator between chunks), or the tables), written piece by piece to
    this process's part of an output in ``folder`` (a worker process writes its own chunks; see
    :class:`desist.adapters.result_writers.PartsSpool`)."""
    from desist.adapters.result_writers import write_part

    pieces: Iterable[str] = render_chunk(recs, fmt, width)
    if fmt == "json":
        pieces = islice(chain.from_iterable(zip(repeat(",\n"), pieces)), 1, None)
    return write_part(folder, pieces)


class _Texts:
    """Text made from immutable objects, memoised by the object's identity: a bulk run shares each run of
    exclusions between many men (see :mod:`desist.domain.pathways`). The memo holds each object, so no other
    object can have its id while the entry lives; it is emptied when full."""

    def __init__(self, make: Callable[[Any], str], limit: int = 250_000) -> None:
        self._make = make
        self._limit = limit
        self._held: list[Any] = []
        self.texts: dict[
            int, str
        ] = {}  # id -> text; read it directly: ``texts.get(id(obj)) or memo.add(obj)``

    def add(self, obj: Any) -> str:
        if len(self._held) >= self._limit:
            self._held.clear()
            self.texts.clear()
        text = self._make(obj)
        self._held.append(obj)
        self.texts[id(obj)] = text
        return text


#: a run of exclusions shared between many men (:attr:`Recommendation.excluded_runs`) as text, once; a run's
#: text is ~1 KB, so the memos hold at most 20,000 (most runs recur within a few thousand men)
_excluded_lines = _Texts(lambda run: " | ".join([e.line for e in run]), limit=20_000)
_excluded_json = _Texts(lambda run: ", ".join([json.dumps(e.to_dict()) for e in run]), limit=20_000)


#: the risk cells (pathway to intensity) as written, by (pathway, basis, band, intensity): few in a run
_RISK_CELLS: dict[tuple[Any, ...], str] = {}


def csv_line(rec: Recommendation) -> str:
    """One man's spreadsheet row (:data:`CSV_COLUMNS`; lists joined with ' | ') as a line of CSV, text cells
    neutralised for spreadsheets, written as ``csv.writer(fh, lineterminator="\n")`` writes them (a test
    compares the two)."""
    a = rec.assessment
    key = (rec.pathway, a.basis, a.band, a.target)
    risk = _RISK_CELLS.get(key)
    if risk is None:
        target = None if a.target is None else str(a.target)
        cells = (str(rec.pathway), a.basis, str(a.band), target)
        risk = _RISK_CELLS[key] = ",".join([_csv_cell(neutralise(c)) for c in cells])
    chosen = rec.recommended
    got, add = _excluded_lines.texts.get, _excluded_lines.add  # every run's text is non-empty
    excluded = " | ".join([got(id(run)) or add(run) for run in rec.excluded_runs if run])
    return (
        f"{_csv_cell(neutralise(rec.id))},{rec.as_of.isoformat()},{risk},"
        f"{_csv_cell(neutralise(';'.join([r.code for r in chosen])))},"
        f"{_csv_cell(neutralise(' | '.join([r.line for r in chosen])))},"
        f"{_csv_cell(neutralise(excluded))},"
        f"{_csv_cell(neutralise(rec.reason))}\n"
    )


def _csv_cell(c: str | None) -> str:
    """A text cell as csv.writer writes it: quoted when it holds a comma, a double quote or a line feed, its
    quotes doubled; None is empty."""
    if c is None:
        return ""
    if "," in c or '"' in c or "\n" in c:
        return '"' + c.replace('"', '""') + '"'
    return c


def _csv_line(cells: list[str | None]) -> str:
    """One row as ``csv.writer(fh, lineterminator="\n")`` writes text cells (a test compares the two)."""
    if len(cells) == 1 and not cells[0]:
        return '""\n'  # a row of one empty cell, quoted so that it is not a blank line
    return ",".join([_csv_cell(c) for c in cells]) + "\n"


def json_text(rec: Recommendation) -> str:
    """``json.dumps(rec.to_dict())``, each shared exclusion's JSON made once (a test compares the two)."""
    dumps = json.dumps
    got, add = _excluded_json.texts.get, _excluded_json.add
    return (
        f'{{"id": {dumps(rec.id)}, "as_of": {dumps(rec.as_of.isoformat())},'
        f' "pathway": {dumps(str(rec.pathway))}, "risk": {dumps(rec.assessment.to_dict())},'
        f' "recommended": [{", ".join([dumps(r.to_dict()) for r in rec.recommended])}],'
        f' "excluded": [{", ".join([got(id(run)) or add(run) for run in rec.excluded_runs if run])}],'
        f' "reason": {dumps(rec.reason)}}}'
    )


def render_table(recs: list[Recommendation], console: Console | None = None) -> None:
    """A programme manager's view: per man, what to offer and why, what not and why not."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from desist.domain.catalogue import default_catalogue
    from desist.domain.limits import visible
    from desist.domain.words import plain

    catalogue = default_catalogue()
    console = console or Console()
    for rec in recs:
        a = rec.assessment
        risk = f"{a.basis} {plain(a.band)}"
        if a.osp.dc.points is not None:
            risk += f" (OSP/DC {a.osp.dc.points} points, {plain(a.osp.dc.band)})"
        # the id comes from the user's file: shown as plain text, never as Rich markup or terminal codes
        title = Text(visible(f"{rec.id or 'record'} · as of {rec.as_of.isoformat()} ({a.era} menu)"))
        caption = f"risk {risk} · PNI pathway {plain(rec.pathway)} · intensity {plain(a.target) or 'none'}"
        table = Table(
            title=title,
            caption=caption,
            title_justify="left",
            caption_justify="left",
            show_lines=True,
            expand=True,
        )
        table.add_column("Programme", ratio=2, overflow="fold")
        table.add_column("Decision", min_width=11, no_wrap=True)
        table.add_column("Why", ratio=5, overflow="fold")
        names = {p.code: p.name for p in catalogue}
        for i, r in enumerate(rec.recommended, start=1):
            table.add_row(_label(r.name, r.code), Text(f"OFFER {i}", style="bold green"), _bullets(r.reasons))
        if rec.reason:
            table.add_row("(none)", Text("NOTHING FITS", style="bold red"), rec.reason)
        off_menu = [e.code for e in rec.excluded if "not_available" in e.kinds]
        for e in rec.excluded:
            if "not_available" not in e.kinds:
                table.add_row(
                    _label(names[e.code], e.code), Text("not offered", style="yellow"), _bullets(e.reasons)
                )
        if off_menu:
            note = f"Not on the menu on {rec.as_of.isoformat()}: {', '.join(off_menu)}."
            table.add_row(
                f"{len(off_menu)} others", Text("not running", style="dim"), Text(note, style="dim")
            )
        console.print(table)
        console.print()


def _label(name: str, code: str) -> str:
    return f"{name}\n[dim]{code}[/dim]"


def _bullets(lines: tuple[str, ...]) -> str:
    return "\n".join(f"• {line}" for line in lines)
