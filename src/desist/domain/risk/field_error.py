"""FieldError: a record breaks a rule across fields. Its own module so importing the risk package (for its
bands) does not import pydantic: the casework commands reach ``Band`` at start-up and must start fast."""

from __future__ import annotations

from typing import Any

from desist.domain.errors import InputError


class FieldError(InputError):
    """A record is well-formed field by field but breaks a rule across fields (or a tool's precondition).

    Carries the field so the records adapter can name it in the one-line message.
    """

    def __init__(self, field: str, value: Any, message: str) -> None:
        super().__init__(f"field '{field}': {message}")
        self.field = field
        self.value = value
        self.detail = message
