"""What a registry import says about bad input: one record per bad line, with its line
number and why; registry names that do not exist are refused."""

from __future__ import annotations

import io

import pytest

from dnc.registry.errors import RegistryError
from dnc.registry.flatfile import ParseReport, iter_blocks, parse_block
from dnc.registry.store import check_name


def parse(text: str, chunk: int = 1 << 20) -> ParseReport:
    report = ParseReport()
    line = 1
    for block, _ in iter_blocks(io.BytesIO(text.encode()), chunk_bytes=chunk):
        if block:
            parse_block(block, "ftc.txt", line, report)
            line += block.count(b"\n")
    return report


def test_consecutive_short_bad_lines_are_separate_records_with_their_lines():
    # 8 + 4 bytes: together they fill one 12-byte fixed-width slot.
    report = parse("201,234\n567\n201,2345678\n")
    assert report.malformed == 2
    assert [(r.line, r.text) for r in report.examples] == [(1, "201,234"), (2, "567")]


@pytest.mark.parametrize(("line", "reason"), [
    ("201,1345678", "exchange starts with 1"),
    ("101,2345678", "area code starts with 1"),
    ("201,234567", "number '234567' is not 7 digits"),
    ("2012345678", "no comma"),
    ("abc,2345678", "area code 'abc' is not 3 digits"),
    (" 201,234567", "spaces around a field"),
])
def test_every_rejected_record_says_why(line, reason):
    report = parse(f"201,2345678\n{line}\n305,5551234\n")
    assert report.malformed == 1
    (record,) = report.examples
    assert record.line == 2 and reason in record.reason


@pytest.mark.parametrize("name", ["state:ZZ", "state:", "foo:bar", "internal", "a b"])
def test_registry_names_that_do_not_exist_are_refused(name):
    with pytest.raises(RegistryError, match="invalid registry name"):
        check_name(name)


def test_registry_names_are_stored_canonically():
    assert check_name("state:tx") == "state:TX"
    assert check_name("national") == "national"
    assert check_name("acme-2026") == "acme-2026"
