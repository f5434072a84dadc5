"""The engine's ports: what it needs from its driver, as small protocols.

The engine is sans-I/O, so leads and compliance reach it through in-memory views the
driver keeps filled: the live runner backs ``LeadSource`` with the campaign store's hopper
and ``ComplianceGate`` with ``dnc.rules``; the simulator backs them with a generated lead
pool and ``AllowAllGate``. Both calls are synchronous and must be fast (the engine calls
them inside ``tick``). Fields may be added with defaults; existing fields keep their meaning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from pacing_models.records import builder, is_native, native_or_slotted
from pacing_models.records import fast_init as fast_init  # re-exported: the records use it


@dataclass(frozen=True)  # slots in pure Python: native_or_slotted below
class DialTarget:
    """One lead ready to be dialed, as the lead source hands it to the engine."""

    lead_id: str
    number_e164: str
    campaign: str
    attempt_number: int = 1
    """The attempt this dial would be for this lead (1 for the first)."""
    customer_key: str | None = None
    """Identifies the customer across calls (sticky routing to their previous agent)."""
    previous_agent_id: str | None = None
    """The agent who last spoke with this customer, if the store knows it."""
    variables: Mapping[str, str] = field(default_factory=dict)
    """Extra channel variables to set on the originate (names ``[A-Za-z0-9_]+``)."""
    attributes: Mapping[str, str] = field(default_factory=dict)
    """Lead fields the compliance gate may need (state, time zone, subject, debt id, ...)."""


@dataclass(frozen=True)  # slots in pure Python: native_or_slotted below
class GateVerdict:
    """The compliance decision for one dial at one instant, with what it was based on."""

    allowed: bool
    reasons: tuple[str, ...] = ()
    """Why not (or, for an allowed dial, the permissions relied on, e.g. "consent:...")."""
    registry_versions: tuple[str, ...] = ()
    """Registry versions consulted, e.g. ("national@2026-11-01#3", "internal@812")."""
    decision_id: str | None = None
    """The audit log's id for this decision, when the gate records one."""


# One of each per attempt: native classes in the compiled engine (their fields in
# dialer/accel/pxd/dialer/ports.pxd); slotted and with fast_init in pure Python.
native_or_slotted(globals(), DialTarget, GateVerdict)


def _native_dial_target(lead_id, number_e164, campaign, attempt_number,  # type: ignore[no-untyped-def]
                        customer_key, previous_agent_id, variables, attributes):
    """``DialTarget(...)`` from every field, for the compiled engine only (frozen in pure
    Python, where ``dial_target`` is the builder): the native class's allocation and its
    fields stored directly. Cython's dataclass ``__init__`` imports ``dataclasses`` once
    per field with a default factory (``PyImport_Import``, to compare the argument with its
    sentinel), whether or not the argument is given: two imports per lead, some 2,400
    instructions each, 6 % of the compiled progressive day (docs/engine.md, "Sixteenth
    step")."""
    target = DialTarget.__new__(DialTarget)
    target.lead_id = lead_id
    target.number_e164 = number_e164
    target.campaign = campaign
    target.attempt_number = attempt_number
    target.customer_key = customer_key
    target.previous_agent_id = previous_agent_id
    target.variables = variables
    target.attributes = attributes
    return target


dial_target = _native_dial_target if is_native(DialTarget) else builder(DialTarget)
"""A ``DialTarget`` from all its fields in their order (a lead source's hot path): the same
record as the class called with them."""


FINAL_REFUSAL = "final: "
"""The reason a gate adds to a refusal that no later moment cures (a registry listing with no
exemption, an opt-out, a missing written consent), naming what would have to change: a
queue callback so refused is cancelled with its reasons, not held at its place."""

EARLIEST_ALLOWED = "earliest-allowed: "
"""The reason a gate adds to a refusal that a later moment cures, with that instant in ISO
form (``dnc.rules.adapters.verdict_parts``): a queue callback so refused waits until then."""


@runtime_checkable
class LeadSource(Protocol):
    """Leads the engine may dial. Each lead returned is claimed for this engine."""

    def next_leads(self, n: int, at: float) -> list[DialTarget]:
        """Up to ``n`` leads dialable at ``at`` (fewer, or none, when the pool runs low)."""
        ...

    def release(self, lead_id: str) -> None:
        """Give back a claimed lead that was not dialed (the engine also emits ReleaseLead)."""
        ...


@runtime_checkable
class ComplianceGate(Protocol):
    """The compliance engine as the dialer sees it: may this target be dialed at ``at``?"""

    def check(self, target: DialTarget, at: float) -> GateVerdict:
        """Decide now, at the moment of dialing; never cache a verdict across calls."""
        ...


@runtime_checkable
class MessageGate(Protocol):
    """A gate that also decides recorded messages: when AMD says a machine answered a
    campaign that leaves messages, the engine asks before playing one (the prerecorded
    rules at that instant). An engine whose gate lacks it leaves no message (fail closed)."""

    def check_message(self, target: DialTarget, dialed_at: float, at: float) -> GateVerdict:
        ...


_ALLOW_ALL = GateVerdict(allowed=True, reasons=("simulation:allow-all",))
"""The allow-all gate's one verdict: a module constant, read per dial as a global (a class
attribute read through ``self`` is looked up through the instance's type at every dial)."""


class AllowAllGate:
    """A gate that allows everything: for simulations, never for a live campaign."""

    def check(self, target: DialTarget, at: float) -> GateVerdict:
        return _ALLOW_ALL

    def check_message(self, target: DialTarget, dialed_at: float, at: float) -> GateVerdict:
        return _ALLOW_ALL


class ListLeadSource:
    """An in-memory lead source over a list (tests, simulations, the demo)."""

    def __init__(self, targets: list[DialTarget] | None = None) -> None:
        self._pending: list[DialTarget] = list(reversed(targets or []))
        self.released: list[str] = []

    def add(self, target: DialTarget) -> None:
        self._pending.insert(0, target)

    def __len__(self) -> int:
        return len(self._pending)

    def next_leads(self, n: int, at: float) -> list[DialTarget]:
        taken: list[DialTarget] = []
        while self._pending and len(taken) < n:
            taken.append(self._pending.pop())
        return taken

    def release(self, lead_id: str) -> None:
        self.released.append(lead_id)
