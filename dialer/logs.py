"""The long-running processes' logs: plain text or JSON lines, phone numbers masked.

A log is copied, shipped to a log store and kept far longer and more widely than the
campaign store, so a phone number in it is personal data outside the store's access
control. By default every number in a log line (E.164 ``+`` and 6 to 15 digits, or 10 to
15 digits standing alone) keeps its first two and last two digits: ``+12015550123`` →
``+12•••••••23``, enough to tell calls apart; call ids, times and counts do not match.
``--show-numbers`` turns masking off for a debugging session.

JSON lines (``--log-format json``): one object per record with ``time`` (UTC, ISO 8601),
``level``, ``logger``, ``message`` and whatever structured fields the code passed with
``extra=`` (``campaign``, ``call_id``, ``gateway``, ...), ``exception`` with the traceback;
masked the same way, field by field.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

_E164 = re.compile(r"\+\d{6,15}\b")
_NATIONAL = re.compile(r"(?<![\w.:+/-])\d{10,15}(?!\w|[.:/-]\d)")
_MASK = "\u2022"
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message", "asctime", "taskName"}


def mask_number(number: str) -> str:
    digits = number.lstrip("+")
    if len(digits) <= 4:
        return number
    prefix = "+" if number.startswith("+") else ""
    return f"{prefix}{digits[:2]}{_MASK * (len(digits) - 4)}{digits[-2:]}"


def mask_numbers(text: str) -> str:
    text = _E164.sub(lambda m: mask_number(m.group(0)), text)
    return _NATIONAL.sub(lambda m: mask_number(m.group(0)), text)


class MaskNumbers(logging.Filter):
    """Rewrites each record's message (its arguments included) with numbers masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_numbers(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class JsonLines(logging.Formatter):
    """One JSON object per record (see the module docstring)."""

    def __init__(self, mask: bool = True) -> None:
        super().__init__()
        self.mask = mask

    def format(self, record: logging.LogRecord) -> str:
        clean = mask_numbers if self.mask else (lambda text: text)
        document: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": clean(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key in _STANDARD or key.startswith("_"):
                continue
            if isinstance(value, str):
                value = clean(value)
            elif not isinstance(value, int | float | bool | type(None)):
                value = clean(str(value))
            document[key] = value
        if record.exc_info:
            document["exception"] = clean(self.formatException(record.exc_info))
        return json.dumps(document, ensure_ascii=False)


def configure(log_format: str = "text", *, mask: bool = True, stream: TextIO | None = None,
              level: int = logging.INFO) -> logging.Handler:
    """Replace the root logger's handlers with one writing to ``stream`` (stderr) in
    ``text`` or ``json`` format, numbers masked unless ``mask`` is False."""
    if log_format not in ("text", "json"):
        raise ValueError(f"log format {log_format!r}: text or json")
    handler = logging.StreamHandler(stream or sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonLines(mask))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
        if mask:
            handler.addFilter(MaskNumbers())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler
