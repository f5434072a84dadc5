"""Carriers and caller IDs as the engine gets them: the store's gateways turned into the
router's ``GatewaySpec``s, the campaign's caller IDs into a ``CallerIdPool``.

One job: translate (and so validate) configuration. ``dialer gateway add/edit`` builds the
same ``GatewaySpec`` before it stores anything, so a gateway the router would refuse is never
stored, and the runner refuses to start on one written by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from dialer.engine.caller_ids import CallerIdNumber, CallerIdPolicy, CallerIdPool
from dialer.engine.gateways import (
    GatewayConfigError,
    GatewayRouter,
    GatewaySpec,
    HealthThresholds,
    Rate,
)

if TYPE_CHECKING:
    from campaigns.gateways import RateRow
    from campaigns.models import Gateway
    from campaigns.settings import CampaignSettings
    from campaigns.store import CampaignStore
    from dialer.alerts import Reading

HEALTH_KEYS = tuple(HealthThresholds.__dataclass_fields__)
VARIABLE_PLACEHOLDERS = ("caller_id", "attestation")

MAX_CHANNELS = 10_000
"""A gateway's calls at once: one trunk of one switch. FreeSWITCH ships with max-sessions
1000 (switch.conf.xml) and its busiest hosts are run at a few thousand calls, so a trunk of
more than 10,000 channels on one switch is a typo (an extra zero or three), not a carrier."""
MAX_CPS = 1_000
"""A gateway's calls per second: carriers sell dialer trunks at 1 to a few hundred, and
FreeSWITCH ships with sessions-per-second 30; 1,000 a second is 3.6 million attempts an
hour through one trunk."""
MAX_PRIORITY = 1_000
"""Priority only orders a switch's few gateways of equal cost (lower first): 0 to 1,000."""


def limit_problems(name: str, channels: Any, cps: Any, priority: Any) -> list[str]:
    """What is wrong with a gateway's stated limits and priority, one phrase each (empty:
    nothing). Checked wherever a gateway is read: ``gateway add/edit``, the runner's start
    and ``doctor`` (a row stored before the bounds is named with its repair)."""
    problems = []
    for option, value, low, high in (("channels", channels, 1, MAX_CHANNELS),
                                     ("cps", cps, 1, MAX_CPS),
                                     ("priority", priority, 0, MAX_PRIORITY)):
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            problems.append(f"--{option} {value!r} is outside {low}-{high:,}")
    if problems:
        return [f"gateway {name}: {'; '.join(problems)} (channels: calls at once the trunk "
                f"carries, at most {MAX_CHANNELS:,} on one switch; cps: calls per second "
                f"the carrier accepts, at most {MAX_CPS:,}; priority: 0 is preferred, "
                f"at most {MAX_PRIORITY:,}; docs/carriers.md)"]
    return []


def health_thresholds(values: Mapping[str, Any]) -> HealthThresholds:
    """Thresholds from stored or typed ``KEY=VALUE`` pairs (unknown keys refused)."""
    unknown = sorted(set(values) - set(HEALTH_KEYS))
    if unknown:
        raise GatewayConfigError(f"health: unknown setting {', '.join(unknown)}; known: "
                                 f"{', '.join(HEALTH_KEYS)}")
    typed: dict[str, Any] = {}
    for key, value in values.items():
        kind = HealthThresholds.__dataclass_fields__[key].type
        try:
            typed[key] = int(value) if kind == "int" else float(value)
        except (TypeError, ValueError):
            raise GatewayConfigError(f"health: {key}={value!r} is not a number") from None
    return HealthThresholds(**typed)


def gateway_spec(row: Gateway, rates: Sequence[RateRow]) -> GatewaySpec:
    """The router's view of a stored gateway (raises ``GatewayConfigError``)."""
    if problems := limit_problems(row.name, row.channels, row.cps, row.priority):
        raise GatewayConfigError(problems[0])
    for name, template in (row.variables or {}).items():
        import re

        for placeholder in re.findall(r"\{([^{}]*)\}", str(template)):
            if placeholder not in VARIABLE_PLACEHOLDERS:
                raise GatewayConfigError(
                    f"gateway {row.name}: variable {name}: unknown placeholder "
                    f"{{{placeholder}}} (known: {', '.join(VARIABLE_PLACEHOLDERS)})")
    try:
        return GatewaySpec(
            row.name, row.switch, row.channels, row.cps, row.priority,
            tuple(Rate(r.prefix, r.cost_per_minute, r.first_increment, r.next_increment)
                  for r in rates),
            row.dial_string, dict(row.variables or {}), health_thresholds(row.health or {}),
            row.enabled)
    except (KeyError, IndexError, ValueError) as error:
        raise GatewayConfigError(f"gateway {row.name}: dial string: {error}") from None


def load_router(store: CampaignStore, switch_ids: Sequence[str]) -> GatewayRouter | None:
    """The router over the gateways of these switches; None when none is configured
    (calls then go out through ``dialer run --gateway``)."""
    from campaigns.gateways import gateway_rates, gateways

    rows = gateways(store, switch_ids)
    if not rows:
        return None
    return GatewayRouter([gateway_spec(row, gateway_rates(store, row.id))  # type: ignore[arg-type]
                          for row in rows])


@lru_cache(maxsize=65536)
def state_of(number_e164: str) -> str | None:
    """The state or province the numbering plan places a number in (its exchange's, else
    its area code's: ``dnc.numbering``, the compliance rules' answer), for local presence."""
    from dnc.numbering import number_state

    return number_state(number_e164)


@lru_cache(maxsize=1024)
def area_prefix(number_e164: str) -> str:
    """E.164 digits of the number's geographic area (``1201``, ``4420``); empty when it
    has none (mobile, toll-free, non-geographic)."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number_e164, None)
    except phonenumbers.NumberParseException:
        return ""
    length = phonenumbers.length_of_geographical_area_code(parsed)
    if length <= 0:
        return ""
    national = phonenumbers.national_significant_number(parsed)
    return f"{parsed.country_code}{national[:length]}"


def caller_id_pool(settings: CampaignSettings, used_today: Mapping[str, int],
                   now: float) -> CallerIdPool:
    numbers = [CallerIdNumber(number, area_prefix(number), state_of(number) or "",
                              settings.caller_id_caps.get(number),
                              settings.caller_id_attestation.get(number, ""))
               for number in settings.caller_ids]
    return CallerIdPool(numbers, CallerIdPolicy(settings.caller_id_policy),
                        daily_cap=settings.caller_id_daily_cap, used_today=used_today,
                        today=now, state_of=state_of)


def caller_id_usage_today(store: CampaignStore, campaign_id: int, now: float
                          ) -> dict[str, int]:
    """Calls each caller ID showed since the start of this UTC day (all processes), as
    the engine counts them: once per attempt that reached the network.

    A leg closed ``NOT_SENT`` never left the switch (a dial never sent, or one the switch
    refused before any channel: a gateway down): it showed its caller ID to nobody. An
    attempt is counted at its first leg that was not so closed (the first leg, or a
    failover whose refused leg was), so a gateway down before a failover does not lose
    the call the next gateway made. A leg still open counts (fail closed)."""
    from campaigns.journal import NOT_SENT_CAUSE
    from campaigns.models import CallAttempt

    start = datetime.fromtimestamp(now - now % 86400.0, tz=UTC)
    refused = sa.orm.aliased(CallAttempt)
    with store.read_session() as session:
        rows = session.execute(
            sa.select(CallAttempt.caller_id, sa.func.count())
            .outerjoin(refused, refused.call_uuid == CallAttempt.failover_of)
            .where(CallAttempt.campaign_id == campaign_id, CallAttempt.dialed_at >= start,
                   CallAttempt.caller_id.is_not(None),
                   sa.or_(CallAttempt.hangup_cause.is_(None),
                          CallAttempt.hangup_cause != NOT_SENT_CAUSE),
                   sa.or_(CallAttempt.failover_of.is_(None),
                          refused.hangup_cause == NOT_SENT_CAUSE))
            .group_by(CallAttempt.caller_id))
        return {number: count for number, count in rows}


def gateway_readings(router: GatewayRouter, now: float) -> list[Reading]:
    """The gateways' health as alert readings (``dialer.alerts``): in service or not, and
    each figure against its threshold once the window holds enough calls to judge (an
    unknown figure neither raises nor clears an alert)."""
    from dialer.alerts import Reading
    from dialer.engine.gateways import GatewayHealth

    readings: list[Reading] = []
    for figures in router.figures(now):
        limits = router.thresholds(figures.switch_id, figures.gateway)
        subject = f"gateway {figures.gateway} ({figures.switch_id})"
        base = f"gateway/{figures.switch_id}/{figures.gateway}/"
        if figures.state is not GatewayHealth.DISABLED:
            in_service = 1.0 if figures.state is GatewayHealth.HEALTHY else 0.0
            readings.append(Reading(base + "in_service", subject, "in service", in_service,
                                    1.0, False))
        judged = figures.calls_in_window >= limits.min_calls
        for key, measure, value, threshold, above, unit in (
            ("asr", "answer-seizure ratio", figures.asr, limits.min_asr, False, "%"),
            ("carrier_failures", "carrier failures", figures.carrier_failure_ratio,
             limits.max_carrier_failures, True, "%"),
            ("post_dial_delay", "post-dial delay", figures.post_dial_delay,
             limits.max_post_dial_delay, True, "s"),
            ("short_calls", "short calls", figures.short_call_ratio, limits.max_short_calls,
             True, "%"),
        ):
            readings.append(Reading(base + key, subject, measure,
                                    value if judged else None, threshold, above, unit))
    return readings
