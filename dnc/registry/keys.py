"""Numbers as integer keys, per numbering plan.

- NANP (the FTC's and the states' registries): the 10 national digits minus 2 000 000 000; an
  area code and an exchange never start with 0 or 1, so keys fall in [0, 8e9).
- GB (the UK's TPS and CTPS, registries named ``tps``/``ctps``): the national significant
  number itself (9 or 10 digits after +44, first digit 1-7: geographic, mobile and 03
  numbers, the ones TPS registers), also in [0, 8e9). One registry holds one plan.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

NANP_BASE = 2_000_000_000
KEY_SPACE = 8_000_000_000


def key_of_digits(national: str) -> int | None:
    """Key of a 10-digit national number, or None when it is not a valid NANP number."""
    if len(national) != 10 or not national.isdigit() or national[0] < "2" or national[3] < "2":
        return None
    return int(national) - NANP_BASE


def key_of_e164(number_e164: str) -> int | None:
    """Key of ``+1NXXNXXXXXX``; None for any other number (not in a NANP registry)."""
    if len(number_e164) != 12 or not number_e164.startswith("+1"):
        return None
    return key_of_digits(number_e164[2:])


def e164_of_key(key: int) -> str:
    return f"+1{key + NANP_BASE}"


def keys_of_e164(numbers: list[str]) -> np.ndarray:
    """Vector of keys (-1 where the number is not a NANP number), parsed with numpy."""
    if not numbers:
        return np.empty(0, dtype=np.int64)
    keys = _keys_of_twelve_chars(numbers)
    return keys if keys is not None else _keys_of_any(numbers)


def _keys_of_twelve_chars(numbers: list[str]) -> np.ndarray | None:
    """The fast path when every string has exactly 12 ASCII characters (``+1`` and ten
    digits is 12): one join into bytes, then fixed-width rows of 13 (the newline).

    The rows are the strings only if each string is 12 characters long: exactly ``n``
    newlines in ``13 n`` bytes, each at the end of its row, proves it (no string holds a
    newline of its own). Anything else (other lengths, non-ASCII) returns None."""
    count = len(numbers)
    try:
        joined = ("\n".join(numbers) + "\n").encode("ascii")
    except UnicodeEncodeError:
        return None
    if len(joined) != 13 * count or joined.count(b"\n") != count:
        return None
    rows = np.frombuffer(joined, dtype=np.uint8).reshape(count, 13)
    if not (rows[:, 12] == 10).all():
        return None
    digits = rows[:, 2:12] - np.uint8(48)   # a non-digit wraps above 9
    valid = (rows[:, 0] == ord("+")) & (rows[:, 1] == ord("1"))
    highest = digits[:, 0].copy()
    for column in range(1, 10):
        np.maximum(highest, digits[:, column], out=highest)
    valid &= highest <= 9
    valid &= (digits[:, 0] >= 2) & (digits[:, 3] >= 2)
    value = digits[:, 0].astype(np.int64)
    for column in range(1, 10):
        value *= 10
        value += digits[:, column]
    value -= NANP_BASE
    value[~valid] = -1
    return value


def _keys_of_any(numbers: list[str]) -> np.ndarray:
    text = np.array(numbers, dtype="U13")
    codes = text.view(np.uint32).reshape(len(numbers), 13)
    digits = codes[:, 2:12].astype(np.int64) - 48
    valid = (codes[:, 0] == ord("+")) & (codes[:, 1] == ord("1")) & (codes[:, 12] == 0)
    valid &= ((digits >= 0) & (digits <= 9)).all(axis=1)
    valid &= (digits[:, 0] >= 2) & (digits[:, 3] >= 2)
    value = digits[:, 0].copy()
    for column in range(1, 10):
        value *= 10
        value += digits[:, column]
    value -= NANP_BASE
    value[~valid] = -1
    return value


GB_REGISTRIES = ("tps", "ctps")


@lru_cache(maxsize=256)
def plan_of(registry: str) -> str:
    """The numbering plan of a registry's numbers: "gb" for TPS/CTPS, else "nanp"."""
    return "gb" if registry.lower().split(":")[0] in GB_REGISTRIES else "nanp"


def key_in_plan(plan: str, number_e164: str) -> int | None:
    """Key of an E.164 number in ``plan`` (None: not a number of that plan)."""
    if plan == "nanp":
        return key_of_e164(number_e164)
    national = number_e164[3:]
    if not number_e164.startswith("+44") or not national.isdigit() or not (
            9 <= len(national) <= 10) or national[0] not in "1234567":
        return None
    return int(national)


def e164_of_key_in(plan: str, key: int) -> str:
    return e164_of_key(key) if plan == "nanp" else f"+44{key}"
