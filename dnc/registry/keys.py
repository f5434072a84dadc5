"""NANP numbers as integer keys: the 10 national digits minus 2 000 000 000.

Every registry the FTC and the states publish lists NANP numbers only; an area code and an
exchange never start with 0 or 1 (NANP numbering plan), so keys fall in [0, 8e9).
"""

from __future__ import annotations

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
