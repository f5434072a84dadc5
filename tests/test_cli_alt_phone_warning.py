"""A lead's alternate number that cannot be kept (a spreadsheet's ``4.15555E+09``, too few
digits) was dropped without a word: the row was imported on its main number, so the rejects
file had no line for it, and the user believed the person's second number recorded (it is
also how the person's other numbers are linked for the per-person caps). Now the import
says so in one warning naming the first, with its file and line, and counts the others."""

from __future__ import annotations

import json

import pytest
from cli_kit import dialer, ok, use_home
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.leads import _alt_warning


def _spring(home, monkeypatch: pytest.MonkeyPatch) -> None:
    use_home(home, monkeypatch)
    assert dialer("db", "upgrade").exit_code == 0
    ok("campaign", "create", "spring", "--caller-id", "+12015550100")


def test_a_rewritten_alternate_number_is_named_with_its_line(tmp_path, monkeypatch):
    _spring(tmp_path, monkeypatch)
    leads = tmp_path / "leads.csv"
    leads.write_text("phone,mobile,first_name\n2015550101,4.15555E+09,Ann\n"
                     "2015550102,2015550199,Bob\n2015550103,12,Cy\n2015550104,,Di\n")
    report = ok("leads", "import", "spring", str(leads))
    assert report["imported"] == 4
    (said,) = [w for w in report["warnings"] if "alt_phones" in w]
    assert said.startswith(f"{leads}:2: alt_phones column 'mobile': '4.15555E+09' is not kept "
                           "as an alternate number: written by a spreadsheet in scientific "
                           "notation")
    assert said.endswith("1 more alternate number not kept either")
    kept = {lead["phone"]: lead for lead in ok("leads", "list", "spring")["leads"]}
    assert len(kept) == 4  # the rows themselves are imported, as before


def test_good_and_empty_alternate_numbers_say_nothing(tmp_path, monkeypatch):
    _spring(tmp_path, monkeypatch)
    leads = tmp_path / "leads.csv"
    leads.write_text("phone,mobile\n2015550101,2015550199\n2015550102,\n")
    report = ok("leads", "import", "spring", str(leads))
    assert not [w for w in report.get("warnings", []) if "alt_phones" in w]


@settings(max_examples=50)
@given(dropped=st.lists(st.tuples(st.integers(0, 9), st.sampled_from(["mobile", "work"]),
                                  st.text(min_size=1, max_size=8), st.just("why")),
                        max_size=6))
def test_one_warning_whatever_the_count(dropped) -> None:
    lines = list(range(2, 12))
    said = _alt_warning("f.csv", lines, dropped)
    if not dropped:
        assert said is None
        return
    assert said.startswith(f"f.csv:{lines[dropped[0][0]]}: alt_phones column ")
    assert ("more alternate number" in said) == (len(dropped) > 1)
    assert json.dumps(said)  # one line of text
    assert "\n" not in said
