"""Options of the commands that read a file of records and write a result for each (risk, recommend)."""

from __future__ import annotations

from enum import StrEnum

import typer

from desist.entrypoints.cli.options import Format  # the one output-format vocabulary of the CLI


class OnError(StrEnum):
    fail = "fail"
    skip = "skip"


FormatOpt = typer.Option(Format.TABLE, "--format", help="Output format.")
RejectsOpt = typer.Option(None, "--rejects", help="CSV file for skipped records (a new file unless --force).")
ForceOpt = typer.Option(False, "--force", help="Replace the --rejects file if it exists.")
