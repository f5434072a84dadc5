"""The recordings' catalogue: written with the attempt, looked up by it, sealed with a
checksum, exported with a manifest, purged only after the records period."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_journal_batch import ALWAYS, NOW

from campaigns.journal_batch import BeginOp, FinishOp
from campaigns.leads import LeadInput
from campaigns.recordings import (
    RecordingStoreError,
    export,
    keep_until,
    purge,
    recording_for_attempt,
    recordings,
    seal,
)
from campaigns.settings import CampaignSettings, Outcome

RECORDED = {**ALWAYS, "recording": {"mode": "all", "notice_message": "ivr/notice.wav"}}


def _record(store, n: int, started=NOW, campaign: str = "c", settings: dict = RECORDED):
    store.create_campaign(campaign, settings, at=NOW)
    store.add_leads(campaign, [LeadInput(f"+1201555{i:04d}") for i in range(n)], at=NOW)
    store.transition_campaign(campaign, "running", at=NOW)
    ops = []
    for i, lead in enumerate(store.claim_leads(campaign, n, owner="p", now=NOW)):
        path = f"{campaign}/{started:%Y-%m-%d}/{lead.lead_id}-1-u{i}.wav"
        ops += [BeginOp(f"{campaign}-u{i}", lead.lead_id, started),
                FinishOp(f"{campaign}-u{i}", started + timedelta(seconds=60), Outcome.ANSWERED,
                         "NORMAL_CLEARING", fields={"recording_path": path},
                         recording={"path": path, "format": "wav", "started_at": started,
                                    "ended_at": started + timedelta(seconds=60),
                                    "consent": "notice",
                                    "pauses": [[started.isoformat(), started.isoformat()]],
                                    "status": "recorded"})]
    assert not store.journal_batch(ops, owner="p").problems


def test_catalogued_with_the_attempt_and_found_by_it(store, tmp_path):
    _record(store, 2)
    view = recording_for_attempt(store, "c-u1")
    assert view is not None and view.campaign == "c" and view.consent == "notice"
    assert view.attempt_number == 1 and view.status == "recorded" and len(view.pauses) == 1
    assert recording_for_attempt(store, "nope") is None
    assert [v.call_uuid for v in recordings(store, "c")] == ["c-u0", "c-u1"]


def test_seal_export_and_a_changed_file(store, tmp_path):
    _record(store, 3)
    root = tmp_path / "rec"
    views = recordings(store, "c")
    for i, view in enumerate(views[:2]):
        (root / view.path).parent.mkdir(parents=True, exist_ok=True)
        (root / view.path).write_bytes(b"RIFF" + bytes([i]) * 100)
    counts = seal(store, root, now=NOW + timedelta(hours=1))
    assert counts == {"sealed": 2, "missing": 1, "waiting": 0}
    sealed = recording_for_attempt(store, "c-u0")
    assert sealed.sha256 == hashlib.sha256(b"RIFF" + bytes([0]) * 100).hexdigest()
    (root / views[1].path).write_bytes(b"tampered")
    out = tmp_path / "out"
    manifest = export(store, root, out, campaign="c")
    assert [r["call_uuid"] for r in manifest["recordings"]] == ["c-u0"]
    assert manifest["changed"] == [views[1].path] and manifest["skipped"] == {"missing": 1}
    sums = (out / "SHA256SUMS").read_text().split()
    assert sums == [sealed.sha256, views[0].path]
    assert json.loads((out / "manifest.json").read_text())["recordings"][0]["consent"] == \
        "notice"
    assert (out / views[0].path).read_bytes() == b"RIFF" + bytes([0]) * 100
    with pytest.raises(RecordingStoreError, match="not empty"):
        export(store, root, out, campaign="c")


def test_purge_never_inside_the_records_period(store, tmp_path):
    old = NOW - timedelta(days=1828)
    _record(store, 1, started=old, campaign="old")
    _record(store, 1, started=NOW - timedelta(days=1000), campaign="young")
    root = tmp_path / "rec"
    for view in recordings(store):
        (root / view.path).parent.mkdir(parents=True, exist_ok=True)
        (root / view.path).write_bytes(b"x")
    assert [v.campaign for v in purge(store, root, now=NOW, dry_run=True)] == ["old"]
    assert all((root / v.path).exists() for v in recordings(store))
    [gone] = purge(store, root, now=NOW)
    assert gone.campaign == "old" and not (root / gone.path).exists()
    assert recording_for_attempt(store, gone.call_uuid).status == "purged"
    young = recordings(store, "young")[0]
    assert (root / young.path).exists()


def test_retention_inside_the_records_period_is_refused():
    with pytest.raises(ValueError, match="inside the records period"):
        CampaignSettings(recording={"mode": "all", "notice_message": "n.wav",
                                    "retention_days": 90})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1827, 4000), st.one_of(st.none(), st.integers(1, 6000)),
       st.integers(0, 8000))
def test_keep_until_is_never_inside_the_records_period(records: int, retention: int | None,
                                                       age_days: int) -> None:
    # Whatever the settings say (even a shorter recording retention written by hand).
    settings_ = SimpleNamespace(compliance=SimpleNamespace(retention_days=records),
                                recording=SimpleNamespace(retention_days=retention))
    started = NOW - timedelta(days=age_days)
    may_delete = keep_until(settings_, started) <= NOW
    if may_delete:
        assert age_days >= records and age_days >= (retention or records)
    else:
        assert age_days < max(records, retention or records)
