"""Bounded memos of the recommendation rules: when one is full, its older half is forgotten.

Emptying a full memo made every key miss again at once; dropping the entries added longest ago keeps the
recent half warm, so a memo half the size answers as many calls. Each entry holds the objects its key names
by identity, so forgetting some entries is as safe as forgetting all.
"""

from __future__ import annotations

from itertools import islice
from typing import Any


def make_room(memo: dict[Any, Any], limit: int) -> None:
    """Forget the older half of ``memo``'s entries (in the order they were added) once it holds ``limit``."""
    if len(memo) >= limit:
        for key in list(islice(memo, len(memo) // 2)):
            del memo[key]
