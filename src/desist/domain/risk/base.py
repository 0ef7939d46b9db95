"""Shared pieces of the risk tools' input models: field types, the record base class, and FieldError.

Input models are pydantic v2 models that ignore extra fields, so one record file can carry the fields of
several tools. Booleans accept true/false/1/0/yes/no (pydantic's lax booleans), numbers may arrive as CSV
strings, and empty CSV cells arrive as None (see :mod:`desist.adapters.records`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from desist.domain.errors import InputError


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


def upper_word(value: Any) -> Any:
    """Before-validator for band words: accept any case and surrounding spaces; blank text is missing."""
    if isinstance(value, str):
        return value.strip().upper() or None
    return value


class RecordModel(BaseModel):
    """Base of every risk-tool input: frozen, extra fields ignored, one ``id`` (text, optional)."""

    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)

    id: RecordId = None


class FieldError(InputError):
    """A record is well-formed field by field but breaks a rule across fields (or a tool's precondition).

    Carries the field so the records adapter can name it in the one-line message.
    """

    def __init__(self, field: str, value: Any, message: str) -> None:
        super().__init__(f"field '{field}': {message}")
        self.field = field
        self.value = value
        self.detail = message
