"""A setting that is a number takes a number, never ``true`` or ``false``.

pydantic reads a boolean as a number in a float or int field (``true`` is 1), so
``--set wrap_up_timeout=true`` stored a one-second wrap-up, ``abandon_window_hours=true``
measured abandonment over one hour, and a queue file's ``max_wait = true`` sent every caller
to its overflow after a second: each a slip (a key pasted next to a flag, a value left
half-edited) read as a figure nobody wrote. Configuration models derive from
``NumbersNotBooleans``; the refusal names the field like any other.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationInfo, field_validator


def _is_number(annotation: Any) -> bool:
    if annotation in (int, float):
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        kinds = [a for a in typing.get_args(annotation) if a is not type(None)]
        return bool(kinds) and all(a in (int, float) for a in kinds)
    return False


class NumbersNotBooleans(BaseModel):
    """Base of configuration models whose number fields refuse ``true``/``false``."""

    @field_validator("*", mode="before")
    @classmethod
    def _number_not_boolean(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, bool) and info.field_name is not None and \
                _is_number(cls.model_fields[info.field_name].annotation):
            raise ValueError(f"a number is meant, got {str(value).lower()}")
        return value
