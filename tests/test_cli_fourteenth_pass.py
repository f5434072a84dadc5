"""The fourteenth pass: users who make mistakes (docs/operations.md, "Fourteenth pass"):
units, spreadsheet headers, names from the wrong command, near names. Each test fails on
the code before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_kit import READY_SPRING, dialer, ok, refused, refused_cleanly, use_home


def _write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(("value", "said"), [
    ("3%", "error: --abandon-rate: '3%' is not a fraction: write 0.03 for 3% (a share from "
     "0 to 1)"),
    ("0,03", "error: --abandon-rate: '0,03' is not a fraction: write 0.03 (a decimal point, "
     "not a comma)"),
    ("5", "error: --abandon-rate: 5 is not a rate between 0 and 1: write 0.05 for 5 %"),
    ("1.2", "error: --abandon-rate: 1.2 is not a rate between 0 and 1: write 0.012 for "
     "1.2 %"),
])
def test_explain_abandon_rate_says_its_unit(tmp_path, monkeypatch, value, said):
    """``compliance explain --abandon-rate`` took a float with no unit shown (``FLOAT`` in
    its help): ``5`` meaning 5 % was "not a rate between 0 and 1 (e.g. 0.012 for 1.2 %)"
    and ``3%`` "not a number". Its help now says FRACTION and each refusal the fix."""
    use_home(tmp_path, monkeypatch)
    assert refused_cleanly("compliance", "explain", "+12015550123", "--abandon-rate",
                           value) == said
    from typer.main import get_command

    from cli import app

    explain = get_command(app).commands["compliance"].commands["explain"]
    assert {p.name: p.metavar for p in explain.params if "abandon" in p.name} == {
        "abandon_rate": "FRACTION", "abandon_rate_today": "FRACTION"}


def test_a_column_without_a_header_is_named_by_its_number_and_warned(tmp_path, monkeypatch):
    """``Phone,Name,,`` (a spreadsheet column without a title, and the trailing comma of
    an empty one): pandas named them ``Unnamed: 2`` and ``Unnamed: 3``, and every lead kept
    custom fields of those names, the empty one too. The titled-less column is now
    ``column_3``, with a warning naming the header line and the fix; the empty one is
    left out (nothing in it)."""
    use_home(tmp_path, monkeypatch)
    assert dialer("db", "upgrade").exit_code == 0
    ok("campaign", "create", "spring", *READY_SPRING)
    leads = _write(tmp_path / "leads.csv", "Phone,Name,,\n2125550101,Ann,gold,\n"
                   "2125550102,Bob,,\n")
    report = ok("leads", "import", "spring", leads, "--yes")
    assert report["warnings"] == [
        f"{leads}:1: column 3 has no name in the header: kept as the custom field "
        "column_3. To name it, write a name in the header's empty cell: dialer leads "
        "delete spring --list leads.csv --yes, then import again"]
    from campaigns.store import CampaignStore

    store = CampaignStore.open_read_only(f"sqlite:///{tmp_path / 'dialer.db'}")
    try:
        custom = sorted((lead.phone, lead.custom) for lead in store.leads("spring"))
    finally:
        store.close()
    assert [c for _, c in custom] == [{"column_3": "gold"}, {"column_3": ""}]


def test_a_workbook_column_without_a_title_is_named_by_its_number(tmp_path):
    import pandas as pd

    from campaigns.lead_files import read_lead_file

    path = tmp_path / "leads.xlsx"
    pd.DataFrame([["2125550101", "x", ""]], columns=["Phone", "", " "]).to_excel(
        path, index=False)
    table = read_lead_file(path)
    assert (list(table.frame.columns), table.unnamed) == (["Phone", "column_2"], (2,))


def test_the_french_portable_column_is_the_leads_other_number(tmp_path, monkeypatch):
    """``Téléphone;Nom;Portable`` (a French export): the mobile column was kept as a custom
    field, never scrubbed, while German ``Mobil`` and ``Handy`` were read. A file with the
    mobile column alone is refused with the --map that reads it."""
    use_home(tmp_path, monkeypatch)
    assert dialer("db", "upgrade").exit_code == 0
    ok("campaign", "create", "spring", *READY_SPRING)
    leads = _write(tmp_path / "export.csv", "Téléphone;Nom;Portable\n"
                   "2125550101;Dupont;2015550150\n")
    assert ok("leads", "import", "spring", leads, "--yes")["mapping"]["alt_phones"] == [
        "Portable"]
    alone = _write(tmp_path / "mobiles.csv", "Nom;Portable\nDupont;2125550101\n")
    assert refused("leads", "import", "spring", alone, "--yes").endswith(
        "no phone column found in the header (Nom, Portable); name it with --map "
        "phone=Portable (field 'phone')")


def test_one_option_names_a_lead_list_in_import_and_delete(tmp_path, monkeypatch):
    """``leads import --list-name spring-a`` then ``leads delete --list spring-a``: the
    same list had two option names, and each command refused the other's (``No such
    option: --list``). Both now take ``--list``, and ``--list-name`` still."""
    use_home(tmp_path, monkeypatch)
    assert dialer("db", "upgrade").exit_code == 0
    ok("campaign", "create", "spring", *READY_SPRING)
    first = _write(tmp_path / "a.csv", "Phone\n2125550101\n")
    second = _write(tmp_path / "b.csv", "Phone\n2125550102\n")
    ok("leads", "import", "spring", first, "--list", "spring-a", "--yes")
    ok("leads", "import", "spring", second, "--list-name", "spring-b", "--yes")
    assert [row["name"] for row in ok("leads", "lists", "spring")["lists"]] == [
        "spring-a", "spring-b"]
    assert ok("leads", "delete", "spring", "--list-name", "spring-a", "--yes")[
        "deleted"] == 1
    assert ok("leads", "delete", "spring", "--list", "spring-b", "--yes")["deleted"] == 1
