"""``python -v`` (every import reported on stderr) must not send the command's escaping stderr into a loop."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[3] / "src")


def test_a_command_runs_under_python_v(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": SRC}
    db = f"sqlite:///{tmp_path / 'none.db'}"
    argv = ["referral", "list", "--db", db, "--as", "ada"]
    code = f"from desist.entrypoints.cli import main; main({argv!r})"
    done = subprocess.run([sys.executable, "-v", "-c", code], capture_output=True, text=True, env=env,
                          timeout=60)
    assert "Traceback" not in done.stderr and "circular import" not in done.stderr, done.stderr[-2000:]
    assert done.returncode == 2 and "does not exist" in done.stderr
