"""The internal DNC's in-memory index: every look-up sees every commit of every process.

An opt-out committed by another process must stop the very next dial (47 CFR
64.1200(d)(3)). The other process here is a real one (``subprocess``); the property test
uses a second connection, which SQLite treats exactly like another process.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dnc.sqlite_change
from dialer.ports import DialTarget
from dialer.runner.dial_gate import DialTimeGate
from dnc.internal import InternalDnc
from dnc.registry import DncStore
from dnc.registry.importer import import_numbers
from dnc.registry.keys import keys_of_e164
from dnc.rules.model import CampaignRules, LeadFacts, Profile

AT = datetime(2026, 11, 17, 18, tzinfo=UTC)  # Tuesday 13:00 in New York
ROOT = Path(__file__).resolve().parents[2]
NUMBER = "+12015550123"
OTHER_PROCESS = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from dnc.internal import InternalDnc
internal = InternalDnc(Path(sys.argv[1]))
at = datetime(2026, 11, 17, 18, tzinfo=UTC)
for number in sys.argv[3:]:
    if sys.argv[2] == "add":
        internal.add(number, at, "asked not to be called", "agent ann", "call 7")
    else:
        internal.remove(number, at, "listed in error", "officer")
internal.close()
"""


def other_process(path: Path, action: str, *numbers: str) -> None:
    """``add`` or ``remove`` the numbers in a separate Python process, committed on return."""
    subprocess.run([sys.executable, "-c", OTHER_PROCESS, str(path), action, *numbers],
                   cwd=ROOT, check=True, timeout=60)


@pytest.fixture(params=["shared-memory", "data_version"])
def watch_mode(request, monkeypatch) -> str:
    """Both change detectors: the WAL-index header and the ``PRAGMA data_version``
    fallback used when the header cannot be mapped."""
    if request.param == "data_version":
        monkeypatch.setattr(dnc.sqlite_change, "_map_header", lambda shm: None)
    return request.param


def test_the_watcher_reads_shared_memory_when_it_can(tmp_path: Path) -> None:
    internal = InternalDnc(tmp_path / "internal.db")
    try:
        assert internal._watch.uses_shared_memory
    finally:
        internal.close()


def test_an_opt_out_committed_by_another_process_is_seen_by_the_next_look_up(
        tmp_path: Path, watch_mode: str) -> None:
    path = tmp_path / "dnc" / "internal.db"
    store = DncStore(tmp_path / "dnc")
    internal = store.internal
    assert internal is not None
    try:
        assert not internal.is_listed(NUMBER) and store.hits(NUMBER) == []
        other_process(path, "add", NUMBER, "+447700900123")
        assert internal.is_listed(NUMBER) and internal.is_listed("+447700900123")
        [hit] = store.hits(NUMBER)
        assert hit.version.registry == "internal" and "agent ann" in hit.detail
        mask = store.listed_many([NUMBER, "+12015550124", "+447700900123"])["internal"]
        assert mask.tolist() == [True, False, True]
        assert internal.latest_change_id() == 2
        assert internal.version().count == 2
        other_process(path, "remove", NUMBER)
        assert not internal.is_listed(NUMBER) and store.hits(NUMBER) == []
        assert internal.latest_change_id() == 3 and internal.version().count == 1
    finally:
        store.close()


@pytest.mark.parametrize("one_look", [False, True], ids=["two-callables", "listing"])
def test_the_very_next_dial_after_another_process_opts_out_is_refused(
        tmp_path: Path, watch_mode: str, one_look: bool) -> None:
    """Both ways a gate reads the list: membership and version through two callables, or
    both from one look (``InternalDnc.listing``, what ``build_dial_gate`` gives the
    runner)."""
    path = tmp_path / "internal.db"
    national = tmp_path / "national.txt"
    national.write_text("+12025550199\n")
    import_numbers(tmp_path / "registries", "national", [national], AT - timedelta(days=3), AT)
    internal = InternalDnc(path)
    registries = DncStore(tmp_path, internal=False)
    rules = CampaignRules("spring", profiles=(Profile.US_FEDERAL,), autodialed=False)
    reading = {"internal_listing": internal.listing} if one_look else {
        "inner_opted_out": internal.is_listed, "internal_change": internal.latest_change_id}
    gate = DialTimeGate(rules, registries, _NoHistory(), **reading)  # type: ignore[arg-type]
    target = DialTarget("1", NUMBER, "spring")
    try:
        gate.prefetch([(target, LeadFacts(NUMBER, lead_id="1"))], AT)
        assert gate.check(target, AT.timestamp()).allowed
        other_process(path, "add", NUMBER)
        verdict = gate.check(target, AT.timestamp() + 1)
        assert not verdict.allowed
        assert verdict.reasons[0].startswith("dial_gate.internal_dnc")
        assert "internal#1" in verdict.registry_versions
    finally:
        internal.close()


def test_own_writes_are_seen_at_once(tmp_path: Path, watch_mode: str) -> None:
    internal = InternalDnc(tmp_path / "internal.db")
    try:
        assert not internal.is_listed(NUMBER)
        internal.add(NUMBER, AT, "opt-out", "agent ann")
        assert internal.is_listed(NUMBER)
        internal.remove(NUMBER, AT + timedelta(seconds=1), "error", "officer")
        assert not internal.is_listed(NUMBER)
    finally:
        internal.close()


class _NoHistory:
    def attempts(self, number_e164: str, since: datetime) -> list:
        return []


POOL = [f"+1201555{1000 + i:04d}" for i in range(6)] + ["+447700900001", "+10005550100"]


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(["add", "remove", "look"]),
                                st.sampled_from(POOL)), max_size=25))
def test_the_index_always_answers_what_the_table_holds(tmp_path_factory, steps) -> None:
    """Changes through another connection, interleaved with look-ups: the index (single and
    batch) equals the table at every step."""
    path = tmp_path_factory.mktemp("internal") / "internal.db"
    reader, writer = InternalDnc(path), InternalDnc(path)
    try:
        for index, (action, number) in enumerate(steps):
            at = AT + timedelta(seconds=index)
            if action == "add":
                writer.add(number, at, "opt-out", "agent")
            elif action == "remove" and writer.entry(number) is not None:
                writer.remove(number, at, "error", "officer")
            table = {row[0] for row in writer._db.execute("SELECT number FROM internal_dnc")}
            assert {n for n in POOL if reader.is_listed(n)} == table
            mask = reader.listed_mask(POOL, keys_of_e164(POOL))
            assert mask.tolist() == [n in table for n in POOL]
            assert reader.listing(number) == (number in table, writer.latest_change_id())
            assert reader.latest_change_id() == writer.latest_change_id()
            assert reader.version() == writer.version()
            assert [h.detail for h in reader.hits(number)] == \
                [h.detail for h in writer.hits(number)]
    finally:
        reader.close()
        writer.close()


def test_listed_many_matches_single_look_ups(tmp_path: Path) -> None:
    store = DncStore(tmp_path)
    assert store.internal is not None
    rng = np.random.default_rng(3)
    numbers = [f"+1{n}" for n in rng.integers(2_000_000_000, 9_999_999_999, 300)]
    numbers += ["+447700900001", "not a number", "+1201555"]
    for number in [*numbers[:300:7], "+447700900001"]:
        store.internal.add(number, AT, "opt-out", "agent")
    try:
        mask = store.listed_many(numbers)["internal"]
        assert mask.tolist() == [store.internal.is_listed(n) for n in numbers]
        assert mask.sum() == len(set([*numbers[:300:7], "+447700900001"]))
    finally:
        store.close()
