"""`dialer simulate --record --replace` interrupted while it records (first-hour eleventh
pass): the recording it replaces used to be deleted first, so a Ctrl-C lost both."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

import cli
from campaigns.store import CampaignStore

SCENARIO = (
    "[campaign]\nagents = 3\nshift_hours = 0.25\n\n[callees]\nlive_answer = 0.3\n"
    "machine = 0.1\nbusy = 0.1\ntime_to_answer = { dist = \"fixed\", value = 6.0 }\n"
    "patience = { dist = \"exponential\", mean = 3.0 }\n\n[agents]\n"
    "talk = { dist = \"exponential\", mean = 40.0 }\nwrap = 5\n")


def _dialer(*args: object):
    return CliRunner().invoke(cli.app, [str(a) for a in args])


def test_an_interrupted_replace_keeps_the_recording_it_replaces(tmp_path: Path, monkeypatch):
    scenario = tmp_path / "lab.toml"
    scenario.write_text(SCENARIO)
    url = f"sqlite:///{tmp_path / 'lab.db'}"
    record = ["simulate", scenario, "--policy", "progressive", "--replications", "1",
              "--workers", "1", "--record", "--db", url, "--start", "2026-12-01T09:00",
              "--json"]
    first = _dialer(*record)
    assert first.exit_code == 0, first.output
    attempts = json.loads(first.stdout)["recorded"][0]["attempts"]

    from simulations.recorder import Recorder

    def interrupted(self) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Recorder, "close", interrupted)  # Ctrl-C as the last batch is written
    _dialer(*record, "--replace", "--seed", "2")
    store = CampaignStore.open(url)
    try:
        (kept,) = store.campaigns(include_deleted=True)
        assert kept.name == "sim-lab-progressive"
        assert sum(store.lead_status_counts(kept.id).values()) > 0
        with store.session() as session:
            from sqlmodel import func, select

            from campaigns.models import CallAttempt

            count = session.exec(select(func.count()).select_from(CallAttempt).where(
                CallAttempt.campaign_id == kept.id)).one()
        assert count == attempts
    finally:
        store.close()
    monkeypatch.undo()
    replaced = _dialer(*record, "--replace", "--seed", "2")
    assert replaced.exit_code == 0, replaced.output
    assert [c["name"] for c in json.loads(_dialer("campaign", "list", "--all", "--db", url,
                                                  "--json").stdout)] == ["sim-lab-progressive"]
