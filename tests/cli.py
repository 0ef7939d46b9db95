"""Run the ``desist`` command line in-process, as the console script would, for the CLI tests."""

from __future__ import annotations

from typing import Any

from desist.entrypoints.cli.app import main


def run_cli(argv: list[str], capsys: Any) -> tuple[int, str, str]:
    """Run ``desist ARGV``; return (exit status, stdout, stderr) captured by pytest's ``capsys``."""
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err
