"""DNC registry benchmark: synthetic FTC full list → import, size, look-up rates.

    python benchmarks/bench_dnc.py [--numbers 10000000] [--workdir DIR] [--keep]

Generates a synthetic National Registry flat file (``areacode,number`` per line, sorted by
area code and number as the FTC ships it) with N numbers spread over 800 area codes, imports
it, then prints bytes per number on disk and in memory (RSS growth of a fresh process that
opens the store and touches every page), the import rate, the batch look-up rate and the
single look-up latency (p50/p99).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dnc.registry.importer import import_full_list
from dnc.registry.keys import NANP_BASE

AREA_CODES = np.arange(200, 1000)


def generate(path: Path, numbers: int, seed: int = 7) -> np.ndarray:
    """Write the flat file; return a sample of listed keys for the look-up tests."""
    rng = np.random.default_rng(seed)
    per_area = np.full(len(AREA_CODES), numbers // len(AREA_CODES))
    per_area[: numbers % len(AREA_CODES)] += 1
    sample = []
    with open(path, "wb") as out:
        for area, count in zip(AREA_CODES, per_area, strict=True):
            # Distinct subscriber numbers 200-0000..999-9999 by a sorted sample without
            # replacement (random gaps).
            space = 8_000_000
            subs = np.unique(rng.integers(0, space, size=int(count * 1.05)))
            while len(subs) < count:
                subs = np.union1d(subs, rng.integers(0, space, size=count))
            subs = np.sort(rng.choice(subs, size=count, replace=False)) + 2_000_000
            rows = np.empty((count, 12), dtype=np.uint8)
            rows[:, 0:3] = np.frombuffer(str(area).encode(), dtype=np.uint8)
            rows[:, 3] = ord(",")
            rows[:, 11] = ord("\n")
            value = subs.copy()
            for column in range(10, 3, -1):
                rows[:, column] = 48 + value % 10
                value //= 10
            out.write(rows.tobytes())
            sample.append(area * 10_000_000 + subs[:: max(1, count // 2000)] - NANP_BASE)
    return np.concatenate(sample)


def measure_fresh_process(dnc_dir: Path, queries: Path) -> dict:
    code = f"""
import json, resource, time, sys
import numpy as np
sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})
def rss():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * 4096
from dnc.registry import DncStore
from dnc.registry.keys import e164_of_key
before = rss()
t0 = time.perf_counter()
store = DncStore({str(dnc_dir)!r}, internal=False)
open_seconds = time.perf_counter() - t0
after_open = rss()
version = store.loaded()[0]
_ = int(np.asarray(version.base.low).sum()) + int(np.asarray(version.base.offsets)[-1])
after_touch = rss()
keys = np.load({str(queries)!r})
t0 = time.perf_counter(); hit = version.contains_many(keys); batch = time.perf_counter() - t0
numbers = [e164_of_key(int(k)) for k in keys[:1_000_000]]
t0 = time.perf_counter(); listed = store.listed_many(numbers); batch_e164 = time.perf_counter() - t0
single = []
for number in numbers[:200_000]:
    t = time.perf_counter(); store.hits(number); single.append(time.perf_counter() - t)
single = np.array(single) * 1e6
print(json.dumps(dict(open_seconds=open_seconds, rss_open=after_open - before,
    rss_touched=after_touch - before, mapped=store.mapped_bytes(),
    batch_keys=len(keys), batch_seconds=batch, hit_fraction=float(hit.mean()),
    batch_e164=len(numbers), batch_e164_seconds=batch_e164,
    single_p50=float(np.percentile(single, 50)), single_p99=float(np.percentile(single, 99)))))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=10_000_000)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-dnc-", dir=args.workdir))
    try:
        flat = work / "national.txt"
        t0 = time.perf_counter()
        sample = generate(flat, args.numbers)
        print(f"generated {args.numbers:,} numbers ({flat.stat().st_size / 1e9:.2f} GB) "
              f"in {time.perf_counter() - t0:.1f} s")
        now = datetime.now(UTC)
        t0 = time.perf_counter()
        summary = import_full_list(work / "dnc" / "registries", "national", [flat], now, now)
        seconds = time.perf_counter() - t0
        flat.unlink()
        disk = sum(p.stat().st_size for p in (work / "dnc").rglob("*") if p.is_file())
        print(f"import: {summary.count:,} numbers in {seconds:.1f} s = "
              f"{summary.count / seconds / 1e6:.2f} M numbers/s")
        print(f"disk: {disk / 1e6:.1f} MB = {disk / summary.count:.3f} bytes/number")
        rng = np.random.default_rng(1)
        queries = np.concatenate([rng.choice(sample, 5_000_000),
                                  rng.integers(0, 8_000_000_000, 5_000_000)])
        rng.shuffle(queries)
        np.save(work / "queries.npy", queries)
        fresh = measure_fresh_process(work / "dnc", work / "queries.npy")
        print(f"open: {fresh['open_seconds'] * 1e3:.2f} ms; memory: mapped "
              f"{fresh['mapped'] / summary.count:.3f} bytes/number, RSS after open "
              f"{fresh['rss_open'] / 1e6:.1f} MB, RSS after touching every page "
              f"{fresh['rss_touched'] / summary.count:.3f} bytes/number")
        print(f"batch look-up (keys): {fresh['batch_keys']:,} in {fresh['batch_seconds']:.2f} s"
              f" = {fresh['batch_keys'] / fresh['batch_seconds'] / 1e6:.2f} M numbers/s "
              f"(hit fraction {fresh['hit_fraction']:.2f})")
        print(f"batch look-up (E.164 strings, listed_many): {fresh['batch_e164']:,} in "
              f"{fresh['batch_e164_seconds']:.2f} s = "
              f"{fresh['batch_e164'] / fresh['batch_e164_seconds'] / 1e6:.2f} M numbers/s")
        print(f"single look-up (DncStore.hits): p50 {fresh['single_p50']:.1f} µs, "
              f"p99 {fresh['single_p99']:.1f} µs")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")
    os.sys.stdout.flush()


if __name__ == "__main__":
    main()
