"""The audit chain detects any altered, removed or reordered entry and names the line."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from rules_kit import NATIONAL, campaign, engine, fresh_versions

from dnc.rules.audit import AuditLog, export_csv
from dnc.rules.model import LeadFacts

AT = datetime(2026, 11, 18, 17, tzinfo=UTC)


def filled_log(directory, count: int) -> AuditLog:
    log = AuditLog(directory)
    checker = engine({NATIONAL: ["+12015550001"]}, versions=fresh_versions(AT))
    checker.audit = log
    leads = [LeadFacts(f"+1201555{i:04d}", lead_id=f"L{i}") for i in range(count)]
    checker.check_many(leads[: count // 2], campaign(), AT)
    for lead in leads[count // 2:]:
        checker.check(lead, campaign(), AT + timedelta(hours=5))
    return log


def test_every_decision_is_logged_and_verifies(tmp_path):
    log = filled_log(tmp_path, 6)
    report = log.verify()
    assert report.ok and report.entries == 6
    entries = list(log.entries())
    assert [e["seq"] for e in entries] == list(range(6))
    listed = next(e for e in entries if e["number"] == "+12015550001")
    assert not listed["allowed"] and listed["failed"][0]["rule"] == "us.national_dnc"
    assert {NATIONAL.version, "national@fresh"} <= set(listed["versions"])


def test_a_second_writer_continues_the_chain(tmp_path):
    filled_log(tmp_path, 4)
    ids = AuditLog(tmp_path).record(engine(versions=fresh_versions(AT)).check_many(
        [LeadFacts("+12015559999")], campaign(), AT))
    report = AuditLog(tmp_path).verify()
    assert report.ok and report.entries == 5 and ids == ["audit:4"]


@settings(max_examples=40, deadline=None)
@given(st.integers(6, 12), st.data())
def test_tampering_is_detected_at_the_first_bad_line(tmp_path_factory, count, data):
    directory = tmp_path_factory.mktemp("audit")
    log = filled_log(directory, count)
    log.anchor()
    lines = log.path.read_text().splitlines()
    index = data.draw(st.integers(0, count - 1))
    kind = data.draw(st.sampled_from(["alter", "remove", "swap", "duplicate", "truncate"]))
    if kind == "alter":
        entry = json.loads(lines[index])
        entry["allowed"] = not entry["allowed"]
        lines[index] = json.dumps(entry, sort_keys=True, separators=(",", ":"))
        expected = index + 1
    elif kind == "remove":
        del lines[index]
        expected = index + 1
    elif kind == "swap":
        index = min(index, count - 2)
        lines[index], lines[index + 1] = lines[index + 1], lines[index]
        expected = index + 1
    elif kind == "duplicate":
        lines.insert(index + 1, lines[index])
        expected = index + 2
    else:
        lines = lines[:index]
        expected = None
    log.path.write_text("\n".join(lines) + ("\n" if lines else ""))
    report = AuditLog(directory).verify()
    assert not report.ok
    if expected is not None and not (kind == "remove" and index == count - 1):
        assert report.first_bad_line == expected, report


def test_export_filters_by_number_campaign_and_time(tmp_path):
    log = filled_log(tmp_path, 6)
    out = io.StringIO()
    rows = export_csv(log.entries(number="+12015550001"), out)
    assert rows == 1
    parsed = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert parsed[0]["allowed"] == "False" and "us.national_dnc" in parsed[0]["failed"]
    assert len(list(log.entries(since=AT + timedelta(hours=1)))) == 3
    assert len(list(log.entries(campaign="other"))) == 0


def test_anchoring_verifies_only_what_came_after_the_last_anchor(tmp_path):
    """The runner anchors every few minutes and at every stop: the work is the new entries,
    and an anchor is written only when something was appended."""
    from datetime import UTC, datetime

    from rules_kit import campaign, engine, fresh_versions

    from dnc.rules.model import LeadFacts

    at = datetime(2026, 11, 18, 17, tzinfo=UTC)
    log = AuditLog(tmp_path)
    checker = engine(versions=fresh_versions(at))
    checker.audit = log
    assert log.anchor() is None  # an empty log
    checker.check_many([LeadFacts("+12015550123")] * 3, campaign(), at)
    first = log.anchor(copy_to=tmp_path / "elsewhere" / "anchors.jsonl")
    assert first["seq"] == 2 and log.anchor() is None
    checker.check_many([LeadFacts("+12015550124")] * 2, campaign(), at)
    calls = []
    original = log.verify
    log.verify = lambda: calls.append(1) or original()  # type: ignore[method-assign]
    second = log.anchor()
    assert second["seq"] == 4 and calls == []  # incremental: no full walk
    assert (tmp_path / "elsewhere" / "anchors.jsonl").read_text().count("\n") == 1
    assert original().anchors_checked == 2
    lines = log.path.read_text().splitlines()
    log.path.write_text("\n".join(lines[:4]) + "\n")  # the tail cut
    report = original()
    assert not report.ok and "missing (log truncated)" in report.problem
