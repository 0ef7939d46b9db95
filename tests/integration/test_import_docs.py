"""The worked example in docs/import.md runs as written (through the CLI, in-process)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from desist.entrypoints.cli.app import main

ROOT = Path(__file__).resolve().parents[2]


def _commands() -> list[list[str]]:
    text = (ROOT / "docs" / "import.md").read_text()
    block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert block, "docs/import.md lost its example"
    lines = [line.split("#", 1)[0].strip() for line in block.group(1).splitlines()]
    return [shlex.split(line)[1:] for line in lines if line.startswith("desist ")]


def test_docs_example_runs(database_url, tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("DESIST_DATABASE_URL", database_url)
    outputs = []
    for argv in _commands():
        argv = [  # the doc's exports go to /tmp/desist-example; here, to this test's own folder
            str(tmp_path / Path(a).name) if a.startswith("/tmp/desist-example/") else a for a in argv
        ]
        with pytest.raises(SystemExit) as done:
            main(argv)
        assert done.value.code in (0, None), (argv, capsys.readouterr().err)
        outputs.append(capsys.readouterr().out)
    assert "0 new, 0 updated, 2 unchanged" in outputs[6]
    assert (tmp_path / "outcomes.parquet").exists() and (tmp_path / "audit.csv").exists()
    assert outputs[-1].count("insert outcome") == 2


def test_docs_tables_match_the_import_schemas() -> None:
    from desist.adapters.import_kinds import KINDS

    text = (ROOT / "docs" / "import.md").read_text()
    for name, kind in KINDS.items():
        section = re.search(rf"## {re.escape(name)} — key: (.*?)\n(.*?)(?=\n## )", text, re.S)
        assert section, f"docs/import.md has no section for {name}"
        rows = re.findall(r"^\| (\w+) \| (yes|no) \|", section.group(2), re.M)
        assert rows == [(c.name, "yes" if c.required else "no") for c in kind.schema.columns], name
        assert re.findall(r"`(\w+)`", section.group(1)) == list(kind.schema.key), name
