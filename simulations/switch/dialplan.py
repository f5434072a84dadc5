"""The captures' test dialplan as a callee model: the called number says what happens.

The real FreeSWITCH captures (tests/fixtures/esl/real-fs/README.md) were recorded against a
dialplan context ``callees`` that plays a simulated person chosen by the last four digits
``XYZZ`` of the number (Y = seconds of ringing or delay, ZZ = seconds):

====  =====================================================================================
X     behaviour
====  =====================================================================================
0     human: rings Y s, answers, talks ZZ s, hangs up NORMAL_CLEARING (ZZ = 00: stays)
1     answering machine: rings Y s, greeting ZZ s, a 1000 Hz beep, 30 s silence, hangs up
2     no answer: rings until the caller gives up
3     busy after Y s (USER_BUSY)
4     unallocated: early media (SIT tones) after Y s, then UNALLOCATED_NUMBER
5     congestion after Y s (NORMAL_CIRCUIT_CONGESTION)
6     rejected after Y s (CALL_REJECTED)
7     dead air: answers after Y s and stays silent
9     ``9ABC``: answers at once, sends digit C after 1 s, digits A and B a second later
====  =====================================================================================

and ``emYZZ`` pre-answers at once with ringback as early media for Y s, then answers and
talks ZZ s. ``number_plan_fates`` makes the simulator follow the same plan, so each capture's
commands can be replayed against it and the two event sequences compared; numbers outside
the plan fall back to another fate source (the population model).
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass

from simulations.population import CalleeFate, CalleeKind
from simulations.switch.fates import FateSource, default_fate_source

_PLAN = re.compile(r"(\d)(\d)(\d\d)$")
_EARLY = re.compile(r"em(\d)(\d\d)$")
_DTMF = re.compile(r"9(\w)(\w)(\w)$")


@dataclass(frozen=True, slots=True)
class ScriptedCallee:
    """A callee whose behaviour is fully written down (the test dialplan's people).

    Extends ``CalleeFate``'s fields with what a population draw never needs: the failure
    cause, whether and when early media starts, whether the far end rings (180) at all, and
    digits the callee sends (seconds after the answer).
    """

    kind: CalleeKind
    answer_after: float
    talk_time: float
    patience: float
    cause: str | None = None
    early_media_after: float | None = None
    rings: bool = True
    dtmf: tuple[tuple[float, str], ...] = ()


def plan_for(destination: str) -> ScriptedCallee | None:
    """The scripted callee of a dialled number, or None when the number is not in the plan."""
    early = _EARLY.search(destination)
    if early:
        ring, talk = int(early.group(1)), int(early.group(2))
        return ScriptedCallee(CalleeKind.LIVE, float(ring), float(talk or math.inf),
                              float(talk or math.inf), early_media_after=0.0, rings=False)
    digits = re.sub(r"\D", "", destination)
    if len(digits) < 4:
        return None
    dtmf = _DTMF.search(destination)
    if dtmf and digits[-4] == "9":
        first, second, last = dtmf.group(1), dtmf.group(2), dtmf.group(3)
        return ScriptedCallee(CalleeKind.LIVE, 0.0, math.inf, math.inf, rings=False,
                              dtmf=((1.0, last), (2.0, first + second)))
    match = _PLAN.search(digits)
    if match is None:
        return None
    kind, delay, seconds = int(match.group(1)), float(match.group(2)), float(match.group(3))
    lasting = seconds or math.inf
    if kind == 0:
        return ScriptedCallee(CalleeKind.LIVE, delay, lasting, lasting)
    if kind == 1:
        return ScriptedCallee(CalleeKind.MACHINE, delay, seconds, math.inf)
    if kind == 2:
        return ScriptedCallee(CalleeKind.NO_ANSWER, math.inf, 0.0, 0.0)
    if kind == 3:
        return ScriptedCallee(CalleeKind.BUSY, delay, 0.0, 0.0, "USER_BUSY", rings=False)
    if kind == 4:
        return ScriptedCallee(CalleeKind.FAILED, delay + 1.0, 0.0, 0.0, "UNALLOCATED_NUMBER",
                              early_media_after=delay, rings=False)
    if kind == 5:
        return ScriptedCallee(CalleeKind.FAILED, delay, 0.0, 0.0, "NORMAL_CIRCUIT_CONGESTION",
                              rings=False)
    if kind == 6:
        return ScriptedCallee(CalleeKind.FAILED, delay, 0.0, 0.0, "CALL_REJECTED", rings=False)
    if kind == 7:
        return ScriptedCallee(CalleeKind.LIVE, delay, math.inf, math.inf)
    return None


class NumberPlanFates:
    """A fate source that follows the test dialplan for numbers in it, ``fallback`` else."""

    def __init__(self, fallback: FateSource | None = None) -> None:
        self.fallback = fallback or default_fate_source()

    def __call__(self, rng: random.Random) -> CalleeFate:
        return self.fallback(rng)

    def fate_for(self, destination: str, rng: random.Random) -> CalleeFate | ScriptedCallee:
        return plan_for(destination) or self.fallback(rng)


def number_plan_fates(fallback: FateSource | None = None) -> NumberPlanFates:
    return NumberPlanFates(fallback)
