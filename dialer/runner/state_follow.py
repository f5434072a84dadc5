"""The runner follows its campaign's stored state (``dialer campaign pause/stop/archive``,
``delete``, ``start``), so a change made from the command line, from another host or in the
database stops the dialing of a process already running: before, only the store changed and
the process kept dialing until stopped itself (fail open).

Two parts. ``StateFollower`` is a pure state machine (stored readings and the console's
actions in, what dialing should be out, time passed in), tested with a fake clock and
hypothesis. ``follow`` is the runner's task: it reads the campaign's state every
``STATE_POLL`` seconds on the database thread (one indexed row), and at once when the CLI
that changed it finds the process's control socket (op ``campaign_state``).

Semantics, fail closed (docs/operations.md, "A running process follows the campaign's state"):

- stored ``running``: dialing may go on (unless the console holds its own pause);
- stored ``paused`` (or ``draft``): no new dial; calls in progress finish, agents stay;
- stored ``stopped``, ``archived``, ``deleted``, the row gone: the run ends as Ctrl-C ends
  it (no new dial, calls in progress finish, queue callers kept as callbacks), and says why;
- the state unreadable: the last reading holds for ``STATE_UNREADABLE_LIMIT`` seconds, then
  dialing pauses until a reading says ``running`` again;
- the store not written (a journal batch failed: the database worker's outage,
  dbworker.py): dialing pauses at once, calls in progress go on, and it resumes when the
  held writes are written; past the run's outage limit (``--store-outage-limit``) the run
  ends as a stop does, saying why (docs/operations.md, "When the store is down").

Which pause wins: dialing goes on only when the stored state says running *and* no
supervisor's console pause holds. A console pause is ended by the console's Resume (which
also writes ``running`` to the store, as before), never by ``dialer campaign start``: the
supervisor watching the floor paused for a reason the command line cannot see. A console
Resume does end a pause made from the command line (the most recent explicit resume is a
person's decision too, and it is written to the store), but never a stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from campaigns.store import CampaignStore
    from dialer.runner.runner import Runner

log = logging.getLogger("dialer.runner")

STATE_POLL = 2.0
"""Seconds between reads of the campaign's stored state."""
STATE_LAG = 2 * STATE_POLL
"""The bound on how late a stored change is acted on (one poll, plus a database read that
takes up to another poll before the unreadable clock starts counting): a change stored at
``t`` has stopped new dials by ``t + STATE_LAG`` of the runner's clock."""
STATE_UNREADABLE_LIMIT = 60.0
"""Seconds the last reading is trusted while the state cannot be read; then dialing pauses
(fail closed) until a reading says running again."""
EXIT_CAMPAIGN_ENDED = 4
"""``dialer run`` exit status when it ended because the campaign's stored state left
running/paused (stopped, archived, deleted, gone)."""

_MISSING = "missing"
"""The reading of a campaign row that is not there (any more)."""


class Held(StrEnum):
    """Why the follower holds dialing."""

    STORE = "store"
    WRITES = "writes"
    SWITCH = "switch"
    """The switch refuses every originate (send_hold.py)."""
    UNREADABLE = "unreadable"
    CONSOLE = "console"


@dataclass(frozen=True, slots=True)
class Want:
    """What dialing should be after a step: ``paused`` (with the one-line ``reason`` when
    paused), and ``end`` with its reason when the run must end."""

    paused: bool
    reason: str = ""
    end: str | None = None


def utc_hhmm(at: float) -> str:
    """An instant of the runner's clock as the status line and the pause alert say it."""
    return datetime.fromtimestamp(at, tz=UTC).strftime("%H:%M UTC")


def from_console(name: str, at: float | None = None) -> str:
    """Who acted on the console, and when: the one wording of the status line, the pause
    alert, the end of a run and the console's own page ("by supervisor sam from the
    console at 14:05 UTC")."""
    who = f"by supervisor {name}" if name else "by a supervisor"
    return f"{who} from the console" + (f" at {utc_hhmm(at)}" if at is not None else "")


def from_command_line(at: float) -> str:
    """A stored change the follower read (no console action of its own explains it)."""
    return f"from the command line at {utc_hhmm(at)}"


class StateFollower:
    """The campaign's stored state as the runner follows it (pure: no I/O, no clock)."""

    def __init__(self, campaign: str, state: str, now: float) -> None:
        self.campaign = campaign
        self.state = state
        """The last stored state read (``missing`` when the row is gone)."""
        self.read_at = now
        """When the state was last read successfully (the runner's clock)."""
        self.since = now
        """When the current stored state was first seen."""
        self.unreadable: str | None = None
        """The last read's error while reads fail."""
        self.console_paused = False
        """A supervisor's pause from the console (or the control socket's campaign op)."""
        self.console_by = ""
        """The supervisor who paused from the console (their user name; "" when unsaid)."""
        self.console_at: float | None = None
        """When they paused (the runner's clock; None when unsaid)."""
        self.stopped_by: tuple[str, float] | None = None
        """A supervisor's stop from the console (name, when) the store is being told of:
        a stored ``stopped`` read then is theirs, not the command line's."""
        self.end: str | None = None
        """Why the run must end (set once, never cleared)."""
        self.ended_by: str | None = None
        """``end``'s cause alone (who stopped it and when), for the status while stopping."""
        self.unreadable_held = False
        self.unwritable: str | None = None
        """Why the store cannot be written, while it cannot (dbworker.py's outage)."""
        self.unwritable_since: float | None = None
        self.outage_limit: float | None = None
        """Seconds the store may stay unwritable before the run ends (None: no bound)."""
        self.switch_refusing: str | None = None
        """Why the switch refuses every originate, while its hold lasts (send_hold.py)."""

    # --- inputs -------------------------------------------------------------------------

    def read(self, now: float, state: str | None) -> Want:
        """A successful read: ``state`` the row's state, None when the row is gone."""
        state = _MISSING if state is None else str(state)
        if state != self.state:
            self.since = now
            self.state = state
        self.read_at = now
        self.unreadable = None
        self.unreadable_held = False
        if self.end is None and state not in ("running", "paused", "draft"):
            self.ended_by = self._end_cause(state, now)
            self.end = f"{self.ended_by}: run ended" + (
                "" if state == _MISSING else " (calls in progress finished)")
        return self.want(now)

    def failed(self, now: float, error: str) -> Want:
        """A read that failed (or has not answered for a poll)."""
        self.unreadable = error
        return self.want(now)

    def writes(self, now: float, failure: str | None) -> Want:
        """The store cannot be written since ``now`` (``failure``: its words), or (None) is
        written again."""
        if failure is None:
            self.unwritable = self.unwritable_since = None
        elif self.unwritable is None:
            self.unwritable, self.unwritable_since = failure, now
        return self.want(now)

    def sends(self, now: float, refusing: str | None) -> Want:
        """The switch refuses every originate (``refusing``: the hold's words), or (None)
        one may go again (its probe, or it takes calls)."""
        self.switch_refusing = refusing
        return self.want(now)

    def console(self, paused: bool, by: str = "", at: float | None = None) -> None:
        """A supervisor (``by``, at ``at``) paused or resumed dialing from the console.
        Whether the resume's write of ``running`` took (a stopped campaign refuses it) is
        for a reading to say (``StateFollow.console_resume`` reads at once)."""
        self.console_paused = paused
        self.console_by = by if paused else ""
        self.console_at = at if paused else None

    def console_stop(self, by: str, at: float | None) -> None:
        """A supervisor is stopping the campaign from the console (``None``: the stop's
        store write was refused, the record goes)."""
        self.stopped_by = (by, at) if at is not None else None

    # --- output -------------------------------------------------------------------------

    def want(self, now: float) -> Want:
        if self.unreadable is not None and now - self.read_at >= STATE_UNREADABLE_LIMIT:
            self.unreadable_held = True
        if (self.end is None and self.unwritable is not None
                and self.unwritable_since is not None and self.outage_limit is not None
                and now - self.unwritable_since >= self.outage_limit):
            self.ended_by = (f"the campaign store could not be written for "
                             f"{self.outage_limit:g} s (since "
                             f"{utc_hhmm(self.unwritable_since)}: {self.unwritable}), the "
                             "limit --store-outage-limit sets")
            self.end = f"{self.ended_by}: run ended (calls in progress finished)"
        if self.end is not None:
            return Want(True, self.end, self.end)
        held = self.held()
        if held is None:
            return Want(False)
        return Want(True, self.reason(held))

    def held(self) -> Held | None:
        """What holds dialing now, the most fundamental first; None: it may dial. A stored
        ``paused`` read while a console pause holds is the console's own write (its Pause
        stores it), so it is the console's, not the command line's."""
        if self.state != "running" and not (self.state == "paused" and self.console_paused):
            return Held.STORE
        if self.unwritable is not None:
            return Held.WRITES
        if self.switch_refusing is not None:
            return Held.SWITCH
        if self.unreadable_held:
            return Held.UNREADABLE
        if self.console_paused:
            return Held.CONSOLE
        return None

    def held_by(self, held: Held | None) -> str:
        """Who holds dialing and since when, in the words every place says it (status line,
        ``dialer status``, monitor, console, the pause alert); "" when nothing holds it."""
        if held is Held.STORE:
            return from_command_line(self.since)
        if held is Held.CONSOLE:
            return from_console(self.console_by, self.console_at)
        if held is Held.UNREADABLE:
            return "as the campaign's state cannot be read (fail closed)"
        if held is Held.WRITES:
            return "as the campaign store cannot be written (fail closed)"
        if held is Held.SWITCH:
            return "as the switch refuses every call (fail closed)"
        return ""

    def reason(self, held: Held) -> str:
        if held is Held.STORE:
            return (f"campaign {self.campaign} is {self.state} (set {self.held_by(held)}): "
                    f"`dialer campaign start {self.campaign}` resumes dialing")
        if held is Held.WRITES:
            bound = ("" if self.outage_limit is None or self.unwritable_since is None else
                     f"; the run stops at {utc_hhmm(self.unwritable_since + self.outage_limit)}"
                     " if it lasts (--store-outage-limit)")
            return (f"the campaign store cannot be written since "
                    f"{utc_hhmm(self.unwritable_since or self.read_at)} ({self.unwritable}): "
                    "no new dial until it is (nothing is dialed before its journal is "
                    "written); calls in progress go on, their outcomes kept in order and "
                    f"written when it is back{bound}")
        if held is Held.SWITCH:
            return self.switch_refusing or "the switch refuses every call"
        if held is Held.UNREADABLE:
            return (f"the campaign's state could not be read for {STATE_UNREADABLE_LIMIT:g} s "
                    f"since {utc_hhmm(self.read_at)} ({self.unreadable}): dialing paused until "
                    "it reads running again")
        return f"dialing paused {self.held_by(held)} (the console's Resume dialing resumes it)"

    def _end_cause(self, state: str, now: float) -> str:
        """What ended the run, and who and when (the status line says it while the calls
        in progress finish; the end reason adds that the run ended)."""
        if state == _MISSING:
            return f"campaign {self.campaign}'s row is gone from the database"
        said = {"stopped": "stopped", "archived": "archived", "deleted": "deleted"}.get(
            state, state)
        source = (from_console(*self.stopped_by)
                  if state == "stopped" and self.stopped_by is not None
                  else from_command_line(now))
        return f"campaign {self.campaign} was {said} {source}"


# --- the runner's side ------------------------------------------------------------------


def read_state(runner: Runner) -> str | None:
    """The campaign's stored state, None when its row is gone (database thread)."""
    import sqlalchemy as sa

    from campaigns.models import Campaign

    with runner.store.read_session() as session:
        return session.execute(sa.select(Campaign.state).where(
            Campaign.id == runner.link.campaign_id)).scalar_one_or_none()


def stop_stored(store: CampaignStore, campaign_id: int, expected: list[str], at: float,
                seen_version: int | None = None, by: str | None = None
                ) -> tuple[bool, str | None]:
    """Write ``stopped`` only if the stored state is still one of ``expected`` and, given
    ``seen_version`` (the console page's), its state version is still that one (one
    conditional UPDATE: two writers cannot both pass the check; the version bumped);
    ``by``: the console supervisor stopping it (None: the command line).
    Returns whether the
    campaign is stopped as asked (written now, or already ``stopped`` when that was
    expected: another process of the campaign wrote it) and the state now (None: the row
    is gone). Only running and paused campaigns can stop (``CAMPAIGN_TRANSITIONS``).
    Database thread."""
    import sqlalchemy as sa

    from campaigns.models import Campaign
    from campaigns.settings import CAMPAIGN_TRANSITIONS, CampaignState

    stopped = str(CampaignState.STOPPED)
    stoppable = [s for s in expected if s in set(CampaignState)
                 and CampaignState.STOPPED in CAMPAIGN_TRANSITIONS[CampaignState(s)]]
    with store.session() as session:
        if stoppable:
            guard = [Campaign.id == campaign_id,
                     Campaign.state.in_(stoppable)]  # type: ignore[attr-defined]
            if seen_version is not None:
                guard.append(Campaign.state_version == seen_version)
            done = session.execute(
                sa.update(Campaign).where(*guard)  # type: ignore[arg-type]
                .values(state=stopped, updated_at=datetime.fromtimestamp(at, tz=UTC),
                        state_changed_at=datetime.fromtimestamp(at, tz=UTC),
                        state_changed_by=by,
                        state_version=Campaign.state_version + 1))
            session.commit()
            if done.rowcount == 1:  # type: ignore[attr-defined]
                return True, stopped
        state = session.execute(sa.select(Campaign.state).where(
            Campaign.id == campaign_id)).scalar_one_or_none()  # type: ignore[arg-type]
    return state == stopped and stopped in expected, state


class StateFollow:
    """The runner's follower task and the place the console's pause path reports to."""

    def __init__(self, runner: Runner, clock: Callable[[], float]) -> None:
        self.runner = runner
        self.clock = clock
        self.follower = StateFollower(runner.link.name, "running", clock())
        self.applied: Want = Want(False)
        self.poke = asyncio.Event()
        self.applied_at: float | None = None
        """When the last change was applied (the runner's clock; tests read it)."""

    def start(self, state: str) -> None:
        """The state read at start (the runner pauses a stored pause itself)."""
        previous = self.follower
        self.follower = StateFollower(self.runner.link.name, state, self.clock())
        self.follower.outage_limit = previous.outage_limit
        self.follower.unwritable = previous.unwritable
        self.follower.unwritable_since = previous.unwritable_since
        self.follower.switch_refusing = previous.switch_refusing
        want = self.follower.want(self.clock())
        self.applied = want
        if want.paused:
            self._post(want)

    def store_writes(self, failure: str | None) -> None:
        """The database worker's outage began (``failure``) or ended (None): dialing held
        at once, resumed once written again (unless something else holds it)."""
        self.apply(self.follower.writes(self.clock(), failure))

    def switch_sends(self, refusing: str | None) -> None:
        """The switch began (``refusing``: why) or ended refusing every originate: dialing
        held at once, resumed for its probe or when it takes calls (send_hold.py)."""
        self.apply(self.follower.sends(self.clock(), refusing))

    def console_pause(self, by: str = "") -> None:
        """The console paused dialing (posted already; ``by``: the supervisor's name): the
        console's to end."""
        self.follower.console(True, by, self.clock())
        self.applied = self.follower.want(self.clock())

    async def console_resume(self) -> str | None:
        """The console resumed (its write of ``running`` done or refused): the stored state
        is read now and decides; what still holds dialing (stopped, paused, unreadable), if
        anything, is returned and the resume is refused, never posted."""
        self.follower.console(False)
        await self.check_once()
        return self.held_reason()

    async def console_stop(self, by: str, expected: list[str],
                           seen_version: int | None = None) -> dict[str, object]:
        """A supervisor's Stop from the console, as ``dialer campaign stop`` does it (the
        stored state, then read at once): written only while the stored state is one of
        ``expected`` (what their page showed; a compare-and-set, so a second tab's stop
        after a change is refused with the state now). Recorded first, so a poll reading
        the write ends the run naming the supervisor; the run then ends as a stored stop
        ends it (calls in progress finish, agents logged out)."""
        runner = self.runner
        at = self.clock()
        self.follower.console_stop(by, at)
        try:
            stopped, state = await runner.db.call(stop_stored, runner.store,
                                                  runner.link.campaign_id, expected, at,
                                                  seen_version, by)
        except BaseException:
            self.follower.console_stop(by, None)
            raise
        if not stopped:
            self.follower.console_stop(by, None)
            return {"ok": False, "state": state, "error": f"not stopped: campaign "
                    f"{runner.link.name} is {state or 'gone from the database'} now"}
        await self.check_once()
        return {"ok": True, "state": state, "at": at}

    @property
    def end_reason(self) -> str | None:
        return self.follower.end

    def stop_cause(self) -> str | None:
        """Who stopped the campaign and when, if the stored state ended the run (the status
        line while the calls in progress finish)."""
        return self.follower.ended_by

    def exit_code(self) -> int:
        return EXIT_CAMPAIGN_ENDED if self.follower.end is not None else 0

    def held_reason(self) -> str | None:
        """The one line that says why dialing is held, when it is (status, monitor)."""
        return self.applied.reason if self.applied.paused else None

    async def check_once(self) -> None:
        """Read the stored state once and apply the reading. A read the database thread has
        not answered within a poll counts as unreadable, poll after poll, while it is
        awaited. The read is this call's own: cancelling the call cancels it, so no reading
        is applied (or logged) after the run has ended."""
        runner = self.runner
        read = asyncio.ensure_future(runner.db.call(read_state, runner))
        try:
            # asyncio.wait, not wait_for(shield(...)): on Python 3.11 wait_for swallows a
            # cancellation that arrives as its awaitable completes, and the follower then
            # outlived the runner's stop (its TaskGroup waited forever: `dialer run` hung).
            while not (await asyncio.wait({read}, timeout=STATE_POLL))[0]:
                # The database thread is busy or stuck: count the time, keep waiting.
                self.apply(self.follower.failed(self.clock(), "no answer from the database"))
        finally:
            if not read.done():
                read.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await read
        try:
            state = read.result()
        except Exception as error:
            self.apply(self.follower.failed(self.clock(), f"{error}"[:200]))
            return
        self.apply(self.follower.read(self.clock(), state))

    async def run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(STATE_POLL):  # not wait_for (see check_once)
                    await self.poke.wait()
            self.poke.clear()
            await self.check_once()

    def apply(self, want: Want) -> None:
        runner = self.runner
        if want.end is not None:
            if not runner.stopping and not runner.stop_requested.is_set():
                log.warning("%s", want.end)
                self._post(want)
                runner.stop()
            self.applied = want
            return
        engine = runner.engine
        changed = want.paused != self.applied.paused
        if changed or (engine is not None and want.paused != engine.dialing_paused):
            if changed and want.paused:  # one line per change, not per poll
                log.warning("dialing paused: %s", want.reason)
            elif changed:
                log.warning("dialing resumed: campaign %s is running again",
                            runner.link.name)
            self._post(want)
        self.applied = want

    def _post(self, want: Want) -> None:
        from dialer.events import DialingPaused

        self.applied_at = self.clock()
        self.runner.post(DialingPaused(self.clock(), want.paused, want.reason))

