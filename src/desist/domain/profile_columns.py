"""Men's records checked column by column for a bulk ``desist recommend`` run, with the Profile model's rules.

Validating a million records one pydantic :class:`~desist.domain.profile.Profile` at a time costs more than
recommending for them, so a bulk run checks whole columns (pyarrow and numpy) with the rules the model
states: each field's type, range and words (read from the model by
:func:`desist.domain.risk.frame_checks.field_rules`), OSP's and recommend's cross-field rules, the PNI's sex
items and a given RM2000 block; the list and date fields are read by the model's own field validators, once
per distinct cell. The checks only *accept* what the model certainly accepts, with the same values; every
other record (refused, oddly spelt, or giving Static-99R items) is left to the model (``plain`` False), so a
refused record gets exactly the record path's one-line message. A test checks that both paths recommend
alike, man by man.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Annotated, Any, NamedTuple

import numpy as np
import pyarrow as pa
from pydantic import TypeAdapter, ValidationError

from desist.domain.catalogue import Setting
from desist.domain.profile import (
    PNI_FIELDS,
    RM2000_FIELDS,
    STATIC99R_FIELDS,
    CompletedProgramme,
    OffenceType,
    Profile,
    catalogue_spelling,
    check_hsp_items,
)
from desist.domain.risk.base import FieldError
from desist.domain.risk.frame_checks import FieldRule, check_field, field_rules, osp_rule_breaches
from desist.domain.risk.rm2000 import Rm2000Input
from desist.domain.risk.tables import load_table

#: read by the model's own field validators, once per distinct cell
CELL_FIELDS = ("completed_programmes", "hsp_items", "as_of")
_SETTINGS = {str(s): s for s in Setting}
_OFFENCES = {str(o): o for o in OffenceType}


class ManRecord(NamedTuple):
    """What the pathway engine reads of a man whose record the column checks accepted (see
    :class:`desist.domain.profile.ManFacts`); the values are those a Profile would hold."""

    id: str | None
    sex: str
    age: int
    setting: Setting
    offence_type: OffenceType
    ldc: bool
    maintains_innocence: bool
    months_to_release: float
    completed_programmes: tuple[CompletedProgramme, ...]
    hsp_items: tuple[str, ...]
    oasys_11_11: int | None
    oasys_11_12: int | None
    oasys_6_12: int | None


@dataclass
class CheckedProfiles:
    """The records of one chunk after the column checks.

    ``plain[i]``: record ``i`` is certainly valid and ``men[i]`` holds it; the other records are for the
    Profile model. ``columns`` hold the checked values (numbers as floats, NaN where missing; words as text,
    "" where missing), meaningful on the plain rows; ``as_of[i]`` is record ``i``'s own date, if any.
    """

    plain: np.ndarray
    columns: dict[str, np.ndarray]
    men: list[ManRecord | None]
    as_of: list[date | None]
    has_pni: np.ndarray
    has_rm2000: np.ndarray


@cache
def _rules() -> tuple[FieldRule, ...]:
    return tuple(r for r in field_rules(Profile) if r.name not in CELL_FIELDS)


@cache
def _rm2000_rules() -> tuple[FieldRule, ...]:
    return tuple(r for r in field_rules(Rm2000Input) if r.name not in ("id", "sex"))


@cache
def _adapter(name: str) -> TypeAdapter[Any]:
    """The Profile field's own validation, for one value."""
    info = Profile.model_fields[name]
    kind = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
    return TypeAdapter(kind, config=Profile.model_config)


def _completed(value: Any) -> tuple[CompletedProgramme, ...]:
    done: tuple[CompletedProgramme, ...] = _adapter("completed_programmes").validate_python(value)
    return catalogue_spelling(done)


def _hsp_items(value: Any) -> tuple[str, ...]:
    items: tuple[str, ...] = _adapter("hsp_items").validate_python(value)
    check_hsp_items(items)
    return items


def _as_of(value: Any) -> date | None:
    day: date | None = _adapter("as_of").validate_python(value)
    return day


def _cells(values: Any, n: int, read: Callable[[Any], Any]) -> tuple[list[Any], np.ndarray]:
    """``read`` applied to each distinct cell of a column (None for a missing column): values and which rows
    it accepted."""
    if values is None:
        return [read(None)] * n, np.ones(n, bool)
    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if isinstance(arr, pa.Array) and (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        coded = arr.dictionary_encode()
        distinct = coded.dictionary.to_pylist()
        index = coded.indices.fill_null(len(distinct)).to_numpy(zero_copy_only=False)
        distinct.append(None)
    else:
        raw = arr.to_pylist() if isinstance(arr, pa.Array) else list(values)
        # a cell's type and text: 1 and True, "1" and 1 are different cells
        keys: dict[tuple[type, str], int] = {}
        index = np.fromiter((keys.setdefault((type(v), repr(v)), len(keys)) for v in raw), np.int64, n)
        distinct = [None] * len(keys)
        for v, k in zip(raw, index.tolist(), strict=True):
            distinct[k] = v
    read_ok, results = [], []
    for v in distinct:
        try:
            results.append(read(v))
            read_ok.append(True)
        except (ValidationError, FieldError):
            results.append(None)
            read_ok.append(False)
    ok = np.asarray(read_ok, bool)[index]
    return [results[k] for k in index.tolist()], ok


def _any(masks: dict[str, np.ndarray], names: tuple[str, ...], n: int) -> np.ndarray:
    out = np.zeros(n, bool)
    for name in names:
        out |= masks[name]
    return out


def check_profiles(columns: Mapping[str, Any], n: int) -> CheckedProfiles:
    """Check ``n`` records given as columns (pyarrow arrays or lists of Python values; an absent field is
    missing) with the Profile model's rules; see the module docstring."""
    col: dict[str, np.ndarray] = {}
    given: dict[str, np.ndarray] = {}  # a value is given (valid or not)
    plain = np.ones(n, bool)
    for rule in _rules():
        values, ok, missing = check_field(rule, columns.get(rule.name), n)
        col[rule.name] = values
        given[rule.name] = ~missing
        plain &= ok | (missing & (not rule.required))
    plain &= ~osp_rule_breaches(col)
    plain &= col["in_custody"] == (col["setting"] == str(Setting.CUSTODY))
    contact = col["contact_adult_sanctions"] + col["contact_child_sanctions"] + col["paraphilia_sanctions"]
    images_only = col["offence_type"] == str(OffenceType.IMAGES_ONLY)
    plain &= ~(images_only & ((contact > 0) | ~(col["indecent_image_sanctions"] > 0)))
    has_pni = _any(given, PNI_FIELDS, n)
    sexual = contact + col["indecent_image_sanctions"]
    sex_items = load_table("pni")["need"]["sex"]["items"]
    unscored = np.column_stack([np.isnan(col[i]) for i in sex_items]).any(axis=1)
    plain &= ~(has_pni & (col["sex"] == "M") & (sexual > 0) & unscored)
    plain &= ~_any(given, STATIC99R_FIELDS, n)  # Static-99R records are left to the model
    has_rm2000 = _any(given, RM2000_FIELDS, n)
    if has_rm2000.any():
        for rule in _rm2000_rules():  # the block's own rules: every field required, its own ranges
            _, ok, _ = check_field(rule, columns.get(rule.name), n)
            plain &= ~has_rm2000 | ok
    done, ok = _cells(columns.get("completed_programmes"), n, _completed)
    plain &= ok
    hsp, ok = _cells(columns.get("hsp_items"), n, _hsp_items)
    plain &= ok
    as_of, ok = _cells(columns.get("as_of"), n, _as_of)
    plain &= ok
    return CheckedProfiles(plain, col, _men(col, plain, done, hsp), as_of, has_pni, has_rm2000)


def _ints(values: np.ndarray) -> list[int | None]:
    given = ~np.isnan(values)
    return [
        int(v) if g else None
        for v, g in zip(np.where(given, values, 0).tolist(), given.tolist(), strict=True)
    ]


def _men(
    col: dict[str, np.ndarray],
    plain: np.ndarray,
    done: list[Any],
    hsp: list[Any],
) -> list[ManRecord | None]:
    n = len(plain)
    ids = col["id"].tolist()
    ages = np.where(plain, col["age"], 0).astype(np.int64).tolist()
    settings = [_SETTINGS.get(w) for w in col["setting"].tolist()]
    offences = [_OFFENCES.get(w) for w in col["offence_type"].tolist()]
    rows = zip(
        plain.tolist(),
        ids,
        col["sex"].tolist(),
        ages,
        settings,
        offences,
        col["ldc"].tolist(),
        col["maintains_innocence"].tolist(),
        col["months_to_release"].tolist(),
        done,
        hsp,
        _ints(col["oasys_11_11"]),
        _ints(col["oasys_11_12"]),
        _ints(col["oasys_6_12"]),
        strict=True,
    )
    men: list[ManRecord | None] = [ManRecord(*row[1:]) if row[0] else None for row in rows]
    assert len(men) == n
    return men
