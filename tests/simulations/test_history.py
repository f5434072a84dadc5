"""``dialer simulate --from-campaign``: a scenario from a campaign's attempts in the store
(shares by hour with their CIs, empirical laws, agents by hour) and its refusals."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from campaigns.store import CampaignStore
from cli import app
from simulations.distributions import Empirical, EmpiricalQuantiles
from simulations.history import MIN_ATTEMPTS, HistoryError, Share, build_history
from simulations.scenario import load_scenario
from tests.simulations.history_store import Call, make_campaign, record_calls, record_shifts

MONDAY = datetime(2026, 11, 2, tzinfo=UTC)
UNTIL = MONDAY + timedelta(days=7)
AGENTS = ("ann", "bob", "cyd")


@pytest.fixture
def store(tmp_path: Path):
    opened = CampaignStore.open(f"sqlite:///{tmp_path / 'dialer.db'}")
    try:
        yield opened
    finally:
        opened.close()


def _day_of_calls(day: int, rng: np.random.Generator, per_hour: int,
                  kinds_by_hour: dict[int, tuple[float, float, float]]) -> list[Call]:
    """``per_hour`` calls in each hour of ``kinds_by_hour`` (hour → live, machine, busy
    shares; the rest no answer) on day ``day`` after MONDAY."""
    calls = []
    for hour, (live, machine, busy) in kinds_by_hour.items():
        for u, second in zip(rng.random(per_hour), rng.uniform(0, 3500, per_hour),
                             strict=True):
            kind = ("live" if u < live else "machine" if u < live + machine
                    else "busy" if u < live + machine + busy else "no_answer")
            calls.append(Call(MONDAY + timedelta(days=day, hours=hour, seconds=float(second)),
                              kind, ring=float(rng.uniform(3, 15)),
                              talk=float(rng.exponential(90.0)),
                              wrap=float(rng.uniform(5, 15))))
    return calls


SHARES = {9: (0.30, 0.10, 0.05), 10: (0.20, 0.15, 0.05), 11: (0.10, 0.20, 0.10)}


def _filled(store: CampaignStore, days: int = 3, per_hour: int = 120) -> list[Call]:
    make_campaign(store, "shop", days * per_hour * len(SHARES), AGENTS, MONDAY)
    rng = np.random.default_rng(7)
    calls = [c for d in range(days) for c in _day_of_calls(d, rng, per_hour, SHARES)]
    record_calls(store, "shop", calls, "ann")
    record_shifts(store, "shop", AGENTS, [(MONDAY + timedelta(days=d, hours=9),
                                           MONDAY + timedelta(days=d, hours=12))
                                          for d in range(days)])
    return calls


def test_shares_by_hour_are_the_counts_of_each_kind_with_wilson_intervals(store):
    calls = _filled(store)
    history = build_history(store, "shop", until=UNTIL, days=7)
    assert history.attempts == len(calls)
    for kind in ("live", "machine", "busy", "no_answer"):
        assert history.shares[kind].hits == sum(c.kind == kind for c in calls)
        for hour in (9, 10, 11):
            share = history.hourly[kind][hour]
            expected = sum(c.kind == kind and c.dialed_at.hour == hour for c in calls)
            assert (share.hits, share.trials) == (expected, 360)
            low, high = share.ci95
            assert low <= share.rate <= high
        assert history.hourly[kind][12].trials == 0
    population = history.scenario.population
    assert population.live_answer_by_hour[10] == history.hourly["live"][10].rate
    assert population.machine_by_hour[11] == history.hourly["machine"][11].rate
    assert population.busy_by_hour[9] == history.hourly["busy"][9].rate
    # An hour never dialed takes the period's share.
    assert population.live_answer_by_hour[3] == history.shares["live"].rate


def test_the_wilson_interval_is_the_textbook_one():
    # Wilson (1927); e.g. Newcombe (1998), Table I: 15 of 148 → 0.0624 to 0.1605.
    low, high = Share(15, 148).ci95
    assert (round(low, 4), round(high, 4)) == (0.0624, 0.1605)
    assert Share(0, 10).ci95[0] == 0.0
    assert Share(10, 10).ci95[1] == pytest.approx(1.0)


def test_laws_are_the_observed_times_and_agents_are_counted_by_hour(store):
    calls = _filled(store)
    history = build_history(store, "shop", until=UNTIL, days=7)
    talk = [c.talk for c in calls if c.kind == "live"]
    ring = [c.ring for c in calls if c.kind in ("live", "machine")]
    assert history.times["talk"].n == len(talk)
    assert history.times["talk"].mean == pytest.approx(np.mean(talk), abs=1e-3)
    low, high = history.times["talk"].ci95
    assert low < np.mean(talk) < high
    assert history.times["ring"].mean == pytest.approx(np.mean(ring), abs=1e-3)
    scenario = history.scenario
    assert isinstance(scenario.population.talk, EmpiricalQuantiles)
    assert scenario.population.talk.quantiles[0] == pytest.approx(min(talk), abs=1e-3)
    assert scenario.population.talk.quantiles[-1] == pytest.approx(max(talk), abs=1e-3)
    assert scenario.population.talk.mean == pytest.approx(np.mean(talk), rel=0.02)
    assert scenario.wrap.mean == pytest.approx(10.0, rel=0.05)
    # Three agents on the floor 09:00–12:00 every day dialed; nobody else at any hour.
    assert history.agents_by_hour[9:12] == (3.0, 3.0, 3.0)
    assert sum(history.agents_by_hour) == pytest.approx(9.0)
    c = scenario.campaign
    assert (c.shift_start_hour, c.shift_hours, c.days, c.agents) == (9.0, 3.0, 3, 3)
    assert c.agents_by_hour[9:12] == (3, 3, 3) and sum(c.agents_by_hour) == 9
    assert scenario.population.no_answer_timeout == 25.0  # the campaign's ring timeout
    assert scenario.population.busy_time == pytest.approx(4.0)
    assert scenario.machine_handle_time == pytest.approx(
        np.mean([c.talk for c in calls if c.kind == "machine"]), abs=1e-3)


def test_a_small_sample_is_kept_as_its_values(store):
    make_campaign(store, "tiny", 200, AGENTS, MONDAY)
    calls = [Call(MONDAY + timedelta(hours=9, seconds=10 * i), "live" if i % 4 == 0
                  else "no_answer", talk=30.0 + i) for i in range(200)]
    record_calls(store, "tiny", calls, "ann")
    record_shifts(store, "tiny", AGENTS, [(MONDAY + timedelta(hours=9),
                                           MONDAY + timedelta(hours=10))])
    scenario = build_history(store, "tiny", until=UNTIL).scenario
    assert scenario.population.talk == Empirical(tuple(30.0 + i for i in range(0, 200, 4)))


def test_the_shift_wraps_past_midnight(store):
    make_campaign(store, "night", 400, AGENTS, MONDAY)
    calls = [Call(MONDAY + timedelta(hours=22, seconds=36 * i), "live" if i % 3 == 0
                  else "busy") for i in range(400)]
    record_calls(store, "night", calls, "ann")
    record_shifts(store, "night", AGENTS[:2], [(MONDAY + timedelta(hours=22),
                                               MONDAY + timedelta(hours=26))])
    record_shifts(store, "night", AGENTS[2:], [(MONDAY + timedelta(hours=23),
                                               MONDAY + timedelta(hours=24))])
    c = build_history(store, "night", until=UNTIL).scenario.campaign
    assert (c.shift_start_hour, c.shift_hours) == (22.0, 4.0)
    assert [c.agents_by_hour[h] for h in (22, 23, 0, 1, 2)] == [2, 3, 2, 2, 0]
    assert c.staffing() == [(0.0, 2), (3600.0, 3), (7200.0, 2)]
    assert c.agent_seconds_per_day() == 9 * 3600.0


def test_hours_are_counted_in_the_time_zone_asked(store):
    _filled(store)
    history = build_history(store, "shop", until=UNTIL, tz="America/New_York")
    assert history.hourly["live"][4].trials == 360  # 09:00 UTC is 04:00 in New York (EST)
    assert history.scenario.campaign.shift_start_hour == 4.0


# --- refusals -------------------------------------------------------------------------------


def test_an_unknown_campaign_is_refused(store):
    from campaigns.errors import CampaignError

    with pytest.raises(CampaignError, match="no campaign named 'nope'"):
        build_history(store, "nope", until=UNTIL)


def test_a_period_without_attempts_is_refused(store):
    _filled(store)
    with pytest.raises(HistoryError, match="no finished attempt in the period"):
        build_history(store, "shop", until=MONDAY, days=30)


def test_too_few_attempts_says_how_many(store):
    make_campaign(store, "few", 50, AGENTS, MONDAY)
    record_calls(store, "few", [Call(MONDAY + timedelta(hours=9, minutes=i), "live")
                                for i in range(42)], "ann")
    with pytest.raises(HistoryError, match=f"too few attempts .*: 42 finished "
                                           f"\\(need {MIN_ATTEMPTS}\\)"):
        build_history(store, "few", until=UNTIL)


def test_too_few_talk_times_says_how_many(store):
    make_campaign(store, "quiet", 300, AGENTS, MONDAY)
    calls = [Call(MONDAY + timedelta(hours=9, seconds=10 * i),
                  "live" if i < 30 else "no_answer", connected=i < 7) for i in range(300)]
    record_calls(store, "quiet", calls, "ann")
    with pytest.raises(HistoryError, match=r"too few talk times .*: 7 \(need 20\)"):
        build_history(store, "quiet", until=UNTIL)


def test_no_agent_session_is_refused(store):
    make_campaign(store, "ghost", 300, AGENTS, MONDAY)
    record_calls(store, "ghost", [Call(MONDAY + timedelta(hours=9, seconds=10 * i),
                                       "live" if i % 2 else "busy") for i in range(300)],
                 "ann")
    with pytest.raises(HistoryError, match="no agent was logged in"):
        build_history(store, "ghost", until=UNTIL)


def test_an_unknown_time_zone_and_a_bad_period_are_refused(store):
    with pytest.raises(HistoryError, match="--tz: 'Mars/Olympus' is not an IANA time zone"):
        build_history(store, "shop", until=UNTIL, tz="Mars/Olympus")
    with pytest.raises(HistoryError, match="--days: more than 0 and at most 366"):
        build_history(store, "shop", until=UNTIL, days=0)


# --- the command ----------------------------------------------------------------------------


def _cli(*args: str) -> object:
    return CliRunner().invoke(app, list(args))


def test_cli_builds_writes_and_runs_the_scenario(store, tmp_path, monkeypatch):
    _filled(store)
    url = str(store.engine.url)
    written = tmp_path / "shop.toml"
    monkeypatch.setattr("campaigns.cli_common.now", lambda: UNTIL)
    result = _cli("simulate", "--from-campaign", "shop", "--db", url, "--days", "7",
                  "--write-scenario", str(written), "--replications", "2",
                  "--workers", "1", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    built = document["from_campaign"]
    assert built["attempts"] == 1080 and built["campaign"] == "shop"
    low, high = built["shares"]["live"]["ci95"]
    assert low < built["shares"]["live"]["rate"] < high
    assert document["policies"]["progressive"]["dials"]["mean"] > 0
    assert document["scenario"] == str(written)
    # The file is the scenario that ran: it loads back as the one built.
    history = build_history(store, "shop", until=UNTIL, days=7)
    assert replace(load_scenario(written), path=history.scenario.path) == history.scenario
    text = written.read_text()
    assert text.startswith("# Built by `dialer simulate --from-campaign` from campaign 'shop'")
    assert "95 % Wilson" in text


def test_cli_prints_a_summary_with_the_intervals(store, monkeypatch):
    _filled(store)
    monkeypatch.setattr("campaigns.cli_common.now", lambda: UNTIL)
    result = _cli("simulate", "--from-campaign", "shop", "--db", str(store.engine.url),
                  "--replications", "2", "--workers", "1")
    assert result.exit_code == 0, result.output
    assert "campaign shop: 1080 attempts" in result.output
    assert "talk time: mean" in result.output
    assert "note: patience: not in the store" in result.output
    text = " ".join(result.output.split())  # as wrapped at the terminal's width
    assert "shares of dials in % (95 % CI)" in text
    live = build_history(store, "shop", until=UNTIL).hourly["live"][10]
    low, high = live.ci95
    assert f"({low:.1%}–{high:.1%})".replace("%", "") in text
    # The scenario file was temporary: the run is named by the campaign and its period.
    assert "campaign shop (2026-10-10 to 2026-11-09) — 2 replications" in text


@pytest.mark.parametrize("args", [
    ("simulate",),
    ("simulate", "simulations/scenarios/outbound.toml", "--from-campaign", "shop"),
])
def test_cli_wants_exactly_one_of_a_file_and_a_campaign(args):
    result = _cli(*args)
    assert result.exit_code == 1
    assert "give a SCENARIO file or --from-campaign NAME (exactly one)" in result.output


def test_cli_refuses_an_unknown_campaign_in_one_line(store):
    result = _cli("simulate", "--from-campaign", "nope", "--db", str(store.engine.url))
    assert result.exit_code == 1
    assert "no campaign named 'nope'" in result.output
    assert "Traceback" not in result.output


@pytest.mark.postgres
def test_postgres_gives_the_history_sqlite_gives(store, request):
    """The builder's queries are the store's own SQL: the same calls recorded in PostgreSQL
    give the same shares, times and floor (a schema of its own, dropped afterwards)."""
    import uuid

    import psycopg

    base = request.getfixturevalue("postgres_url")
    plain = base.replace("postgresql+psycopg://", "postgresql://")
    schema = f"test_history_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in base else "?"
    postgres = CampaignStore.open(f"{base}{separator}options=-csearch_path%3D{schema}")
    try:
        _filled(store)
        _filled(postgres)
        lite = build_history(store, "shop", until=UNTIL, tz="America/Chicago")
        pg = build_history(postgres, "shop", until=UNTIL, tz="America/Chicago")
        assert (pg.shares, pg.hourly, pg.agents_by_hour) == (lite.shares, lite.hourly,
                                                             lite.agents_by_hour)
        assert pg.times == lite.times and pg.scenario == lite.scenario
    finally:
        postgres.close()
        with psycopg.connect(plain, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
