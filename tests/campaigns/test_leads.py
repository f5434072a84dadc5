from __future__ import annotations

import csv
import re
from datetime import UTC, date, datetime

import pandas as pd
import pytest

from campaigns.errors import LeadImportError
from campaigns.leads import LeadInput

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
HEADER = ["Phone", "First Name", "Last Name", "ZIP", "State", "Account"]
ROWS = [
    ["(201) 555-0123", "Ann", "Lee", "07001", "", "A1"],
    ["907-222-3333", "Bob", "Ivanov", "99501", "", "A2"],
    ["201.555.0123", "Ann", "Again", "07001", "", "A3"],     # duplicate of line 2
    ["555-01", "Bad", "Number", "", "", "A4"],                # invalid
    ["+44 20 7946 0000", "Zoë", "Brown", "", "", "A5"],       # UK: outside a US campaign
    ["4155550100", "Cy", "Smith", "94105", "ca", "A6"],       # state given
]


def _write(path, rows=ROWS, header=HEADER, delimiter=",", encoding="utf-8"):
    with open(path, "w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def campaign(store):
    store.create_campaign("c", at=NOW)
    return store


def test_csv_import_normalises_infers_and_rejects(campaign, tmp_path):
    report = campaign.import_file("c", _write(tmp_path / "leads.csv"), at=NOW)
    assert (report.rows_read, report.imported, report.rejected) == (6, 3, 3)
    assert report.mapping["phone"] == ["Phone"] and report.mapping["postal_code"] == ["ZIP"]
    leads = {lead.phone: lead for lead in campaign.leads("c")}
    assert set(leads) == {"+12015550123", "+19072223333", "+14155550100"}
    ann = leads["+12015550123"]
    assert (ann.state, ann.timezone, ann.postal_code) == ("NJ", "America/New_York", "07001")
    assert ann.custom == {"Account": "A1"} and ann.source_line == 2
    assert leads["+14155550100"].state == "CA"
    rejects = pd.read_csv(report.rejects_path, dtype=str)
    assert list(rejects["line"]) == ["4", "5", "6"]
    assert rejects["reject_reason"][0] == "duplicate in this file (first at line 2)"
    assert rejects["reject_field"][1] == "phone"
    # A +44 number in a US campaign: refused with the reason the rules give at dial time.
    assert rejects["reject_reason"][2].startswith("number outside every profile of the "
                                                  "campaign (its region is GB")


def test_second_import_rejects_numbers_already_in_campaign(campaign, tmp_path):
    campaign.import_file("c", _write(tmp_path / "a.csv"), at=NOW)
    report = campaign.import_file("c", _write(tmp_path / "b.csv", ROWS[:2]), at=NOW)
    assert report.imported == 0 and report.reject_reasons == {"already in this campaign": 2}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1251", "latin-1"])
def test_encodings_detected(campaign, tmp_path, encoding):
    name = {"cp1251": "Дмитрий", "latin-1": "Zoë"}.get(encoding, "Zoë Dmitrий")
    path = _write(tmp_path / "e.csv", [["2015550123", name, "X", "", "", ""]],
                  encoding=encoding)
    report = campaign.import_file("c", path, at=NOW)
    assert report.encoding == encoding
    assert campaign.leads("c")[0].first_name == name


def test_tsv_and_explicit_mapping(campaign, tmp_path):
    path = _write(tmp_path / "l.tsv", [["x", "2015550123", "7"]],
                  header=["Note", "Contact No", "Rank"], delimiter="\t")
    with pytest.raises(LeadImportError, match="no phone column") as error:
        campaign.import_file("c", path, at=NOW)
    assert error.value.field == "phone" and error.value.line == 1
    report = campaign.import_file("c", path, at=NOW, mapping={"phone": "Contact No"})
    assert report.delimiter == "\t" and report.imported == 1
    lead = campaign.leads("c")[0]
    assert lead.priority == 7 and lead.custom == {"Note": "x"}


def test_xlsx_import(campaign, tmp_path):
    path = tmp_path / "l.xlsx"
    pd.DataFrame(ROWS, columns=HEADER).to_excel(path, index=False)
    report = campaign.import_file("c", path, at=NOW)
    assert report.imported == 3 and report.encoding is None


def test_bad_mapping_names_file_line_and_field_and_writes_nothing(campaign, tmp_path):
    path = _write(tmp_path / "l.csv")
    with pytest.raises(LeadImportError, match=r"l\.csv:1: column 'Tel' is not in the header"):
        campaign.import_file("c", path, at=NOW, mapping={"phone": "Tel"})
    assert campaign.leads("c") == [] and campaign.lead_lists("c") == []


def test_bad_priority_is_rejected_with_field(campaign, tmp_path):
    path = _write(tmp_path / "p.csv", [["2015550123", "high"], ["2015550124", "2"]],
                  header=["phone", "priority"])
    report = campaign.import_file("c", path, at=NOW)
    assert report.imported == 1
    rejects = pd.read_csv(report.rejects_path, dtype=str)
    assert rejects["reject_field"][0] == "priority" and rejects["line"][0] == "2"


def test_batches_mode_reports_boundaries_and_resumes(campaign, tmp_path):
    rows = [[f"201555{i:04d}"] for i in range(10)]
    path = _write(tmp_path / "b.csv", rows, header=["phone"])
    report = campaign.import_file("c", path, at=NOW, mode="batches", batch_size=4)
    assert report.batches == ((2, 5), (6, 9), (10, 11))
    resumed = campaign.import_file("c", path, at=NOW, start_line=10)
    assert resumed.rows_read == 2 and resumed.reject_reasons == {"already in this campaign": 2}


def test_add_leads_programmatic(campaign):
    report = campaign.add_leads("c", [LeadInput("2015550123", consent=(
        {"kind": "prior_express_written", "given_at": "2026-01-01T00:00:00+00:00"},))],
        at=NOW)
    assert report.imported == 1
    assert campaign.leads("c")[0].consent[0]["kind"] == "prior_express_written"


@pytest.mark.parametrize("mode", ["batches", "atomic"])
def test_an_interrupted_import_keeps_only_what_it_committed_and_says_where_to_resume(
        campaign, tmp_path, monkeypatch, mode):
    """Ctrl-C in batches mode used to leave a list claiming every row of the file (its
    count was written with the first batch) and no word of where to resume."""
    import campaigns.leads as leads_module

    rows = [[f"201555{i:04d}"] for i in range(10)]
    path = _write(tmp_path / "b.csv", rows, header=["phone"])
    write_batch = leads_module._write_batch
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        write_batch(*args, **kwargs)

    monkeypatch.setattr(leads_module, "_write_batch", interrupted)
    if mode == "atomic":
        with pytest.raises(KeyboardInterrupt):
            campaign.import_file("c", path, at=NOW, mode=mode, batch_size=4)
        assert campaign.leads("c") == [] and campaign.lead_lists("c") == []
        return
    with pytest.raises(LeadImportError, match=r"lines 2-9 were committed .* resume with "
                                              r"--start-line 10"):
        campaign.import_file("c", path, at=NOW, mode=mode, batch_size=4)
    (listed,) = campaign.lead_lists("c")
    assert listed.imported_rows == len(campaign.leads("c")) == 8


def test_a_consent_that_is_not_a_date_is_named_by_line(campaign, tmp_path):
    """Kept as no consent (the rules then treat the lead as unconsented), but the import
    used to say nothing, and the user believed the consent recorded."""
    rows = [["2015550100", "yesterday"], ["2015550101", "2026-13-45"],
            ["2015550102", "2026-01-05"], ["2015550103", ""]]
    path = _write(tmp_path / "c.csv", rows, header=["phone", "consent"])
    report = campaign.import_file("c", path, at=NOW, consent_seller="Acme")
    assert report.imported == 4
    assert report.warnings == (
        f"{path}:2: consent 'yesterday' is not a date: kept as no consent (field consent)",
        f"{path}:3: consent '2026-13-45' is not a date: kept as no consent (field consent)",
        f"{path}: 1 consent had a date but no time: each counts from the end of that "
        "date, the next day 12:00 UTC (line 4: 2026-01-05 counts from 2026-01-06 12:00 "
        "UTC); give the time to rely on it sooner (field consent)")


def test_consent_warnings_are_pinned_and_the_column_is_parsed_once(campaign, tmp_path,
                                                                   monkeypatch):
    """One parse of the consent column gives both the records and the warnings (it was
    parsed twice); the warnings name the imported rows' own lines, past rejected rows, and
    stop after five with a count."""
    rows = [["2015550100", " soon "], ["bad", "never"], ["2015550102", "2026-01-05"],
            ["2015550103", "x1"], ["2015550104", "x2"], ["2015550105", ""],
            ["2015550106", "x3"], ["2015550107", "x4"], ["2015550108", "x5"],
            ["2015550109", "2026-02-30"]]
    path = _write(tmp_path / "c.csv", rows, header=["phone", "consent"])
    parsed: list[list[str]] = []
    real = pd.to_datetime

    def counting(values, *args, **kwargs):
        if isinstance(values, pd.Series) and "x1" in values.tolist():
            parsed.append(values.tolist())
        return real(values, *args, **kwargs)

    monkeypatch.setattr(pd, "to_datetime", counting)
    report = campaign.import_file("c", path, at=NOW, consent_seller="Acme")
    assert (report.imported, report.rejected) == (9, 1)
    assert report.warnings == (
        f"{path}:2: consent 'soon' is not a date: kept as no consent (field consent)",
        f"{path}:5: consent 'x1' is not a date: kept as no consent (field consent)",
        f"{path}:6: consent 'x2' is not a date: kept as no consent (field consent)",
        f"{path}:8: consent 'x3' is not a date: kept as no consent (field consent)",
        f"{path}:9: consent 'x4' is not a date: kept as no consent (field consent)",
        f"{path}: ... and 2 more lines whose consent is not a date",
        f"{path}: 1 consent had a date but no time: each counts from the end of that "
        "date, the next day 12:00 UTC (line 4: 2026-01-05 counts from 2026-01-06 12:00 "
        "UTC); give the time to rely on it sooner (field consent)")
    assert len(parsed) == 1, parsed
    kinds = {lead.phone: [c["kind"] for c in lead.consent]
             for lead in campaign.leads("c", limit=20)}
    assert kinds["+12015550102"] == ["prior_express_written"]
    assert kinds["+12015550105"] == [] and kinds["+12015550109"] == ["unrecognised"]


def test_an_unknown_state_rejects_its_row_with_the_field(campaign, tmp_path):
    """Kept, such a lead stopped `compliance explain` and every dial check with 'unknown US
    state'; the import now names the row."""
    rows = [["2165550100", "XX"], ["2165550101", "tx"], ["2165550102", ""]]
    path = _write(tmp_path / "s.csv", rows, header=["phone", "state"])
    report = campaign.import_file("c", path, at=NOW)
    assert (report.imported, report.rejected) == (2, 1)
    assert report.reject_reasons == {
        "state 'XX' is not a US state or territory code (e.g. TX)": 1}


def test_an_unknown_region_is_one_refusal_not_a_rejected_row_each(campaign, tmp_path):
    """'--region ZZ' rejected every row, one by one, as 'not a phone number (Missing or
    invalid default region.)'."""
    path = _write(tmp_path / "r.csv", [["2015550100"]], header=["phone"])
    with pytest.raises(LeadImportError, match="--region: region 'ZZ' is not a region code"):
        campaign.import_file("c", path, at=NOW, default_region="zz")
    assert campaign.lead_lists("c") == []


def _consent_days(campaign) -> dict[str, str | None]:
    """Each lead's written consent as dated in the file (the source keeps a date-only
    consent's date; its instant is when that date has ended everywhere)."""
    def dated(record: dict) -> str:
        found = re.search(r"dated (\d{4}-\d\d-\d\d) without a time", record["source"])
        return found[1] if found else record["given_at"][:10]

    return {lead.phone: next((dated(c) for c in lead.consent
                              if c["kind"] == "prior_express_written"), None)
            for lead in campaign.leads("c", limit=50)}


def test_a_day_month_date_whose_order_is_not_stated_is_no_consent(campaign, tmp_path):
    """``03/04/2025`` was read as 4 March, silently: a UK file's 3 April consent moved a
    month. Unstated, such a date gives no consent, with a warning naming file, line and
    field; ISO dates, a day above 12 and the same day and month keep working."""
    rows = [["2015550100", "03/04/2025"], ["2015550101", "13/04/2025"],
            ["2015550102", "2025-04-03"], ["2015550103", "04/13/2025"],
            ["2015550104", "04/04/2025"], ["2015550105", "03.04.2025 10:30"],
            ["2015550106", "04/03"]]
    path = _write(tmp_path / "c.csv", rows, header=["phone", "consent"])
    report = campaign.import_file("c", path, at=NOW, consent_seller="Acme")
    assert report.imported == 7
    assert report.warnings == (
        f"{path}:8: consent '04/03' is not a date: kept as no consent (field consent)",
        f"{path}:2: consent '03/04/2025' could be day/month or month/day: kept as no "
        "consent; state the order with --consent-date-order dmy (or mdy), or write ISO "
        "dates like 2025-04-03 (field consent)",
        f"{path}:7: consent '03.04.2025 10:30' could be day/month or month/day: kept as no "
        "consent; state the order with --consent-date-order dmy (or mdy), or write ISO "
        "dates like 2025-04-03 (field consent)",
        f"{path}: 4 consents had a date but no time: each counts from the end of that "
        "date, the next day 12:00 UTC (line 3: 2025-04-13 counts from 2025-04-14 12:00 "
        "UTC); give the time to rely on it sooner (field consent)")
    assert _consent_days(campaign) == {
        "+12015550100": None, "+12015550101": "2025-04-13", "+12015550102": "2025-04-03",
        "+12015550103": "2025-04-13", "+12015550104": "2025-04-04", "+12015550105": None,
        "+12015550106": None}


@pytest.mark.parametrize(("order", "day"), [("dmy", "2025-04-03"), ("mdy", "2025-03-04")])
def test_a_stated_date_order_reads_day_month_dates(campaign, tmp_path, order, day):
    rows = [["2015550100", "03/04/2025"], ["2015550101", "2025-04-03"],
            ["2015550102", "03/04/25"], ["2015550103", "13/04/2025" if order == "dmy"
                                        else "04/13/2025"]]
    path = _write(tmp_path / "c.csv", rows, header=["phone", "consent"])
    report = campaign.import_file("c", path, at=NOW, consent_seller="Acme",
                                  consent_date_order=order)
    assert len(report.warnings) == 1 and ": 4 consents had a date but no time" in \
        report.warnings[0]
    assert _consent_days(campaign) == {"+12015550100": day, "+12015550101": "2025-04-03",
                                       "+12015550102": day, "+12015550103": "2025-04-13"}


def test_a_stated_order_a_date_contradicts_is_not_a_date(campaign, tmp_path):
    path = _write(tmp_path / "c.csv", [["2015550100", "13/04/2025"]],
                  header=["phone", "consent"])
    report = campaign.import_file("c", path, at=NOW, consent_seller="Acme",
                                  consent_date_order="mdy")
    assert report.warnings == (f"{path}:2: consent '13/04/2025' is not a date: kept as no "
                               "consent (field consent)",)
    with pytest.raises(LeadImportError, match="--consent-date-order 'ymd': choose dmy"):
        campaign.import_file("c", path, at=NOW, consent_date_order="ymd")


def _written_consent(campaign, phone: str, at: datetime):
    """The rules' answer for the stored consent of ``phone`` at ``at``: (record, why)."""
    from campaigns.compliance import lead_facts
    from dnc.rules.consent import relied_consent
    from dnc.rules.model import ConsentKind

    lead = next(lead for lead in campaign.leads("c", limit=50) if lead.phone == phone)
    return relied_consent(lead_facts(lead).consents, (ConsentKind.PRIOR_EXPRESS_WRITTEN,),
                          at, number=phone, seller="Acme")


@pytest.mark.parametrize(("cell", "order"), [("2026-03-04", None), ("04/03/2026", "dmy")])
def test_a_date_only_consent_counts_from_the_end_of_its_date_everywhere(campaign, tmp_path,
                                                                      cell, order):
    """A consent dated 4 March with no time was recorded at 00:00 UTC, 19:00 EST on
    3 March: a New York call that evening relied on a consent its own date places the next
    day. It counts from the end of 4 March at UTC−12 (5 March 12:00 UTC), and the import
    says so once per file; a consent with a time keeps its instant."""
    from zoneinfo import ZoneInfo

    new_york = ZoneInfo("America/New_York")
    rows = [["2125550100", cell], ["2125550101", "2026-03-04 15:30"],
            ["2125550102", "2026-03-06"]]
    path = _write(tmp_path / "c.csv", rows, header=["phone", "consent"])
    report = campaign.import_file("c", path, at=NOW, consent_seller="Acme",
                                  consent_date_order=order)
    assert report.warnings == (
        f"{path}: 2 consents had a date but no time: each counts from the end of that "
        "date, the next day 12:00 UTC (line 2: 2026-03-04 counts from 2026-03-05 12:00 "
        "UTC); give the time to rely on it sooner (field consent)",)
    evening_before = datetime(2026, 3, 3, 19, 30, tzinfo=new_york)
    found, why = _written_consent(campaign, "+12125550100", evening_before)
    assert found is None and "is given after this instant" in why
    at = datetime(2026, 3, 4, 20, tzinfo=new_york)
    assert _written_consent(campaign, "+12125550100", at)[0] is None  # 4 March is not over
    # on Baker Island (UTC−12) until 5 March 12:00 UTC
    at = datetime(2026, 3, 5, 12, 0, 1, tzinfo=UTC)
    assert _written_consent(campaign, "+12125550100", at)[0] is not None
    at = datetime(2026, 3, 4, 15, 31, tzinfo=UTC)  # a time of day keeps its instant
    assert _written_consent(campaign, "+12125550101", at)[0] is not None
    # The date as written travels with the record, for the RND's dates (compared by date).
    dated, timed = (_written_consent(campaign, phone, datetime(2026, 3, 6, tzinfo=UTC))[0]
                    for phone in ("+12125550100", "+12125550101"))
    assert (dated.dated, timed.dated) == (date(2026, 3, 4), None)
