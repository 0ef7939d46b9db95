"""Options of the commands that read a file of records and write a result for each (risk, recommend), and
the records they skip."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from desist.entrypoints.cli.options import Format  # the one output-format vocabulary of the CLI


class OnError(StrEnum):
    fail = "fail"
    skip = "skip"


FormatOpt = typer.Option(Format.TABLE, "--format", help="Output format.")
RejectsOpt = typer.Option(None, "--rejects", help="CSV file for skipped records (a new file unless --force).")
ForceOpt = typer.Option(False, "--force", help="Replace the --rejects file if it exists.")


class Skipped:
    """The records a run skips (``--on-error skip``): written to the ``--rejects`` file, if one is given, as
    they come; on stderr at the end, the first thousand one a line and a count of the rest."""

    SHOWN = 1000

    def __init__(self) -> None:
        self.file: Any = None
        self.shown: list[str] = []
        self.count = 0

    def open(self, path: Path | None, input_path: Path, force: bool) -> None:
        """Write the rejects to ``path`` (never over ``input_path``; an existing file only with ``force``)."""
        if path is not None:
            from desist.adapters.result_writers import RejectsFile

            self.file = RejectsFile(path, not_over=input_path, force=force)

    def add(self, rejects: Sequence[Any]) -> None:
        if self.file is not None:
            self.file.write(rejects)
        self.shown += [f"skipped: {r}" for r in rejects[: max(0, self.SHOWN - len(self.shown))]]
        self.count += len(rejects)

    def discard(self) -> None:
        """The run failed: no rejects file is left."""
        if self.file is not None:
            self.file.discard()

    def finish(self) -> None:
        """The run succeeded: the rejects file takes its place, and the skipped records are listed."""
        if self.file is not None:
            self.file.finish()
        for line in self.shown:
            typer.echo(line, err=True)
        if self.count > len(self.shown):  # the first thousand are shown; --rejects keeps them all
            typer.echo(f"skipped: {self.count - len(self.shown)} more records (see --rejects)", err=True)
