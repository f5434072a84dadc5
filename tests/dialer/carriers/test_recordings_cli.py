"""``dialer recordings``: list, show by attempt, seal, export, purge (dry run)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from campaigns.journal_batch import BeginOp, FinishOp
from campaigns.leads import LeadInput
from campaigns.settings import Outcome
from campaigns.store import CampaignStore
from cli import app
from tests.campaigns.ready import STARTABLE

NOW = datetime.now(UTC)


def dialer(*args: str, code: int = 0):
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


def test_recordings_commands(tmp_path, monkeypatch):
    monkeypatch.setenv("DIALER_HOME", str(tmp_path))
    monkeypatch.delenv("DIALER_DB", raising=False)
    store = CampaignStore.open(f"sqlite:///{tmp_path / 'dialer.db'}")
    store.create_campaign("c", {**STARTABLE, "schedule": {
        "start": "00:00", "end": "23:59", "days": [0, 1, 2, 3, 4, 5, 6]}, "recording": {
        "mode": "all", "notice_message": "n.wav"}}, at=NOW)
    store.add_leads("c", [LeadInput("+12015550123")], at=NOW)
    store.transition_campaign("c", "running", at=NOW)
    [lead] = store.claim_leads("c", 1, owner="p", now=NOW)
    path = f"c/{NOW:%Y-%m-%d}/{lead.lead_id}-1-u1.wav"
    store.journal_batch([BeginOp("u1", lead.lead_id, NOW), FinishOp(
        "u1", NOW, Outcome.ANSWERED, fields={"recording_path": path},
        recording={"path": path, "format": "wav", "started_at": NOW, "ended_at": NOW,
                   "consent": "not_required", "pauses": [], "status": "recorded"})],
        owner="p")
    store.close()
    (tmp_path / "recordings" / path).parent.mkdir(parents=True)
    (tmp_path / "recordings" / path).write_bytes(b"RIFF....WAVE")
    [listed] = dialer("recordings", "list", "--campaign", "c")
    assert listed["call_uuid"] == "u1" and listed["status"] == "recorded"
    shown = dialer("recordings", "show", "u1")
    assert shown["file_present"] and shown["file"].endswith(path)
    assert dialer("recordings", "seal") == {"sealed": 1, "missing": 0, "waiting": 0}
    out = dialer("recordings", "export", "-o", str(tmp_path / "out"), "--from",
                 f"{NOW - timedelta(days=1):%Y-%m-%d}")
    assert out["exported"] == 1 and (tmp_path / "out" / path).exists()
    assert dialer("recordings", "purge", "--dry-run")["purged"] == []
    assert "no recording" in dialer("recordings", "show", "nope", code=1)["error"]
    assert "--from" in dialer("recordings", "list", "--from", "yesterday", code=1)["error"]
