"""An output written in pieces by several processes becomes the output, in order, only on commit."""

from __future__ import annotations

import io
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from desist.adapters.result_writers import PartsSpool, write_part

#: the last piece is over 1 MB of two- and three-byte characters: a copy block ends inside a character
TEXT = [
    "id,reason\n",
    "a,Not available on 2012-06-01 — it ran to 2017.\n",
    "",
    'b,"x, y"\n',
    "é€\n" * 200_000,
]


def _spool() -> PartsSpool:
    spool = PartsSpool()
    spool.write_bytes(TEXT[0].encode())
    with ProcessPoolExecutor(2) as pool:  # the pieces are written by worker processes, in any order
        pieces = list(pool.map(write_part, [spool.folder] * 4, [t.encode() for t in TEXT[1:]]))
    assert len({p.path for p in pieces if p.length}) >= 1
    for piece in pieces:
        spool.add(piece)
    return spool


def test_commit_to_a_file_copies_the_pieces_in_order(tmp_path: Path) -> None:
    spool = _spool()
    with (tmp_path / "out.csv").open("w", encoding="utf-8", newline="") as out:
        out.write("before\n")  # what the stream holds already stays first
        spool.commit(out)
        out.write("after\n")
    assert (tmp_path / "out.csv").read_text(encoding="utf-8") == "before\n" + "".join(TEXT) + "after\n"
    assert not os.path.exists(spool.folder)


def test_commit_to_a_stream_without_a_descriptor() -> None:
    spool = _spool()
    out = io.StringIO()
    spool.commit(out)
    assert out.getvalue() == "".join(TEXT)


def test_discard_leaves_nothing() -> None:
    spool = _spool()
    spool.discard()
    spool.discard()
    assert not os.path.exists(spool.folder)


def test_workers_write_their_own_part_files() -> None:
    spool = PartsSpool()
    spool.write_bytes(TEXT[0].encode())  # this process's part file is open when the workers fork
    texts = [t.splitlines(keepends=True) for t in TEXT[1:]]  # pieces of text, encoded one at a time
    with ProcessPoolExecutor(2) as pool:
        pieces = list(pool.map(write_part, [spool.folder] * 4, texts))
    own = os.path.join(spool.folder, f"part-{os.getpid()}")
    assert [p.path == own for p in pieces if p.length] == [False, False, False]
    for piece in pieces:
        spool.add(piece)
    out = io.StringIO()
    spool.commit(out)
    assert out.getvalue() == "".join(TEXT)
