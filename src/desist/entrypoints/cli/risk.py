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
from desist.entrypoints.cli.record_files import ForceOpt, Format, FormatOpt, OnError, RejectsOpt


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
        from desist.adapters.result_writers import RejectsFile, ResultWriter
        from desist.domain.risk.registry import get_tool
        from desist.entrypoints.cli.app import fail
        from desist.services.scoring import score_chunks

        writer = ResultWriter(fmt.value, tool.value, get_tool(tool.value).title)
        rejects_file = None
        skipped: list[str] = []
        n_skipped = 0
        try:
            if rejects_path is not None:
                rejects_file = RejectsFile(rejects_path, not_over=input_path, force=force)
            for scores in score_chunks(tool.value, read_chunks(input_path), on_error.value):
                writer.write(scores.frame)
                if rejects_file is not None:
                    rejects_file.write(scores.rejects)
                skipped += [f"skipped: {r}" for r in scores.rejects[: max(0, 1000 - len(skipped))]]
                n_skipped += len(scores.rejects)
        except DesistError as exc:
            writer.discard()
            if rejects_file is not None:
                rejects_file.discard()
            raise fail(exc.message) from None
        writer.finish()
        if rejects_file is not None:
            rejects_file.finish()
        for line in skipped:
            typer.echo(line, err=True)
        if n_skipped > len(skipped):  # the first thousand are shown; --rejects keeps them all
            typer.echo(f"skipped: {n_skipped - len(skipped)} more records (see --rejects)", err=True)
