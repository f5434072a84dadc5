"""Carrier gateways in the campaign store: their settings and cost tables.

A gateway is a SIP trunk configured on one switch (``host:port`` of its event socket, as
``dialer run --switch`` names it): channels, calls per second, priority, a dial string,
channel variables (e.g. the STIR/SHAKEN headers the carrier expects) and health thresholds.
Its cost table comes from a CSV file (``prefix,cost_per_minute,increments``); a file with
any bad row is refused whole, every bad row named with its file, line and field, and the
table is replaced in one transaction (never half a table).

The settings are validated by the caller (``dialer.cli_gateways`` builds the router's own
``GatewaySpec`` from them first); this module stores, reads and parses.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import select

from campaigns.errors import CampaignError
from campaigns.models import Gateway, GatewayRate, utcnow

if TYPE_CHECKING:
    from campaigns.store import CampaignStore

MAX_RATE_ROWS = 200_000
_HEADER_NAMES = {
    "prefix": "prefix", "cost_per_minute": "cost", "cost": "cost", "rate": "cost",
    "increments": "increments", "billing_increments": "increments", "increment": "increments",
    "billing": "increments",
}


class GatewayError(CampaignError):
    """A gateway that does not exist, exists already, or a setting that is not valid."""


class RateFileError(GatewayError):
    """A cost table with bad rows (every one named with file, line and field)."""


@dataclass(frozen=True, slots=True)
class RateRow:
    prefix: str
    cost_per_minute: float
    first_increment: int
    next_increment: int


def parse_increments(text: str) -> tuple[int, int]:
    """``60/60``, ``6/6``, ``30/6`` or ``60`` (= 60/60) → (first, next) seconds."""
    parts = text.strip().split("/")
    if len(parts) > 2 or not all(p.strip().isdigit() for p in parts):
        raise ValueError(f"{text!r} is not FIRST/NEXT seconds like 60/60 or 6/6")
    first, nxt = int(parts[0]), int(parts[-1])
    if first < 1 or nxt < 1 or first > 3600 or nxt > 3600:
        raise ValueError(f"{text!r}: increments are 1 to 3600 seconds")
    return first, nxt


def parse_rates(text: str, source: str) -> list[RateRow]:
    """The rows of a cost table, or ``RateFileError`` naming every bad row.

    Columns (a header row is required, names in any case and order): ``prefix`` (E.164
    digits, a leading ``+`` allowed), ``cost_per_minute`` (a number >= 0) and ``increments``
    (``60/60``, ``6/6``...; optional, 60/60 when the column is absent). Blank lines and
    lines starting with ``#`` are skipped."""
    if "\x00" in text:
        raise RateFileError(f"{source}: a binary file, not a CSV cost table")
    rows = list(csv.reader(io.StringIO(text)))
    problems: list[str] = []
    header_at = next((i for i, row in enumerate(rows)
                      if any(c.strip() for c in row) and not row[0].lstrip().startswith("#")),
                     None)
    if header_at is None:
        raise RateFileError(f"{source}: empty: a header prefix,cost_per_minute,increments "
                            "and one row per prefix are needed")
    columns: dict[str, int] = {}
    for index, name in enumerate(rows[header_at]):
        key = _HEADER_NAMES.get(name.strip().lower().replace(" ", "_"))
        if key is None:
            problems.append(f"{source}:{header_at + 1}: header: unknown column {name!r} "
                            "(expected prefix, cost_per_minute, increments)")
        elif key in columns:
            problems.append(f"{source}:{header_at + 1}: header: column {name!r} twice")
        else:
            columns[key] = index
    for needed in ("prefix", "cost"):
        if needed not in columns:
            problems.append(f"{source}:{header_at + 1}: header: no "
                            f"{'prefix' if needed == 'prefix' else 'cost_per_minute'} column")
    if problems:
        raise RateFileError("; ".join(problems))
    out: list[RateRow] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[header_at + 1:], start=header_at + 2):
        if not any(c.strip() for c in row) or row[0].lstrip().startswith("#"):
            continue
        if len(row) > len(rows[header_at]):
            problems.append(f"{source}:{number}: {len(row)} fields, the header has "
                            f"{len(rows[header_at])}")
            continue

        def cell(key: str, row: list[str] = row) -> str:
            index = columns.get(key)
            return row[index].strip() if index is not None and index < len(row) else ""

        prefix = cell("prefix").lstrip("+")
        if not prefix.isdigit() or len(prefix) > 15:
            problems.append(f"{source}:{number}: prefix: {cell('prefix')!r} is not 1 to 15 "
                            "digits")
            continue
        if prefix in seen:
            problems.append(f"{source}:{number}: prefix: {prefix} already on line "
                            f"{seen[prefix]}")
            continue
        try:
            cost = float(cell("cost"))
            if not math.isfinite(cost) or cost < 0:
                raise ValueError
        except ValueError:
            problems.append(f"{source}:{number}: cost_per_minute: {cell('cost')!r} is not a "
                            "number >= 0")
            continue
        try:
            first, nxt = parse_increments(cell("increments") or "60/60")
        except ValueError as error:
            problems.append(f"{source}:{number}: increments: {error}")
            continue
        seen[prefix] = number
        out.append(RateRow(prefix, cost, first, nxt))
    if problems:
        shown = problems[:25]
        more = f"; and {len(problems) - 25} more" if len(problems) > 25 else ""
        raise RateFileError(f"{len(problems)} bad row{'s' if len(problems) > 1 else ''}, "
                            "nothing imported: " + "; ".join(shown) + more)
    if not out:
        raise RateFileError(f"{source}: no rate rows after the header")
    if len(out) > MAX_RATE_ROWS:
        raise RateFileError(f"{source}: {len(out)} rows, more than {MAX_RATE_ROWS}")
    return out


def read_rates(path: Path) -> list[RateRow]:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise RateFileError(f"{path}: {error.strerror or error}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RateFileError(f"{path}: not UTF-8 text (a CSV cost table is)") from None
    return parse_rates(text, str(path))


# --- the store ------------------------------------------------------------------------------


def _find(session: Any, switch: str, name: str) -> Gateway | None:
    return session.exec(select(Gateway).where(Gateway.switch == switch,
                                              Gateway.name == name)).first()


def _matching(session: Any, name: str, switch: str | None) -> Gateway:
    query = select(Gateway).where(Gateway.name == name)
    if switch is not None:
        query = query.where(Gateway.switch == switch)
    found = list(session.exec(query))
    if not found:
        where = f" on switch {switch}" if switch else ""
        raise GatewayError(f"no gateway {name!r}{where} (see `dialer gateway list`)")
    if len(found) > 1:
        switches = ", ".join(sorted(g.switch for g in found))
        raise GatewayError(f"gateway {name!r} exists on several switches ({switches}): "
                           "name one with --switch")
    return found[0]


def add_gateway(store: CampaignStore, values: dict[str, Any],
                rates: Sequence[RateRow] | None = None, rates_source: str | None = None,
                *, at: datetime | None = None) -> Gateway:
    """Store a new gateway (and its cost table) in one transaction."""
    now = at or utcnow()
    with store.session() as session:
        if _find(session, values["switch"], values["name"]) is not None:
            raise GatewayError(f"gateway {values['name']!r} already exists on switch "
                               f"{values['switch']} (change it with `dialer gateway edit`)")
        row = Gateway(**values, rates_source=rates_source, created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        if rates is not None:
            _replace_rates(session, row.id, rates)  # type: ignore[arg-type]
        session.commit()
        session.refresh(row)
        return row


def edit_gateway(store: CampaignStore, name: str, switch: str | None,
                 changes: dict[str, Any], rates: Sequence[RateRow] | None = None,
                 rates_source: str | None = None, *, at: datetime | None = None) -> Gateway:
    with store.session() as session:
        row = _matching(session, name, switch)
        for key, value in changes.items():
            setattr(row, key, value)
        if rates is not None:
            _replace_rates(session, row.id, rates)  # type: ignore[arg-type]
            row.rates_source = rates_source
        row.updated_at = at or utcnow()
        session.add(row)
        session.commit()
        session.refresh(row)
        return row


def _replace_rates(session: Any, gateway_id: int, rates: Sequence[RateRow]) -> None:
    from sqlalchemy import delete, insert

    session.execute(delete(GatewayRate).where(GatewayRate.gateway_id == gateway_id))
    if rates:
        session.execute(insert(GatewayRate), [
            {"gateway_id": gateway_id, "prefix": r.prefix, "cost_per_minute": r.cost_per_minute,
             "first_increment": r.first_increment, "next_increment": r.next_increment}
            for r in rates])


def gateway(store: CampaignStore, name: str, switch: str | None = None) -> Gateway:
    with store.read_session() as session:
        return _matching(session, name, switch)


def gateways(store: CampaignStore, switches: Sequence[str] | None = None) -> list[Gateway]:
    with store.read_session() as session:
        query = select(Gateway).order_by(Gateway.switch, Gateway.name)
        if switches is not None:
            query = query.where(Gateway.switch.in_(list(switches)))
        return list(session.exec(query))


def gateway_rates(store: CampaignStore, gateway_id: int) -> list[RateRow]:
    with store.read_session() as session:
        rows = session.exec(select(GatewayRate).where(GatewayRate.gateway_id == gateway_id)
                            .order_by(GatewayRate.prefix))
        return [RateRow(r.prefix, r.cost_per_minute, r.first_increment, r.next_increment)
                for r in rows]


def gateway_attempt_counts(store: CampaignStore, since: datetime) -> dict[tuple[str, str], dict]:
    """(switch, gateway) → attempts, answered, carrier-refused legs (failed over) since."""
    import sqlalchemy as sa

    from campaigns.models import CallAttempt

    with store.read_session() as session:
        rows = session.execute(
            sa.select(CallAttempt.switch_node, CallAttempt.gateway,
                      sa.func.count(), sa.func.count(CallAttempt.answered_at),
                      sa.func.count(CallAttempt.failover_of))
            .where(CallAttempt.gateway.is_not(None), CallAttempt.dialed_at >= since)
            .group_by(CallAttempt.switch_node, CallAttempt.gateway))
        return {(switch or "", name): {"attempts": n, "answered": answered,
                                       "failover_legs": legs}
                for switch, name, n, answered, legs in rows}
