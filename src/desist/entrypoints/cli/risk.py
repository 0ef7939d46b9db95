"""``desist risk``: score a file of records with one risk tool.

Every record is validated and scored before anything is written, so a bad record (with ``--on-error fail``)
leaves no partial output: one line on stderr and exit status 2.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel

from desist.domain.errors import DesistError
from desist.entrypoints.cli.record_files import ForceOpt, Format, FormatOpt, OnError, RejectsOpt


class Tool(StrEnum):
    osp = "osp"
    static99r = "static99r"
    rm2000 = "rm2000"
    pni = "pni"


@dataclass(frozen=True)
class ToolSpec:
    title: str
    model: type[BaseModel]
    score: Callable[[Any], Any]


def tool_spec(tool: Tool) -> ToolSpec:
    """Input model and scorer for a tool (imported lazily: nothing heavy at CLI start-up)."""
    from desist.domain.risk import osp, pni, rm2000, static99r

    return {
        Tool.osp: ToolSpec("OSP/DC and OSP/IIC", osp.OspInput, osp.score),
        Tool.static99r: ToolSpec("Static-99R", static99r.Static99RInput, static99r.score),
        Tool.rm2000: ToolSpec("Risk Matrix 2000", rm2000.Rm2000Input, rm2000.score),
        Tool.pni: ToolSpec("Programme Needs Identifier", pni.PniInput, pni.score),
    }[tool]


def _has_osp_fields(rec: dict[str, Any]) -> bool:
    from desist.domain.risk.osp import SEXUAL_SANCTION_FIELDS

    return any(rec.get(f) is not None for f in SEXUAL_SANCTION_FIELDS)


def score_records(
    tool: Tool, records: list[dict[str, Any]], on_error: str
) -> tuple[list[dict[str, Any]], list[Any]]:
    """Validate and score every record; return (output rows, rejects). Raises InputError on ``fail``."""
    from pydantic import ValidationError

    from desist.adapters.records import to_reject, validate_records
    from desist.domain.errors import InputError
    from desist.domain.risk import osp
    from desist.domain.risk.base import FieldError

    spec = tool_spec(tool)
    checked = validate_records(records, spec.model, on_error="skip")
    rows: list[tuple[int, dict[str, Any]]] = []
    rejects = list(checked.rejects)
    for row, inp in checked.valid:
        rec = records[row - 1]
        try:
            if tool is Tool.pni and _has_osp_fields(rec):
                # the record carries OSP inputs: its OSP bands are computed, not taken from the file
                o = osp.score(osp.OspInput.model_validate(rec))
                inp = inp.model_copy(update={"osp_dc_band": o.dc.band, "osp_iic_band": o.iic.band})
            rows.append((row, {"id": getattr(inp, "id", None), **spec.score(inp).to_dict()}))
        except (ValidationError, FieldError) as exc:
            # OSP inputs of a PNI record, or a rule checked while scoring: a reject like any other
            rejects.append(to_reject(row, rec, exc, osp.OspInput))
    rejects.sort(key=lambda r: r.row)
    if rejects and on_error == OnError.fail:
        raise InputError(str(rejects[0]))
    return [r for _, r in sorted(rows, key=lambda t: t[0])], rejects


def _without_items(row: dict[str, Any]) -> dict[str, Any]:
    return {k: _without_items(v) if isinstance(v, dict) else v for k, v in row.items() if k != "items"}


def register(app: typer.Typer) -> None:
    """Add ``desist risk`` to the app."""

    @app.command("risk")
    def risk(
        tool: Tool = typer.Option(..., "--tool", help="Risk tool to score."),
        input_path: Path = typer.Option(
            ..., "--input", help="JSON list or CSV of records (see docs/risk-tools.md)."
        ),
        fmt: Format = FormatOpt,
        on_error: OnError = typer.Option(
            OnError.fail,
            "--on-error",
            help="fail: stop at a bad record, write nothing; skip: score the rest.",
        ),
        rejects_path: Path | None = RejectsOpt,
        force: bool = ForceOpt,
    ) -> None:
        """Score OSP, Static-99R, RM2000 or the PNI for every record in a file."""
        from desist.adapters.records import read_records, write_output, write_rejects
        from desist.entrypoints.cli.app import fail

        try:
            records = read_records(input_path)
            rows, rejects = score_records(tool, records, on_error.value)
        except DesistError as exc:
            raise fail(exc.message) from None
        if rejects_path is not None:
            write_rejects(rejects_path, rejects, not_over=input_path, force=force)
        # a table is read on screen: it shows scores and bands, and leaves item breakdowns to json/csv
        shown = [_without_items(r) for r in rows] if fmt is Format.table else rows
        write_output(shown, fmt.value, tool_spec(tool).title)
        for r in rejects:
            typer.echo(f"skipped: {r}", err=True)
