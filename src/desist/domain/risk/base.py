"""Shared pieces of the risk tools' input models: field types, the record base class, and FieldError.

Input models are pydantic v2 models that ignore extra fields, so one record file can carry the fields of
several tools. Booleans accept true/false/1/0/yes/no (pydantic's lax booleans), numbers may arrive as CSV
strings, and empty CSV cells arrive as None (see :mod:`desist.adapters.records`).
"""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from desist.domain.risk.field_error import FieldError as FieldError  # re-exported for the tools


def _id_to_text(value: Any) -> Any:
    # JSON ids may be numbers; CSV ids are text. Either way the output carries text.
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return value  # let pydantic reject it as not text
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    return value


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


RecordId = Annotated[
    Annotated[str, StringConstraints(min_length=1, max_length=100)] | None, BeforeValidator(_id_to_text)
]
Sex = Annotated[Literal["M", "F"], BeforeValidator(_upper)]
Age = Annotated[int, Field(ge=10, le=110)]
AdultAge = Annotated[float, Field(ge=18, le=110)]
Count = Annotated[int, Field(ge=0, le=500)]
OasysItem = Annotated[int | None, Field(default=None, ge=0, le=2)]


def lower_word(value: Any) -> Any:
    """Before-validator for lower-case words (a setting, an offence type): any case, surrounding spaces."""
    return value.strip().lower() if isinstance(value, str) else value


def upper_word(value: Any) -> Any:
    """Before-validator for band words: accept any case and surrounding spaces; blank text is missing."""
    if isinstance(value, str):
        return value.strip().upper() or None
    return value


class RecordModel(BaseModel):
    """Base of every risk-tool input: frozen, extra fields ignored, one ``id`` (text, optional)."""

    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)

    id: RecordId = None

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        # pydantic's lax mode reads true as 1 for an int field, so `age: true` was scored as age 1 or
        # reported "out of range"; a yes/no where a count or age belongs is a mistake in the record
        if isinstance(value, bool) and info.field_name is not None:
            field = cls.model_fields.get(info.field_name)
            if field is not None and _numeric(field.annotation):
                raise PydanticCustomError("bool_for_number", "a true/false value where a number is expected")
        return value


def _numeric(annotation: Any) -> bool:
    """True for int or float, possibly Optional or Annotated (bool is not numeric here)."""
    if typing.get_origin(annotation) is Annotated:
        return _numeric(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_numeric(a) for a in typing.get_args(annotation) if a is not type(None))
    return annotation in (int, float)
