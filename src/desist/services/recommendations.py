"""Bulk recommendation use case: validate men's records and recommend programmes for each.

The rules are the domain's (:func:`desist.domain.pathways.recommend_many`, the same engine ``recommend`` uses
for one man); this module owns the use case around them: validation with one line per refused record, the
``fail``/``skip`` choice, and (:func:`recommend_chunks`, :func:`recommend_rendered`) chunk-by-chunk work so
memory does not grow with the input. :func:`recommend_rendered`, the command's way, checks each chunk column
by column first (:mod:`desist.domain.profile_columns`) and gives only the records those checks cannot accept
outright to the Profile model.
"""

from __future__ import annotations

import gc
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import wraps
from typing import Any, ParamSpec, Protocol, TypeVar

import numpy as np
from pydantic import ValidationError

from desist.domain.errors import InputError
from desist.domain.pathways import Policy, Recommendation, recommend_checked, recommend_many
from desist.domain.profile import Profile
from desist.domain.profile_columns import check_profiles
from desist.domain.risk.base import FieldError
from desist.domain.risk.rejects import Reject, to_reject

R = TypeVar("R")  # what a chunk is rendered as
T = TypeVar("T")
P = ParamSpec("P")


@dataclass(frozen=True)
class Recommended:
    """Recommendations in file order and the refused records."""

    recommendations: list[Recommendation] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)


def parse_day(text: str | None, option: str = "as_of") -> date | None:
    """A date given as text (YYYY-MM-DD), or an InputError naming ``option``."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{option} {text!r}: not a valid date, expected YYYY-MM-DD") from None


def _validate(
    records: Sequence[Mapping[str, Any]], rows: Sequence[int], on_error: str
) -> tuple[list[tuple[int, Profile]], list[Reject]]:
    """Each record through the Profile model: (row, profile) for the valid ones, and the refused ones."""
    profiles: list[tuple[int, Profile]] = []
    rejects: list[Reject] = []
    for row, rec in zip(rows, records, strict=True):
        try:
            profiles.append((row, Profile.model_validate(rec)))
        except (ValidationError, FieldError) as exc:
            reject = to_reject(row, rec, exc, Profile)
            if on_error == "fail":
                raise InputError(str(reject)) from None
            rejects.append(reject)
    return profiles, rejects


def recommend_records(
    records: Sequence[Mapping[str, Any]],
    as_of: date | None = None,
    policy: Policy | None = None,
    on_error: str = "fail",
) -> Recommended:
    """Validate every record and recommend for each valid one.

    Parameters
    ----------
    records : sequence of mappings
        Men's records (fields in docs/recommend.md).
    as_of : date, optional
        The menu date for records without their own ``as_of`` (default today).
    policy : Policy, optional
        Policy switches (default: low-risk men are not offered programmes).
    on_error : {"fail", "skip"}
        ``fail``: the first refused record raises its line and nothing is recommended.

    Raises
    ------
    InputError
        ``on_error="fail"`` and a record is refused.
    """
    profiles, rejects = _validate(records, range(1, len(records) + 1), on_error)
    # every record's own checks (including the PNI's precondition) ran in validation, so this cannot fail
    men = [p for _, p in profiles]
    return Recommended(recommend_many(men, default_as_of=as_of, policy=policy), rejects)


def recommend_chunks(
    chunks: Iterable[Sequence[Mapping[str, Any]]],
    as_of: date | None = None,
    policy: Policy | None = None,
    on_error: str = "fail",
) -> Iterator[Recommended]:
    """:func:`recommend_records` chunk by chunk (rows are numbered across chunks), one result per chunk."""
    row = 1
    for records in chunks:
        profiles, rejects = _validate(records, range(row, row + len(records)), on_error)
        row += len(records)
        men = [p for _, p in profiles]
        yield Recommended(recommend_many(men, default_as_of=as_of, policy=policy), rejects)


class Records(Protocol):
    """A chunk of a file's records (:class:`desist.adapters.record_stream.Chunk`): records ``first_row ..
    first_row + n - 1`` as columns, and one by one as the record path reads them."""

    @property
    def first_row(self) -> int: ...
    @property
    def n(self) -> int: ...
    @property
    def columns(self) -> dict[str, Any]: ...
    def record(self, i: int) -> dict[str, Any]: ...


def _collector_paused(work: Callable[P, T]) -> Callable[P, T]:
    """``work`` with the cyclic garbage collector paused: it would traverse the rule memos' many small objects
    again and again with nothing to free (it cost a third of a run). ``work`` makes no cyclic garbage: once it
    has returned, its objects are freed by reference counting and only the memos' new entries remain, which
    :func:`gc.freeze` moves out of the collector's sight for good (a collection of the young generations
    there found nothing to free and cost ~10 us per man, scanning those entries)."""

    @wraps(work)
    def paused(*args: P.args, **kwargs: P.kwargs) -> T:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return work(*args, **kwargs)
        finally:
            if enabled:
                gc.freeze()
                gc.enable()

    return paused


@_collector_paused
def _work(
    chunk: Records,
    as_of: date | None,
    policy: Policy | None,
    on_error: str,
    render: Callable[[list[Recommendation]], R],
) -> tuple[R, list[Reject]]:
    """Check the chunk column by column, recommend for the plain records in bulk and leave the others to the
    Profile model (refusals, odd spellings), then render all in row order (the garbage collector paused)."""
    checked = check_profiles(chunk.columns, chunk.n)
    out: list[Recommendation | None] = [None] * chunk.n
    plain = np.flatnonzero(checked.plain).tolist()
    for i, rec in zip(plain, recommend_checked(checked, as_of, policy), strict=True):
        out[i] = rec
    odd = np.flatnonzero(~checked.plain).tolist()
    rejects: list[Reject] = []
    if odd:
        records = [chunk.record(i) for i in odd]
        profiles, rejects = _validate(records, [chunk.first_row + i for i in odd], on_error)
        valid = {row - chunk.first_row: p for row, p in profiles}
        recs = recommend_many(list(valid.values()), default_as_of=as_of, policy=policy)
        for i, rec in zip(valid, recs, strict=True):
            out[i] = rec
    return render([r for r in out if r is not None]), rejects


def recommend_rendered(
    chunks: Iterable[Records],
    as_of: date | None,
    policy: Policy | None,
    on_error: str,
    render: Callable[[list[Recommendation]], R],
    workers: int = 1,
) -> Iterator[tuple[R, list[Reject]]]:
    """Recommend chunk by chunk and render each chunk with ``render``, in order: ``(rendered, rejects)``.

    With ``workers > 1`` the chunks are shared out between that many processes (``render`` must then be a
    picklable function), at most two chunks per worker in flight, so memory stays bounded; the chunks travel
    as columns, and only text and rejects come back.

    Raises
    ------
    InputError
        ``on_error="fail"`` and a record is refused.
    """
    if workers <= 1:
        for chunk in chunks:
            yield _work(chunk, as_of, policy, on_error, render)
        return
    from concurrent.futures import Future, ProcessPoolExecutor

    pending: deque[Future[tuple[R, list[Reject]]]] = deque()
    with ProcessPoolExecutor(workers) as pool:
        # the workers start (fork) before the first chunk is read, so they do not inherit the reader's buffers
        pool.submit(os.getpid).result()
        try:
            for chunk in chunks:
                pending.append(pool.submit(_work, chunk, as_of, policy, on_error, render))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for f in pending:
                f.cancel()
