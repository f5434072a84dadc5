"""Counts in words for the command line's sentences: ``1 number``, ``2 numbers``.

A leaf module (it imports nothing of the project), so every package's CLI can use it.
Lines such as "national@2026-12-07#1: 1 numbers listed" and "imported 1 of 1 rows" read
as a program that never met a one (first-hour thirteenth pass)."""

from __future__ import annotations


def counted(n: int, word: str, plural: str | None = None) -> str:
    """``n`` with thousands separators and ``word`` agreeing with it: ``counted(1, "row")``
    is "1 row", ``counted(1200, "lead")`` "1,200 leads", ``counted(2, "person",
    "people")`` "2 people"."""
    return f"{n:,} {word if n == 1 else plural or word + 's'}"


def meant_name(name: str, names: list[str] | tuple[str, ...]) -> str | None:
    """The one of ``names`` a mistyped ``name`` most likely meant: the same name in another
    case (``Ann`` for ``ann``: the exact name is needed), else the closest (difflib), else
    None."""
    import difflib

    same = [n for n in names if n.casefold() == name.casefold()]
    close = same or difflib.get_close_matches(name, list(names), 1)
    return close[0] if close else None


def did_you_mean(name: str, names: list[str] | tuple[str, ...]) -> str:
    """``"; did you mean 'ann'?"`` for ``meant_name``'s answer, else ``""``."""
    meant = meant_name(name, names)
    return f"; did you mean {meant!r}?" if meant is not None else ""


def choice_meant(error: dict) -> str:
    """For pydantic's refusal of a name that is not one of a field's choices
    (``literal_error``, ``enum``: "Input should be 'longest_idle', 'ring_all' or ..."),
    ``"; did you mean 'longest_idle'?"`` when the text typed is one slip from a choice
    (``longest-idle``, ``Ring_All``); else ``""``."""
    import re

    typed = error.get("input")
    expected = (error.get("ctx") or {}).get("expected")
    if error.get("type") not in ("literal_error", "enum") or not isinstance(typed, str) \
            or not isinstance(expected, str):
        return ""
    choices = re.findall(r"'([^']*)'", expected)
    return did_you_mean(typed.replace("-", "_").replace(" ", "_"), choices) or \
        did_you_mean(typed, choices)
