"""The DNC store next to the obvious alternatives, on the same data, in one process.

    python benchmarks/compare_dnc.py [--numbers 5000000] [--queries 1000000] [--internal 1000]
                                     [--previous TREE_OR_COMMIT]

Builds a synthetic National Registry (``bench_dnc.generate``: N numbers over 800 area codes)
imported into the project's store, an internal DNC list of ``--internal`` numbers, and the
same national numbers as a Python ``set`` of integer keys, an indexed SQLite table (integer
primary key) and a sorted numpy array. Every structure answers the same queries (half listed
numbers, half random NANP numbers), given as E.164 strings (each converts them with the
store's own key function):

- single look-up p50 / p99 (one call per number, timed one by one) and
- batch throughput (all queries in one call, the way ``dialer dnc scrub`` works), per second
  of the process's own CPU time,

with the ratio of each to the store. The store is measured twice: ``hits()`` and
``listed_many`` as they are now (the internal list from its in-memory index) and as they were
(the internal list queried in SQLite at every look-up, the registry probed through numpy
scalars), so old and new stand side by side in one run. With ``--previous`` (a source tree
or a git revision of this repository, e.g. ``main``) the single look-up is also timed in a
fresh process of that tree and of this one, on the same files and queries, one after the
other: the previous code and this code side by side. ``uptime`` is printed first and last:
on a shared machine the figures move with the load.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_dnc import generate

from dnc.interfaces import RegistryHit
from dnc.registry import DncStore
from dnc.registry.importer import import_full_list
from dnc.registry.keys import e164_of_key, key_in_plan, key_of_e164, keys_of_e164, plan_of
from dnc.registry.versions import LoadedVersion

SINGLE = 200_000

FRESH_PROCESS_PROBE = """
import sys, time
from pathlib import Path
import numpy as np
from dnc.registry import DncStore
store = DncStore(Path(sys.argv[1]))
numbers = Path(sys.argv[2]).read_text().split()
for number in numbers[:5000]:
    store.hits(number)
clock = time.perf_counter_ns
spent = np.empty(len(numbers), dtype=np.int64)
for index, number in enumerate(numbers):
    start = clock()
    store.hits(number)
    spent[index] = clock() - start
print(np.percentile(spent, 50) / 1e3, np.percentile(spent, 99) / 1e3)
"""
"""``DncStore.hits`` of whichever tree is on ``PYTHONPATH``, one call per number."""


def tree_of(previous: str, work: Path) -> Path:
    """A source tree: ``previous`` itself when it is a directory, else that git revision of
    this repository exported into ``work``."""
    if Path(previous).is_dir():
        return Path(previous).resolve()
    target = work / "previous-tree"
    target.mkdir()
    root = Path(__file__).resolve().parent.parent
    archive = subprocess.run(["git", "-C", str(root), "archive", previous],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def fresh_process_hits(tree: Path, dnc_dir: Path, queries: Path) -> tuple[float, float]:
    result = subprocess.run([sys.executable, "-c", FRESH_PROCESS_PROBE, str(dnc_dir),
                             str(queries)], capture_output=True, text=True, check=True,
                            env={**__import__("os").environ, "PYTHONPATH": str(tree)}, cwd=tree)
    p50, p99 = result.stdout.split()
    return float(p50), float(p99)


def rss() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * 4096


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "load average " + " ".join(f"{x:.2f}" for x in __import__("os").getloadavg())


def per_call(lookup: Callable[[str], object], numbers: Sequence[str]) -> tuple[float, float]:
    """(p50, p99) in µs of one call per number, each timed on its own."""
    clock = time.perf_counter_ns
    spent = np.empty(len(numbers), dtype=np.int64)
    for index, number in enumerate(numbers):
        start = clock()
        lookup(number)
        spent[index] = clock() - start
    return float(np.percentile(spent, 50)) / 1e3, float(np.percentile(spent, 99)) / 1e3


def batch(run: Callable[[list[str]], object], numbers: list[str]) -> float:
    """Numbers per second of CPU time of one call over all of them (best of two): on a
    shared machine the wall clock also counts the time other processes ran."""
    best = float("inf")
    for _ in range(2):
        start = time.thread_time()
        run(numbers)
        best = min(best, time.thread_time() - start)
    return len(numbers) / best


# --- the store's old single and batch paths, as they were before the in-memory index --------

def old_contains(version: LoadedVersion, key: int) -> bool:
    """``LoadedVersion.contains`` before memoryviews: numpy scalar indexing and searchsorted."""
    if len(version.added) and _old_in_sorted(version.added, key):
        return True
    base = version.base
    bucket = key >> base.shift
    start, stop = int(base.offsets[bucket]), int(base.offsets[bucket + 1])
    if start == stop:
        return False
    segment = base.low[start:stop]
    want = key & base.mask
    at = int(segment.searchsorted(want))
    if not (at < len(segment) and int(segment[at]) == want):
        return False
    return not (len(version.deleted) and _old_in_sorted(version.deleted, key))


def _old_in_sorted(sorted_keys: np.ndarray, key: int) -> bool:
    at = int(sorted_keys.searchsorted(key))
    return at < len(sorted_keys) and int(sorted_keys[at]) == key


def old_hits(store: DncStore, db: sqlite3.Connection, number: str) -> list[RegistryHit]:
    """``DncStore.hits`` before: every registry through numpy, then the internal list's
    SQL look-up (the join ``InternalDnc.entry`` ran on every call)."""
    found: list[RegistryHit] = []
    keys: dict[str, int | None] = {}
    for version in store.loaded():
        plan = plan_of(version.info.registry)
        if plan not in keys:
            keys[plan] = key_in_plan(plan, number)
        key = keys[plan]
        if key is not None and old_contains(version, key):
            found.append(RegistryHit(version.info))
    row = db.execute(
        "SELECT h.id, h.number, h.action, h.at, h.reason, h.actor, h.source "
        "FROM internal_dnc d JOIN internal_dnc_history h ON h.id = d.history_id "
        "WHERE d.number = ?", (number,)).fetchone()
    if row is not None:
        found.append(RegistryHit(store.versions()[-1], row[4]))
    return found


def old_listed_many(store: DncStore, db: sqlite3.Connection, numbers: list[str]) -> dict:
    """``DncStore.listed_many`` before: the internal list by SQL ``IN`` in chunks of 500."""
    keys = keys_of_e164(list(numbers))
    result = {version.info.registry: version.contains_many(keys) for version in store.loaded()}
    listed: set[str] = set()
    for start in range(0, len(numbers), 500):
        part = numbers[start:start + 500]
        marks = ",".join("?" * len(part))
        listed.update(row[0] for row in db.execute(
            f"SELECT number FROM internal_dnc WHERE number IN ({marks})", part))
    result["internal"] = np.fromiter((n in listed for n in numbers), dtype=bool,
                                     count=len(numbers))
    return result


# --- the alternatives ------------------------------------------------------------------------

def sqlite_table(path: Path, keys: np.ndarray) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("CREATE TABLE national (k INTEGER PRIMARY KEY)")
    db.executemany("INSERT INTO national VALUES (?)", ((int(k),) for k in keys))
    db.commit()
    return db


def sqlite_batch(db: sqlite3.Connection, numbers: list[str]) -> np.ndarray:
    keys = keys_of_e164(numbers)
    found: set[int] = set()
    for start in range(0, len(keys), 500):
        part = keys[start:start + 500].tolist()
        marks = ",".join("?" * len(part))
        found.update(row[0] for row in db.execute(
            f"SELECT k FROM national WHERE k IN ({marks})", part))
    return np.fromiter((k in found for k in keys.tolist()), dtype=bool, count=len(keys))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=5_000_000)
    parser.add_argument("--queries", type=int, default=1_000_000)
    parser.add_argument("--internal", type=int, default=1000)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--previous", default=None,
                        help="a source tree or git revision whose hits() to time too")
    args = parser.parse_args()
    print(f"uptime at start: {uptime()}")
    work = Path(tempfile.mkdtemp(prefix="compare-dnc-", dir=args.workdir))
    try:
        run(work, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"uptime at end:   {uptime()}")


def run(work: Path, args: argparse.Namespace) -> None:
    flat = work / "national.txt"
    sample = generate(flat, args.numbers)
    now = datetime.now(UTC)
    import_full_list(work / "dnc" / "registries", "national", [flat], now, now)
    flat.unlink()
    rng = np.random.default_rng(5)
    query_keys = np.concatenate([rng.choice(sample, args.queries // 2),
                                 rng.integers(0, 8_000_000_000, args.queries - args.queries // 2)])
    rng.shuffle(query_keys)
    numbers = [e164_of_key(int(k)) for k in query_keys]
    store = DncStore(work / "dnc")
    internal = store.internal
    assert internal is not None
    with internal._db:  # one transaction for the set-up (the store's add() fsyncs each)
        for index, number in enumerate(numbers[: args.internal * 3: 3]):
            internal._db.execute("INSERT INTO internal_dnc_history (number, action, at, reason,"
                                 " actor) VALUES (?, 'add', ?, 'opt-out', 'bench')",
                                 (number, (now - timedelta(seconds=index)).isoformat()))
        internal._db.execute("INSERT OR REPLACE INTO internal_dnc SELECT number, id "
                             "FROM internal_dnc_history")
    internal._token = None
    national = store.loaded()[0]
    keys = national.all_keys()
    print(f"data: {len(keys):,} national numbers, {args.internal:,} on the internal list, "
          f"{len(numbers):,} queries (half listed), as E.164 strings")

    before = rss()
    as_set = set(keys.tolist())
    set_bytes = rss() - before
    sorted_keys = np.array(keys, dtype=np.int64)
    table = sqlite_table(work / "national.sqlite", keys)
    sqlite_bytes = (work / "national.sqlite").stat().st_size
    old_db = sqlite3.connect(work / "dnc" / "internal.db")
    registries_only = DncStore(work / "dnc", internal=False)

    def set_one(number: str) -> bool:
        key = key_of_e164(number)
        return key is not None and key in as_set

    def numpy_one(number: str) -> bool:
        key = key_of_e164(number)
        if key is None:
            return False
        at = int(sorted_keys.searchsorted(key))
        return at < len(sorted_keys) and int(sorted_keys[at]) == key

    def sqlite_one(number: str) -> bool:
        key = key_of_e164(number)
        return key is not None and table.execute(
            "SELECT 1 FROM national WHERE k = ?", (key,)).fetchone() is not None

    def set_many(batch_numbers: list[str]) -> np.ndarray:
        query = keys_of_e164(batch_numbers).tolist()
        return np.fromiter((k in as_set for k in query), dtype=bool, count=len(query))

    def numpy_many(batch_numbers: list[str]) -> np.ndarray:
        query = keys_of_e164(batch_numbers)
        at = np.minimum(np.searchsorted(sorted_keys, query), len(sorted_keys) - 1)
        return sorted_keys[at] == query

    # Every structure must give the same answers before its speed means anything.
    expected = national.contains_many(keys_of_e164(numbers[:20_000]))
    for name, many in (("set", set_many), ("numpy", numpy_many)):
        assert (many(numbers[:20_000]) == expected).all(), name
    assert (sqlite_batch(table, numbers[:20_000]) == expected).all()
    new_many = store.listed_many(numbers)
    old_many = old_listed_many(store, old_db, numbers)
    assert all((new_many[k] == old_many[k]).all() for k in new_many)
    assert all([h.version.registry for h in store.hits(n)] ==
               [h.version.registry for h in old_hits(store, old_db, n)]
               for n in numbers[:20_000])

    single = numbers[:SINGLE]
    mapped = store.mapped_bytes()
    rows = [
        ("store hits() + internal index (new)", store.hits, store.listed_many, mapped),
        ("store hits() + internal SQL (old)", lambda n: old_hits(store, old_db, n),
         lambda b: old_listed_many(store, old_db, b), mapped),
        ("store, registries only", registries_only.hits, registries_only.listed_many, mapped),
        ("Python set of int keys", set_one, set_many, set_bytes),
        ("SQLite, integer primary key", sqlite_one, lambda b: sqlite_batch(table, b),
         sqlite_bytes),
        ("sorted numpy + searchsorted", numpy_one, numpy_many, sorted_keys.nbytes),
    ]
    results = []
    for name, one, many, size in rows:
        p50, p99 = per_call(one, single)
        rate = batch(many, numbers)
        results.append((name, p50, p99, rate, size / len(keys)))
        print(f"  measured {name}: p50 {p50:.2f} µs, {rate / 1e6:.2f} M/s", flush=True)
    base_p50, base_rate = results[0][1], results[0][3]
    print(f"\n{'structure':38} {'p50 µs':>7} {'p99 µs':>7} {'×store':>7} "
          f"{'batch M/s':>10} {'store×':>7} {'bytes/no':>9}   (batch: per CPU second)")
    for name, p50, p99, rate, per_number in results:
        print(f"{name:38} {p50:7.2f} {p99:7.2f} {p50 / base_p50:7.1f} {rate / 1e6:10.2f} "
              f"{base_rate / rate:7.1f} {per_number:9.2f}")
    print("(×store: this p50 over the store's new p50; store×: the store's new batch rate over "
          "this one; bytes/no: memory per national number (the store: mapped files; set: RSS "
          "growth; SQLite: file size))")
    old_p50, new_p50 = results[1][1], results[0][1]
    print(f"old → new: hits() p50 {old_p50:.2f} → {new_p50:.2f} µs "
          f"({old_p50 / new_p50:.1f}× faster); listed_many {results[1][3] / 1e6:.2f} → "
          f"{results[0][3] / 1e6:.2f} M numbers/s ({results[0][3] / results[1][3]:.1f}×)")
    if args.previous:
        queries = work / "queries.txt"
        queries.write_text("\n".join(single))
        previous = tree_of(args.previous, work)
        this = Path(__file__).resolve().parent.parent
        figures = {}
        for _round in range(2):  # alternately, so both see the same load
            for label, tree in (("previous", previous), ("this", this)):
                figures.setdefault(label, []).append(
                    fresh_process_hits(tree, work / "dnc", queries))
        (p50_a, p99_a), (p50_b, p99_b) = (min(figures[k]) for k in ("previous", "this"))
        print(f"hits() in a fresh process, best of 2 each, previous ({args.previous}) → this "
              f"tree: p50 {p50_a:.2f} → {p50_b:.2f} µs ({p50_b / p50_a:.2f}), p99 "
              f"{p99_a:.2f} → {p99_b:.2f} µs; {uptime()}")
    store.close()
    registries_only.close()
    table.close()
    old_db.close()


if __name__ == "__main__":
    main()
