"""A full memo forgets the older half of its entries, in the order they were added."""

from __future__ import annotations

from desist.domain.memos import make_room


def test_a_full_memo_keeps_its_newer_half() -> None:
    memo = {k: k * 10 for k in range(6)}
    make_room(memo, 7)
    assert memo == {k: k * 10 for k in range(6)}  # not full yet
    memo[6] = 60
    make_room(memo, 7)
    assert memo == {3: 30, 4: 40, 5: 50, 6: 60}
