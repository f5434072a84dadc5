"""Registry store: membership, change lists, atomicity, malformed input, zip, internal DNC."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dnc.interfaces import DncLookup
from dnc.registry import DncStore, open_lookup
from dnc.registry.errors import ImportRefused
from dnc.registry.importer import import_change_list, import_full_list, import_numbers

NOW = datetime(2026, 11, 1, tzinfo=UTC)

# Small pool of numbers so that imports and change lists collide often.
pool = st.integers(min_value=0, max_value=60).map(
    lambda i: f"+1{2012000000 + (i % 7) * 1_000_000 + i * 997 + (i // 20) * 7_000_000_00}")


def line_of(number: str) -> str:
    return f"{number[2:5]},{number[5:]}\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def listed(store: DncStore, registry: str, number: str) -> bool:
    return any(hit.version.registry == registry for hit in store.hits(number))


operations = st.lists(
    st.one_of(
        st.tuples(st.just("full"), st.sets(pool, max_size=25)),
        st.tuples(st.just("change"),
                  st.lists(st.tuples(pool, st.booleans()), max_size=15)),
    ),
    min_size=1, max_size=6)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations, compact_minimum=st.sampled_from([0, 5, 1_000_000]))
def test_membership_equals_a_python_set(tmp_path_factory, ops, compact_minimum) -> None:
    base = tmp_path_factory.mktemp("reg")
    root = base / "dnc" / "registries"
    oracle: set[str] | None = None
    universe: set[str] = set()
    for step, (kind, payload) in enumerate(ops):
        if kind == "full":
            if not payload:
                continue
            path = write(base / f"full{step}.txt", "".join(map(line_of, sorted(payload))))
            # dated like the change lists of its step: an older full list is refused
            import_full_list(root, "national", [path], NOW.replace(day=step % 9 + 1), NOW)
            oracle = set(payload)
            universe |= payload
        else:
            if oracle is None or not payload:
                continue
            text = "".join(f"{n[2:5]},{n[5:]},{'A' if add else 'D'},2026-11-0{step % 9 + 1}\n"
                           for n, add in payload)
            path = write(base / f"chg{step}.txt", text)
            import_change_list(root, "national", [path], None, NOW,
                               compact_minimum=compact_minimum)
            for number, add in payload:
                (oracle.add if add else oracle.discard)(number)
                universe.add(number)
        store = DncStore(base / "dnc", internal=False)
        for number in universe:
            assert listed(store, "national", number) == (number in oracle)
        batch = store.listed_many(sorted(universe))
        expected = np.array([n in oracle for n in sorted(universe)])
        assert (batch.get("national", np.zeros(len(universe), bool)) == expected).all()
        if oracle is not None:
            assert store.versions()[0].count == len(oracle)


def test_malformed_lines_are_reported_with_file_and_line(tmp_path: Path) -> None:
    good = "".join(f"201,{2000000 + i}\n" for i in range(300))
    path = write(tmp_path / "ftc.txt", good[:120] + "20x,1234567\r\n" + good[120:] + "\n")
    summary = import_full_list(tmp_path / "r", "national", [path], NOW, NOW)
    assert summary.rejected == 1
    assert summary.rejected_lines[0]["file"] == str(path)
    assert summary.rejected_lines[0]["line"] == 11
    assert summary.count == 300


def test_crlf_and_blank_lines_parse(tmp_path: Path) -> None:
    path = write(tmp_path / "ftc.txt", "201,2345678\r\n\r\n\n305,5551234\r\n305,5551235")
    summary = import_full_list(tmp_path / "r", "national", [path], NOW, NOW)
    assert (summary.count, summary.rejected) == (3, 0)


def test_refused_import_leaves_previous_version_unchanged(tmp_path: Path) -> None:
    first = write(tmp_path / "a.txt", "201,2345678\n202,3456789\n")
    import_full_list(tmp_path / "dnc" / "registries", "national", [first], NOW, NOW)
    before = DncStore(tmp_path / "dnc", internal=False)
    version = before.versions()[0]
    garbage = write(tmp_path / "b.txt", "hello\nworld\n203,4567890\n")
    with pytest.raises(ImportRefused) as refused:
        import_full_list(tmp_path / "dnc" / "registries", "national", [garbage], NOW, NOW)
    assert "b.txt:1" in str(refused.value)
    after = DncStore(tmp_path / "dnc", internal=False)
    assert after.versions() == [version]
    assert listed(after, "national", "+12012345678")
    assert not listed(after, "national", "+12034567890")
    assert not list((tmp_path / "dnc" / "registries" / "national").glob(".tmp-*"))


def test_failed_publication_leaves_previous_version(tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "dnc" / "registries"
    import_full_list(root, "national", [write(tmp_path / "a.txt", "201,2345678\n")], NOW, NOW)
    import dnc.registry.store as store_module

    def broken(path, array):
        raise OSError("disk full")

    monkeypatch.setattr(store_module, "_save", broken)
    with pytest.raises(OSError):
        import_full_list(root, "national", [write(tmp_path / "b.txt", "305,5551234\n")],
                         NOW, NOW)
    store = DncStore(tmp_path / "dnc", internal=False)
    assert listed(store, "national", "+12012345678")
    assert not listed(store, "national", "+13055551234")


def test_zipped_full_list_one_file_per_area_code(tmp_path: Path) -> None:
    archive = tmp_path / "ftc.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("201.txt", "201,2345678\n201,2345679\n")
        out.writestr("305.txt", "305,5551234\n")
    summary = import_full_list(tmp_path / "dnc" / "registries", "national", [archive], NOW, NOW)
    assert summary.count == 3
    store = open_lookup(tmp_path / "dnc")
    assert listed(store, "national", "+13055551234")


def test_state_list_in_common_notations(tmp_path: Path) -> None:
    path = write(tmp_path / "fl.csv",
                 "name,phone\nann,(305) 555-1234\nbob,+1 305 555 1235\ncy,1-305-555-1236\n"
                 "dee,305.555.1237\nbad,12\n")
    summary = import_numbers(tmp_path / "dnc" / "registries", "state:fl", [path], NOW, NOW,
                             max_reject_fraction=0.5)
    assert (summary.count, summary.rejected) == (4, 1)
    assert summary.rejected_lines[0]["line"] == 6
    store = open_lookup(tmp_path / "dnc")
    assert all(listed(store, "state:FL", f"+1305555123{i}") for i in range(4, 8))


def test_internal_opt_out_visible_at_once_from_a_second_store(tmp_path: Path) -> None:
    reader = DncStore(tmp_path / "dnc")
    writer = DncStore(tmp_path / "dnc")
    assert isinstance(reader, DncLookup)
    assert reader.hits("+12015550123") == []
    writer.internal.add("+12015550123", NOW, "opt-out during call", "agent ann", "call 42")
    hits = reader.hits("+12015550123")
    assert [h.version.registry for h in hits] == ["internal"]
    assert "call 42" in hits[0].detail
    writer.internal.remove("+12015550123", NOW, "listed by mistake", "supervisor bo")
    assert reader.hits("+12015550123") == []
    assert [e.action for e in reader.internal.history("+12015550123")] == ["add", "remove"]
