"""The console's queue callbacks (dialer/runner/callback_board.py) say why a caller has not
been called back with the campaign gate's own verdict, kept by the engine: a callback held by
a state's rule (Rhode Island's holiday, Michigan's window in its Central-time corner), which
the old board's own 08:00-21:00 reading called "waits for its next try (after an unanswered
call or a refused dial)", shows the state rule's reason and the next try in the caller's local
time; a final refusal shows its reason after the callback ends.

An engine with the runner's callback gate over a ``DialTimeGate`` with the shipped rule
tables, at fixed instants (any hour of the day the tests run).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from dialer.engine import CampaignConfig, Engine
from dialer.engine.prompts import PromptSet
from dialer.engine.queue_config import QueueConfig
from dialer.engine.queues import QueueSet
from dialer.events import AgentLoggedIn, QueueCallbackPending
from dialer.ports import AllowAllGate, ListLeadSource
from dialer.runner.callback_board import CallerClock, queue_callbacks
from dialer.runner.callback_gate import CallbackFacts, CallbackGate
from dialer.runner.dial_gate import DialTimeGate, rule_tables
from dnc.interfaces import RegistryKind, RegistryVersion
from dnc.rules.model import CampaignRules, Profile
from pacing_models import make_policy

TABLES = rule_tables(Path("/nonexistent-data-dir"))  # the shipped tables
PROVIDENCE = "+14015550160"  # Rhode Island: weekdays 09:00-18:00, Saturdays 10:00-17:00, holidays
DETROIT = "+13135550150"     # Michigan 09:00-21:00, in Detroit's zone and Menominee's
MIAMI = "+13055550170"       # Florida: written consent for automated calls
PREVIEW = CampaignRules("spring", profiles=(Profile.US_FEDERAL, Profile.US_STATE),
                        autodialed=False, seller="Acme")


class NationalRegistry:
    """A national registry a week old, listing nobody."""

    def __init__(self, at: datetime) -> None:
        self.version = RegistryVersion("national", RegistryKind.NATIONAL, "national@t",
                                       at - timedelta(days=7))

    def hits(self, number_e164: str) -> list:
        return []

    def versions(self) -> list[RegistryVersion]:
        return [self.version]


class NoHistory:
    def attempts(self, number_e164: str, since: datetime) -> list:
        return []


def _board(number: str, at: datetime, rules: CampaignRules = PREVIEW,
           later: float = 0.0) -> list[dict]:
    """One callback of ``number`` restored at ``at`` (the caller's inquiry an hour before)
    with an agent ready; the board ``later`` seconds on."""
    gate = CallbackGate(DialTimeGate(rules, NationalRegistry(at), NoHistory(),
                                     inner_opted_out=lambda number: False, tables=TABLES),
                        "spring")
    engine = Engine(
        CampaignConfig(campaign_id="spring", caller_id_number="+12015550000"),
        make_policy("progressive"), ListLeadSource([]), AllowAllGate(),
        assume_switches_up=True,
        queues=QueueSet([QueueConfig.model_validate({"name": "sales"})],
                        PromptSet.standard(seconds=1.0)),
        callback_gate=gate)
    t = at.timestamp()
    inquiry = t - 3600.0
    gate.prefetch([CallbackFacts("cb-1", number, inquiry)], t)
    engine.handle(AgentLoggedIn(t, "a0"))
    engine.handle(QueueCallbackPending(t, "cb-1", "sales", number, place_at=inquiry,
                                       inquiry_at=inquiry))
    runner = SimpleNamespace(engine=engine, watchers=SimpleNamespace(
        caller_clock=CallerClock(TABLES)))
    return queue_callbacks(runner, t + later)  # type: ignore[arg-type]


def test_a_state_holiday_hold_shows_the_state_rule_and_the_next_try_in_local_time() -> None:
    # Christmas, a Friday, 11:00 in Providence: inside 08:00-21:00 (the old board found no
    # reason), closed by Rhode Island's holiday; its Saturday opens at 10:00 (15:00 UTC).
    christmas = datetime(2026, 12, 25, 16, tzinfo=UTC)
    (row,) = _board(PROVIDENCE, christmas, later=60.0)
    assert row["state"] == "held" and row["why"] == "held by the compliance gate"
    assert row["verdict"] == (
        "state.RI.hours: Fri 2026-12-25 11:00 in America/New_York (holiday: Christmas Day) is "
        "outside Mon-Fri 09:00-18:00, Sat 10:00-17:00, Sun no calls, no calls on listed "
        "holidays; next try at Sat 10:00 caller's local time (America/New_York) "
        "(decided 16:00 UTC)")
    assert row["next_try_at"] == datetime(2026, 12, 26, 15, tzinfo=UTC).timestamp()
    assert row["verdict_kind"] == "wait"
    assert row["verdict_at"] == christmas.timestamp()
    # The caller's local time is information, labelled as such, not a verdict.
    assert row["caller_time"] == "11:01 in America/New_York"


def test_a_state_window_in_one_zone_of_the_number_is_what_the_console_shows() -> None:
    # 14:30 UTC: 09:30 in Detroit, 08:30 in Menominee: both inside 08:00-21:00 (the old
    # board's reading), outside Michigan's 09:00-21:00 in Menominee.
    early = datetime(2026, 12, 7, 14, 30, tzinfo=UTC)
    (row,) = _board(DETROIT, early)
    assert row["state"] == "held" and row["why"] == "held by the compliance gate"
    assert row["verdict"].startswith(
        "state.MI.hours: Mon 2026-12-07 08:30 in America/Menominee is outside Mon-Sun "
        "09:00-21:00; next try at ")
    assert "10:00 (America/Detroit), 09:00 (America/Menominee) caller's local time" in \
        row["verdict"]
    assert row["caller_time"] == ("09:30 in America/New_York, 09:30 in America/Detroit, "
                                  "08:30 in America/Menominee")
    assert "08:00-21:00" not in row["why"]


def test_a_final_refusal_stays_on_the_console_with_its_reason() -> None:
    autodialed = CampaignRules("spring", profiles=(Profile.US_FEDERAL, Profile.US_STATE),
                               seller="Acme")
    monday = datetime(2026, 12, 7, 18, tzinfo=UTC)
    (row,) = _board(MIAMI, monday, autodialed, later=600.0)
    assert row["state"] == "cancelled"
    assert row["why"] == "cancelled by the compliance gate: no later moment allows it"
    assert "state.FL.consent: FL requires consent for an automated dialing system" in \
        row["verdict"]
    assert "final: " in row["verdict"] and row["verdict_kind"] == "final"
    # An hour on, the row has left the console (the store keeps the reason).
    assert _board(MIAMI, monday, autodialed, later=3601.0) == []


def test_before_its_first_check_a_callback_reads_not_yet_asked() -> None:
    from dialer.runner.callback_board import NOT_ASKED, verdict_text

    assert verdict_text(None, PROVIDENCE, CallerClock(TABLES), 0.0) == NOT_ASKED == \
        "not yet asked"


def test_the_next_try_for_a_number_placed_nowhere_is_in_utc() -> None:
    clock = CallerClock(TABLES)
    at = datetime(2026, 12, 7, 22, tzinfo=UTC).timestamp()
    assert clock.local_instant("+16714771234", at, at - 60) == \
        "08:00 caller's local time (Pacific/Guam)"
    assert clock.local_instant("not-a-number", at, at) == "22:00 UTC"
    assert clock.local_time("not-a-number", at) == ""


def test_the_board_is_empty_without_an_engine() -> None:
    runner = SimpleNamespace(engine=None, watchers=SimpleNamespace(caller_clock=CallerClock()))
    assert queue_callbacks(runner, 0.0) == []  # type: ignore[arg-type]
