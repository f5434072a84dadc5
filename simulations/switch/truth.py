"""What really happened to the simulated callees: the referee of a campaign on the simulator.

The dialer's own records say what the dialer believes; the switch knows what the person
heard. For every customer leg the switch keeps who answered (person or machine), when, when
the person was first connected to an agent, when a message started playing (or failed to),
whether a conversation was cut off by the agent's leg being moved to another customer, and
how the call ended. ``summary()`` turns that into the figures issue 17 asks for: live
answers, conversations cut off, live answers neither bridged nor messaged within the connect
window, messages that never played, answer-to-bridge and answer-to-message times.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulations.population import CalleeKind


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


@dataclass
class CalleeRecord:
    uuid: str
    kind: CalleeKind
    answered_at: float | None = None
    listening: bool = False
    """A detector listened to the greeting (AMD)."""
    greeting_done_at: float | None = None
    """When the detector heard the greeting end (AMD): the legal window starts there."""
    bridged_at: float | None = None
    message_at: float | None = None
    message_failed: bool = False
    cut_off: bool = False
    ended_at: float | None = None
    cause: str = ""


@dataclass
class GroundTruth:
    records: dict[str, CalleeRecord] = field(default_factory=dict)

    def dialed(self, uuid: str, kind: CalleeKind) -> None:
        self.records[uuid] = CalleeRecord(uuid, kind)

    def _get(self, uuid: str) -> CalleeRecord | None:
        return self.records.get(uuid)

    def answered(self, uuid: str, at: float) -> None:
        record = self._get(uuid)
        if record is not None and record.answered_at is None:
            record.answered_at = at

    def listening(self, uuid: str) -> None:
        record = self._get(uuid)
        if record is not None:
            record.listening = True

    def greeting_done(self, uuid: str, at: float) -> None:
        record = self._get(uuid)
        if record is not None and record.greeting_done_at is None:
            record.greeting_done_at = at

    def bridged(self, uuid: str, at: float) -> None:
        record = self._get(uuid)
        if record is not None and record.bridged_at is None:
            record.bridged_at = at

    def message(self, uuid: str, at: float, played: bool) -> None:
        record = self._get(uuid)
        if record is None:
            return
        if played and record.message_at is None:
            record.message_at = at
        elif not played:
            record.message_failed = True

    def cut_off(self, uuid: str) -> None:
        record = self._get(uuid)
        if record is not None:
            record.cut_off = True

    def ended(self, uuid: str, at: float, cause: str) -> None:
        record = self._get(uuid)
        if record is not None and record.ended_at is None:
            record.ended_at, record.cause = at, cause

    def summary(self, window: float = 2.0) -> dict[str, float | int | None]:
        """Figures over the ended calls answered by a person (machines are not abandons).

        The window runs from the answer, or from the end of the greeting where a detector
        listened to it (47 CFR 64.1200(a)(7)(i): "within two seconds after the called
        person's completed greeting"). A person *left waiting* is one still on the line
        when the window closed who got neither an agent nor the message by then.
        """
        live = [r for r in self.records.values() if r.kind is CalleeKind.LIVE
                and r.answered_at is not None and r.ended_at is not None]

        def start(r: CalleeRecord) -> float:
            return r.greeting_done_at or r.answered_at  # type: ignore[return-value]

        to_bridge = [r.bridged_at - start(r) for r in live if r.bridged_at is not None]
        to_message = [r.message_at - start(r) for r in live
                      if r.message_at is not None and r.bridged_at is None]
        served = [r for r in live if (r.bridged_at is not None
                                      and r.bridged_at - start(r) <= window)
                  or (r.message_at is not None and r.message_at - start(r) <= window)]
        # Still greeting when they hung up (the detector had not heard the greeting end):
        # nobody kept them waiting, the window had not begun.
        waited = [r for r in live if r not in served and not (r.listening
                                                                and r.greeting_done_at is None)
                  and r.ended_at > start(r) + window]  # type: ignore[operator]
        never_bridged = [r for r in live if r.bridged_at is None]
        return {
            "live_answers": len(live),
            "bridged": len(to_bridge),
            "not_bridged": len(never_bridged),
            "not_bridged_rate": len(never_bridged) / len(live) if live else None,
            "conversations_cut_off": sum(r.cut_off for r in live),
            "served_within_window": len(served),
            "not_served_within_window": len(live) - len(served),
            "left_waiting_past_window": len(waited),
            "messages_played": len(to_message),
            "messages_failed": sum(r.message_failed for r in live),
            "silent_hang_ups": sum(1 for r in never_bridged if r.message_at is None),
            "answer_to_bridge_median": _percentile(to_bridge, 0.5),
            "answer_to_bridge_p99": _percentile(to_bridge, 0.99),
            "answer_to_message_median": _percentile(to_message, 0.5),
            "answer_to_message_max": max(to_message) if to_message else None,
        }
