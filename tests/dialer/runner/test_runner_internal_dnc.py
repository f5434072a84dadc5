"""Opt-outs and the company's internal DNC list (dnc.internal) seen from the live runner.

47 CFR 64.1200(b)(3) / (d)(3): an opt-out taken during a call is honoured from that instant,
and the internal list is shared by every process, so what the runner records must land in
``<data>/dnc/internal.db``, and what a compliance officer lists there must stop the next dial.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from dialer.commands import RecordOptOut
from dialer.esl.url import parse_esl_url
from dialer.runner.runner import Runner
from dnc.internal import InternalDnc
from tests.dialer.runner.runner_kit import make_store, settings_for


def test_opt_out_lands_in_the_internal_dnc_and_officer_listings_block_dials(tmp_path):
    store = make_store(tmp_path, agents=1, leads=5)
    runner = Runner(settings_for(tmp_path, parse_esl_url("esl://127.0.0.1:1")), store)
    caller, listed_elsewhere = "+12015550123", "+12125550188"
    assert not runner._opted_out(caller)

    asyncio.run(runner._execute([RecordOptOut(1_790_000_000.0, caller, "call-1", "demo",
                                              "pressed 9 during the safe-harbour message")]))

    officer_view = InternalDnc(tmp_path / "dnc" / "internal.db")
    entry = officer_view.entry(caller)
    assert entry is not None and entry.source == "call:call-1"
    assert runner._opted_out(caller)

    # A number listed by another process (e.g. `dialer dnc add`) is refused at the next dial.
    assert not runner._opted_out(listed_elsewhere)
    officer_view.add(listed_elsewhere, datetime.now(UTC), "asked by letter", "officer")
    assert runner._opted_out(listed_elsewhere)
    officer_view.close()
    runner.internal_dnc.close()
    store.close()
