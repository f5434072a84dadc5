"""No second prerecorded call to a number whose person hung up on the first (NRS 597.814(2)(b)).

Nevada: "A person shall not operate a device for automatic dialing and announcing to place
... (b) A call-back or second call to the same telephone number, if a person at the
telephone number terminated the original call." The statute sets no period, so the rule
looks back as far as call records are kept (5 years, ``RETENTION``), across every campaign
of this dialer (the same operator), at every earlier call of a prerecorded campaign to the
number.

Who ended a call is in the attempt record (``hangup_side``, from FreeSWITCH's
``variable_sip_hangup_disposition``: ``recv_bye`` when the far end hung up, ``send_bye``
when the switch did; esl-captures/real-fs 02 and 06). ``called_party_may_have_ended`` reads
it for an answered call: ``dialer`` (the switch hung up: the message played to its end,
the agent left, the dialer's own hang-up) was not ended by the person; ``callee`` was.
Where the switch did not say (``unknown``: a loopback channel, a record older than the
field, a call the dialer closed without the switch's word) the record is read the strict
way, as before: only a call whose message the switch confirmed it played to its end
(``message_outcome`` ``played``: the switch hangs up after it) or that was never answered
nor rejected was ended by the dialer or the network; every other answered call, a rejected
one and one not ended yet count as ended by the person (fail closed; docs/compliance.md,
"Nevada")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from dnc.rules import stamps
from dnc.rules.base import RuleContext, failed, passed
from dnc.rules.model import RuleOutcome

RETENTION = timedelta(days=1827)
"""How far back an earlier call is looked for: call records are kept at least 5 years
(``campaigns.compliance_settings.RETENTION_MIN_DAYS``); the statute sets no period."""
SECOND_CALL_AFTER_HANG_UP = {
    "NV": "NRS 597.814(2)(b) (no call-back or second call by a device for automatic dialing "
          "and announcing to a number whose person terminated the original call)",
}
"""States that forbid a second prerecorded call after a hang-up, with their citation (the
review's NV row, ../shared/reference/compliance-review.md)."""
PLAYED = "played"
"""``message_outcome`` of a message the switch played to its end (it hangs up after it):
the attempt record's word (``AttemptFinished.message``), not the engine's ``completed``."""
REJECTED = "CALL_REJECTED"
CALLEE, DIALER = "callee", "dialer"
"""``hangup_side`` values (``dialer.hangup.HangupSide``): the far end hung up, or this
switch did. Anything else (``unknown``, None on older rows) says nothing."""


def called_party_may_have_ended(*, ended: bool, answered: bool, message: str | None,
                                cause: str | None, side: str | None) -> bool:
    """Whether a person at the number ended the call, or may have: the record's reading
    for NRS 597.814(2)(b). Unknown counts as ended by the person (fail closed).

    ``side`` decides an answered call when the switch named it. Before an answer it does
    not: the far end's refusal (``recv_refuse``) is how busy lines, unallocated numbers and
    congestion arrive too (capture 04a), so the cause tells a person's refusal apart."""
    if not ended:
        return True  # in progress, or its end never recorded
    if answered:
        if side == DIALER:
            return False  # this switch sent the BYE: the person was still on the line
        if side == CALLEE:
            return True
        return message != PLAYED
    return cause == REJECTED  # declined while ringing


@dataclass(frozen=True, slots=True)
class SecondCallAfterHangUpRule:
    """A prerecorded call to a number is refused when an earlier prerecorded call to it, in
    any campaign, was ended by the called party (or may have been)."""

    state: str
    rule_id: str = ""
    title: str = ""
    citation: str = ""
    lookback: timedelta = RETENTION

    def __post_init__(self) -> None:
        object.__setattr__(self, "rule_id", f"state.{self.state}.prerecorded.second_call")
        object.__setattr__(self, "title", f"{self.state}: no second prerecorded call after "
                           "the called party hung up")
        object.__setattr__(self, "citation", SECOND_CALL_AFTER_HANG_UP[self.state])

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        if not context.campaign.prerecorded:
            return passed(self, at, "no recorded message")
        number = context.lead.number_e164
        ended = [a for a in context.attempts if a.prerecorded_hang_up
                 and a.number_e164 == number and a.at <= at]
        if not ended:
            return passed(self, at, "no earlier prerecorded call to this number ended by the "
                          "called party")
        last = max(ended, key=lambda attempt: attempt.at)
        return failed(self, f"the prerecorded call of {stamps.minute(last.at)} UTC "
                      f"({last.campaign or 'a campaign'}) to this number was ended by the "
                      "called party, or the record does not say it was not: no second "
                      "prerecorded call", None)
