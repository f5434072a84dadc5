"""Two things ``leads import`` said too little about.

The summary counted the rejected rows by reason but named none: a main number a
spreadsheet mangled had its line only in the rejects file. Now the summary (and the JSON's
``first_reject``) names the first rejected row as ``FILE:LINE: field: 'cell': why``, as the
alternate-number warning names its first.

A UK number written without its trunk 0 (``2079460000``: a spreadsheet that stored the
column as a number dropped it) was imported as ``+442079460000`` without a word. The
digits can only be that UK number (phonenumbers checks it with the 0 back), so it is kept,
and one warning names the first such row with its line, the number it was read as, how
many more, and what to do if the file was not of UK numbers. A number written with its 0,
in E.164, or in a plan whose national prefix is not 0 (the US's 1) says nothing."""

from __future__ import annotations

import pytest
from cli_kit import dialer, ok, use_home
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.phones import normalise_series, without_trunk_zero


def _campaign(home, monkeypatch: pytest.MonkeyPatch, *extra: str) -> None:
    use_home(home, monkeypatch)
    assert dialer("db", "upgrade").exit_code == 0
    ok("campaign", "create", "spring", "--caller-id", "+12015550100", *extra)


def test_the_summary_names_the_first_rejected_main_number(tmp_path, monkeypatch):
    _campaign(tmp_path, monkeypatch)
    leads = tmp_path / "leads.csv"
    leads.write_text("phone,first_name\n2015550101,Ann\n2.01555E+09,Bob\n12,Cy\n")
    report = ok("leads", "import", "spring", str(leads))
    assert (report["imported"], report["rejected"]) == (1, 2)
    assert report["first_reject"] == (
        f"{leads}:3: phone: '2.01555E+09': written by a spreadsheet in scientific notation "
        "(e.g. 2.01555E+09), which loses the last digits: format the phone column as text "
        "and save the file again")
    monkeypatch.setenv("COLUMNS", "1000")  # the line unwrapped, however long the path
    again = tmp_path / "more.csv"
    again.write_text("phone,first_name\n2015550109,Ann\n12,Cy\n")
    text = dialer("leads", "import", "spring", str(again), "--yes")
    assert (f"the first: {again}:3: phone: '12': invalid phone number"
            in " ".join(text.output.split())), text.output


def test_nothing_rejected_names_nothing(tmp_path, monkeypatch):
    _campaign(tmp_path, monkeypatch)
    leads = tmp_path / "leads.csv"
    leads.write_text("phone\n2015550101\n")
    assert ok("leads", "import", "spring", str(leads))["first_reject"] is None


def _uk(home, monkeypatch) -> None:
    _campaign(home, monkeypatch, "--set", "jurisdiction=uk", "--abandon-target", "0.02")


def test_a_uk_number_without_its_zero_is_kept_and_said(tmp_path, monkeypatch):
    _uk(tmp_path, monkeypatch)
    leads = tmp_path / "uk.csv"
    leads.write_text("phone,first_name\n02079460001,Ann\n2079460000,Bob\n"
                     "+442079460002,Cy\n7400123456,Di\n020 7946 0003,Ed\n00442079460004,Flo\n")
    report = ok("leads", "import", "spring", str(leads), "--region", "GB")
    assert report["imported"] == 6, report["first_reject"]
    (said,) = [w for w in report["warnings"] if "leading 0" in w]
    assert said.startswith(f"{leads}:3: phone: '2079460000' has no leading 0: imported as "
                           "020 7946 0000 (+442079460000)")
    # Those written with their 0, with +44 or 0044 are not among them.
    assert "; 1 more number the same." in said
    assert "If these are not UK numbers, write them with their country code" in said
    assert "dialer leads delete spring --list uk.csv --yes" in said
    phones = {lead["phone"] for lead in ok("leads", "list", "spring")["leads"]}
    assert {"+442079460000", "+447400123456"} <= phones


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["2079460000", "02079460001", "+442079460002",
                                 "7400123456", "020 7946 0003", "abc", "", "12"]),
                max_size=8),
       st.sampled_from(["GB", "US"]))
def test_only_accepted_national_numbers_without_the_zero_are_named(cells, region) -> None:
    import pandas as pd

    numbers, _ = normalise_series(pd.Series(cells, dtype=object), region)
    found = without_trunk_zero(cells, numbers.tolist(), region)
    if region == "US":
        assert found == []  # the US's national prefix is 1: written without it is normal
        return
    assert found == [i for i, cell in enumerate(cells)
                     if cell in ("2079460000", "7400123456")]
