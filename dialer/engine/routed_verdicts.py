"""Machine verdicts sent to a free agent whose call ended before anyone said what it was.

With ``machine_to_free_agent`` an AMD machine verdict goes to an agent free at that instant;
the engine counts the call as a live answer only when it is told it was a person (the
simulator's ground truth says so during the call). A live agent says so with the call's
disposition, in wrap-up, after the engine has forgotten the call at its hang-up: this part
keeps, per such call, what counting it live needs (when it was answered, which agent heard
it) until the word comes, or until that agent's wrap-up ends, whichever is first. Then the
verdict stays a machine (the safe side: neither a live answer nor an abandon).

Bounded: a record lives only while its agent wraps that call up, so there is at most one per
agent, and none outlives the campaign's ``wrap_up_timeout`` after its hang-up (the agent
pool ends every wrap-up by then). A word about a call with no record (unknown, already
confirmed, or too late) is ignored and counted. The part owns its state and reads nothing
else; the agent side (agent_work.py) owns it, since it owns the wrap-ups.
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


class RoutedVerdicts:
    """Routed machine verdicts awaiting the agent's word, keyed by call id."""

    __slots__ = ("_by_agent", "confirmed_machines", "confirmed_people", "dropped", "ignored",
                 "records")

    def __init__(self) -> None:
        self.records: dict[str, AwaitingWord] = {}
        self._by_agent: dict[str, str] = {}
        """Agent → the call whose record is theirs (one wrap-up at a time)."""
        self.confirmed_people = 0
        """Words taken: a person (now a live answer, connected)."""
        self.confirmed_machines = 0
        """Words taken: a machine (nothing changes)."""
        self.ignored = 0
        """Words about a call with no record: unknown, already confirmed, or too late."""
        self.dropped = 0
        """Records whose agent's wrap-up ended without a word: they stay machine verdicts."""

    def keep(self, call_id: str, agent_id: str, answered_at: float, ended_at: float,
             expires_at: float) -> None:
        """The call ended bridged to ``agent_id``, who now wraps it up until ``expires_at``."""
        self.wrap_over(agent_id)  # an agent has one wrap-up at a time
        self.records[call_id] = AwaitingWord(call_id, agent_id, answered_at, ended_at,
                                             expires_at)
        self._by_agent[agent_id] = call_id

    def confirm(self, call_id: str, person: bool, at: float) -> AwaitingWord | None:
        """The word on ``call_id`` (``person``: a person, else a machine): its record,
        removed; None (counted in ``ignored``) when there is none or its agent's wrap-up
        deadline has passed."""
        record = self.records.pop(call_id, None)
        if record is None:
            self.ignored += 1
            return None
        del self._by_agent[record.agent_id]
        if at > record.expires_at:
            self.dropped += 1
            self.ignored += 1
            return None
        if person:
            self.confirmed_people += 1
        else:
            self.confirmed_machines += 1
        return record

    def ignore(self) -> None:
        """A word about a routed verdict already confirmed while its call was up."""
        self.ignored += 1

    def wrap_over(self, agent_id: str) -> None:
        """The agent's wrap-up ended (disposition, timeout, ready, pause, logout, lost leg):
        a record still waiting for their word stays a machine verdict, and goes."""
        call_id = self._by_agent.pop(agent_id, None)
        if call_id is not None:
            del self.records[call_id]
            self.dropped += 1

    def __len__(self) -> int:
        return len(self.records)
