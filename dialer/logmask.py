"""Phone numbers masked in log lines: a ``logging.Filter`` for the handlers of the long-running
processes (``dialer run``, ``dialer web``).

A log is copied, shipped and kept far longer and more widely than the campaign store, so a
number in it is personal data out of the store's access control. A number keeps its first
two and last two digits (enough to tell calls apart when reading a log), the rest is masked:
``+12015550123`` → ``+12•••••••23``. What counts as a number: ``+`` and 6 to 15 digits
(E.164), or 10 to 15 digits standing alone (a national number); call ids, times and counts
do not match.
"""

from __future__ import annotations

import logging
import re

_E164 = re.compile(r"\+\d{6,15}\b")
_NATIONAL = re.compile(r"(?<![\w.:+-])\d{10,15}(?![\w.:-])")
_MASK = "\u2022"


def mask_number(number: str) -> str:
    digits = number.lstrip("+")
    if len(digits) <= 4:
        return number
    prefix = "+" if number.startswith("+") else ""
    return f"{prefix}{digits[:2]}{_MASK * (len(digits) - 4)}{digits[-2:]}"


def mask_numbers(text: str) -> str:
    text = _E164.sub(lambda m: mask_number(m.group(0)), text)
    return _NATIONAL.sub(lambda m: mask_number(m.group(0)), text)


class MaskPhoneNumbers(logging.Filter):
    """Rewrites each record's message with numbers masked (arguments included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_numbers(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Mask numbers on every handler of ``logger`` (default: the root logger)."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, MaskPhoneNumbers) for f in handler.filters):
            handler.addFilter(MaskPhoneNumbers())
