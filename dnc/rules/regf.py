"""CFPB Regulation F (12 CFR 1006): call frequency and inconvenient times for debt collection.

12 CFR 1006.14(b)(2) presumes compliance when a collector calls about a debt at most seven
times within seven consecutive days and not within seven days after a telephone conversation
about it. The windows here are rolling 7 x 24 h, which contains every calendar-day reading
of "seven consecutive days", so it is never looser. Attempts are counted per debt among the
calls to this number (the attempt history is per number).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

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
    title="At most 7 call attempts per debt in 7 consecutive days",
    citation="12 CFR 1006.14(b)(2)(i)(A)",
    max_calls=7, window=SEVEN_DAYS, scope="debt",
)


@dataclass(frozen=True, slots=True)
class AfterConversationRule:
    """No call about a debt within 7 days after a telephone conversation about that debt."""

    rule_id: str = "reg_f.after_conversation"
    title: str = "No call within 7 days after a conversation about the debt"
    citation: str = "12 CFR 1006.14(b)(2)(i)(B)"
    lookback: timedelta = SEVEN_DAYS

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        debt = context.lead.debt_id
        talks = [a for a in context.attempts if a.conversation
                 and (debt is None or a.debt_id in (None, debt)) and at - SEVEN_DAYS < a.at <= at]
        if not talks:
            return passed(self, at, "no conversation about this debt in the last 7 days")
        last = max(talks, key=lambda attempt: attempt.at)
        return failed(self, f"conversation about debt {debt!r} at {last.at:%Y-%m-%d %H:%M} UTC",
                      last.at + SEVEN_DAYS)


def reg_f_rules() -> tuple:
    return (REG_F_HOURS, REG_F_SEVEN_IN_SEVEN, AfterConversationRule())
