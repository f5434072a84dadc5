"""The compliance section of campaign settings, the compliance columns of a lead import, the
per-person attempt history, audited selection refusals, and compliance records."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from campaigns.compliance import (
    BufferedAudit,
    StoreAttemptHistory,
    campaign_rules,
    engine_selection_check,
)
from campaigns.compliance_settings import dialing_problems
from campaigns.errors import CampaignError
from campaigns.leads import LeadInput
from campaigns.records import call_records, consent_records, purge_call_records
from campaigns.settings import CampaignSettings
from dnc.interfaces import RegistryKind, RegistryVersion, Revocation
from dnc.rules.audit import AuditLog
from dnc.rules.engine import ComplianceEngine
from dnc.rules.model import AttemptCap
from tests.campaigns.ready import DECLARED, STARTABLE

NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # Monday 12:00 in New York
ALL_DAY = {**STARTABLE, "schedule": {"start": "00:00", "end": "23:59",
                                     "days": [0, 1, 2, 3, 4, 5, 6]}}


def settings(**values) -> CampaignSettings:
    return CampaignSettings.model_validate({"caller_ids": ["+12015550100"], **values})


@pytest.mark.parametrize(("values", "message"), [
    ({"optout_digit": None}, "must offer the automated opt-out"),
    ({"compliance": {"dnc_number": "+19005550100"}}, "900 (charged) number"),
    ({"compliance": {"dnc_number": "800-555-0100"}}, "not an E.164 number"),
    ({"machine_action": "leave_message", "machine_message": "vm.wav",
      "compliance": {"prerecorded": False}}, "is a prerecorded campaign"),
    ({"jurisdiction": "uk"}, "3 % or more"),
    ({"jurisdiction": "uk", "abandon_target": 0.02, "amd_enabled": True},
     "estimate of AMD false positives"),
    ({"compliance": {"retention_days": 365}}, "greater than or equal to 1827"),
    ({"jurisdiction": "uk", "abandon_target": 0.02, "caller_ids": ["+447010000000"]},
     "personal (070) number"),
    ({"compliance": {"unknown_line_type": "mobile"}}, "'wireless' or 'landline'"),
    # caller ID (47 CFR 64.1601(e); Ofcom CLI guidance): dialable, not premium-rate
    ({"caller_ids": ["+19005550100"]}, "premium-rate"),
    ({"jurisdiction": "uk", "abandon_target": 0.02, "caller_ids": ["+449098790000"]},
     "premium-rate"),
    ({"caller_ids": ["+12015550"]}, "not a dialable number"),
    ({"compliance": {"attempt_caps": [{"max_calls": 0, "window_hours": 24}]}},
     "greater than or equal to 1"),
])
def test_invalid_compliance_settings_are_refused(values, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        settings(**values)


def test_valid_settings_map_onto_the_rules():
    informational = settings(optout_digit=None, compliance={"telemarketing": False})
    assert not campaign_rules("c", informational).telemarketing
    uk = settings(jurisdiction="uk", abandon_target=0.02, amd_enabled=True,
                  amd_false_positive_estimate=0.0)
    assert uk.amd_false_positive_estimate == 0.0  # explicit: allowed
    drop = settings(machine_action="leave_message", machine_message="vm.wav", compliance={
        **DECLARED, "subject": "solar", "unknown_line_type": "landline",
        "attempt_caps": [{"max_calls": 2, "window_hours": 6, "per": "number"}],
        "recorded_message": {"seller_named_first": True, "callback_number": "+12015550100",
                             "optout_number": "+18005550199"}})
    rules = campaign_rules("drop", drop)
    assert rules.prerecorded and rules.seller == "Acme Solar" and rules.subject == "solar"
    assert not rules.treat_unknown_line_type_as_wireless
    assert rules.attempt_caps == (AttemptCap(2, timedelta(hours=6), False, False),)
    assert dialing_problems(drop) == []


def test_what_a_campaign_must_declare_before_it_dials():
    problems = dialing_problems(settings())
    assert [p.split(":")[0] for p in problems] == [
        "compliance.seller_name", "compliance.dnc_number", "compliance.safe_harbor"]
    drop = settings(machine_action="leave_message", machine_message="vm.wav",
                    compliance=DECLARED)
    assert any(p.startswith("compliance.recorded_message: no declaration")
               for p in dialing_problems(drop))
    informational = settings(optout_digit=None, compliance={
        "telemarketing": False, "seller_name": "Acme", "dnc_number": "+18005550100"})
    assert dialing_problems(informational) == []
    uk = settings(jurisdiction="uk", abandon_target=0.02, compliance=DECLARED)
    (problem,) = dialing_problems(uk)
    assert problem.startswith("compliance.safe_harbor") and "no_marketing_content" in problem
    assert "Ofcom" in problem and "names_seller" not in problem.split("declared:")[1]
    ready = {**DECLARED, "safe_harbor": {**DECLARED["safe_harbor"],
                                         "no_marketing_content": True}}
    assert dialing_problems(settings(jurisdiction="uk", abandon_target=0.02,
                                     compliance=ready)) == []


def test_the_compliance_section_is_edited_key_by_key(store):
    store.create_campaign("c", {**STARTABLE}, at=NOW)
    store.edit_campaign("c", {"compliance": {"subject": "roofing"}}, at=NOW)
    store.edit_campaign("c", {"compliance": {"safe_harbor": {"names_seller": True}}}, at=NOW)
    compliance = store.settings("c").compliance
    assert compliance.subject == "roofing" and compliance.seller_name == "Acme Solar"
    assert compliance.safe_harbor.states_telemarketing_purpose  # kept


def test_import_reads_line_type_contact_and_consent_seller(store, tmp_path):
    store.create_campaign("c", {**STARTABLE}, at=NOW)
    path = tmp_path / "leads.csv"
    path.write_text(
        "phone,line_type,email,consent,timezone,state\n"
        "2015550101,Mobile,ANN@x.com,2026-01-05,,\n"
        "2015550102,landline, ann@x.com ,,,\n"
        "2015550103,fax,bob@x.com,,,\n"
        "2015550104,,,2026-01-05,America/Chicago,NJ\n")
    report = store.import_file("c", path, at=NOW, contact_by="email",
                               consent_seller="Acme Solar")
    assert (report.imported, report.rejected) == (3, 1)
    assert report.reject_reasons == {
        "line_type 'fax' is not wireless, landline, voip or unknown": 1}
    leads = {lead.phone: lead for lead in store.leads("c")}
    first, second = leads["+12015550101"], leads["+12015550102"]
    assert (first.line_type, second.line_type) == ("wireless", "landline")
    assert first.contact_id == second.contact_id == "email:ann@x.com"
    assert first.consent == [{"kind": "prior_express_written", "given_at":
                              "2026-01-06T12:00:00+00:00", "source": "import column consent, "
                              "dated 2026-01-05 without a time of day",
                              "dated": "2026-01-05",
                              "number": "+12015550101", "seller": "Acme Solar"}]
    assert report.warnings == (f"{path}:5: time zone America/Chicago is not a zone of state "
                               "NJ (America/New_York): both are used (field timezone)",
                               f"{path}: 2 consents had a date but no time: each counts from "
                               "the end of that date, the next day 12:00 UTC (line 2: "
                               "2026-01-05 counts from 2026-01-06 12:00 UTC); give the time "
                               "to rely on it sooner (field consent)")


def test_a_consent_naming_no_seller_is_kept_but_does_not_count(store, tmp_path):
    store.create_campaign("c", {**ALL_DAY}, at=NOW)
    path = tmp_path / "leads.csv"
    path.write_text("phone,consent,line_type\n2015550101,2026-01-05,wireless\n")
    store.import_file("c", path, at=NOW)
    store.transition_campaign("c", "running", at=NOW)
    national = RegistryVersion("national", RegistryKind.NATIONAL, "n", NOW - timedelta(1))

    class Registries:
        def hits(self, number):
            return []

        def versions(self):
            return [national]

    check = engine_selection_check(ComplianceEngine(Registries(), StoreAttemptHistory(store)))
    assert store.claim_leads("c", 5, owner="p", now=NOW, check=check) == []
    lead = store.lead_by_phone("c", "+12015550101")
    assert "names no seller" in lead.block_reason
    # Refused for a fact that may change (a consent, a line type): looked at again tomorrow.
    assert lead.status == "new" and lead.next_attempt_at == NOW + timedelta(hours=24)


def test_the_attempt_history_counts_a_person_across_numbers(store):
    store.create_campaign("c", {**ALL_DAY, "compliance": {**DECLARED, "subject": "solar"}},
                          at=NOW)
    store.add_leads("c", [LeadInput("2015550101", contact_id="p1"),
                          LeadInput("2015550102", contact_id="p1", custom={"debt_id": "D9"}),
                          LeadInput("2015550103")], at=NOW)
    for phone in ("+12015550101", "+12015550102", "+12015550103"):
        attempt = store.begin_attempt(store.lead_by_phone("c", phone).id,
                                      at=NOW - timedelta(hours=1))
        store.finish_attempt(attempt.id, ended_at=NOW - timedelta(minutes=59),
                             outcome="machine", answer_kind="machine")
    history = StoreAttemptHistory(store)
    person = history.attempts_for_contact("p1", NOW - timedelta(days=1))
    assert sorted(a.number_e164 for a in person) == ["+12015550101", "+12015550102"]
    assert {a.contact_id for a in person} == {"p1"} and all(a.machine for a in person)
    assert {a.subject for a in person} == {"solar"}  # the campaign's subject
    assert {a.debt_id for a in person} == {None, "D9"}  # the lead's debt


def test_selection_refusals_are_audited(store, tmp_path):
    store.create_campaign("c", {**ALL_DAY}, at=NOW)
    store.add_leads("c", [LeadInput("2015550101", line_type="landline")], at=NOW)
    store.transition_campaign("c", "running", at=NOW)
    night = NOW + timedelta(hours=11)  # 23:00 in New York

    class Registries:
        def hits(self, number):
            return []

        def versions(self):
            return [RegistryVersion("national", RegistryKind.NATIONAL, "n", NOW - timedelta(1))]

    log = AuditLog(tmp_path / "audit")
    check = engine_selection_check(ComplianceEngine(Registries(), StoreAttemptHistory(store)),
                                   BufferedAudit(log))
    assert store.claim_leads("c", 5, owner="p", now=night, check=check) == []
    assert check.flush_audit() == 1
    [entry] = list(log.entries())
    assert entry["stage"] == "selection" and not entry["allowed"]
    assert entry["failed"][0]["rule"] == "us.calling_hours"


def test_records_export_and_a_purge_never_inside_five_years(store):
    store.create_campaign("c", {**STARTABLE, "compliance": {**DECLARED, "subject": "solar",
                                                            "telemarketer_name": "CallCo"}},
                          at=NOW)
    store.add_leads("c", [LeadInput("2015550101", first_name="Ann", consent=[
        {"kind": "prior_express_written", "given_at": "2026-01-05T00:00:00+00:00",
         "seller": "Acme Solar"}])], at=NOW)
    lead = store.lead_by_phone("c", "+12015550101")
    attempt = store.begin_attempt(lead.id, at=NOW, caller_id="+12015550100")
    store.update_attempt(attempt.id, answered_at=NOW + timedelta(seconds=5))
    store.finish_attempt(attempt.id, ended_at=NOW + timedelta(seconds=65), outcome="no_answer")
    [call] = list(call_records(store, NOW - timedelta(1), NOW + timedelta(1)))
    assert (call["calling_number"], call["called_number"], call["date"], call["time_utc"],
            call["duration_seconds"]) == ("+12015550100", "+12015550101", "2026-11-23",
                                          "17:00:00", 60.0)
    assert (call["seller"], call["telemarketer"], call["good_or_service"]) == (
        "Acme Solar", "CallCo", "solar")
    revocation = Revocation("+12015550101", None, NOW, "sms STOP", "msg 1", NOW)
    consents = list(consent_records(store, datetime(2026, 1, 1, tzinfo=UTC),
                                    NOW + timedelta(1), revocations=[(revocation, "officer")]))
    assert [(r["record"], r["seller"] or r["channel"]) for r in consents] == [
        ("consent", "Acme Solar"), ("revocation", "sms STOP")]
    with pytest.raises(CampaignError, match="inside the retention period"):
        purge_call_records(store, "c", 1000, NOW + timedelta(days=4000))
    assert purge_call_records(store, "c", 1827, NOW + timedelta(days=1826)) == 0
    assert purge_call_records(store, "c", 1827, NOW + timedelta(days=1828)) == 1


def test_the_records_cli_writes_csv_json_and_xlsx(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import cli
    from campaigns.store import CampaignStore

    monkeypatch.setenv("DIALER_HOME", str(tmp_path))
    db = f"sqlite:///{tmp_path / 'dialer.db'}"
    store = CampaignStore.open(db)
    store.create_campaign("c", {**STARTABLE}, at=NOW)
    store.add_leads("c", [LeadInput("2015550101")], at=NOW)
    attempt = store.begin_attempt(store.lead_by_phone("c", "+12015550101").id, at=NOW)
    store.finish_attempt(attempt.id, ended_at=NOW + timedelta(seconds=20), outcome="busy")
    store.close()
    runner = CliRunner()
    period = ["--from", "2026-11-01", "--to", "2026-12-01", "--db", db]
    as_json = runner.invoke(cli.app, ["compliance", "records", "export", *period,
                                      "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    document = json.loads(as_json.stdout)
    assert [c["called_number"] for c in document["calls"]] == ["+12015550101"]
    csv_out = tmp_path / "records.csv"
    as_csv = runner.invoke(cli.app, ["compliance", "records", "export", *period, "--output",
                                     str(csv_out)])
    assert as_csv.exit_code == 0, as_csv.output
    assert (tmp_path / "records.calls.csv").read_text().startswith("attempt_id,campaign")
    # The message names the two files written, not the FILE given (which is not written).
    assert not csv_out.exists()
    assert f"exported 1 calls to {tmp_path / 'records.calls.csv'}" in as_csv.stderr
    assert f"exported 0 consents to {tmp_path / 'records.consents.csv'}" in as_csv.stderr
    assert f"to {csv_out}\n" not in as_csv.stderr
    xlsx = tmp_path / "records.xlsx"
    assert runner.invoke(cli.app, ["compliance", "records", "export", *period, "--format",
                                   "xlsx", "--output", str(xlsx)]).exit_code == 0
    import openpyxl
    assert openpyxl.load_workbook(xlsx).sheetnames == ["calls", "consents"]
    refused = runner.invoke(cli.app, ["compliance", "records", "purge", "c",
                                      "--older-than-days", "30", "--yes", "--db", db])
    assert refused.exit_code != 0
