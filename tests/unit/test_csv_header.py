"""The header-row check shared by the CSV readers (analysis tables, records, the import stream)."""

from __future__ import annotations

from pathlib import Path

import pytest

from desist.adapters.csv_header import header_problem
from desist.adapters.record_stream import _header
from desist.adapters.records import read_records
from desist.domain.errors import InputError


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["a", "b"], None),
        (["a", "", ""], None),
        (["a", "b", "a"], "column 'a' appears twice in the header row, expected each column once"),
        (["a;b"], "the header row is separated by semicolons, expected a comma-separated CSV"),
        (["a\tb"], "the header row is separated by tabs, expected a comma-separated CSV"),
        (["a|b"], "the header row is separated by bars, expected a comma-separated CSV"),
        (["a;b", "c"], None),
    ],
)
def test_header_problem(names: list[str], expected: str | None) -> None:
    assert header_problem(names) == expected


def test_record_readers_say_the_same(tmp_path: Path) -> None:
    path = tmp_path / "twice.csv"
    path.write_text("prison_number, prison_number\nA1,A2\n", encoding="utf-8")
    line = (
        f"input file {path}: column 'prison_number' appears twice in the header row, "
        "expected each column once"
    )
    with pytest.raises(InputError) as streamed:
        _header(path)
    assert str(streamed.value) == line
    with pytest.raises(InputError) as read:
        read_records(path)
    assert str(read.value) == line
