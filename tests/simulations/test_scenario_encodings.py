"""A scenario file as editors save it (first-hour eleventh pass): with a byte-order mark,
in UTF-16 ("Unicode" in Notepad), or in latin-1. The first two were a traceback or 'not
valid TOML at line 1, column 1'; they are read as meant, and latin-1 is refused with its
line."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulations.errors import ScenarioError
from simulations.scenario import load_scenario

OUTBOUND = Path(__file__).resolve().parents[2] / "simulations" / "scenarios" / "outbound.toml"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-be", "utf-32"])
def test_a_file_with_a_byte_order_mark_is_read_as_meant(tmp_path, encoding):
    text = OUTBOUND.read_text(encoding="utf-8")
    path = tmp_path / "s.toml"
    data = text.encode(encoding)
    path.write_bytes(b"\xfe\xff" + data if encoding == "utf-16-be" else data)
    expected = load_scenario(OUTBOUND)
    read = load_scenario(path)
    assert (read.campaign, read.amd, read.machine_handle_time) == (
        expected.campaign, expected.amd, expected.machine_handle_time)


def test_latin_1_is_refused_with_its_line(tmp_path):
    path = tmp_path / "s.toml"
    path.write_bytes(OUTBOUND.read_bytes() + "# café\n".encode("latin-1"))
    line = OUTBOUND.read_bytes().count(b"\n") + 1
    with pytest.raises(ScenarioError, match=rf"s.toml:{line}: not UTF-8 text \(byte 0xe9\); "
                       "a scenario file is TOML, which is UTF-8: save it as UTF-8"):
        load_scenario(path)
