"""Callee population model: who answers, when, and how they behave once answered.

Shared by the discrete-event simulator and the ESL switch simulator, so both draw callee
behaviour from one model. (Contract written first; the simulation lab fills in scenarios.)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CalleeKind(StrEnum):
    """What happens when a number is dialed."""

    LIVE = "live"            # a person answers
    MACHINE = "machine"      # an answering machine / voicemail answers
    BUSY = "busy"            # busy signal
    FAILED = "failed"        # network failure / invalid number, quickly
    NO_ANSWER = "no_answer"  # rings until the dialer gives up


@dataclass(frozen=True, slots=True)
class CalleeFate:
    """The pre-drawn behaviour of one dialed number (common random numbers need this up front).

    ``answer_after``: seconds from dial to answer (LIVE/MACHINE) or to the busy/failure signal
    (BUSY/FAILED); ``float('inf')`` for NO_ANSWER. A LIVE/MACHINE draw larger than the ring
    timeout is a no-answer: the driver compares, the model does not know the timeout.
    ``talk_time``: seconds a person talks once connected to an agent (for MACHINE: the length
    of the greeting). ``patience``: seconds a person waits in silence after answering before
    hanging up.
    """

    kind: CalleeKind
    answer_after: float
    talk_time: float
    patience: float
