"""Plain-data edges of the engine for drivers that must not be imported here.

The live runner's compliance gate holds a ``DialTarget`` whose ``attributes`` are strings
(lead fields the store copied). ``lead_facts_from_attributes`` turns them into ``LeadFacts``
and ``verdict_parts`` turns a ``Decision`` into the (allowed, reasons, versions) triple a
gate verdict carries, so the runner can wrap the engine without ``dnc`` importing ``dialer``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime

from dnc.errors import ComplianceError
from dnc.rules.model import ConsentKind, ConsentRecord, Decision, LeadFacts


def _time(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise ComplianceError(f"lead attribute {field}={value!r} is not an ISO time") from error
    if moment.tzinfo is None:
        raise ComplianceError(f"lead attribute {field}={value!r} has no UTC offset")
    return moment


def _consents(text: str | None) -> tuple[ConsentRecord, ...]:
    if not text:
        return ()
    try:
        records = json.loads(text)
        return tuple(ConsentRecord(
            kind=ConsentKind(r["kind"]), given_at=_time(r["given_at"], "consent.given_at"),
            expires_at=_time(r.get("expires_at"), "consent.expires_at"),
            revoked_at=_time(r.get("revoked_at"), "consent.revoked_at"),
            source=str(r.get("source", "")),
            dated=date.fromisoformat(r["dated"]) if r.get("dated") else None) for r in records)
    except (ValueError, KeyError, TypeError) as error:
        raise ComplianceError(f"lead attribute consent is not a JSON list of consent records "
                              f"(kind, given_at[, expires_at, revoked_at, source, dated]): "
                              f"{error}") from error


def lead_facts_from_attributes(number_e164: str, attributes: Mapping[str, str],
                               lead_id: str | None = None) -> LeadFacts:
    """``LeadFacts`` from string attributes: timezone (one IANA name; a comma-separated list
    of candidates is left to inference), state, postal_code, debt_id, subject, wireless
    (true/false), ebr_last_transaction, ebr_last_inquiry (ISO) and consent (JSON list)."""
    zone = attributes.get("time_zone") or attributes.get("timezone") or None
    wireless_text = (attributes.get("wireless") or "").lower()
    return LeadFacts(
        number_e164=number_e164,
        time_zone=zone if zone and "," not in zone else None,
        state=attributes.get("state") or None,
        postal_code=attributes.get("postal_code") or None,
        consents=_consents(attributes.get("consent")),
        ebr_last_transaction=_time(attributes.get("ebr_last_transaction"),
                                   "ebr_last_transaction"),
        ebr_last_inquiry=_time(attributes.get("ebr_last_inquiry"), "ebr_last_inquiry"),
        wireless={"true": True, "yes": True, "1": True, "false": False, "no": False,
                  "0": False}.get(wireless_text),
        debt_id=attributes.get("debt_id") or None,
        subject=attributes.get("subject") or None,
        lead_id=lead_id,
    )


def verdict_parts(decision: Decision) -> tuple[bool, tuple[str, ...], tuple[str, ...]]:
    """(allowed, reasons, registry versions): failing rules as "rule: reason" when refused,
    the permissions relied on when allowed."""
    if decision.allowed:
        # ``Decision.permissions``, by field index (the path of every allowed dial)
        return True, tuple([o[5] for o in decision.outcomes if o[5]]), \
            decision.registry_versions
    # ``Decision.reasons``, by field index; the reason read as a property (a lazy one is
    # built then)
    reasons = tuple([f"{o[0]}: {o.reason}" for o in decision.outcomes if not o[1]])
    if decision.earliest_allowed is not None:
        reasons += (f"earliest-allowed: {decision.earliest_allowed.isoformat()}",)
    return False, reasons, decision.registry_versions
