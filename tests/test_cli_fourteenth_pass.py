"""The fourteenth pass: users who make mistakes (docs/operations.md, "Fourteenth pass"):
units, spreadsheet headers, names from the wrong command, near names. Each test fails on
the code before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_kit import READY_SPRING, dialer, ok, refused, refused_cleanly, use_home

OUTBOUND = str(Path(__file__).parents[1] / "simulations" / "scenarios" / "outbound.toml")


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


def test_a_mistyped_map_names_the_field_or_column_meant(tmp_path, monkeypatch):
    """``--map phone=phone`` (the header says ``Phone``), ``--map phon=Phone``, ``--map
    Name=first_name`` (column and field swapped), ``--contact-by email``: each listed the
    header or the fields and left the user to spot the slip."""
    use_home(tmp_path, monkeypatch)
    assert dialer("db", "upgrade").exit_code == 0
    ok("campaign", "create", "spring", *READY_SPRING)
    leads = _write(tmp_path / "leads.csv", "Phone,Name,Email\n2125550101,Ann,a@b.example\n")
    assert refused("leads", "import", "spring", leads, "--map", "phone=phone",
                   "--yes").endswith("column 'phone' is not in the header (Phone, Name, "
                                     "Email); did you mean 'Phone'? (field 'phone')")
    assert "unknown lead field 'phon' (did you mean 'phone'?); fields: phone," in refused(
        "leads", "import", "spring", leads, "--map", "phon=Phone", "--yes")
    assert "unknown lead field 'Name' (write --map first_name=Name: the field first, then " \
        "the column); fields:" in refused("leads", "import", "spring", leads, "--map",
                                         "Name=first_name", "--yes")
    assert "--contact-by 'email' is not a column of the file (Phone, Name, Email); did you " \
        "mean 'Email'?" in refused("leads", "import", "spring", leads, "--contact-by",
                                   "email", "--yes")
    assert refused("leads", "list", "spring", "--status", "New").endswith(
        "invalid (did you mean new?)")
    assert ok("leads", "list", "spring")["leads"] == []  # nothing imported


def test_a_mistyped_pacing_policy_or_parameter_names_the_one_meant(tmp_path, monkeypatch):
    """``--pacing predicitve``, ``pacing_params={"margn_z": 2}``, ``simulate --policy
    'predictive margin_z=2'``: the choices were listed (twenty-six parameters) with no
    word of which was meant, and the space for a colon was "unknown pacing policy"."""
    use_home(tmp_path, monkeypatch)
    assert dialer("db", "upgrade").exit_code == 0
    ok("campaign", "create", "spring", *READY_SPRING)
    assert "unknown pacing policy 'predicitve' (did you mean 'predictive'?); choose one of" \
        in refused("campaign", "edit", "spring", "--pacing", "predicitve")
    assert "'margn_z' is not a parameter of the predictive policy (did you mean " \
        "'margin_z'?); valid:" in refused("campaign", "edit", "spring", "--set",
                                          'pacing_params={"margn_z": 2}')
    scenario = OUTBOUND
    assert refused("simulate", scenario, "--policy", "predictive:margn_z=2").endswith(
        "hang_up_after; did you mean 'margin_z'?")
    assert "unknown pacing policy 'predictive margin_z=2' (write predictive:margin_z=2: a " \
        "colon after the policy's name" in refused("simulate", scenario, "--policy",
                                                  "predictive margin_z=2")


@pytest.mark.parametrize(("vary", "said"), [
    ("margin_z=2,3", "error: --vary margin_z: margin_z is a parameter of the predictive "
     "pacing policy, not a scenario key: write --vary predictive.margin_z=2,3"),
    ("predictve.margin_z=2,3", "error: --vary predictve.margin_z: no pacing policy "
     "'predictve'; did you mean predictive.margin_z?"),
    ("agnts=5,10", "error: --vary agnts: no such scenario key; did you mean agents?"),
    ("callees.live_anser=0.2", "error: --vary callees.live_anser: no such scenario key; "
     "did you mean callees.live_answer?"),
])
def test_a_sweep_key_slip_names_the_key_to_write(tmp_path, monkeypatch, vary, said):
    """``sweep --vary margin_z=2,3`` (the policy's parameter without its policy) was "no
    such scenario key", as was ``agnts``: the key meant is now written out."""
    use_home(tmp_path, monkeypatch)
    assert refused("sweep", OUTBOUND, "--vary", vary,
                   "--policy", "predictive") == said


def test_a_scenario_file_key_slip_names_the_key_meant(tmp_path):
    from simulations.errors import ScenarioError
    from simulations.scenario import load_scenario

    text = Path(OUTBOUND).read_text()
    assert "\nagents = " in text
    path = tmp_path / "typo.toml"
    path.write_text(text.replace("\nagents = ", "\nagnts = ", 1))
    with pytest.raises(ScenarioError, match=r"\[campaign\]\.agnts: unknown key \(did you "
                       r"mean agents\?\); known: "):
        load_scenario(path)


def test_a_state_list_in_the_ftc_layout_is_told_to_give_format_ftc(tmp_path, monkeypatch):
    """A state's list saved like the FTC's file (``201,5550120``) without ``--format ftc``:
    read as a list of numbers, each area code was "'312' is not a valid NANP number" and
    nothing said the layout was the FTC's."""
    use_home(tmp_path, monkeypatch)
    state = _write(tmp_path / "tx.txt", "201,5550120\n312,5550121\n213,5550122\n")
    said = refused("dnc", "import", state, "--registry", "state:TX", "--as-of",
                   "2026-12-01")
    assert said.endswith("(its lines are AAA,NNNNNNN, the FTC's flat file: give --format "
                         "ftc)")
    ok("dnc", "import", state, "--registry", "state:TX", "--as-of", "2026-12-01",
       "--format", "ftc")
    assert ok("dnc", "check", "+13125550121")["results"][0]["listed"]


def test_a_sections_key_given_as_its_value_names_both_spellings(tmp_path, monkeypatch):
    """``--set pacing_params=margin_z=2`` (the key inside the value) was "pacing_params:
    Input should be a valid dictionary"; ``{margin_z: 2}`` quoted the JSON parser alone.
    Text with ``=`` in a text setting is still that text."""
    use_home(tmp_path, monkeypatch)
    assert dialer("db", "upgrade").exit_code == 0
    ok("campaign", "create", "spring", *READY_SPRING)
    assert refused("campaign", "edit", "spring", "--set", "pacing_params=margin_z=2") == (
        "error: --set 'pacing_params=margin_z=2': margin_z=2 is a key of pacing_params: "
        "write --set pacing_params.margin_z=2 (that key alone), or --set "
        "pacing_params='{\"margin_z\": 2}' (the whole section)")
    assert refused("campaign", "edit", "spring", "--set",
                   "pacing_params={margin_z: 2}").endswith(
        "of '{margin_z: 2}'; write pacing_params='{\"margin_z\": 2}'")
    shown = ok("campaign", "edit", "spring", "--set", "agent_script=Press 1=yes")
    assert shown["settings"]["agent_script"] == "Press 1=yes"


def test_a_pause_reason_the_campaign_does_not_declare_is_refused(tmp_path, monkeypatch):
    """``dialer agent pause spring ann lnch``: the runner recorded 'lnch' in the agent
    history (the console offers only the declared reasons); the reports counted a reason
    nobody declared. Refused before the run is asked, naming the one meant."""
    use_home(tmp_path, monkeypatch)
    assert dialer("db", "upgrade").exit_code == 0
    ok("campaign", "create", "spring", *READY_SPRING)
    assert refused_cleanly("agent", "pause", "spring", "ann", "lnch") == (
        "error: campaign 'spring' declares no pause reason 'lnch' (its reasons: break, "
        "lunch, training, meeting, coaching); did you mean 'lunch'? (a new one is declared "
        "with `dialer campaign edit spring --set 'pause_reasons=[...]'`)")
    # A declared reason goes on to the run (none answers here).
    assert "no running campaign answers" in refused("agent", "pause", "spring", "ann",
                                                    "lunch")


def test_a_choice_one_slip_away_names_the_one_meant(tmp_path, monkeypatch):
    """``report --format tabel``, ``user add --role agnet``, ``queue create --strategy
    longest-idle``, ``--set machine_action=hangup``, a queue's ``max_wiat``: the choices
    were listed (pydantic's "Input should be ...") without the one meant."""
    use_home(tmp_path, monkeypatch)
    assert dialer("db", "upgrade").exit_code == 0
    ok("campaign", "create", "spring", *READY_SPRING)
    assert refused("report", "spring", "--format", "tabel").endswith(
        "choose table, csv, xlsx or json; did you mean 'table'?")
    assert refused("user", "add", "ann", "--role", "agnet", "--generate").endswith(
        "role 'agnet' is not one of agent, supervisor, admin; did you mean 'agent'?")
    assert refused("queue", "create", "sales", "--strategy", "longest-idle").endswith(
        "'skills' or 'previous_agent'; did you mean 'longest_idle'?")
    assert refused("queue", "create", "sales", "--set", "max_wiat=30").endswith(
        "when_unstaffed; did you mean 'max_wait'?")
    assert refused("campaign", "edit", "spring", "--set", "machine_action=hangup").endswith(
        "Input should be 'hang_up' or 'leave_message'; did you mean 'hang_up'?")


def test_a_list_of_ones_own_is_said_to_be_refused_at_the_dial(tmp_path, monkeypatch):
    """``dnc import acme.txt --registry client-acme`` (docs/dnc.md: "any other suppression
    list"): the import says every campaign refuses its numbers (``campaign.own_lists``,
    tests/dnc/rules/test_rules_own_lists.py); ``--registry internal`` said only "is the
    company list"."""
    use_home(tmp_path, monkeypatch)
    listed = _write(tmp_path / "acme.txt", "2015550177\n")
    imported = dialer("dnc", "import", listed, "--registry", "client-acme", "--as-of",
                      "2026-12-01")
    assert imported.exit_code == 0, imported.output
    said = " ".join(imported.stderr.split())
    assert "note: client-acme is a list of your own: every campaign refuses its numbers at " \
        "the dial (rule campaign.own_lists), and dnc scrub removes them from lead files" in said
    national = dialer("dnc", "import", listed, "--registry", "national", "--format",
                      "numbers", "--as-of", "2026-12-01")
    assert national.exit_code == 0 and "list of your own" not in national.stderr
    assert refused("dnc", "import", listed, "--registry", "internal").endswith(
        "add each number with dialer dnc add NUMBER --reason WHY --by WHO (the dial-time "
        "rules read it)")


def test_a_scrub_column_one_slip_away_names_the_column_meant(tmp_path, monkeypatch):
    use_home(tmp_path, monkeypatch)
    ok("dnc", "import", _write(tmp_path / "ftc.txt", "201,5550150\n"), "--as-of",
       "2026-12-01")
    leads = _write(tmp_path / "leads.csv", "Phone,Name\n2125550101,Ann\n")
    assert refused("dnc", "scrub", leads, "-o", str(tmp_path / "ok.csv"), "--rejects",
                   str(tmp_path / "rej.csv"), "--column", "Phon").endswith(
        "no column 'Phon' (columns: Phone, Name); did you mean 'Phone'? (field 'Phon')")


def test_an_excel_csv_in_cp1252_keeps_its_apostrophes_and_quotes(tmp_path, monkeypatch):
    """Excel on Windows saves "CSV" in cp1252: ``O’Brien`` (0x92) was read as latin-1 and
    stored as ``O\\x92Brien``, a control character where the apostrophe was."""
    use_home(tmp_path, monkeypatch)
    assert dialer("db", "upgrade").exit_code == 0
    ok("campaign", "create", "spring", *READY_SPRING)
    path = tmp_path / "excel.csv"
    path.write_bytes("Phone,Name\r\n2125550101,O’Brien “Bob” café\r\n".encode("cp1252"))
    assert ok("leads", "import", "spring", str(path), "--yes")["encoding"] == "cp1252"
    assert [lead["first_name"] for lead in ok("leads", "list", "spring")["leads"]] == [
        "O’Brien “Bob” café"]


def test_days_named_in_a_schedule_get_their_numbers_written_out(tmp_path, monkeypatch):
    """``--set 'schedule.days=["mon","tue"]'``: "a number is meant, got the text "mon""
    did not say which number a Monday is (0)."""
    use_home(tmp_path, monkeypatch)
    assert dialer("db", "upgrade").exit_code == 0
    ok("campaign", "create", "spring", *READY_SPRING)
    assert refused("campaign", "edit", "spring", "--set",
                   'schedule.days=["mon", "Tues", "Friday", 6]').endswith(
        "schedule.days: days are numbers, 0 for Monday to 6 for Sunday: write [0, 1, 4, 6]")
    assert "a number is meant" in refused("campaign", "edit", "spring", "--set",
                                          'schedule.days=["monkey"]')
