"""Phone numbers are masked in log lines."""

from __future__ import annotations

import logging

from dialer.logmask import MaskPhoneNumbers, mask_number, mask_numbers


def test_numbers_are_masked_ids_and_times_are_not() -> None:
    line = ("not dialing +12015550123 (2015550123) call de533e1e-7221-4129-83da-b45810e69957 "
            "at 1796453422.22, 12 attempts")
    masked = mask_numbers(line)
    assert "+12015550123" not in masked and "2015550123" not in masked.replace("+", "")
    assert mask_number("+12015550123") in masked
    assert "de533e1e-7221-4129-83da-b45810e69957" in masked and "1796453422.22" in masked


def test_the_filter_masks_arguments_too(caplog) -> None:
    logger = logging.getLogger("test.logmask")
    handler = logging.Handler()
    records: list[str] = []
    handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    handler.addFilter(MaskPhoneNumbers())
    logger.addHandler(handler)
    try:
        logger.warning("opt-out from %s", "+442079460100")
    finally:
        logger.removeHandler(handler)
    assert records == [f"opt-out from +44{chr(0x2022) * 8}00"]
