"""``dialer compliance explain --consent`` reads a consent's dates as the dial-time gate reads a
stored consent (``dnc.rules.consent_instants``), and says how it read a date without a zone.

Before, an expiry written without a zone was read as UTC: ``2026-11-18`` ended the consent at
2026-11-18 00:00 UTC, while the gate (``campaigns.consent_dates.ends_by``) ends it when that
date first begins anywhere, 2026-11-17 10:00 UTC (00:00 at UTC+14). So at 15:00 UTC on the
17th explain said a wireless call was allowed on a consent the gate held expired.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from test_rules_cli import run

from campaigns.consent_dates import ends_by
from dnc.rules.cli import _consent_dates

AT = "2026-11-17T15:00Z"  # 10:00 in New York


def _explain(consent: str):
    return run("explain", "+12015550123", "--at", AT, "--profile", "us_federal",
               "--tz", "America/New_York", "--line-type", "wireless", "--seller", "Acme",
               "--consent", consent, "--json")


def _rule(document: dict, rule: str) -> dict:
    return next(r for r in document["rules"] if r["rule"] == rule)


def test_an_expiry_date_alone_ends_the_consent_where_the_gate_ends_it():
    result = _explain("prior_express_written,2026-01-01T00:00Z,2026-11-18,Acme")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert not _rule(document, "us.wireless_consent")["passed"]
    [note] = [n for n in document["notes"] if n.startswith("consent expires")]
    assert "2026-11-17T10:00:00+00:00" in note and "UTC+14" in note and "not as UTC" in note


def test_an_expiry_with_its_offset_is_kept_as_written():
    result = _explain("prior_express_written,2026-01-01T00:00Z,2026-11-18T00:00Z,Acme")
    document = json.loads(result.stdout)
    assert _rule(document, "us.wireless_consent")["passed"]
    assert not [n for n in document["notes"] if n.startswith("consent expires")]


def test_a_given_time_without_an_offset_is_refused_in_one_line():
    result = _explain("prior_express_written,2026-01-01T09:00,,Acme")
    # A ComplianceError: the dialer's CLI prints it as one line (this test app raises it).
    assert result.exit_code != 0
    assert "given: '2026-01-01T09:00' has no UTC offset" in str(result.exception)


def test_a_given_date_alone_counts_from_its_end_everywhere():
    result = _explain("prior_express_written,2026-11-17,,Acme")  # not yet over at UTC-12
    document = json.loads(result.stdout)
    assert not _rule(document, "us.wireless_consent")["passed"]
    assert any("2026-11-18T12:00:00+00:00" in n for n in document["notes"])


@settings(max_examples=60, deadline=None)
@given(st.datetimes(min_value=datetime(1971, 1, 2), max_value=datetime(2198, 12, 30)),
       st.booleans(), st.booleans())
def test_explain_reads_every_expiry_as_the_gate_does(moment, date_only, zoned):
    text = moment.date().isoformat() if date_only else (
        moment.replace(tzinfo=UTC).isoformat() if zoned else moment.isoformat())
    _, expires, _ = _consent_dates("x", "2026-01-01T00:00Z", text)
    assert expires == ends_by(text)
