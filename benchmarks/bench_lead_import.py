"""Lead import throughput: a generated N-row CSV (default 1,000,000) into SQLite, and into
PostgreSQL when one is reachable. Prints rows/s per stage and overall.

    python benchmarks/bench_lead_import.py [--rows N] [--pg URL] [--keep DIR]

The file mixes formats the way real lists do: "(201) 555-0123", "201-555-0123",
"+1 201 555 0123", "12015550123", 1 % invalid numbers, 0.5 % duplicates within the file,
a few non-NANP numbers (slow path), names, ZIP codes and two custom columns.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from campaigns.store import CampaignStore

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def generate(path: Path, rows: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    npa = rng.choice(["201", "212", "305", "312", "415", "503", "617", "702", "808", "907"],
                     rows)
    nxx = rng.integers(200, 1000, rows).astype(str)
    line = np.char.zfill(rng.integers(0, 10000, rows).astype(str), 4)
    style = rng.integers(0, 4, rows)
    s = pd.Series(npa, dtype=object)
    x = pd.Series(nxx, dtype=object)
    n = pd.Series(line, dtype=object)
    phone = np.select(
        [style == 0, style == 1, style == 2],
        ["(" + s + ") " + x + "-" + n, s + "-" + x + "-" + n, "+1 " + s + " " + x + " " + n],
        "1" + s + x + n)
    phone = pd.Series(phone, dtype=object)
    bad = rng.random(rows) < 0.01
    phone[bad] = "555-01"
    dup = np.flatnonzero(rng.random(rows) < 0.005)
    phone.iloc[dup[dup > 0]] = phone.iloc[dup[dup > 0] - 1].to_numpy()
    foreign = rng.random(rows) < 0.001
    phone[foreign] = "+44 20 7946 " + pd.Series(rng.integers(1000, 9999, int(foreign.sum()))
                                                 ).astype(str).to_numpy()
    first = rng.choice(["Ann", "Bob", "Chloé", "Dmitri", "Eve", "Fatima"], rows)
    last = rng.choice(["Smith", "Jones", "García", "Ivanov", "Lee"], rows)
    frame = pd.DataFrame({
        "Phone": phone, "First Name": first, "Last Name": last,
        "ZIP": np.char.zfill(rng.integers(501, 99950, rows).astype(str), 5),
        "Account": pd.Series(rng.integers(10**6, 10**7, rows)).astype(str),
        "Product": rng.choice(["gold", "silver", "bronze"], rows),
    })
    frame.to_csv(path, index=False)


def run(url: str, path: Path, rows: int, label: str) -> None:
    store = CampaignStore.open(url)
    now = datetime.now(UTC)
    store.create_campaign("bench", at=now)
    stages: dict[str, float] = {}
    last = [time.perf_counter(), "start"]

    def progress(stage: str, done: int, total: int) -> None:
        if stage != last[1]:
            t = time.perf_counter()
            stages[last[1]] = stages.get(last[1], 0.0) + t - last[0]
            last[:] = [t, stage]

    report = store.import_file("bench", path, at=now, progress=progress)
    stages[last[1]] = stages.get(last[1], 0.0) + time.perf_counter() - last[0]
    counts = store.lead_status_counts("bench")
    store.close()
    print(f"{label}: {report.rows_read:,} rows in {report.seconds:.2f} s = "
          f"{report.rows_per_second:,.0f} rows/s (imported {report.imported:,}, "
          f"rejected {report.rejected:,}; stored {sum(counts.values()):,})")
    print("  stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in stages.items() if k != "start"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pg", default=PG_DEFAULT, help="PostgreSQL URL ('' to skip)")
    parser.add_argument("--keep", type=Path, default=None, help="keep files in this directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        where = args.keep or Path(scratch)
        where.mkdir(parents=True, exist_ok=True)
        path = where / f"leads-{args.rows}.csv"
        t = time.perf_counter()
        generate(path, args.rows)
        print(f"generated {args.rows:,} rows ({path.stat().st_size / 1e6:.0f} MB) in "
              f"{time.perf_counter() - t:.1f} s")
        db = where / "bench.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        run(f"sqlite:///{db}", path, args.rows, "SQLite")
        if args.pg:
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            try:
                import psycopg

                plain = args.pg.replace("postgresql+psycopg://", "postgresql://")
                with psycopg.connect(plain, autocommit=True, connect_timeout=3) as connection:
                    connection.execute(f'CREATE SCHEMA "{schema}"')
            except Exception as error:
                print(f"PostgreSQL: skipped ({error})")
                return
            try:
                run(f"{args.pg}?options=-csearch_path%3D{schema}", path, args.rows, "PostgreSQL")
            finally:
                with psycopg.connect(plain, autocommit=True) as connection:
                    connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    main()
