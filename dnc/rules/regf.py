"""CFPB Regulation F (12 CFR 1006): call frequency and inconvenient times for debt collection.

12 CFR 1006.14(b)(2) presumes compliance when a collector calls *a particular person* about
a particular debt at most seven times within seven consecutive days, and not within seven
days after a telephone conversation with that person about it; the telephone numbers used do
not matter. So the attempts counted are those to every number of the person (the lead's
``contact_id``; without one, the dialled number is all the rules know), per debt.

"Seven consecutive days" is read both ways and the stricter wins: rolling 7 x 24 h, and the
seven local calendar days ending with the day of the call in every candidate zone (a week
that contains the autumn clock change lasts 169 hours, so 8 calls can fit in 7 calendar days
with no 168-hour window holding 8). The conversation's date is day 1 of its 7-day period
(1006.14(b)(2)(i)(B)): the next call waits for both 7 x 24 h and local midnight of day 8.
Every attempt counts, including those the rule would exclude (calls that did not connect,
(b)(3)): never looser.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from dnc.rules import stamps
from dnc.rules.base import AttemptLimitRule, CallingHoursRule, RuleContext, failed, passed
from dnc.rules.calendar import WeeklyWindow
from dnc.rules.model import RuleOutcome

SEVEN_DAYS = timedelta(days=7)

REG_F_HOURS = CallingHoursRule(
    rule_id="reg_f.inconvenient_time",
    title="No calls before 08:00 or after 21:00 consumer's local time",
    citation="12 CFR 1006.6(b)(1)(i); 15 U.S.C. 1692c(a)(1)",
    window=WeeklyWindow.daily(time(8), time(21)),
)

REG_F_SEVEN_IN_SEVEN = AttemptLimitRule(
    rule_id="reg_f.seven_in_seven",
    title="At most 7 call attempts to a person per debt in 7 consecutive days",
    citation="12 CFR 1006.14(b)(2)(i)(A)",
    max_calls=7, window=SEVEN_DAYS, per_person=True, per_debt=True, local_days=7,
)


@dataclass(frozen=True, slots=True)
class AfterConversationRule:
    """No call about a debt within 7 days after a telephone conversation about that debt."""

    rule_id: str = "reg_f.after_conversation"
    title: str = "No call within 7 days after a conversation with the person about the debt"
    citation: str = "12 CFR 1006.14(b)(2)(i)(B)"
    lookback: timedelta = timedelta(days=8, hours=2)

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        lead = context.lead
        debt = lead.debt_id
        talks = [a for a in context.attempts if a.conversation and a.at <= at
                 and (lead.contact_id is not None or a.number_e164 == lead.number_e164)
                 and (debt is None or a.debt_id in (None, debt))]
        blocked = [(a, _period_end(a.at, context)) for a in talks]
        blocked = [(a, end) for a, end in blocked if at < end]
        if not blocked:
            return passed(self, at, "no conversation about this debt in the last 7 days")
        last, end = max(blocked, key=lambda pair: pair[1])
        who = f"person {lead.contact_id!r}" if lead.contact_id else "this number"
        return failed(self, f"conversation with {who} about debt {debt!r} at "
                      f"{stamps.minute(last.at)} UTC", end)


def _period_end(conversation: datetime, context: RuleContext) -> datetime:
    """The end of the 7-day period that starts with the conversation's date (day 1), in
    every candidate zone, and never before 7 x 24 h after it."""
    end = conversation + SEVEN_DAYS
    for zone in context.zones:
        day = conversation.astimezone(zone).date() + SEVEN_DAYS
        end = max(end, datetime.combine(day, time(0), tzinfo=zone))
    return end.astimezone(UTC)


def reg_f_rules() -> tuple:
    return (REG_F_HOURS, REG_F_SEVEN_IN_SEVEN, AfterConversationRule())
