"""``desist recommend``: which programmes each man in a file should be offered, and why not the others.

The file is read, validated and recommended for a chunk of men at a time (memory does not grow with the file);
the output is spooled and written only when the whole file succeeded, so a bad record (with ``--on-error
fail``) leaves no partial output: one line on stderr naming the record and field, exit status 2.
"""

from __future__ import annotations

import functools
from pathlib import Path

import typer

from desist.domain.errors import DesistError
from desist.entrypoints.cli.record_files import ForceOpt, Format, FormatOpt, OnError, RejectsOpt, Skipped

#: men per chunk: a recommendation with every programme's reasons is ~13 KB, so 5,000 hold ~65 MB
CHUNK_MEN = 5_000
#: files above this size are worked on by two processes
PARALLEL_FROM_BYTES = 8 << 20


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # read_chunks reports it


def register(app: typer.Typer) -> None:
    """Add ``desist recommend`` to the app."""

    @app.command("recommend")
    def recommend_cmd(
        input_path: Path = typer.Option(
            ..., "--input", help="JSON list, CSV or Parquet file of men (fields in docs/recommend.md)."
        ),
        as_of: str | None = typer.Option(
            None, "--as-of", help="Date of the menu (YYYY-MM-DD) for records without their own as_of."
        ),
        fmt: Format = FormatOpt,
        on_error: OnError = typer.Option(
            OnError.fail, "--on-error", help="fail: stop at a bad record, write nothing; skip: do the rest."
        ),
        rejects_path: Path | None = RejectsOpt,
        force: bool = ForceOpt,
        offer_low_risk: bool = typer.Option(
            False, "--policy-offer-low-risk", help="Offer programmes to low-risk men (off by default)."
        ),
    ) -> None:
        """Recommend programmes for every man in a file, with a reason for every programme not offered."""
        import os

        from rich.console import Console

        from desist.adapters.recommendation_views import CSV_COLUMNS, write_block
        from desist.adapters.record_stream import read_chunks
        from desist.adapters.result_writers import PartsSpool
        from desist.domain.pathways import Policy
        from desist.entrypoints.cli.app import fail
        from desist.services.recommendations import parse_day, recommend_rendered

        spool = PartsSpool()
        skipped = Skipped()
        n = 0
        # a big file is shared between two processes (a man's recommendation takes ~0.3 ms of CPU)
        workers = min(2, os.cpu_count() or 1) if _size(input_path) > PARALLEL_FROM_BYTES else 1
        try:
            day = parse_day(as_of, "--as-of")
            skipped.open(rejects_path, input_path, force)
            chunks = read_chunks(input_path, CHUNK_MEN)
            policy = Policy(offer_low_risk=offer_low_risk)
            # each chunk is rendered and written where it was recommended (in a worker process); only where
            # its text lies comes back
            render = functools.partial(write_block, folder=spool.folder, fmt=fmt.value, width=Console().width)
            if fmt is Format.CSV:
                spool.write_bytes((",".join(CSV_COLUMNS) + "\n").encode())
            for piece, rejects in recommend_rendered(chunks, day, policy, on_error.value, render, workers):
                if piece.length and fmt is Format.JSON:  # a JSON list: "[", the objects separated by ",", "]"
                    spool.write_bytes(b"[\n" if n == 0 else b",\n")
                    n += 1
                spool.add(piece)
                skipped.add(rejects)
            if fmt is Format.JSON:
                spool.write_bytes(b"\n]\n" if n else b"[]\n")
            spool.commit()
        except DesistError as exc:
            skipped.discard()
            raise fail(exc.message) from None
        finally:
            spool.discard()  # (after a commit there is nothing left to remove but the folder)
        skipped.finish()
