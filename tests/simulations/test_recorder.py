"""A simulated campaign recorded through the store reads back, through ``campaign_report``,
as the simulator counted it (simulations/recorder.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from campaigns.models import CallAttempt, Lead, LeadStatus
from campaigns.reports import campaign_report
from campaigns.store import CampaignStore
from simulations.recorder import RecordingError, record_simulation
from simulations.scenario import scenario_from_tables

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TALK = 60.0
MACHINE_HOLD = 5.0


def _scenario(agents: int = 4, hours: float = 0.5, inbound: float = 0.0) -> object:
    return scenario_from_tables({
        "campaign": {"agents": agents, "shift_hours": hours, "connect_window": 2.0,
                     "leads": 0},
        "callees": {"live_answer": 0.3, "machine": 0.15, "busy": 0.1,
                    "time_to_answer": {"dist": "lognormal", "mean": 8.0, "sd": 3.0},
                    "no_answer_timeout": 20, "busy_time": 4,
                    "patience": {"dist": "exponential", "mean": 3.0}},
        "agents": {"talk": {"dist": "fixed", "value": TALK},
                   "wrap": {"dist": "fixed", "value": 10.0}},
        "machine_handle_time": MACHINE_HOLD,
        "inbound": {"calls_per_hour": inbound},
    })


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CampaignStore]:
    if request.param == "sqlite":
        opened = CampaignStore.open(f"sqlite:///{tmp_path / 'sim.db'}")
        yield opened
        opened.close()
        return
    import psycopg

    base = request.getfixturevalue("postgres_url")
    plain = base.replace("postgresql+psycopg://", "postgresql://")
    schema = f"test_recorder_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in base else "?"
    opened = CampaignStore.open(f"{base}{separator}options=-csearch_path%3D{schema}")
    try:
        yield opened
    finally:
        opened.close()
        with psycopg.connect(plain, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


def test_report_of_a_recorded_run_counts_what_the_simulator_counted(
        store: CampaignStore) -> None:
    # Power dialing at 2.5 lines per agent with impatient callees: abandons happen.
    scenario = _scenario()
    run = record_simulation(store, scenario, "power", params={"lines_per_agent": 2.5},
                            name="sim-power", start=START, seed=3)
    truth = run.metrics
    report = campaign_report(store, "sim-power", run.start, run.end)
    summary = report.summary
    assert truth["abandoned"] > 0 and summary["machine_answers"] > 0
    assert summary["dials"] == truth["dials"] == run.attempts
    assert summary["live_answers"] == truth["live_answers"]
    assert summary["abandons"] == truth["abandoned"]
    logged_in = scenario.campaign.agents * scenario.campaign.shift_hours * 3600.0
    connects = round(truth["contacts_per_agent_hour"] * logged_in / 3600.0)
    assert summary["contacts"] == connects  # one SIM disposition per person connected
    machines = int(report.dispositions.set_index("disposition")["count"].get("AM", 0))
    assert machines > 0  # AMD off: machines are connected to agents, disposed AM
    assert int(report.agents["calls"].sum()) == connects + machines

    # Over the shift itself the agents' logged-in time is the simulator's; talk differs
    # only by what it does not count: machine holds (talk for a real floor's report too)
    # and the part of the calls still going at closing time (at most one call per agent).
    shift = campaign_report(store, "sim-power", run.start,
                            run.start + timedelta(seconds=logged_in / scenario.campaign.agents))
    assert shift.summary["agent_hours"] == pytest.approx(logged_in / 3600.0, abs=1e-3)
    talk = shift.summary["talk_fraction"] * logged_in
    expected = truth["talk_fraction"] * logged_in + machines * MACHINE_HOLD
    assert expected - 1.0 <= talk <= expected + scenario.campaign.agents * TALK + 1.0


def test_recorded_rows_have_the_shape_of_a_finished_day(store: CampaignStore) -> None:
    run = record_simulation(store, _scenario(agents=3, hours=0.25), "predictive",
                            name="sim-shape", start=START, seed=5, batch_size=50)
    assert store.open_attempts(campaign="sim-shape") == []
    assert store.undisposed_attempts(campaign="sim-shape") == []
    with store.session() as session:
        attempts = session.execute(sa.select(CallAttempt).where(
            CallAttempt.campaign_id == run.campaign_id)).scalars().all()
        leads = session.execute(sa.select(Lead).where(
            Lead.campaign_id == run.campaign_id)).scalars().all()
    assert len(attempts) == run.attempts and len(leads) >= run.attempts
    assert all(lead.status != LeadStatus.IN_CALL for lead in leads)
    for attempt in attempts:
        assert run.start <= attempt.dialed_at <= attempt.ended_at < run.end
        if attempt.answered_at is not None:
            assert attempt.dialed_at < attempt.answered_at <= attempt.ended_at
        if attempt.bridged_at is not None:
            assert attempt.agent_id is not None and attempt.disposition in ("SIM", "AM")
        # Who ended it, as a SIP switch says it and a live run journals it (never unknown
        # for a simulated call): the dialer gives up ringing, a busy line refuses.
        assert attempt.hangup_side in ("callee", "dialer")
        if attempt.outcome in ("no_answer", "busy"):
            assert attempt.hangup_side == {"no_answer": "dialer", "busy": "callee"}[
                attempt.outcome]
    assert {lead.phone for lead in leads} >= {a.phone for a in attempts}
    assert store.campaign("sim-shape").state == "archived"  # never startable


def test_a_taken_name_is_refused_and_only_a_simulation_is_replaced(
        store: CampaignStore) -> None:
    scenario = _scenario(agents=2, hours=0.1)
    store.create_campaign("real", at=START)
    with pytest.raises(RecordingError, match="'real' already exists"):
        record_simulation(store, scenario, "progressive", name="real", start=START)
    with pytest.raises(RecordingError, match="'real' is not a recorded simulation"):
        record_simulation(store, scenario, "progressive", name="real", start=START,
                          replace=True)
    first = record_simulation(store, scenario, "progressive", name="sim", start=START)
    with pytest.raises(RecordingError, match="'sim' already exists"):
        record_simulation(store, scenario, "progressive", name="sim", start=START)
    second = record_simulation(store, scenario, "progressive", name="sim", start=START,
                               seed=9, replace=True)
    assert first.metrics["dials"] != second.metrics["dials"]  # another seed
    report = campaign_report(store, "sim", second.start, second.end)
    assert report.summary["dials"] == second.metrics["dials"]
    with store.session() as session:  # nothing of the first recording is left
        rows = session.execute(sa.select(sa.func.count()).select_from(CallAttempt)).scalar()
    assert rows == second.attempts
    assert store.campaign("real").state == "draft"


def test_bad_input_is_refused_before_anything_is_written(store: CampaignStore) -> None:
    with pytest.raises(RecordingError, match="time zone"):
        record_simulation(store, _scenario(), "progressive", name="x",
                          start=datetime(2026, 12, 1, 9))
    with pytest.raises(RecordingError, match="only outbound scenarios"):
        record_simulation(store, _scenario(inbound=30.0), "progressive", name="x",
                          start=START)
    assert store.campaigns() == []


def test_a_recording_that_fails_leaves_no_campaign(store: CampaignStore,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from simulations.recorder import Recorder

    def broken(self: Recorder) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(Recorder, "close", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        record_simulation(store, _scenario(agents=2, hours=0.1), "progressive", name="sim",
                          start=START, batch_size=10)
    assert store.campaigns() == []
    with store.session() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(CallAttempt)).scalar() == 0
