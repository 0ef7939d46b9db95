"""The end-to-end suite's shared run of ``desist demo``: made once per session (the slowest fixture of the
suite) and read by the demo's own tests and by the browser journey, which serves a copy of its database."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

#: the demo as a new user runs it (``desist demo``: its defaults, 5,000 men, seed 1): the browser journey
#: needs its men still in custody at HMP Whatton (a 1,500-man run holds one beside the demo's own group)
DEMO_MEN, DEMO_SEED = 5000, 1


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int, str, str]]:
    """Run ``desist demo`` once, as documented (its defaults, in a fresh folder); yields the folder, the exit
    status and what it printed (stdout, stderr). Readers must not change the database: copy it first."""
    from desist.entrypoints.cli import main

    folder = tmp_path_factory.mktemp("demo")
    # capsys is function-scoped; a session-scoped run captures by hand
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(["demo"])
                code = 0
            except SystemExit as exc:
                code = int(exc.code or 0)
    yield folder, code, out.getvalue(), err.getvalue()
