"""Consent records given in code (``CampaignStore.add_leads``), read as a file's consent
column is read (``campaigns.consent_dates``), so the two ways in give one meaning."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from campaigns.consent_dates import given_instant
from campaigns.consent_sellers import seller_problem
from campaigns.errors import LeadImportError

if TYPE_CHECKING:
    from campaigns.leads import LeadInput


def given_consents(rows: list[LeadInput], where: str
                    ) -> tuple[list[list[Any]], list[tuple[str, date]]]:
    """Each lead's consent records with ``given_at`` read as a file's consent cell is
    (``consent_dates.given_instant``): a date alone counts from the end of that date, its
    date kept as ``dated``; one that names no instant refuses the whole call, nothing
    stored. Before, ``given_at = "2025-04-03"`` was stored as written and read as no
    consent at every dial, without a word. Also (lead phone, date) of the date-only ones."""
    out: list[list[Any]] = []
    date_only: list[tuple[str, date]] = []
    for index, lead in enumerate(rows):
        records: list[Any] = []
        for record in lead.consent:
            if not isinstance(record, Mapping):
                raise LeadImportError(f"lead {index + 1} ({lead.phone}): a consent record "
                                      f"is a mapping of kind, given_at, ..., got {record!r}",
                                      path=where, field="consent")
            record = dict(record)
            if record.get("given_at") is not None:
                try:
                    instant, day = given_instant(record["given_at"])
                except ValueError as error:
                    raise LeadImportError(f"lead {index + 1} ({lead.phone}): consent "
                                          f"given_at {error}", path=where,
                                          field="consent.given_at") from None
                record["given_at"] = instant.isoformat()
                if day is not None:
                    record["dated"] = day.isoformat()
                    source = record.get("source") or "api"
                    record["source"] = f"{source}, dated {day} without a time of day"
                    date_only.append((lead.phone, day))
            records.append(record)
        out.append(records)
    return out, date_only


def refuse_other_sellers(rows: list[LeadInput], consents: list[list[Any]], where: str,
                         campaign_seller: str, known: list[str]) -> None:
    """The first consent record whose ``seller`` is not the campaign's refuses the whole
    call, nothing stored, as a file's ``consent_seller`` does (``consent_sellers``); the
    caller passes ``new_seller=True`` to keep consents for another seller on record.
    Before, ``add_leads`` stored them, and they never counted for the campaign's calls."""
    checked: set[str] = set()
    for index, records in enumerate(consents):
        for record in records:
            seller = record.get("seller")
            if not isinstance(seller, str) or not seller or seller in checked:
                continue
            checked.add(seller)
            problem = seller_problem(seller, campaign_seller, known, "new_seller=True")
            if problem is not None:
                raise LeadImportError(f"lead {index + 1} ({rows[index].phone}): {problem}",
                                      path=where, field="consent.seller")
