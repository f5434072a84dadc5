"""Each campaign's state version and pacing version (migration 0015): every stored state
change bumps the one (the console's controls through the runner, ``dialer campaign
pause/start/stop``, a delete), every pacing change the other (the console's form,
``dialer campaign edit``); and a write made over a version seen is a compare-and-set in
the store, so of two writers in two processes exactly one wins and the loser writes
nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from campaigns.store import CampaignStore, IllegalTransition, StaleVersion
from dialer.runner.demo import demo_settings
from dialer.runner.state_follow import stop_stored

WORKER = Path(__file__).with_name("cas_worker.py")
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def _running(store: CampaignStore, name: str = "spring") -> None:
    store.create_campaign(name, demo_settings(False), at=NOW)
    store.transition_campaign(name, "running", at=NOW)


def _versions(store: CampaignStore, name: str = "spring") -> tuple[str, int, int]:
    row = store.campaign(name)
    return str(row.state), row.state_version, row.pacing_version


def test_every_state_write_bumps_the_state_version_and_pacing_edits_the_pacing_one(store) -> None:
    _running(store)
    assert _versions(store) == ("running", 1, 0)
    store.transition_campaign("spring", "paused", at=NOW)
    store.transition_campaign("spring", "running", at=NOW)
    assert _versions(store) == ("running", 3, 0)
    # A settings edit that is not pacing leaves both; a pacing edit bumps the pacing one.
    store.edit_campaign("spring", {"ring_timeout": 25}, at=NOW)
    assert _versions(store) == ("running", 3, 0)
    store.edit_campaign("spring", {"abandon_target": 0.02}, at=NOW)
    store.edit_campaign("spring", {"abandon_target": 0.02}, at=NOW)  # no change: no bump
    store.edit_campaign("spring", {"lines_per_agent": 1.5}, at=NOW)
    assert _versions(store) == ("running", 3, 2)
    row = store.campaign("spring")
    done, _ = stop_stored(store, row.id or 0, ["running"], NOW.timestamp())
    assert done and _versions(store) == ("stopped", 4, 2)
    assert store.campaign("spring").state_changed_at == NOW
    from campaigns.removal import delete_campaign

    delete_campaign(store, row.id or 0, at=NOW + timedelta(seconds=1))
    assert store.campaign(row.id or 0).state_version == 5


def test_the_command_line_bumps_the_versions(tmp_path, monkeypatch) -> None:
    from cli import app

    url = f"sqlite:///{tmp_path / 'dialer.db'}"
    monkeypatch.setenv("DIALER_HOME", str(tmp_path))
    monkeypatch.setenv("DIALER_DB", url)
    store = CampaignStore.open(url)
    _running(store)
    try:
        for args in (
            ["campaign", "pause", "spring"],
            ["campaign", "start", "spring"],
            ["campaign", "edit", "spring", "--abandon-target", "0.025"],
        ):
            result = CliRunner().invoke(app, args)
            assert result.exit_code == 0, result.output
        assert _versions(store) == ("running", 3, 1)
    finally:
        store.close()


def test_a_write_over_a_version_seen_is_refused_once_it_moved(store) -> None:
    _running(store)
    seen = store.campaign("spring").state_version
    # Paused and resumed since the page was drawn: the state looks the same, the version
    # does not; nothing is written.
    store.transition_campaign("spring", "paused", at=NOW)
    store.transition_campaign("spring", "running", at=NOW)
    with pytest.raises(StaleVersion) as stale:
        store.transition_campaign("spring", "paused", at=NOW, seen_version=seen)
    assert stale.value.state == "running" and stale.value.state_version == seen + 2
    assert _versions(store)[:2] == ("running", seen + 2)
    done, state = stop_stored(
        store, store.campaign("spring").id or 0, ["running"], NOW.timestamp(), seen
    )
    assert not done and state == "running"
    # A pacing edit-then-revert: same settings, another version.
    pacing = store.campaign("spring").pacing_version
    target = store.settings("spring").abandon_target
    store.edit_campaign("spring", {"abandon_target": 0.01}, at=NOW)
    store.edit_campaign("spring", {"abandon_target": target}, at=NOW)
    with pytest.raises(StaleVersion):
        store.edit_campaign("spring", {"abandon_target": 0.02}, at=NOW, seen_pacing_version=pacing)
    assert store.settings("spring").abandon_target == target
    # Seen right, it stands; a resume only from paused; a double click is left as it is.
    now = store.campaign("spring").state_version
    store.transition_campaign("spring", "running", at=NOW, seen_version=now)
    assert store.campaign("spring").state_version == now
    store.transition_campaign("spring", "stopped", at=NOW)
    with pytest.raises(IllegalTransition):
        store.transition_campaign(
            "spring", "running", at=NOW, seen_version=now + 1, only_from=("paused",)
        )
    assert store.campaign("spring").state == "stopped"


TABS = 3
ACTIONS = st.one_of(
    st.tuples(st.just("view"), st.integers(0, TABS - 1)),
    st.tuples(st.sampled_from(["pause", "resume", "stop", "pacing"]), st.integers(0, TABS - 1)),
    st.tuples(st.just("cli"), st.sampled_from(["paused", "running", "stopped"])),
    st.tuples(st.just("cli_pacing"), st.sampled_from([0.01, 0.02])),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(ACTIONS, min_size=1, max_size=14))
def test_a_tab_acts_only_on_what_it_saw(store, steps) -> None:
    """Tabs view the campaign, act on their view later; the command line acts in between.
    A tab's action is written exactly when nothing changed the state (or the pacing
    settings) since its view; otherwise nothing is written and the store is unchanged."""
    name = f"c{len(store.campaigns(include_deleted=True))}"
    _running(store, name)
    views: dict[int, tuple[str, int, int]] = {}
    changes = 0
    for kind, arg in steps:
        before = _versions(store, name)
        if kind == "view":
            views[arg] = before
            continue
        if kind == "cli":
            try:
                store.transition_campaign(name, arg, at=NOW)
            except IllegalTransition:
                assert _versions(store, name) == before
            else:
                changes += 1
                assert _versions(store, name) == (arg, before[1] + 1, before[2])
            continue
        if kind == "cli_pacing":
            if before[0] in ("running", "paused", "stopped"):
                store.edit_campaign(name, {"abandon_target": arg}, at=NOW)
            continue
        if arg not in views:
            continue
        state, version, pacing = views[arg]
        fresh = version == before[1]
        if kind == "pacing":
            value = 0.005 + 0.001 * len(steps)
            try:
                store.edit_campaign(
                    name, {"abandon_target": value}, at=NOW, seen_pacing_version=pacing
                )
            except StaleVersion:
                assert pacing != before[2] and _versions(store, name) == before
            else:
                assert pacing == before[2]
                assert store.settings(name).abandon_target == pytest.approx(value)
            continue
        target = {"pause": "paused", "resume": "running", "stop": "stopped"}[kind]
        if kind == "stop":
            done, _ = stop_stored(
                store, store.campaign(name).id or 0, [state], NOW.timestamp(), version
            )
            assert done == (
                (fresh and state in ("running", "paused"))
                or (fresh and before[0] == "stopped" and state == "stopped")
            )
            if done and before[0] != "stopped":
                assert _versions(store, name) == ("stopped", version + 1, before[2])
            else:
                assert _versions(store, name) == before
            continue
        try:
            store.transition_campaign(
                name,
                target,
                at=NOW,
                seen_version=version,
                only_from=("paused",) if kind == "resume" else None,
            )
        except StaleVersion:
            assert not fresh and _versions(store, name) == before
        except IllegalTransition:
            assert fresh and _versions(store, name) == before
        else:
            assert fresh
            if before[0] == target:  # a double click: left as it is
                assert _versions(store, name) == before
            else:
                assert _versions(store, name) == (target, version + 1, before[2])


class Worker:
    """A store writer in a process of its own (``cas_worker.py``)."""

    def __init__(self, url: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER), url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert json.loads(self.process.stdout.readline()) == {"ready": True}  # type: ignore[union-attr]

    def send(self, command: dict) -> None:
        self.process.stdin.write(json.dumps(command) + "\n")  # type: ignore[union-attr]
        self.process.stdin.flush()  # type: ignore[union-attr]

    def answer(self) -> dict:
        return json.loads(self.process.stdout.readline())  # type: ignore[union-attr]

    def close(self) -> None:
        self.process.stdin.close()  # type: ignore[union-attr]
        self.process.wait(30)


def _race(workers: list[Worker], commands: list[dict]) -> list[dict]:
    """Both commands sent at the same instant (threads released by one barrier)."""
    barrier = threading.Barrier(len(workers))

    def send(index: int) -> None:
        barrier.wait()
        workers[index].send(commands[index])

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return [worker.answer() for worker in workers]


ROUNDS = [  # (state both saw, what each sends)
    ("running", "paused", "paused"),
    ("paused", "running", "running"),
    ("running", "paused", "stopped"),
    ("paused", "running", "stopped"),
]


def test_two_processes_racing_one_wins_and_the_loser_writes_nothing(db_url) -> None:
    store = CampaignStore.open(db_url)
    _running(store)
    workers = [Worker(db_url), Worker(db_url)]
    try:
        for round_ in range(12):
            saw, first, second = ROUNDS[round_ % len(ROUNDS)]
            if store.campaign("spring").state != saw:
                store.transition_campaign("spring", saw, at=NOW)
            _, version, _ = _versions(store)
            answers = _race(
                workers,
                [
                    {
                        "op": "state",
                        "campaign": "spring",
                        "target": target,
                        "seen": version,
                        "saw": saw,
                    }
                    for target in (first, second)
                ],
            )
            won = [i for i, answer in enumerate(answers) if answer["ok"]]
            assert len(won) == 1, (round_, answers)
            winner = (first, second)[won[0]]
            assert _versions(store)[:2] == (winner, version + 1), (round_, answers)
            if winner == "stopped":
                store.transition_campaign("spring", "running", at=NOW)
        for value in (0.01, 0.02, 0.011):
            # Both values differ from the stored one (setting the stored value is a double
            # click: left as it is, no version bumped, whoever is first).
            assert store.settings("spring").abandon_target not in (value, value + 0.005)
            pacing = store.campaign("spring").pacing_version
            answers = _race(
                workers,
                [
                    {
                        "op": "pacing",
                        "campaign": "spring",
                        "seen": pacing,
                        "changes": {"abandon_target": target},
                    }
                    for target in (value, value + 0.005)
                ],
            )
            won = [i for i, answer in enumerate(answers) if answer["ok"]]
            assert len(won) == 1, answers
            assert store.settings("spring").abandon_target == pytest.approx(
                (value, value + 0.005)[won[0]]
            )
            assert store.campaign("spring").pacing_version == pacing + 1
    finally:
        for worker in workers:
            worker.close()
        store.close()
