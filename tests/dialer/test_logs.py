"""Logs: numbers masked by default (text and JSON lines), structured fields kept."""

from __future__ import annotations

import io
import json
import logging

import pytest

from dialer.logs import JsonLines, configure, mask_numbers


@pytest.fixture
def restore_root():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_numbers_are_masked_ids_and_times_are_not() -> None:
    assert mask_numbers("dialing +12015550123 for lead 42") == \
        "dialing +12\u2022\u2022\u2022\u2022\u2022\u2022\u202223 for lead 42"
    assert mask_numbers("national 2015550123.") == "national 20" + "\u2022" * 6 + "23."
    kept = "call 3f2a9c1e-0b4d-4e8f-9a61-2b7c5d8e0f13 at 2026-12-05T10:00:00, 1733389200.5 s"
    assert mask_numbers(kept) == kept


def test_json_lines_with_fields_masked(restore_root) -> None:
    stream = io.StringIO()
    configure("json", stream=stream)
    log = logging.getLogger("dialer.runner")
    log.info("not dialing %s: %s", "+442079460100", "refused",
             extra={"campaign": "spring", "call_id": "c-1", "number": "+12015550123",
                    "attempt": 2})
    try:
        raise RuntimeError("lost +13125550123")
    except RuntimeError:
        log.exception("failed")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["level"] == "INFO" and first["logger"] == "dialer.runner"
    assert first["message"] == "not dialing +44" + "\u2022" * 8 + "00: refused"
    assert first["campaign"] == "spring" and first["call_id"] == "c-1"
    assert first["number"] == "+12\u2022\u2022\u2022\u2022\u2022\u2022\u202223"
    assert first["attempt"] == 2 and first["time"].endswith("Z")
    assert "+13125550123" not in second["exception"] and "RuntimeError" in second["exception"]


def test_text_masked_by_default_and_shown_on_request(restore_root) -> None:
    stream = io.StringIO()
    configure("text", stream=stream)
    logging.getLogger("dialer").warning("busy %s", "+12015550123")
    assert "+12015550123" not in stream.getvalue() and "+12\u2022" in stream.getvalue()
    stream = io.StringIO()
    configure("text", mask=False, stream=stream)
    logging.getLogger("dialer").warning("busy %s", "+12015550123")
    assert "+12015550123" in stream.getvalue()
    assert isinstance(JsonLines().format(logging.makeLogRecord({"msg": "x"})), str)
