"""The ``desist`` commands shown in README.md and docs/*.md run as the pages show them.

The commands are parsed from the pages' fenced blocks (```console lines starting ``$ ``, with the output that
follows them; ```bash lines), so a page and this test cannot drift apart. Each runs in-process in a scratch
folder holding a link to the repository's ``examples/``; paths under ``/tmp/`` go to the test's own folder.
Exit status 0 is asserted for every command, and every line of output a page shows (``...`` lines aside; times
masked) must be among the lines printed. The casework walk-through and the import example have their own
tests (tests/e2e/test_cli_casework.py, tests/integration/test_import_docs.py).
"""

from __future__ import annotations

import io
import re
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli import run_cli

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
#: commands that need only the files in examples/ (no database, no user)
SELF_CONTAINED = {"risk", "recommend", "survival"}
TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?(\+00:00)?")


@dataclass(frozen=True)
class Statement:
    page: str
    line: int
    text: str  # one shell line, continuations joined
    shown: tuple[str, ...]  # the output the page prints under it (console blocks)


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    lang: str
    statements: tuple[Statement, ...]
    text: str


def _blocks(path: Path) -> list[Block]:
    """The page's ```bash and ```console blocks, split into statements; ```text blocks keep their text."""
    blocks: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        fence = lines[i].strip()
        if not fence.startswith("```"):
            i += 1
            continue
        lang, start, body = fence[3:], i + 1, []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith("```"):
            body.append(lines[i].strip())
            i += 1
        i += 1
        statements = tuple(_statements(path.name, start, lang, body))
        blocks.append(Block(path.name, start, lang, statements, "\n".join(body)))
    return blocks


def _statements(page: str, start: int, lang: str, body: list[str]) -> list[Statement]:
    if lang not in ("bash", "console"):
        return []
    out: list[Statement] = []
    j = 0
    while j < len(body):
        line = body[j]
        if lang == "console" and not line.startswith("$ "):
            j += 1
            continue
        text, first = line.removeprefix("$ "), j
        while text.endswith("\\") and j + 1 < len(body):
            j += 1
            text = text[:-1].rstrip() + " " + body[j]
        j += 1
        shown: list[str] = []
        while lang == "console" and j < len(body) and not body[j].startswith("$ "):
            shown.append(body[j])
            j += 1
        if text and not text.startswith("#"):
            out.append(Statement(page, start + first + 1, text, tuple(shown)))
    return out


def _norm(line: str) -> str:
    return " ".join(TIME.sub("<time>", line).split())


def _steps(statement: Statement) -> list[tuple[list[str], str | None]]:
    """The statement as (argv, standard input) steps: ``a && b``, ``printf 'x\\n' | desist ...``."""
    tokens = shlex.split(statement.text, comments=True)
    steps, current = [], []
    for token in [*tokens, "&&"]:
        if token == "&&":
            if ">" in current:  # `> /dev/null`: the output is not looked at
                del current[current.index(">") : current.index(">") + 2]
            stdin = None
            if "|" in current and current[0] == "printf":
                stdin = current[1].replace("\\n", "\n")
                current = current[current.index("|") + 1 :]
            steps.append((current, stdin))
            current = []
        else:
            current.append(token)
    return [s for s in steps if s[0]]


class Shell:
    """Runs the pages' statements in-process in a scratch folder; ``/tmp/`` paths are moved into it."""

    def __init__(self, folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
        self.folder, self.mp, self.capsys = folder, monkeypatch, capsys
        (folder / "examples").symlink_to(ROOT / "examples")
        monkeypatch.chdir(folder)
        for name in ("DESIST_USER", "DESIST_DATABASE_URL", "DESIST_DB_PATH"):
            monkeypatch.delenv(name, raising=False)

    def local(self, value: str) -> str:
        return value.replace("/tmp/", f"{self.folder}/")

    def run(self, statement: Statement) -> str:
        printed = []
        for argv, stdin in _steps(statement):
            argv = [self.local(a) for a in argv]
            if argv[0] == "export":
                for assignment in argv[1:]:
                    name, _, value = assignment.partition("=")
                    self.mp.setenv(name, value)
                continue
            if argv[:2] == ["mkdir", "-p"]:
                for folder in argv[2:]:
                    Path(folder).mkdir(parents=True, exist_ok=True)
                continue
            assert argv[0] == "desist", f"{statement.page}:{statement.line}: not a desist command: {argv}"
            self.mp.setattr("sys.stdin", io.StringIO(stdin or ""))
            code, out, err = run_cli(argv[1:], self.capsys)
            assert code == 0, f"{statement.page}:{statement.line}: {statement.text}\nexit {code}: {err}"
            printed.append(out)
        return "".join(printed)


def check_shown(statement: Statement, output: str, shown: tuple[str, ...] | list[str]) -> None:
    printed = {_norm(line) for line in output.splitlines()}
    missing = [line for line in shown if line.strip() not in ("", "...") and _norm(line) not in printed]
    where = f"{statement.page}:{statement.line}: {statement.text}"
    assert not missing, f"{where}\nnot printed: {missing}\n{output}"


def _self_contained(statement: Statement) -> bool:
    words = statement.text.split()
    if words[:1] != ["desist"] or len(words) < 2 or re.search(r"[{\[]|\bFILE\b", statement.text):
        return False
    return words[1] in SELF_CONTAINED or (words[1] == "evaluate" and "--input" in words)


SELF_CONTAINED_EXAMPLES = [
    s for page in PAGES for block in _blocks(page) for s in block.statements if _self_contained(s)
]


def test_the_pages_show_self_contained_examples() -> None:
    pages = {s.page for s in SELF_CONTAINED_EXAMPLES}
    assert {"README.md", "recommend.md", "evaluation.md"} <= pages
    assert len(SELF_CONTAINED_EXAMPLES) >= 9


@pytest.mark.parametrize("statement", SELF_CONTAINED_EXAMPLES, ids=lambda s: f"{s.page}:{s.line}")
def test_self_contained_example_runs_as_shown(statement, tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    shell = Shell(tmp_path, monkeypatch, capsys)
    if "rossi.csv" in statement.text:  # the page says how it is made: lifelines' Rossi data written to CSV
        from lifelines.datasets import load_rossi

        load_rossi().to_csv(tmp_path / "rossi.csv", index=False)
    output = shell.run(statement)
    assert output.strip() or "> /dev/null" in statement.text
    for written in re.findall(r"--(?:report|rejects) (\S+)", statement.text):  # the files it writes
        assert Path(shell.local(written)).exists(), written
    check_shown(statement, output, statement.shown)


def test_monitoring_alert_example_runs_and_prints_what_the_page_says(tmp_path, monkeypatch, capsys) -> None:
    """docs/monitoring.md: a synthetic review on a new database raises an alert, which is acknowledged."""
    blocks = _blocks(ROOT / "docs" / "monitoring.md")
    at = next(i for i, b in enumerate(blocks) if "monitor run --synthetic" in b.text and b.lang == "bash")
    shown = blocks[at + 1]
    assert shown.lang == "text"
    shell = Shell(tmp_path, monkeypatch, capsys)
    output = "".join(shell.run(s) for s in blocks[at].statements)
    check_shown(blocks[at].statements[-1], output, shown.text.splitlines())
    assert "acknowledged by tess.tm" in output


def _demo_blocks() -> list[Block]:
    return [b for page in PAGES for b in _blocks(page) if "desist-demo.db" in b.text and b.statements]


def test_demo_database_examples_run_as_shown(demo_run, tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """The examples on the demo's database (README, evaluation, monitoring), each block on a fresh copy."""
    folder, code, _, err = demo_run
    assert code == 0, err
    blocks = _demo_blocks()
    assert {b.page for b in blocks} >= {"README.md", "evaluation.md", "monitoring.md"}
    for n, block in enumerate(blocks):
        scratch = tmp_path / f"block{n}"
        scratch.mkdir()
        shutil.copy(folder / "desist-demo.db", scratch / "desist-demo.db")
        with monkeypatch.context() as mp:
            shell = Shell(scratch, mp, capsys)
            started = False
            for statement in block.statements:
                # the demo itself is the session's run; a block's demo examples start at its first export
                # or its first command on desist-demo.db (README's block begins with file-only examples)
                text = statement.text
                started = started or text.startswith("export ") or "desist-demo.db" in text
                if not started or statement.text.startswith("desist demo"):
                    continue
                check_shown(statement, shell.run(statement), statement.shown)


def _words(text: str) -> str:
    """Text as one line of words: the page wraps the demo's long lines; rules and timings vary."""
    text = re.sub(r"[─━]+", " ", text)
    return " ".join(re.sub(r"\b\d+(\.\d+)? s\b", "<seconds>", TIME.sub("<time>", text)).split())


def test_demo_page_shows_what_the_demo_prints(demo_run) -> None:
    """docs/demo.md's output of `desist demo`, step by step (``...`` marks what the page leaves out)."""
    _, code, out, err = demo_run
    assert code == 0, err
    printed = _words(out)
    shown = [b for b in _blocks(ROOT / "docs" / "demo.md") if re.match(r"\d\. |demo users", b.text)]
    assert len(shown) >= 5
    for block in shown:
        for line in block.text.splitlines():
            if "━" in line:  # the import's progress bar (standard error, and only on a terminal)
                continue
            if "─" in line:  # a step's heading: a rule as wide as the terminal (80 columns here) cuts it
                line = _words(line)[:60]
            for piece in filter(None, (_words(p) for p in line.split("..."))):
                assert piece in printed, f"demo.md:{block.line}: {piece!r} is not in the demo's output"


def test_storage_python_example_runs(tmp_path, monkeypatch) -> None:
    """docs/storage.md's Python example: a new database, its first users, a man registered as a referrer."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    text = (ROOT / "docs" / "storage.md").read_text(encoding="utf-8")
    code = next(b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "register_person" in b)
    namespace: dict[str, object] = {}
    exec(compile(code, "docs/storage.md", "exec"), namespace)
    assert getattr(namespace["person"], "prison_number", None) == "A1234BC"
