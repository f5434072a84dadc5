"""Speed of the dial-time gate, printed (run: python benchmarks/bench_dial_gate.py [--leads N]).

Figures, on real registries built in a temporary directory (a national list of
``--national`` numbers, two state lists, an internal DNC in SQLite) and a SQLite campaign
store with some attempt history:

- ``check`` latency (p50, p99) and checks/s with the audit buffered (what the event loop
  pays), US federal + state overlays, mixed area codes, a quarter of the leads with history;
- the same check with a synchronous audit write per decision (fsync and no fsync): why the
  gate buffers and ``flush_audit`` runs in the database thread;
- ``flush_audit`` of a 50-decision batch (fsynced): what the database thread pays per batch;
- ``prefetch`` of a 50-lead claim: the batched journal query against one query per number.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from campaigns.compliance import StoreAttemptHistory, lead_facts
from campaigns.leads import LeadInput
from campaigns.store import CampaignStore
from dialer.ports import DialTarget
from dialer.runner.dial_gate import DialTimeGate, build_dial_gate
from dnc.internal import InternalDnc
from dnc.registry.importer import import_full_list, import_numbers
from dnc.rules.audit import AuditLog

AT = datetime(2026, 11, 17, 18, tzinfo=UTC)  # Tuesday 13:00 New York
SELLER = "Bench Solar"
AREA_CODES = (201, 305, 405, 512, 212, 801, 401, 334, 504, 312)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def timed(label: str, gate: DialTimeGate, targets: list[DialTarget],
          after_each: Callable[[], object] = lambda: None) -> None:
    latencies = []
    started = time.perf_counter()
    for target in targets:
        t0 = time.perf_counter()
        gate.check(target, AT.timestamp())
        after_each()
        latencies.append(time.perf_counter() - t0)
    total = time.perf_counter() - started
    print(f"{label}: {len(targets) / total:,.0f} checks/s, p50 "
          f"{statistics.median(latencies) * 1e6:.0f} us, p99 "
          f"{percentile(latencies, 0.99) * 1e6:.0f} us")


def build(data: Path, leads: int, national: int) -> tuple[CampaignStore, list[str]]:
    numbers = [f"+1{AREA_CODES[i % len(AREA_CODES)]}{2000000 + i:07d}" for i in range(leads)]
    rng = np.random.default_rng(1)
    # FTC full-list lines "AAA,NNNNNNN": area codes and exchanges start with 2-9.
    area = rng.integers(201, 990, national)
    exchange = rng.integers(2_000_000, 10_000_000, national)
    national_file = data / "national.txt"
    np.savetxt(national_file, np.column_stack([area, exchange]), fmt="%03d,%07d")
    with open(national_file, "a") as handle:
        handle.writelines(f"{n[2:5]},{n[5:]}\n" for n in numbers[::9])
    root = data / "dnc" / "registries"
    import_full_list(root, "national", [national_file], AT - timedelta(days=3), AT,
                     max_reject_fraction=1.0)
    for state, code in (("TX", 512), ("FL", 305)):
        path = data / f"{state}.txt"
        path.write_text("".join(f"{n}\n" for n in numbers[::13] if n[2:5] == str(code)) or "\n")
        import_numbers(root, f"state:{state}", [path], AT - timedelta(days=3), AT,
                       max_reject_fraction=1.0)
    internal = InternalDnc(data / "dnc" / "internal.db")
    for number in numbers[::50]:
        internal.add(number, AT - timedelta(days=1), "opt-out", "bench")
    internal.close()
    store = CampaignStore.open(f"sqlite:///{data / 'dialer.db'}")
    store.create_campaign("bench", {
        "caller_ids": ["+12015550100"],
        "schedule": {"start": "00:00", "end": "23:59", "days": [0, 1, 2, 3, 4, 5, 6]},
        "compliance": {"seller_name": SELLER, "dnc_number": "+18005550100",
                       "safe_harbor": {"states_telemarketing_purpose": True,
                                       "names_seller": True, "gives_dnc_number": True}}},
        at=AT - timedelta(days=2), agents=[("ann", "user/1001")])
    # A realistic list: half the leads known landlines, the other half with written consent
    # naming the seller and the number; a third grouped into people (contact ids).
    store.add_leads("bench", [LeadInput(
        n, line_type="landline" if i % 2 else None, contact_id=f"p{i // 3}" if i % 3 else None,
        consent=[] if i % 2 else [{"kind": "prior_express_written", "seller": SELLER,
                                   "given_at": (AT - timedelta(days=90)).isoformat()}])
        for i, n in enumerate(numbers)], at=AT - timedelta(days=2))
    # The officer's facts: line types for a block, a revocation, an RND answer.
    from dnc.facts import NumberFactsStore
    from dnc.interfaces import LineType, Revocation, RndAnswer, RndResult
    facts = NumberFactsStore(data / "dnc" / "facts.db")
    facts.record_line_types([("+1305200", False, LineType.WIRELESS, None)], AT - timedelta(1),
                            "bench")
    facts.revoke([Revocation(numbers[4], None, AT - timedelta(days=1), "sms STOP")],
                 AT - timedelta(days=1), "bench")
    facts.record_rnd([RndResult(numbers[6], AT - timedelta(days=90), RndAnswer.NO)],
                     AT - timedelta(days=1))
    facts.close()
    store.transition_campaign("bench", "running", at=AT - timedelta(days=2))
    earlier = store.claim_leads("bench", leads // 4, owner="old", now=AT - timedelta(hours=5))
    for claim in earlier:
        attempt = store.begin_attempt(claim.lead_id, at=AT - timedelta(hours=5))
        store.finish_attempt(attempt.id, ended_at=AT - timedelta(hours=5) + timedelta(seconds=20),
                             outcome="no_answer", hangup_cause="NO_ANSWER")
    return store, numbers


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=4000)
    parser.add_argument("--national", type=int, default=5_000_000)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} "
          f"{os.getloadavg()[2]:.2f}")
    with tempfile.TemporaryDirectory() as directory:
        data = Path(directory)
        t0 = time.perf_counter()
        store, _ = build(data, args.leads, args.national)
        print(f"set-up: {args.national:,} national numbers, {args.leads:,} leads "
              f"({time.perf_counter() - t0:.1f} s)")
        internal = InternalDnc(data / "dnc" / "internal.db")
        # What the runner passes: its own index of the shared list, read by the gate itself.
        gate = build_dial_gate(store, "bench", data, None, internal)
        claims = store.claim_leads("bench", args.leads, owner="bench", now=AT)
        items = [(DialTarget(str(c.lead_id), c.phone, "bench"), lead_facts(c)) for c in claims]

        batched, single = [], []
        history = StoreAttemptHistory(store)
        for start in range(0, len(items), 50):
            batch = items[start:start + 50]
            t1 = time.perf_counter()
            gate.prefetch(batch, AT)
            batched.append(time.perf_counter() - t1)
            if start < 50 * 10:
                t1 = time.perf_counter()
                for target, _ in batch:
                    history.attempts(target.number_e164, AT - gate.lookback)
                single.append(time.perf_counter() - t1)
        print(f"prefetch of 50 leads: batched {statistics.median(batched) * 1e3:.1f} ms "
              f"(p99 {percentile(batched, 0.99) * 1e3:.1f}); one query per number "
              f"{statistics.median(single) * 1e3:.1f} ms")
        print(f"kept: {gate.kept_counts()}")

        targets = [target for target, _ in items]
        for target in targets[:200]:
            gate.check(target, AT.timestamp())  # warm the numbering-plan caches
        gate.flush_audit()
        timed("check, audit buffered", gate, targets)
        verdicts = [gate.check(t, AT.timestamp()) for t in targets]
        print(f"  allowed {sum(v.allowed for v in verdicts)} of {len(verdicts)}")
        flushes = []
        for start in range(0, len(targets), 50):
            for target in targets[start:start + 50]:
                gate.check(target, AT.timestamp())
            t1 = time.perf_counter()
            gate.flush_audit()
            flushes.append(time.perf_counter() - t1)
        print(f"flush_audit of 50 decisions (fsync): median "
              f"{statistics.median(flushes) * 1e3:.2f} ms, p99 "
              f"{percentile(flushes, 0.99) * 1e3:.2f} ms")
        for fsync_every, label in ((1, "fsync"), (0, "no fsync")):
            gate.audit = AuditLog(data / f"audit-sync-{fsync_every}", fsync_every=fsync_every)
            timed(f"check + synchronous audit write ({label})", gate, targets[:500],
                  gate.flush_audit)
        t1 = time.perf_counter()
        report = AuditLog(data / "audit").verify()
        print(f"audit verify: {report.entries:,} entries ok={report.ok} "
              f"({time.perf_counter() - t1:.2f} s)")
        gate.close()
        internal.close()
        store.close()


if __name__ == "__main__":
    main()
