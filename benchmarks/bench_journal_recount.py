"""What the journal step's re-count of per-person limits costs the database thread, printed
(run: python benchmarks/bench_journal_recount.py [--batch 50] [--rounds 20] [--db URL]).

A SQLite campaign store (or ``--db``, e.g. PostgreSQL) with leads of many people (two
numbers each, a Florida person's history of one earlier call), a dial-time gate that
prefetched them (US federal + state rules), and batches of ``--batch`` dials journaled by
``journal_batch``: without the re-count (the code before) and with it
(``recount=gate``: lock the people and numbers, one query for their attempts, one decision
per dial), in alternating rounds on fresh leads. The gate's own check is not touched by the
re-count (benchmarks/bench_dial_gate.py and compare_dial_gate.py measure it)."""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from campaigns.compliance import StoreAttemptHistory
from campaigns.journal_batch import BeginOp
from campaigns.leads import LeadInput
from campaigns.store import CampaignStore
from dialer.ports import DialTarget
from dialer.runner.dial_gate import DialTimeGate
from dnc.interfaces import RegistryKind, RegistryVersion
from dnc.rules.model import CampaignRules, ConsentKind, ConsentRecord, LeadFacts, Profile

AT = datetime(2026, 11, 17, 17, tzinfo=UTC)  # Tue 12:00 in Miami
SELLER = "Acme Solar"
RULES = CampaignRules("spring", profiles=(Profile.US_FEDERAL, Profile.US_STATE), seller=SELLER,
                      subject="solar")
SETTINGS = {"caller_ids": ["+12015550100"],
            "compliance": {"seller_name": SELLER, "dnc_number": "+18005550100",
                           "subject": "solar",
                           "safe_harbor": {"states_telemarketing_purpose": True,
                                           "names_seller": True, "gives_dnc_number": True}}}


class Fresh:
    def __init__(self) -> None:
        self.version = RegistryVersion("national", RegistryKind.NATIONAL, "n",
                                       AT - timedelta(days=1))

    def hits(self, number: str) -> list:
        return []

    def versions(self) -> list:
        return [self.version]


def build(url: str, people: int) -> tuple[CampaignStore, DialTimeGate, list[DialTarget]]:
    store = CampaignStore.open(url)
    store.create_campaign("spring", SETTINGS, at=AT - timedelta(days=2))
    rows = [LeadInput(f"305{5000000 + 2 * i + k:07d}", contact_id=f"p{i}", state="FL")
            for i in range(people) for k in range(2)]
    store.add_leads("spring", rows, at=AT - timedelta(days=2))
    gate = DialTimeGate(RULES, Fresh(), StoreAttemptHistory(store),
                        inner_opted_out=lambda n: False)
    targets, items = [], []
    for row in rows:
        number = f"+1{row.phone}"
        lead = store.lead_by_phone("spring", number)
        target = DialTarget(str(lead.id), number, "spring")
        consent = ConsentRecord(ConsentKind.PRIOR_EXPRESS_WRITTEN, AT - timedelta(days=90),
                                seller=SELLER, number=number, source="web form")
        targets.append(target)
        items.append((target, LeadFacts(number, state="FL", contact_id=row.contact_id,
                                        lead_id=str(lead.id), consents=(consent,))))
    for start in range(0, len(items), 500):
        gate.prefetch(items[start:start + 500], AT - timedelta(minutes=5))
    # One earlier call to each person's second number (the history the re-count reads).
    store.journal_batch([BeginOp(f"old-{t.lead_id}", int(t.lead_id), AT - timedelta(hours=2),
                                 phone=t.number_e164) for t in targets[1::2]], owner="bench")
    return store, gate, targets[0::2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--db", default=None, help="database URL (default: a temporary "
                        "SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        store, gate, targets = build(url, args.batch * args.rounds * 2)
        timings: dict[bool, list[float]] = {False: [], True: []}
        refused = 0
        for round_ in range(args.rounds * 2):
            recount = round_ % 2 == 1
            batch = targets[round_ * args.batch:(round_ + 1) * args.batch]
            at = AT + timedelta(seconds=round_)
            ops = [BeginOp(f"r{round_}-{t.lead_id}", int(t.lead_id), at, phone=t.number_e164)
                   for t in batch]
            started = time.perf_counter()
            result = store.journal_batch(ops, owner="bench",
                                         recount=gate if recount else None)
            timings[recount].append(time.perf_counter() - started)
            refused += len(result.refused)
        store.close()
    load = os.getloadavg()
    print(f"journal_batch of {args.batch} dials, {args.rounds} rounds each, alternating "
          f"({url.split(':')[0]}); load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    for recount, label in ((False, "without re-count"), (True, "with re-count   ")):
        values = sorted(timings[recount])
        median = statistics.median(values) * 1000
        print(f"  {label}: median {median:.1f} ms per batch "
              f"({median * 1000 / args.batch:.0f} us per dial), "
              f"p90 {values[int(len(values) * 0.9) - 1] * 1000:.1f} ms")
    base = statistics.median(timings[False])
    print(f"  re-count adds {(statistics.median(timings[True]) - base) * 1000:.1f} ms per "
          f"batch; {refused} dials refused (expected 0: one earlier call per person)")


if __name__ == "__main__":
    main()
