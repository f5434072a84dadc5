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
