"""The worked example in docs/import.md runs as written (through the CLI, in-process)."""

from __future__ import annotations

import io
import re
import shlex
from pathlib import Path

import pytest

from desist.entrypoints.cli.app import main

ROOT = Path(__file__).resolve().parents[2]


def _commands() -> list[tuple[list[str], str | None]]:
    """The example's ``desist`` commands, each with the line it reads on standard input (``printf ... |``),
    and its ``export NAME=VALUE`` lines as ``(["export", NAME, VALUE], None)``."""
    text = (ROOT / "docs" / "import.md").read_text()
    block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert block, "docs/import.md lost its example"
    out: list[tuple[list[str], str | None]] = []
    for line in block.group(1).splitlines():
        line = line.split("#", 1)[0].strip()
        piped = re.fullmatch(r"printf '(.*)\\n' \| (desist .*)", line)
        if piped:
            out.append((shlex.split(piped.group(2))[1:], piped.group(1) + "\n"))
        elif line.startswith("desist "):
            out.append((shlex.split(line)[1:], None))
        elif line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            out.append((["export", name, value], None))
    return out


def test_docs_example_runs(database_url, tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("DESIST_DATABASE_URL", database_url)
    monkeypatch.delenv("DESIST_USER", raising=False)
    outputs = []
    for argv, stdin in _commands():
        if argv[0] == "export" and len(argv) == 3 and argv[1].startswith("DESIST_"):
            monkeypatch.setenv(argv[1], argv[2])
            continue
        argv = [  # the doc's exports go to /tmp/desist-example; here, to this test's own folder
            str(tmp_path / Path(a).name) if a.startswith("/tmp/desist-example/") else a for a in argv
        ]
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin or ""))
        with pytest.raises(SystemExit) as done:
            main(argv)
        assert done.value.code in (0, None), (argv, capsys.readouterr().err)
        outputs.append(capsys.readouterr().out)
    assert outputs[1] == "user ada.admin: admin; national\n"
    assert "0 new, 0 updated, 2 unchanged" in outputs[7]
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
