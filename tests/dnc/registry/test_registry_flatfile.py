"""The vectorised FTC flat-file parser agrees with a line-by-line oracle."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from dnc.registry import DncStore
from dnc.registry.flatfile import ParseReport, iter_blocks, parse_block
from dnc.registry.importer import import_full_list

valid_line = st.builds(lambda a, n: f"{a},{n}", st.integers(200, 999),
                       st.integers(2_000_000, 9_999_999))
junk_line = st.sampled_from(["", "201,234567", "201,23456789", "abc,defghij", "101,2345678",
                             "201,1345678", "201;2345678", "2012345678 ", " 201,2345678"])
ending = st.sampled_from(["\n", "\r\n"])


def oracle(lines: list[str]) -> tuple[list[int], list[int]]:
    keys, bad = [], []
    for number, text in enumerate(lines, start=1):
        if text == "":
            continue
        area, _, rest = text.partition(",")
        ok = (len(text) == 11 and text[3] == "," and area.isdigit() and rest.isdigit()
              and area[0] >= "2" and rest[0] >= "2")
        if ok:
            keys.append(int(area + rest) - 2_000_000_000)
        else:
            bad.append(number)
    return keys, bad


@settings(max_examples=150, deadline=None)
@given(lines=st.lists(st.one_of(valid_line, junk_line), max_size=60), endings=st.data(),
       chunk=st.integers(5, 64), final_newline=st.booleans())
def test_parser_matches_oracle(lines, endings, chunk, final_newline) -> None:
    text = "".join(line + endings.draw(ending) for line in lines)
    if not final_newline and text.endswith("\n"):
        text = text.rstrip("\r\n")
    report = ParseReport()
    keys, line = [], 1
    for block, _ in iter_blocks(io.BytesIO(text.encode()), chunk_bytes=chunk):
        if block:
            keys.extend(parse_block(block, "f", line, report).tolist())
            line += block.count(b"\n")
    expected_keys, expected_bad = oracle(lines)
    assert keys == expected_keys
    assert report.malformed == len(expected_bad)
    assert [r.line for r in report.examples] == expected_bad[:20]
    assert all(r.reason for r in report.examples)


def test_reader_keeps_its_version_until_refresh(tmp_path: Path) -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    root = tmp_path / "dnc" / "registries"
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("201,2345678\n")
    second.write_text("305,5551234\n")
    import_full_list(root, "national", [first], now, now)
    reader = DncStore(tmp_path / "dnc", internal=False)
    import_full_list(root, "national", [second], now, now)
    assert reader.hits("+12012345678") and not reader.hits("+13055551234")
    reader.refresh()
    assert reader.hits("+13055551234") and not reader.hits("+12012345678")
    assert reader.versions()[0].version == "national@2026-11-01#2"
