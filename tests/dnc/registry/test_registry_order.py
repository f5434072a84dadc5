"""The registry keeps going forward in time: an older full list is refused after newer
change lists, and several change lists in one command apply by their dates, not by the
order they are named in (docs/dnc.md, "Change lists"; docs/operations.md, "Eleventh pass:
imports")."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dnc.registry import DncStore
from dnc.registry.errors import ImportRefused, OlderThanApplied
from dnc.registry.importer import import_change_list, import_full_list, import_numbers

NOW = datetime(2026, 12, 7, tzinfo=UTC)
DAY = {day: datetime(2026, 12, day, tzinfo=UTC) for day in range(1, 32)}
NUMBERS = [f"+1201555{100 + i:04d}" for i in range(6)]


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _record(number: str, added: bool, day: int) -> str:
    return f"{number[2:5]},{number[5:]},{'A' if added else 'D'},2026-12-{day:02d}\n"


def _listed(root: Path, registry: str = "national") -> set[str]:
    store = DncStore(root.parent, internal=False)
    found = {
        n
        for n in [*NUMBERS, "+12015550120", "+12125550140"]
        if any(h.version.registry == registry for h in store.hits(n))
    }
    store.close()
    return found


def _current(root: Path, registry: str = "national") -> str:
    store = DncStore(root.parent, internal=False)
    version = next(v.version for v in store.versions() if v.registry == registry)
    store.close()
    return version


def test_an_older_full_list_after_newer_change_lists_is_refused(tmp_path):
    """The 1st's full list imported after the 5th's change list took the registry back to
    the 1st: the number added on the 5th (asked not to be called) was unlisted, and
    dialed."""
    root = tmp_path / "dnc" / "registries"
    full = _write(tmp_path / "full-1.txt", "201,5550120\n")
    import_full_list(root, "national", [full], DAY[1], NOW)
    import_change_list(
        root, "national", [_write(tmp_path / "ch5.txt", _record(NUMBERS[0], True, 5))], None, NOW
    )
    with pytest.raises(OlderThanApplied) as refused:
        import_full_list(root, "national", [full], DAY[1], NOW)
    assert str(refused.value) == (
        f"{full}: this full list is as of 2026-12-01, older than the newest date already "
        "applied, 2026-12-05 (national@2026-12-05#2): published, the registry would go back "
        "in time and lose the numbers listed since (they would be dialed); refused, stored "
        "registry unchanged. Import the newest full list; if the stored date is wrong, "
        "import this one with --allow-older"
    )
    assert _current(root) == "national@2026-12-05#2"
    assert NUMBERS[0] in _listed(root)
    # the same day, a later day, or told: published
    import_full_list(root, "national", [full], DAY[5], NOW)
    import_full_list(root, "national", [full], DAY[1], NOW, allow_older=True)
    assert _current(root) == "national@2026-12-01#4" and NUMBERS[0] not in _listed(root)


def test_an_older_state_list_is_refused_likewise(tmp_path):
    root = tmp_path / "dnc" / "registries"
    newer = _write(tmp_path / "fl-5.txt", "2125550140\n")
    import_numbers(root, "state:FL", [newer], DAY[5], NOW)
    with pytest.raises(OlderThanApplied, match="as of 2026-12-01, older than the newest"):
        import_numbers(
            root, "state:FL", [_write(tmp_path / "fl-1.txt", "2015550120\n")], DAY[1], NOW
        )
    assert _listed(root, "state:FL") == {"+12125550140"}


def test_change_lists_named_newest_first_apply_oldest_first(tmp_path):
    """``dnc import ch5.txt ch1.txt --change-list`` applied the 1st's deletion after the
    5th's addition: the number who asked on the 5th not to be called was unlisted."""
    root = tmp_path / "dnc" / "registries"
    import_full_list(
        root,
        "national",
        [_write(tmp_path / "f.txt", f"{NUMBERS[0][2:5]},{NUMBERS[0][5:]}\n")],
        DAY[1],
        NOW,
    )
    ch1 = _write(tmp_path / "ch1.txt", _record(NUMBERS[0], False, 2))
    ch5 = _write(tmp_path / "ch5.txt", _record(NUMBERS[0], True, 5))
    summary = import_change_list(root, "national", [ch5, ch1], None, NOW)
    assert summary.version == "national@2026-12-05#2"
    assert NUMBERS[0] in _listed(root)


def test_a_change_list_older_than_the_stored_version_is_refused_among_newer_ones(tmp_path):
    """Named together with a newer list, an older one passed the tenth pass's check (the
    command's date was the newest) and undid the later changes it reached."""
    root = tmp_path / "dnc" / "registries"
    import_full_list(root, "national", [_write(tmp_path / "f.txt", "201,5550120\n")], DAY[1], NOW)
    import_change_list(
        root, "national", [_write(tmp_path / "ch5.txt", _record(NUMBERS[0], True, 5))], None, NOW
    )
    ch3 = _write(tmp_path / "ch3.txt", _record(NUMBERS[0], False, 3))
    ch6 = _write(tmp_path / "ch6.txt", _record(NUMBERS[1], True, 6))
    with pytest.raises(
        ImportRefused,
        match=r"ch3\.txt: this change list is as of 2026-12-03, "
        r"older than the stored national@2026-12-05#2",
    ):
        import_change_list(root, "national", [ch6, ch3], None, NOW)
    assert _listed(root) == {"+12015550120", NUMBERS[0]}


def test_change_lists_whose_order_cannot_be_told_are_refused(tmp_path):
    root = tmp_path / "dnc" / "registries"
    import_full_list(root, "national", [_write(tmp_path / "f.txt", "201,5550120\n")], DAY[1], NOW)
    added = _write(tmp_path / "a.txt", _record(NUMBERS[0], True, 4))
    deleted = _write(tmp_path / "d.txt", _record(NUMBERS[0], False, 4))
    with pytest.raises(ImportRefused) as refused:
        import_change_list(root, "national", [added, deleted], None, NOW)
    assert (
        f"{added}: {NUMBERS[0]} is added here and deleted in {deleted}, both as of "
        "2026-12-04: which came last cannot be told; refused" in str(refused.value)
    )
    undated = _write(tmp_path / "u.txt", f"{NUMBERS[1][2:5]},{NUMBERS[1][5:]},A\n")
    with pytest.raises(
        ImportRefused,
        match=r"u\.txt: this change list carries no date, and "
        "2 change lists were given",
    ):
        import_change_list(root, "national", [added, undated], None, NOW)
    assert _current(root) == "national@2026-12-01#1"
    # alone, each is applied (an undated one with --as-of)
    import_change_list(root, "national", [undated], DAY[2], NOW)
    assert NUMBERS[1] in _listed(root)


change_file = st.lists(
    st.tuples(st.sampled_from(NUMBERS), st.booleans(), st.integers(min_value=2, max_value=9)),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(files=st.lists(change_file, min_size=2, max_size=3))
def test_change_lists_in_any_order_make_the_same_registry(tmp_path_factory, files):
    """A compliance officer naming the day's files in another order gets the same registry,
    or the same refusal."""
    base = tmp_path_factory.mktemp("order")
    paths = [
        _write(base / f"ch{i}.txt", "".join(_record(*r) for r in records))
        for i, records in enumerate(files)
    ]
    outcomes = set()
    for run, order in enumerate(itertools.permutations(paths)):
        root = base / f"run{run}" / "dnc" / "registries"
        import_full_list(root, "national", [_write(base / "f.txt", "201,5550120\n")], DAY[1], NOW)
        try:
            import_change_list(root, "national", list(order), None, NOW)
        except ImportRefused as error:
            outcomes.add(("refused", type(error).__name__))
        else:
            outcomes.add(("listed", frozenset(_listed(root))))
    assert len(outcomes) == 1, outcomes
    # Each number ends as its latest-dated record says (later line on the same date).
    kind, listed = outcomes.pop()
    if kind == "listed":
        last: dict[str, tuple[int, bool]] = {}
        for records in files:
            for number, added, day in records:
                if number not in last or day >= last[number][0]:
                    last[number] = (day, added)
        expected = {n for n, (_, added) in last.items() if added} | {"+12015550120"}
        assert listed == expected
