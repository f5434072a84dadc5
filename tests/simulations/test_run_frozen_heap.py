"""A run keeps the objects alive before it out of the cyclic collector's way, and gives
them back at its end (``simulations.driver._frozen_heap``; docs/engine.md, "Fourteenth
step"). What a run computes never depends on it: the command-stream digests
(tests/simulations/test_engine_stream_hashes.py) are the same."""

from __future__ import annotations

import gc

import pytest

from dialer.commands import Originate
from simulations.driver import Simulation
from simulations.scenario import scenario_from_tables

_TABLES = {
    "callees": {"live_answer": 0.3, "machine": 0.1, "busy": 0.05,
                "time_to_answer": {"dist": "lognormal", "mean": 9.0, "sd": 4.0},
                "no_answer_timeout": 25, "busy_time": 4,
                "patience": {"dist": "exponential", "mean": 5.0}},
    "agents": {"talk": {"dist": "lognormal", "mean": 60.0, "sd": 30.0},
               "wrap": {"dist": "fixed", "value": 5.0}, "machine_handle_time": 5},
    "campaign": {"agents": 3, "shift_hours": 0.2, "days": 2},
}


def _frozen_counts_while_dialing(simulation: Simulation) -> list[int]:
    counts: list[int] = []
    simulation.observe((Originate,), lambda command: counts.append(gc.get_freeze_count()))
    simulation.run()
    return counts


def test_what_lived_before_a_run_is_frozen_while_it_dials_and_thawed_after() -> None:
    assert gc.get_freeze_count() == 0  # nothing of the test process frozen
    simulation = Simulation(scenario_from_tables(_TABLES), "progressive", seed=1)
    counts = _frozen_counts_while_dialing(simulation)
    assert counts and min(counts) > 0
    assert gc.get_freeze_count() == 0  # all handed back to the collector


def test_each_day_freezes_what_the_days_before_kept() -> None:
    simulation = Simulation(scenario_from_tables(_TABLES), "progressive", seed=1)
    counts: list[tuple[int, int]] = []
    simulation.observe((Originate,), lambda command: counts.append(
        (int(command.at // 86400), gc.get_freeze_count())))
    simulation.run()
    first = [count for day, count in counts if day == 0]
    second = [count for day, count in counts if day == 1]
    assert first and second
    # Between the days the frozen count grew (without a new freeze it only shrinks): the
    # first day's ledger entries, at least, were still alive at the second day's start.
    assert second[0] > first[-1]
    assert gc.get_freeze_count() == 0


def test_a_process_that_froze_objects_itself_is_left_as_it_is() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        simulation = Simulation(scenario_from_tables(_TABLES), "progressive", seed=1)
        counts = _frozen_counts_while_dialing(simulation)
        # Not frozen again (the count would grow by what was made since), nor thawed; it
        # only shrinks as frozen objects are freed.
        assert counts and min(counts) > 0 and max(counts) <= frozen
        assert 0 < gc.get_freeze_count() <= frozen
    finally:
        gc.unfreeze()


def test_a_run_that_fails_still_thaws() -> None:
    simulation = Simulation(scenario_from_tables(_TABLES), "progressive", seed=1)

    def fail(command: Originate) -> None:
        raise RuntimeError("stop")

    simulation.observe((Originate,), fail)
    with pytest.raises(RuntimeError, match="stop"):
        simulation.run()
    assert gc.get_freeze_count() == 0
