"""A dial whose journal was refused is never sent, and the engine is told so in words that
charge no trunk (``NEVER_SENT``), not with a carrier's cause that would fail it over: since
2026-12-07 as ``DialNotSent`` (no attempt for pacing), ended by the engine with
``NEVER_SENT``."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from runner_kit import bare_execution

from campaigns.journal_batch import BatchResult
from dialer.commands import Originate
from dialer.engine.gateways import CARRIER_CAUSES, OUR_CAUSES
from dialer.events import DialNotSent
from dialer.runner.execution import NEVER_SENT


class _Journal(SimpleNamespace):
    pass


def _execution(default_switch, switches, *, gate, stats, clock, post):  # type: ignore[no-untyped-def]
    """The command side with only what these tests reach: the switches, the gate, the
    stats, the clock and the inbox."""
    return bare_execution(default_switch=default_switch, switches=switches, gate=gate,
                          stats=stats, clock=clock, post=post)


def test_a_refused_journal_is_not_dialed_and_the_engine_hears_never_sent() -> None:
    assert NEVER_SENT in OUR_CAUSES and NEVER_SENT not in CARRIER_CAUSES
    posted: list[object] = []
    sent: list[object] = []
    recorded: list[str] = []

    async def send(command: object) -> None:
        sent.append(command)

    execution = _execution(
        "s", None, gate=SimpleNamespace(record_dial=lambda number, at, campaign, lead:
                                        recorded.append(number)),
        stats=None, clock=lambda: 5.0, post=posted.append)
    execution.send = send  # type: ignore[method-assign]
    dials = [Originate(1.0, call, number, "+12015550000", "", 25.0)
             for call, number in (("kept", "+13055550101"), ("refused", "+13055550102"))]
    journals = [_Journal(call_id=d.call_id, number_e164=d.number_e164, at=1.0, lead_id=i)
                for i, d in enumerate(dials)]

    async def scenario() -> None:
        committed: asyncio.Future[BatchResult] = asyncio.get_running_loop().create_future()
        committed.set_result(BatchResult(begun={"kept": 1},
                                         refused={"refused": "state.FL.attempts: 3 in 24 h"}))
        await execution.dial_queue.put((committed, journals, dials))
        sender = asyncio.create_task(execution.send_dials())
        while execution.dial_queue.qsize() or len(sent) + len(posted) < 2:
            await asyncio.sleep(0)
        sender.cancel()

    asyncio.run(scenario())
    assert [o.call_id for o in sent] == ["kept"]
    assert posted == [DialNotSent(5.0, "refused", "state.FL.attempts: 3 in 24 h",
                                  not_ours=True)]
    assert execution.unjournaled == {"refused"} and recorded == ["+13055550101"]


def test_an_originate_for_a_switch_whose_link_is_down_is_never_sent_and_charges_no_trunk(
) -> None:
    """The link to the switch is down when the dial's turn comes: nothing is written, and
    the engine hears ``NEVER_SENT``. It heard ``NORMAL_TEMPORARY_FAILURE``, a carrier cause:
    the gateway was charged a failure for the dialer's outage and the attempt failed over."""
    posted: list[object] = []
    written: list[str] = []

    async def bgapi(line: str, job_uuid: str) -> None:
        written.append(line)

    down = SimpleNamespace(connected=False, bgapi=bgapi)
    execution = _execution(
        "fs1", SimpleNamespace(clients={"fs1": down}, connected=lambda switch_id: False),
        gate=None, stats=SimpleNamespace(send_failures=0, dialed=lambda at: None),
        clock=lambda: 7.0, post=posted.append)
    originate = Originate(1.0, "call-1", "+13055550101", "+12015550000", "", 25.0,
                          switch_id="fs1", gateway="cheap")
    asyncio.run(execution.send(originate))
    assert written == []
    assert posted == [DialNotSent(7.0, "call-1", "switch fs1 not connected")]
    assert NEVER_SENT not in CARRIER_CAUSES
