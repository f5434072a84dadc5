"""Machine verdicts sent to a free agent whose call ended before anyone said what it was.

With ``machine_to_free_agent`` an AMD machine verdict goes to an agent free at that instant;
the engine counts the call as a live answer only when it is told it was a person (the
simulator's ground truth says so during the call). A live agent says so with the call's
disposition, in wrap-up, after the engine has forgotten the call at its hang-up: this part
keeps, per such call, what counting it live needs (when it was answered, which agent heard
it) until the word comes, or until that agent's wrap-up ends, whichever is first. Then the
verdict stays a machine (the safe side: neither a live answer nor an abandon).

Bounded: a record lives only while its agent wraps that call up, so there is at most one per
agent. The agent pool tells this part of every agent that leaves wrap-up, however it leaves
(disposition, timeout, ready, pause, logout, lost leg, new work straight from wrap-up:
``AgentPool.wrap_left``, scheduler.py), so no path of the engine can forget a record.

The one instant shared with the timeout: a word carrying the very instant the agent's
wrap-up runs out counts. The agent pressed it before the timer fired; the engine runs the
deadlines due at an event's instant before the event (engine.py ``handle``), so the timeout
is seen first, and without this the word would be lost to an ordering, not to lateness. A
record whose wrap-up *ran out* is therefore held in ``running_out`` for words of that same
instant only, and settled (expired unconfirmed) at the first look at a later instant: a
``keep``, a word, another wrap-up's end, or ``counts(now)``. A wrap-up ended any other way
(the agent's own act) ends its record at once. The handle time of such a wrap-up was
already reported to the policy as a machine's (agent_work.py): one handle, the safe side.

Words with no record are ignored and counted by why: ``unknown`` (no record ever, as far as
this part remembers), ``late`` (the agent's wrap-up of that call is over), ``duplicate``
(the call's verdict was already confirmed, during the call or after it). To tell late and
duplicate from unknown it remembers, per agent, the last call it settled: bounded as the
records are. The part owns its state and reads nothing else; the agent side (agent_work.py)
owns it, since it owns the wrap-ups.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AwaitingWord:
    """A routed machine verdict whose call ended bridged to ``agent_id``, unconfirmed."""

    call_id: str
    agent_id: str
    answered_at: float
    """When the customer answered: a person is a live answer from then (the ledger's time)."""
    ended_at: float
    expires_at: float
    """The agent's wrap-up deadline: no word is taken after it."""


@dataclass(frozen=True, slots=True)
class RoutedVerdictCounts:
    """What happened to the routed machine verdicts whose call ended unconfirmed, since the
    engine started (the engine snapshot's ``routed_verdicts``; the runner's
    ``dialer_amd_routed_verdicts_*`` metrics)."""

    kept: int = 0
    """Records kept at the hang-up for the agent's word."""
    awaiting: int = 0
    """Records waiting for the word now (at most one per agent in wrap-up)."""
    confirmed_person: int = 0
    """Words taken: a person (a live answer, connected)."""
    confirmed_machine: int = 0
    """Words taken: a machine (nothing changes)."""
    ignored_unknown: int = 0
    """Words about a call with no record, never kept or long forgotten."""
    ignored_late: int = 0
    """Words after the agent's wrap-up of that call ended."""
    ignored_duplicate: int = 0
    """Words about a routed verdict already confirmed (the first word stands)."""
    expired_unconfirmed: int = 0
    """Records whose agent's wrap-up ended without a word: they stay machine verdicts."""


_CONFIRMED = "confirmed"
_EXPIRED = "expired"


class RoutedVerdicts:
    """Routed machine verdicts awaiting the agent's word, keyed by call id."""

    __slots__ = ("_by_agent", "_settled", "_settled_by_agent", "confirmed_machines",
                 "confirmed_people", "expired_unconfirmed", "ignored_duplicate",
                 "ignored_late", "ignored_unknown", "kept", "records", "running_out")

    def __init__(self) -> None:
        self.records: dict[str, AwaitingWord] = {}
        """Call → its record, while its agent wraps that call up."""
        self._by_agent: dict[str, str] = {}
        """Agent → the call whose record is theirs (one wrap-up at a time)."""
        self.running_out: dict[str, AwaitingWord] = {}
        """Call → its record, whose wrap-up ran out at ``expires_at``: words of that very
        instant still count; settled at the first look at a later one."""
        self._settled: dict[str, str] = {}
        """Call → how its record ended (``confirmed`` or ``expired``): the last per agent."""
        self._settled_by_agent: dict[str, str] = {}
        self.kept = 0
        self.confirmed_people = 0
        """Words taken: a person (now a live answer, connected)."""
        self.confirmed_machines = 0
        """Words taken: a machine (nothing changes)."""
        self.ignored_unknown = 0
        self.ignored_late = 0
        self.ignored_duplicate = 0
        self.expired_unconfirmed = 0
        """Records whose agent's wrap-up ended without a word: they stay machine verdicts."""

    def keep(self, call_id: str, agent_id: str, answered_at: float, ended_at: float,
             expires_at: float) -> None:
        """The call ended bridged to ``agent_id``, who now wraps it up until ``expires_at``."""
        if self.running_out:
            self._settle(ended_at)
        self.wrap_over(agent_id, ended_at)  # one wrap-up at a time (the pool ended the last)
        self.records[call_id] = AwaitingWord(call_id, agent_id, answered_at, ended_at,
                                             expires_at)
        self._by_agent[agent_id] = call_id
        self.kept += 1

    def confirm(self, call_id: str, person: bool, at: float) -> AwaitingWord | None:
        """The word on ``call_id`` (``person``: a person, else a machine): its record,
        settled; None (counted by why it is ignored) when there is none to take it."""
        if self.running_out:
            self._settle(at)
        record = self.records.pop(call_id, None)
        if record is not None:
            del self._by_agent[record.agent_id]
            if at > record.expires_at:  # an event out of time order: late all the same
                self._settle_record(record, _EXPIRED)
                self.ignored_late += 1
                return None
        else:
            record = self.running_out.pop(call_id, None)  # the wrap-up ran out this instant
            if record is None:
                self._ignore(call_id)
                return None
        if person:
            self.confirmed_people += 1
        else:
            self.confirmed_machines += 1
        self._settle_record(record, _CONFIRMED)
        return record

    def ignore(self) -> None:
        """A word about a routed verdict already confirmed while its call was up."""
        self.ignored_duplicate += 1

    def wrap_over(self, agent_id: str, at: float) -> None:
        """The agent left wrap-up at ``at``, however (``AgentPool.wrap_left``): a record
        still waiting for their word stays a machine verdict, and goes; one whose wrap-up
        ran out (``at`` is its deadline) waits for words of this instant only."""
        if self.running_out:
            self._settle(at)
        call_id = self._by_agent.pop(agent_id, None)
        if call_id is None:
            return
        record = self.records.pop(call_id)
        if at >= record.expires_at:
            self.running_out[call_id] = record
        else:
            self._settle_record(record, _EXPIRED)

    def counts(self, now: float) -> RoutedVerdictCounts:
        """The counters at ``now`` (records whose wrap-up ran out before it are settled)."""
        if self.running_out:
            self._settle(now)
        return RoutedVerdictCounts(
            kept=self.kept, awaiting=len(self.records) + len(self.running_out),
            confirmed_person=self.confirmed_people, confirmed_machine=self.confirmed_machines,
            ignored_unknown=self.ignored_unknown, ignored_late=self.ignored_late,
            ignored_duplicate=self.ignored_duplicate,
            expired_unconfirmed=self.expired_unconfirmed)

    @property
    def ignored(self) -> int:
        """Words ignored, whatever the reason."""
        return self.ignored_unknown + self.ignored_late + self.ignored_duplicate

    def _ignore(self, call_id: str) -> None:
        how = self._settled.get(call_id)
        if how is _CONFIRMED:
            self.ignored_duplicate += 1
        elif how is _EXPIRED:
            self.ignored_late += 1
        else:
            self.ignored_unknown += 1

    def _settle(self, now: float) -> None:
        """Records whose wrap-up ran out before ``now`` expire unconfirmed."""
        for call_id, record in list(self.running_out.items()):
            if record.expires_at < now:
                del self.running_out[call_id]
                self._settle_record(record, _EXPIRED)

    def _settle_record(self, record: AwaitingWord, how: str) -> None:
        if how is _EXPIRED:
            self.expired_unconfirmed += 1
        previous = self._settled_by_agent.get(record.agent_id)
        if previous is not None:
            del self._settled[previous]
        self._settled[record.call_id] = how
        self._settled_by_agent[record.agent_id] = record.call_id

    def __len__(self) -> int:
        return len(self.records) + len(self.running_out)
