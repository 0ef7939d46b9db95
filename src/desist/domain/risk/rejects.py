"""One refused record as one line: which record (row and id), which field, the value and what was expected.

Shared by every path that validates records (the record path, the vectorised frame path, the import of
assessments), so a bad value gives the same words wherever it is found, e.g.
``record 3 (id P-003): field 'age': 7 is out of range, expected 10 to 110``.
"""

from __future__ import annotations

import datetime as dt
import json
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

import annotated_types
from pydantic import BaseModel, ValidationError

from desist.domain.risk.base import FieldError

_RANGE_ERRORS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}
_DATE_ERRORS = {"date_parsing", "date_from_datetime_parsing", "date_type", "date_from_datetime_inexact"}


@dataclass(frozen=True)
class Reject:
    """One refused record: where (row, id), which field, the value given and what was wrong."""

    row: int
    id: str | None
    field: str
    value: Any
    message: str

    def __str__(self) -> str:
        where = f"record {self.row}" + (f" (id {self.id})" if self.id else "")
        return f"{where}: field '{self.field}': {self.message}"


def record_id(rec: Mapping[str, Any]) -> str | None:
    """The record's id as text, if it has one."""
    value = rec.get("id")
    if value is None or value == "":
        return None
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def to_reject(
    row: int,
    rec: Mapping[str, Any],
    exc: ValidationError | FieldError,
    model: type[BaseModel] | Sequence[type[BaseModel]] | None = None,
) -> Reject:
    """Turn a validation or field error into a :class:`Reject` (first problem only, one line).

    ``model`` (or several, first match wins) describes what a valid value of the field looks like.
    """
    rid = record_id(rec)
    if isinstance(exc, FieldError):
        return Reject(row, rid, exc.field, exc.value, exc.detail)
    err = exc.errors(include_url=False)[0]
    name = ".".join(str(p) for p in err["loc"]) or "record"
    top = str(err["loc"][0]) if err["loc"] else ""
    value = rec.get(top) if top else None
    return Reject(row, rid, name, value, _message(err, value, top in rec, _expected(model, top)))


def _show(value: Any) -> str:
    if isinstance(value, str):
        try:
            float(value)
            return value
        except ValueError:
            return repr(value)
    return json.dumps(value) if isinstance(value, bool | type(None)) else repr(value)


def _message(err: Any, value: Any, present: bool, expected: tuple[str, str]) -> str:
    kind, what = err["type"], expected[0]
    if kind == "missing" or value is None or not present:
        return f"missing, expected {what}"
    if kind == "bool_for_number":  # raised by RecordModel: pydantic would read true as 1
        return f"{_show(value)} is a yes/no value, expected {what}"
    if kind in _RANGE_ERRORS:
        return f"{_show(value)} is out of range, expected {expected[1] or what}"
    if kind in {"enum", "literal_error"}:
        return f"{_show(value)} is not a known value, expected {what}"
    if kind in _DATE_ERRORS:
        return f"{_show(value)} is not a valid date, expected {what}"
    return f"{_show(value)} is not valid, expected {what}"


def _expected(model: type[BaseModel] | Sequence[type[BaseModel]] | None, name: str) -> tuple[str, str]:
    """(description of a valid value, its range) for a model field, read from its type and constraints."""
    models = [] if model is None else [model] if isinstance(model, type) else list(model)
    info = next((m.model_fields[name] for m in models if name in m.model_fields), None)
    if info is None:
        return "a valid value", ""
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    if "expected" in extra:
        return str(extra["expected"]), ""
    # pydantic enforces the last bound of each kind when several are stacked; report that one
    lo = next((m.ge for m in reversed(info.metadata) if isinstance(m, annotated_types.Ge)), None)
    hi = next((m.le for m in reversed(info.metadata) if isinstance(m, annotated_types.Le)), None)
    span = (
        f"{_num(lo)} to {_num(hi)}"
        if lo is not None and hi is not None
        else (f"at least {_num(lo)}" if lo is not None else (f"at most {_num(hi)}" if hi is not None else ""))
    )
    return _describe(info.annotation, span), span


def _num(x: Any) -> str:
    return str(int(x)) if isinstance(x, float) and x.is_integer() else str(x)


def _describe(annotation: Any, span: str) -> str:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
        annotation = args[0]
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) is Literal:
        return "one of " + ", ".join(str(a) for a in typing.get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "one of " + ", ".join(str(m.value) for m in annotation)
    if annotation is bool:
        return "true or false (or yes/no, 1/0)"
    if annotation is int:
        return f"a whole number {span}".rstrip()
    if annotation is float:
        return f"a number {span}".rstrip()
    if annotation is dt.date:
        return "a date YYYY-MM-DD"
    if annotation is str:
        return "text"
    return "a valid value"


def every_problem(
    rec: Mapping[str, Any],
    exc: ValidationError | FieldError,
    model: type[BaseModel] | Sequence[type[BaseModel]] | None = None,
) -> list[tuple[str, Any, str]]:
    """Every problem of a refused record as ``(field, value, message)``, in the words of :func:`to_reject`.

    An import lists every bad cell at once; the record paths stop at the first (:func:`to_reject`).
    """
    if isinstance(exc, FieldError):
        return [(exc.field, exc.value, exc.detail)]
    out = []
    for err in exc.errors(include_url=False):
        name = ".".join(str(p) for p in err["loc"]) or "record"
        top = str(err["loc"][0]) if err["loc"] else ""
        value = rec.get(top) if top else None
        out.append((name, value, _message(err, value, top in rec, _expected(model, top))))
    return out
