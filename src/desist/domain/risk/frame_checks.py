"""Vectorised validation of whole columns with the record path's rules, for bulk scoring.

Validating a million records one pydantic model at a time costs more than scoring them, so bulk scoring checks
whole columns with pyarrow and numpy instead. The rules are the record path's, read from the same pydantic
models (ranges, required fields, yes/no words, ``sex`` "m" -> "M", band words in any case) plus each tool's
cross-field rules. The vectorised check only *accepts* what the record model certainly accepts with the
same value (plain numbers in range, canonical words); every other row (out of range, missing, odd spellings
such as " 3" for a whole number) is handed to :func:`desist.domain.risk.registry.validate_record`, so a
refused row gets exactly the record path's one-line message, and an odd but valid spelling is still
accepted. The property test in ``tests/unit/risk/test_frame_validation.py`` checks both paths agree or
both refuse.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from typing import Any, Literal

import annotated_types
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ValidationError

from desist.domain.risk import registry
from desist.domain.risk.bands import Band
from desist.domain.risk.base import FieldError, lower_word, upper_word
from desist.domain.risk.osp import SEXUAL_SANCTION_FIELDS, OspInput
from desist.domain.risk.rejects import Reject, to_reject

#: yes/no words pydantic reads (any case); anything else goes to the record model
_TRUE = ("true", "yes", "1", "on", "t", "y")
_FALSE = ("false", "no", "0", "off", "f", "n")
_INT_TEXT = r"^[0-9]{1,6}(\.0{1,6})?$"
_FLOAT_TEXT = r"^[0-9]{1,6}(\.[0-9]{1,15})?$"


@dataclass(frozen=True)
class FieldRule:
    """What a valid value of one input field is, read from the tool's pydantic model."""

    name: str
    kind: str  # int, float, bool, word (an enum or literal of upper-case words), id
    required: bool
    lo: float | None = None
    hi: float | None = None
    words: tuple[str, ...] = ()
    blank_is_missing: bool = False
    lower: bool = False  # words are read in lower case (base.lower_word), not upper case


@dataclass
class Checked:
    """Validated columns (normalised; NaN / None where an optional value is missing) and the refused rows.

    ``keep`` marks the accepted rows; ``rejects`` are in row order.
    """

    columns: dict[str, np.ndarray]
    keep: np.ndarray
    rejects: list[Reject] = field(default_factory=list)


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The core type of an annotation and whether None is allowed."""
    optional = False
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(args) < len(typing.get_args(annotation))
        annotation = args[0] if len(args) == 1 else annotation
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation, optional


def _validators(annotation: Any) -> list[Any]:
    """The metadata of every Annotated layer of an annotation (where BeforeValidators sit)."""
    out: list[Any] = []
    if typing.get_origin(annotation) is typing.Annotated:
        out += list(annotation.__metadata__)
        out += _validators(typing.get_args(annotation)[0])
    elif typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for a in typing.get_args(annotation):
            out += _validators(a)
    return out


@cache
def field_rules(model: type[BaseModel]) -> tuple[FieldRule, ...]:
    """One :class:`FieldRule` per field of a risk-tool input model (``id`` included)."""
    out = []
    for name, info in model.model_fields.items():
        if name == "id":
            out.append(FieldRule("id", "id", False))
            continue
        core, optional = _unwrap(info.annotation)
        required = info.is_required() and not optional
        # bounds sit on the field, or inside an Optional's Annotated member (``Age | None``)
        found = [*_validators(info.annotation), *info.metadata]
        found += [m for f in found if hasattr(f, "metadata") for m in f.metadata]
        lo: Any = next((m.ge for m in reversed(found) if isinstance(m, annotated_types.Ge)), None)
        hi: Any = next((m.le for m in reversed(found) if isinstance(m, annotated_types.Le)), None)
        if core is bool:
            out.append(FieldRule(name, "bool", required))
        elif core in (int, float):
            out.append(FieldRule(name, core.__name__, required, lo, hi))
        elif typing.get_origin(core) is Literal:
            out.append(FieldRule(name, "word", required, words=tuple(map(str, typing.get_args(core)))))
        elif isinstance(core, type) and issubclass(core, Enum):
            # band and SARA words read a blank as missing (base.upper_word)
            blank = any(
                getattr(m, "func", None) is upper_word
                for m in [*info.metadata, *_validators(info.annotation)]
            )
            lower = any(
                getattr(m, "func", None) is lower_word
                for m in [*info.metadata, *_validators(info.annotation)]
            )
            words = tuple(str(m.value) for m in core)
            out.append(FieldRule(name, "word", required, words=words, blank_is_missing=blank, lower=lower))
        else:  # a type this module does not check: every given value goes to the record model
            out.append(FieldRule(name, "other", required))
    return tuple(out)


def _arrow(values: Any, n: int) -> Any:
    """Values as one pyarrow array (None when the column mixes types: then the record model decides)."""
    if values is None:
        return pa.nulls(n)
    try:
        arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
        if not isinstance(arr, pa.Array):
            arr = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        return None
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.string())
    return arr


def _np(arr: Any, fill: Any) -> np.ndarray:
    out: np.ndarray = pc.fill_null(arr, fill).to_numpy(zero_copy_only=False)
    return out


def check_field(rule: FieldRule, values: Any, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(normalised values, accepted, missing)`` for one column; rows neither accepted nor missing go to the
    record model."""
    arr = _arrow(values, n)
    out: np.ndarray = (
        np.zeros(n, bool)
        if rule.kind == "bool"
        else np.full(n, np.nan)
        if rule.kind in ("int", "float")
        # words as fixed-width text ("" when missing): numpy compares them far faster than Python strings
        else np.full(n, "", dtype=np.asarray(rule.words).dtype)
        if rule.kind == "word"
        else np.full(n, None, dtype=object)
    )
    if arr is None:  # mixed types
        missing = np.array([v is None or (isinstance(v, float) and v != v) for v in values], dtype=bool)
        return out, np.zeros(n, bool), missing
    missing = _np(arr.is_null(), True).astype(bool)
    t = arr.type
    ok = np.zeros(n, bool)
    if rule.kind in ("int", "float"):
        if pa.types.is_integer(t) or pa.types.is_floating(t):
            out = _np(arr.cast(pa.float64()), np.nan)
            ok = np.isfinite(out)
        elif pa.types.is_string(t):
            good = _np(pc.match_substring_regex(arr, _INT_TEXT if rule.kind == "int" else _FLOAT_TEXT), False)
            out = _np(pc.if_else(pa.array(good), arr, "0").cast(pa.float64()), np.nan)
            ok = good.astype(bool)
        if rule.kind == "int":
            ok &= np.floor(out) == out
        with np.errstate(invalid="ignore"):
            if rule.lo is not None:
                ok &= out >= rule.lo
            if rule.hi is not None:
                ok &= out <= rule.hi
        out = np.where(ok, out, np.nan)
    elif rule.kind == "bool":
        if pa.types.is_boolean(t):
            out, ok = _np(arr, False).astype(bool), ~missing
        elif pa.types.is_integer(t) or pa.types.is_floating(t):
            num = _np(arr.cast(pa.float64()), np.nan)
            out, ok = num == 1, (num == 0) | (num == 1)
        elif pa.types.is_string(t):
            low = pc.utf8_lower(arr)
            yes = _np(pc.is_in(low, pa.array(_TRUE)), False).astype(bool)
            no = _np(pc.is_in(low, pa.array(_FALSE)), False).astype(bool)
            out, ok = yes, yes | no
        out = out.astype(bool)
    elif rule.kind in ("word", "id"):
        if pa.types.is_string(t):
            text = pc.utf8_trim_whitespace(arr)
            if rule.kind == "id":
                length = _np(pc.utf8_length(arr), 0)
                ok = _np(pc.equal(text, arr), False).astype(bool) & (length >= 1) & (length <= 100)
                # the given values as they are (no copy into new Python strings when they already are some)
                out = _np(arr, None) if isinstance(values, pa.Array | pa.ChunkedArray) else np.asarray(values)
                out = out.astype(object, copy=False)
            else:
                up = pc.utf8_lower(text) if rule.lower else pc.utf8_upper(text)
                # a blank band word is a missing one (upper_word); a blank sex is refused by the model
                blank = _np(pc.equal(up, ""), False).astype(bool)
                where = _np(pc.index_in(up, pa.array(rule.words)), -1).astype(np.int64)
                ok = where >= 0
                if rule.blank_is_missing:
                    missing |= blank
                out = np.asarray([*rule.words, ""])[where]  # -1 (not a word) is the last: ""
        elif rule.kind == "id" and pa.types.is_integer(t):
            ok = ~missing
            out = np.array([None if m else str(v) for v, m in zip(_np(arr, 0), missing, strict=True)], object)
    ok &= ~missing
    return out, ok, missing


def osp_rule_breaches(col: dict[str, np.ndarray]) -> np.ndarray:
    """Rows breaking OSP's cross-field rules (the record model raises the message)."""
    counts = np.column_stack([col[f] for f in SEXUAL_SANCTION_FIELDS])
    most = counts.max(axis=1)
    last = col["age_at_last_sexual_offence"]
    bad: np.ndarray = (col["total_sanctions"] < most) | ((most > 0) & np.isnan(last)) | (last > col["age"])
    return bad


def _fields(
    rules: tuple[FieldRule, ...], columns: Mapping[str, Any], n: int
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    col: dict[str, np.ndarray] = {}
    doubt = np.zeros(n, bool)
    for rule in rules:
        values, ok, missing = check_field(rule, columns.get(rule.name), n)
        col[rule.name] = values
        doubt |= ~ok & ~(missing & (not rule.required))
    return col, doubt


def check_columns(
    tool: str,
    columns: Mapping[str, Any],
    n: int,
    raw: Callable[[int], dict[str, Any]],
    first_row: int = 1,
) -> Checked:
    """Validate ``n`` records given as columns, with the rules of ``tool``'s record model.

    Parameters
    ----------
    tool : str
        A tool of :data:`desist.domain.risk.registry.TOOLS`.
    columns : mapping of field name to column
        Lists, numpy arrays, pandas Series or pyarrow arrays; absent fields are missing. Missing values are
        None / NaN / null.
    n : int
        Number of records.
    raw : callable
        ``raw(i)`` gives record ``i`` as the record path would see it (used for the doubtful rows).
    first_row : int
        The 1-based row number of record 0 (a chunk of a longer file).
    """
    t = registry.get_tool(tool)
    col, doubt = _fields(field_rules(t.model), columns, n)
    if t.name == "osp":
        doubt |= ~doubt & osp_rule_breaches(col)
    elif t.name == "static99r":
        doubt |= col["sex"] == "F"
    elif t.name == "pni":
        doubt |= _pni_osp(col, columns, n)
    accepted = ~doubt
    rejects: list[Reject] = []
    models = (t.model, OspInput) if t.name == "pni" else (t.model,)
    for i in np.flatnonzero(doubt):
        rec = raw(int(i))
        try:
            inp = registry.validate_record(t.name, rec)
        except (ValidationError, FieldError) as exc:
            rejects.append(to_reject(first_row + int(i), rec, exc, models))
            continue
        accepted[i] = True
        for name, value in inp.model_dump().items():
            kind = col[name].dtype.kind
            if isinstance(value, Enum):
                value = str(value.value)
            col[name][i] = (
                (np.nan if kind == "f" else "" if kind == "U" else None) if value is None else value
            )
    return Checked(col, accepted, rejects)


def _pni_osp(col: dict[str, np.ndarray], columns: Mapping[str, Any], n: int) -> np.ndarray:
    """The PNI + OSP rule, vectorised: rows with OSP inputs get computed bands; doubtful rows are returned."""
    from desist.domain.risk.frame_scorers import _osp_frame  # the private scorer: these rows are checked here

    given = np.zeros(n, bool)
    for f in SEXUAL_SANCTION_FIELDS:
        arr = _arrow(columns.get(f), n)
        if arr is None:
            return np.ones(n, bool)  # mixed types: let the record model read every row
        present = ~_np(arr.is_null(), True).astype(bool)
        if pa.types.is_string(arr.type):
            present &= _np(pc.not_equal(arr, ""), True).astype(bool)
        given |= present
    doubt = np.zeros(n, bool)
    if given.any():
        idx = np.flatnonzero(given)
        rules = field_rules(OspInput)
        ocol, odoubt = _fields(rules, {r.name: _take(columns.get(r.name), idx) for r in rules}, len(idx))
        odoubt |= ~odoubt & osp_rule_breaches(ocol)
        doubt[idx[odoubt]] = True
        fine = idx[~odoubt]
        if len(fine):
            import pandas as pd

            scored = _osp_frame(pd.DataFrame({k: v[~odoubt] for k, v in ocol.items()}))
            col["osp_dc_band"][fine] = scored["osp_dc.band"].astype(str).to_numpy(dtype=object)
            col["osp_iic_band"][fine] = scored["osp_iic.band"].astype(str).to_numpy(dtype=object)
    # the PNI's precondition: a man with an OSP level needs the sex items (the record model names the item)
    levels = [str(b) for b in Band if b is not Band.NOT_APPLICABLE]
    has_level = (col["sex"] == "M") & (
        np.isin(col["osp_dc_band"], levels) | np.isin(col["osp_iic_band"], levels)
    )
    sex_items = ("oasys_11_11", "oasys_11_12", "oasys_6_12")
    doubt |= has_level & np.column_stack([np.isnan(col[i]) for i in sex_items]).any(axis=1)
    return doubt


def _take(values: Any, idx: np.ndarray) -> Any:
    if values is None:
        return None
    if isinstance(values, pa.ChunkedArray | pa.Array):
        return values.take(pa.array(idx))
    if hasattr(values, "iloc"):
        return values.iloc[idx]
    if isinstance(values, np.ndarray):
        return values[idx]
    return [values[i] for i in idx]
