"""A setting is read as written: a number is a number, a yes/no is ``true`` or ``false``, a
name is text. Nothing is converted from one kind to another behind the user's back.

pydantic's lax mode converts: a boolean in a float or int field is a number (``true`` is 1),
so ``--set wrap_up_timeout=true`` stored a one-second wrap-up and a queue file's
``max_wait = true`` sent every caller to the overflow after a second; text that looks like a
number is one (``max_wait = "300"``, quoted in TOML, was 300 s); ``"yes"``, ``"off"``, ``1``
or ``0`` are a boolean (``closed_voicemail = "false"`` was read as meant only by luck, and
``amd_enabled = "no"``'s twin ``"nope"`` refused with words nobody recognised). A file
written by hand states its kinds: ``max_wait = "300"`` is most often a value copied from a
spreadsheet or a template whose quotes say it was never checked, and the same file with
``"3OO"`` (letters O) would be refused; reading one and refusing the other hides the slip.
So every configuration model derives from ``NumbersNotBooleans``, and each field takes only
its own kind, inside lists and maps too (``skills = {sales = "3"}``); the refusal names
the field like any other (``max_wait: a number is meant, got the text "300"``).

The command line is text by nature: ``--set KEY=VALUE`` reads VALUE as JSON when it parses,
else as text (``campaigns.cli._parse_sets``). That text, and a JSON number typed where a
name is meant (``--set compliance.dnc_number=8005551234``), are marked as typed on the
command line (``from_flag``) and keep pydantic's reading of text: ``--set max_wait=.5`` is
half a second, and the number above is the text the user typed. A boolean is never a
number, from a flag or a file.
"""

from __future__ import annotations

import enum
import json
import re
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ValidationInfo, field_validator

# --- values typed on the command line ----------------------------------------------------


class FlagText(str):
    """A ``--set`` value that is not JSON: text typed on the command line."""

    __slots__ = ()


class FlagInt(int):
    """A ``--set`` value JSON reads as a whole number, with the text typed."""

    text: str

    def __new__(cls, value: int, text: str) -> FlagInt:
        made = super().__new__(cls, value)
        made.text = text
        return made


class FlagFloat(float):
    """A ``--set`` value JSON reads as a number with a fraction, with the text typed."""

    text: str

    def __new__(cls, value: float, text: str) -> FlagFloat:
        made = super().__new__(cls, value)
        made.text = text
        return made


_FLAGGED = (FlagText, FlagInt, FlagFloat)


def from_flag(raw: str) -> Any:
    """A ``--set`` VALUE: its JSON reading (a number marked as typed on the command line),
    or the text itself when it is not JSON. Raises ``json.JSONDecodeError`` only for text
    meant as JSON (it begins with ``{`` or ``[``)."""
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        if raw.lstrip()[:1] in ("{", "["):
            raise
        return FlagText(raw)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return FlagInt(value, raw.strip())
    if isinstance(value, float):
        return FlagFloat(value, raw.strip())
    return value


_PAIR = re.compile(r"\s*([A-Za-z_]\w*)\s*[=:]\s*([^,;=:{}]+?)\s*")
_JSON_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)\Z")


def json_meant(text: str) -> str | None:
    """The JSON object meant by ``margin_z=2, aim_cap=0.5`` (the spelling of a command
    line) or ``{margin_z: 2}`` / ``{'margin_z': 2}`` (keys unquoted or in single quotes,
    as Python or JavaScript write them): ``{"margin_z": 2, "aim_cap": 0.5}``; None when
    ``text`` is no such list of pairs."""
    inner = text.strip().removeprefix("{").removesuffix("}").replace("'", "").replace('"', "")
    pairs = [_PAIR.fullmatch(part) for part in re.split(r"[,;]", inner)]
    if not pairs or not all(pairs):
        return None
    written = []
    for pair in pairs:
        assert pair is not None
        value = pair.group(2).strip()
        shown = value if _JSON_NUMBER.match(value) or value in ("true", "false", "null") \
            else json.dumps(value)
        written.append(f"{json.dumps(pair.group(1))}: {shown}")
    return "{" + ", ".join(written) + "}"


def _plain(value: Any) -> Any:
    """``value`` with a command-line mark taken off (what is stored is plain data); a
    section (a map) is left to its own model, which takes the marks off its fields."""
    if isinstance(value, FlagText):
        return str(value)
    if isinstance(value, FlagInt):
        return int(value)
    if isinstance(value, FlagFloat):
        return float(value)
    return value


# --- the kind each field takes ---------------------------------------------------------

_NUMBER, _BOOLEAN, _TEXT = "number", "boolean", "text"


def _kind(annotation: Any) -> str | None:
    """The kind of a scalar annotation (None: a model, a container, or anything else)."""
    if annotation is bool:
        return _BOOLEAN
    if annotation in (int, float):
        return _NUMBER
    if annotation is str or (
        isinstance(annotation, type)
        and issubclass(annotation, str)
        and issubclass(annotation, enum.Enum)
    ):
        return _TEXT
    if typing.get_origin(annotation) is Literal:
        return _TEXT if all(isinstance(a, str) for a in typing.get_args(annotation)) else None
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        kinds = {_kind(a) for a in typing.get_args(annotation) if a is not type(None)}
        if len(kinds) == 1 and None not in kinds:
            return kinds.pop()
    return None


def _is_number(annotation: Any) -> bool:
    return _kind(annotation) == _NUMBER


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f"the text {json.dumps(str(value), ensure_ascii=False)}"
    return repr(value)


def _scalar_problem(kind: str, value: Any) -> str | None:
    """Why ``value`` is not of ``kind`` as written (None: it is, or it is for pydantic to
    judge: a value of yet another type, a command-line text)."""
    if value is None:
        return None
    if kind == _NUMBER:
        if isinstance(value, bool):
            return f"a number is meant, got {_shown(value)}"
        if isinstance(value, str) and not isinstance(value, FlagText):
            return f"a number is meant, got {_shown(value)} (write a number without quotes)"
    elif kind == _BOOLEAN:
        if isinstance(value, _FLAGGED):
            return None
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return f"true or false is meant, got {_shown(value)}"
    elif (
        kind == _TEXT and isinstance(value, bool | int | float) and not isinstance(value, _FLAGGED)
    ):
        return f'a text is meant, got {_shown(value)} (write it in quotes: "{_shown(value)}")'
    return None


def _as_kind(kind: str, value: Any) -> Any:
    """A command-line value as its field reads it: a number typed where text is meant is
    the text typed, text where a number is meant is left to pydantic's reading."""
    if kind == _TEXT and isinstance(value, FlagInt | FlagFloat):
        return value.text
    return _plain(value)


def _item_annotation(annotation: Any) -> tuple[str, Any] | None:
    """For a list/tuple/set or a map annotation, ("items" | "values", the item's)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (tuple, list, set, frozenset) and args:
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            return None
        return "items", args[0]
    if origin in (dict, Mapping) and len(args) == 2:
        return "values", args[1]
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _item_annotation(inner[0]) if len(inner) == 1 else None
    return None


def _checked(annotation: Any, value: Any) -> Any:
    """``value`` checked against ``annotation``'s kind, and in its items; raises
    ``ValueError`` naming what is wrong (and where, inside a list or a map)."""
    kind = _kind(annotation)
    if kind is not None:
        if problem := _scalar_problem(kind, value):
            raise ValueError(problem)
        return _as_kind(kind, value)
    items = _item_annotation(annotation)
    if items is None:
        return _plain(value)
    which, inner = items
    if which == "values" and isinstance(value, dict):
        checked = {}
        for key, item in value.items():
            try:
                checked[key] = _checked(inner, item)
            except ValueError as error:
                raise ValueError(f"{key}: {error}") from None
        return checked
    if which == "items" and isinstance(value, list | tuple):
        out = []
        for index, item in enumerate(value):
            try:
                out.append(_checked(inner, item))
            except ValueError as error:
                raise ValueError(f"item {index + 1}: {error}") from None
        return out if isinstance(value, list) else tuple(out)
    return _plain(value)


class NumbersNotBooleans(BaseModel):
    """Base of configuration models: each field takes its own kind only (no ``true`` for a
    number, no ``"300"`` for a number nor for a boolean, no 5 for a name)."""

    @field_validator("*", mode="before")
    @classmethod
    def _as_written(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name is None:
            return value
        return _checked(cls.model_fields[info.field_name].annotation, value)
