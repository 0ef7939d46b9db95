"""``desist risk``: score a file of records with one risk tool.

The file is read, validated, scored and written a chunk at a time (memory does not grow with the file); the
output is spooled and written only when the whole file succeeded, so a bad record (with ``--on-error fail``)
leaves no partial output: one line on stderr and exit status 2.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from desist.domain.errors import DesistError
from desist.entrypoints.cli.record_files import ForceOpt, Format, FormatOpt, OnError, RejectsOpt, Skipped


class Tool(StrEnum):
    osp = "osp"
    static99r = "static99r"
    rm2000 = "rm2000"
    pni = "pni"


def register(app: typer.Typer) -> None:
    """Add ``desist risk`` to the app."""

    @app.command("risk")
    def risk(
        tool: Tool = typer.Option(..., "--tool", help="Risk tool to score."),
        input_path: Path = typer.Option(
            ..., "--input", help="JSON list, CSV or Parquet file of records (see docs/risk-tools.md)."
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
        from desist.adapters.record_stream import read_chunks
        from desist.adapters.result_writers import ResultWriter
        from desist.domain.risk.registry import get_tool
        from desist.entrypoints.cli.app import fail
        from desist.services.scoring import score_chunks

        writer = ResultWriter(fmt.value, tool.value, get_tool(tool.value).title)
        skipped = Skipped()
        try:
            skipped.open(rejects_path, input_path, force)
            for scores in score_chunks(tool.value, read_chunks(input_path), on_error.value):
                writer.write(scores.frame)
                skipped.add(scores.rejects)
        except DesistError as exc:
            writer.discard()
            skipped.discard()
            raise fail(exc.message) from None
        writer.finish()
        skipped.finish()
