"""Speed of compliance decisions and of the audit log, printed
(run: python benchmarks/bench_compliance_rules.py [--leads N]).

Figures: single ``check`` latency (median, p99), ``check_many`` throughput for a hopper batch
(US federal + state overlays, mixed area codes, some listed numbers and some attempt history),
and audit appends per second for each fsync policy.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dnc.interfaces import PastAttempt, RegistryHit, RegistryKind, RegistryVersion
from dnc.rules.audit import AuditLog
from dnc.rules.engine import ComplianceEngine
from dnc.rules.model import CampaignRules, LeadFacts, Profile

AT = datetime(2026, 11, 18, 17, tzinfo=UTC)
NATIONAL = RegistryVersion("national", RegistryKind.NATIONAL, "national@bench", AT - timedelta(1))
AREA_CODES = (201, 305, 405, 512, 212, 907, 801, 401, 334, 504)


class SetRegistries:
    def __init__(self, listed: set[str]) -> None:
        self.listed = listed
        self.hit = (RegistryHit(NATIONAL),)

    def hits(self, number_e164: str):
        return self.hit if number_e164 in self.listed else ()

    def versions(self):
        return (NATIONAL,)


class DictHistory:
    def __init__(self, attempts: dict[str, list[PastAttempt]]) -> None:
        self.by_number = attempts

    def attempts(self, number_e164: str, since: datetime):
        return [a for a in self.by_number.get(number_e164, ()) if a.at >= since]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=20_000)
    args = parser.parse_args()
    numbers = [f"+1{AREA_CODES[i % len(AREA_CODES)]}555{i % 10_000:04d}"
               for i in range(args.leads)]
    listed = set(numbers[::9])
    history = {n: [PastAttempt(AT - timedelta(hours=h), n, "bench", subject="solar")
                   for h in (2, 5)] for n in numbers[::4]}
    engine = ComplianceEngine(SetRegistries(listed), DictHistory(history))
    rules = CampaignRules("bench", profiles=(Profile.US_FEDERAL, Profile.US_STATE),
                          subject="solar")
    leads = [LeadFacts(n) for n in numbers]
    engine.check_many(leads[:200], rules, AT)  # warm caches (numbering plan, tables)

    started = time.perf_counter()
    decisions = engine.check_many(leads, rules, AT)
    batch = time.perf_counter() - started
    allowed = sum(d.allowed for d in decisions)
    print(f"check_many: {len(leads)} leads in {batch:.3f} s = {len(leads) / batch:,.0f} "
          f"decisions/s ({allowed} allowed)")

    latencies = []
    for lead in leads[:2000]:
        t0 = time.perf_counter()
        engine.check(lead, rules, AT)
        latencies.append(time.perf_counter() - t0)
    latencies.sort()
    print(f"check: median {statistics.median(latencies) * 1e6:.0f} us, "
          f"p99 {latencies[int(len(latencies) * 0.99)] * 1e6:.0f} us")

    late = engine.check_many(leads[:2000], rules, AT + timedelta(hours=8))  # after 21:00 ET
    blocked = [d for d in late if not d.allowed]
    print(f"earliest-allowed search (blocked by hours): {len(blocked)} decisions included above")

    for fsync_every, label in ((1, "fsync every batch"), (0, "no fsync (OS)")):
        with tempfile.TemporaryDirectory() as directory:
            log = AuditLog(Path(directory), fsync_every=fsync_every)
            sample = decisions[:5000]
            t0 = time.perf_counter()
            for start in range(0, len(sample), 100):
                log.record(sample[start:start + 100])
            elapsed = time.perf_counter() - t0
            t1 = time.perf_counter()
            report = log.verify()
            verify = time.perf_counter() - t1
            print(f"audit ({label}, batches of 100): {len(sample) / elapsed:,.0f} entries/s; "
                  f"verify {report.entries / verify:,.0f} entries/s (ok={report.ok})")
    with tempfile.TemporaryDirectory() as directory:
        log = AuditLog(Path(directory), fsync_every=1)
        t0 = time.perf_counter()
        for decision in decisions[:500]:
            log.record((decision,))
        elapsed = time.perf_counter() - t0
        print(f"audit (fsync every single decision): {500 / elapsed:,.0f} entries/s")


if __name__ == "__main__":
    main()
