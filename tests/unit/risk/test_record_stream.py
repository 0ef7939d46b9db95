"""The chunked reader gives the records ``read_records`` gives, whatever the chunk and block sizes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import desist.adapters.record_stream as rs
from desist.adapters.records import read_records
from desist.domain.errors import InputError

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def _all(path: Path, rows: int) -> list[dict]:
    return [r for c in rs.read_chunks(path, rows) for r in c.records()]


@pytest.mark.parametrize("block", [1, 7, 64, 1 << 20])
@pytest.mark.parametrize("rows", [1, 3, 1000])
def test_json_records_across_block_and_chunk_edges(tmp_path, monkeypatch, block, rows) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(rs, "_BLOCK", block)
    recs = json.loads((EXAMPLES / "risk_pni.json").read_text()) * 5
    path = tmp_path / "in.json"
    path.write_text(json.dumps(recs, indent=3))
    assert _all(path, rows) == read_records(path) == recs
    chunks = list(rs.read_chunks(path, rows))
    assert [c.first_row for c in chunks] == list(range(1, len(recs) + 1, rows))


@pytest.mark.parametrize("block", [5, 1 << 20])
def test_json_errors_name_the_line(tmp_path, monkeypatch, block) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(rs, "_BLOCK", block)
    path = tmp_path / "in.json"
    path.write_text('[\n {"id": "a"},\n {"id": "b"},\n {"id": "c" "d"}\n]')
    with pytest.raises(InputError, match=r"invalid JSON at line 4 column 12"):
        _all(path, 2)
    path.write_text('[{"id": "a"}, 3]')
    with pytest.raises(InputError, match="record 2 is a int, expected an object"):
        _all(path, 2)
    path.write_text('[{"age": NaN}]')
    with pytest.raises(InputError, match="NaN is not a JSON value"):
        _all(path, 2)
    path.write_text("[]")
    assert _all(path, 2) == []


def test_csv_and_parquet_read_as_the_record_path_reads(tmp_path) -> None:  # type: ignore[no-untyped-def]
    recs = json.loads((EXAMPLES / "risk_osp.json").read_text())
    frame = pd.DataFrame(recs)
    frame.to_csv(tmp_path / "in.csv", index=False)
    (tmp_path / "in.csv").write_text((tmp_path / "in.csv").read_text().replace(",30,", ", 30 ,"))
    assert _all(tmp_path / "in.csv", 3) == read_records(tmp_path / "in.csv")  # stripped text, None for empty
    frame.to_parquet(tmp_path / "in.parquet", index=False)
    got = _all(tmp_path / "in.parquet", 3)
    assert [r["id"] for r in got] == [r["id"] for r in recs] and got[0]["age"] == recs[0]["age"]


@pytest.mark.parametrize("rows", [1, 7, 1000])
def test_csv_chunks_are_cut_to_size_across_blocks(tmp_path, monkeypatch, rows) -> None:  # type: ignore[no-untyped-def]
    # 4 KB blocks hold ~80 of these records each: every chunk but the last has ``rows`` records
    monkeypatch.setattr(rs, "_CSV_BLOCK", 4096)
    recs = json.loads((EXAMPLES / "risk_osp.json").read_text()) * 250
    frame = pd.DataFrame(recs)
    frame["id"] = [f"M-{i:04d}" for i in range(len(frame))]
    frame.to_csv(tmp_path / "in.csv", index=False)
    assert (tmp_path / "in.csv").stat().st_size > 4 * 4096
    chunks = list(rs.read_chunks(tmp_path / "in.csv", rows))
    sizes = [c.n for c in chunks]
    assert sizes[:-1] == [rows] * (len(sizes) - 1) and 0 < sizes[-1] <= rows and sum(sizes) == len(frame)
    assert [c.first_row for c in chunks] == list(range(1, len(frame) + 1, rows))
    assert [r for c in chunks for r in c.records()] == read_records(tmp_path / "in.csv")
