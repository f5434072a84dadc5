"""Lead import: normalise, reject, infer, and bulk insert — all or nothing, or in batches.

Rows are never turned into ORM objects: a million-row file is normalised column-wise
(``campaigns.phones``) and written with the driver's own bulk path (SQLite ``executemany``,
PostgreSQL ``COPY``). Rejected rows (bad number, duplicate in the file, already in the
campaign, bad priority) go to a rejects CSV with line, field and reason; they never stop
the import. Structural problems (no phone column, undecodable file) stop it before any
write. In ``atomic`` mode the whole import is one transaction; in ``batches`` mode each
batch commits on its own and the report lists the committed line ranges, so a failed run
resumes with ``start_line`` (numbers already imported would be rejected as duplicates).

These functions ``add_leads``/``import_file`` are methods of ``CampaignStore``.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import shlex
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import phonenumbers
import sqlalchemy as sa

from campaigns.consent_dates import (
    DATE_ONLY_WAIT,
    counts_from,
    date_order_problem,
    parse_consent_dates,
)
from campaigns.consent_sellers import no_seller_warning, refuse_unknown_sellers
from campaigns.db import storage_failure
from campaigns.errors import CampaignError, LeadImportError
from campaigns.lead_compliance import (
    LINE_TYPE_CHOICES,
    contact_ids,
    line_type_value,
    out_of_profile,
    postal_warnings,
    zone_warnings,
)
from campaigns.lead_consents import given_consents, refuse_other_sellers
from campaigns.lead_files import (
    LeadTable,
    read_lead_file,
    refuse_flagged_rows,
    resolve_mapping,
    unnamed_warning,
    unread_phone_columns,
    unread_phone_warning,
)
from campaigns.models import Lead, LeadList, LeadStatus
from campaigns.phones import (
    area_codes,
    lookup_area,
    normalise_series,
    without_trunk_zero,
)
from campaigns.settings import CampaignState, region_problem
from campaigns.stored_settings import stored_settings
from dialer.words import counted
from dnc.interfaces import contact_key
from dnc.numbering import number_state
from dnc.rules.tables import RuleTables
from dnc.rules.zone_names import zone_name_problem
from dnc.whole_files import changed_while_read, file_states, still_being_written

if TYPE_CHECKING:
    from campaigns.store import CampaignRef, CampaignStore

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): called as an import advances."""

PRIORITY_LIMIT = 2**31 - 1
"""A lead's priority fits the column on every database (PostgreSQL's integer)."""

INSERT_COLUMNS = ("campaign_id", "list_id", "phone", "alt_phones", "first_name", "last_name",
                  "custom", "timezone", "state", "postal_code", "consent", "status", "attempts",
                  "attempts_today", "priority", "source_line", "next_attempt_at", "line_type",
                  "contact_id", "contact_key")


@dataclass(frozen=True, slots=True)
class LeadInput:
    """One lead given programmatically (``CampaignStore.add_leads``)."""

    phone: str
    first_name: str | None = None
    last_name: str | None = None
    alt_phones: Sequence[str] = ()
    state: str | None = None
    postal_code: str | None = None
    timezone: str | None = None
    priority: int = 0
    custom: dict[str, Any] = field(default_factory=dict)
    consent: Sequence[dict[str, Any]] = ()
    line_type: str | None = None
    contact_id: str | None = None


@dataclass(frozen=True, slots=True)
class ImportReport:
    path: str | None
    list_id: int | None
    rows_read: int
    imported: int
    rejected: int
    rejects_path: str | None
    mapping: dict[str, list[str]]
    encoding: str | None
    delimiter: str | None
    batches: tuple[tuple[int, int], ...]
    """Committed (first line, last line) ranges."""
    seconds: float
    reject_reasons: dict[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    """Lines imported with a caveat (e.g. a time zone that is not a zone of the state: the
    rules use both)."""
    extensions: int = 0
    """Numbers written with an extension: dialed without it, the extension kept in the
    lead's custom field ``phone_extension`` (an agent dials it once connected)."""
    rejects_replaced: bool = False
    """``rejects_path`` replaced a file of that name (an earlier import's rejects)."""
    rejects_removed: str | None = None
    """No row was rejected, and the earlier rejects file of that name was removed so that
    it is not read as this import's."""
    blank_rows: int = 0
    """Rows whose every field was empty (``,,,``), skipped: not in ``rows_read``."""
    first_reject: str | None = None
    """The first rejected row, ``FILE:LINE: field: 'cell': why`` (the summary's line)."""

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds else 0.0


def add_leads(self: CampaignStore, campaign: CampaignRef, leads: Iterable[LeadInput], *,
              at: datetime, list_name: str = "api", new_seller: bool = False
              ) -> ImportReport:
    """Add leads given in code; same normalisation, rejects and dedup as a file import.
    A consent naming a seller that is not the campaign's is refused, as at a file import,
    unless ``new_seller`` (the CLI's ``--new-seller``)."""
    rows = list(leads)
    consents, date_only = given_consents(rows, list_name)
    if not new_seller:
        refuse_other_sellers(rows, consents, list_name, stored_settings(
            self.campaign(campaign)).compliance.seller_name, _seller_names(self))
    frame = pd.DataFrame({
        "phone": [r.phone for r in rows],
        "first_name": [r.first_name or "" for r in rows],
        "last_name": [r.last_name or "" for r in rows],
        "state": [r.state or "" for r in rows],
        "postal_code": [r.postal_code or "" for r in rows],
        "timezone": [r.timezone or "" for r in rows],
        "priority": [str(r.priority) for r in rows],
        "line_type": [r.line_type or "" for r in rows],
        "contact_id": [r.contact_id or "" for r in rows],
    }, dtype=object)
    extras = {"alt": [list(r.alt_phones) for r in rows], "custom": [r.custom for r in rows],
              "consent": consents}
    table = LeadTable(Path(list_name), frame, None, None, 1)
    mapping = {name: [name] for name in frame.columns}
    report = _run_import(self, campaign, table, mapping, at=at, list_name=list_name,
                         rejects_path=None, extras=extras)
    if not date_only:
        return report
    first, day = date_only[0]
    count = f"{len(date_only)} consent{'s' * (len(date_only) != 1)}"
    return dataclasses.replace(report, warnings=(*report.warnings, (
        f"{list_name}: {count} had a date but no time: each counts from the end of that "
        f"date, the next day 12:00 UTC (lead {first}: {day} counts from "
        f"{counts_from(day):%Y-%m-%d %H:%M} UTC); give the time to rely on it sooner "
        "(field consent)")))


def import_file(self: CampaignStore, campaign: CampaignRef, path: str | Path, *, at: datetime,
                mapping: dict[str, str | list[str]] | None = None, encoding: str | None = None,
                delimiter: str | None = None, sheet: str | int | None = None,
                default_region: str | None = None, list_name: str | None = None,
                rejects_path: str | Path | None = None, mode: str = "atomic",
                batch_size: int = 100_000, start_line: int | None = None,
                progress: Progress | None = None, contact_by: str | None = None,
                consent_seller: str | None = None,
                consent_date_order: str | None = None,
                new_seller: bool = False) -> ImportReport:
    """Import a CSV/TSV/XLSX lead file into a new lead list of the campaign.

    ``contact_by``: a column whose equal values make leads one person (per-person limits);
    ``consent_seller``: the seller the file's consent column was given to (else a mapped
    ``consent_seller`` column; a consent naming no seller is not written consent);
    ``consent_date_order``: ``dmy`` or ``mdy``, how the consent column's numeric dates are
    written (unstated, one whose day and month could be either gives no consent);
    ``new_seller``: accept consents naming a seller that is not the campaign's (refused
    otherwise: they would never count for its calls, ``campaigns.consent_sellers``)."""
    if mode not in ("atomic", "batches"):
        raise LeadImportError(f"import mode {mode!r}: use atomic or batches")
    if problem := date_order_problem(consent_date_order):
        raise LeadImportError(problem)
    if batch_size < 1:
        raise LeadImportError(f"--batch-size {batch_size}: at least 1 row per batch",
                              path=str(path))
    if start_line is not None and start_line < 2:
        raise LeadImportError(f"--start-line {start_line}: the first data line is 2 (line 1 "
                              "is the header)", path=str(path))
    started = time.perf_counter()
    if progress:
        progress("read", 0, 1)
    before = file_states([path])
    table = read_lead_file(path, encoding=encoding, delimiter=delimiter, sheet=sheet)
    resolved = resolve_mapping(list(table.frame.columns), mapping, table.path)
    refuse_flagged_rows(table, resolved)
    if start_line is not None and start_line > table.first_line:
        lines = table.row_lines()
        skip = int(np.searchsorted(lines, start_line))  # the first row on or after it
        if skip >= len(table.frame):
            last = int(lines[-1]) if len(lines) else table.first_line
            raise LeadImportError(f"--start-line {start_line}: past the end of the file (its "
                                  f"last data line is {last})", path=str(table.path))
        table = LeadTable(table.path, table.frame.iloc[skip:], table.encoding, table.delimiter,
                          int(lines[skip]), lines[skip:],
                          tuple(n for n in table.blank_lines if n >= start_line),
                          table.unnamed, table.header_at)
    if contact_by is not None and contact_by not in table.frame.columns:
        from dialer.words import did_you_mean

        columns = [str(c) for c in table.frame.columns]
        raise LeadImportError(f"--contact-by {contact_by!r} is not a column of the file "
                              f"({', '.join(columns)}){did_you_mean(contact_by, columns)}",
                              path=str(table.path), line=table.header_at, field="contact_id")
    if rejects_path is None:
        rejects_path = table.path.with_name(table.path.name + ".rejects.csv")
    return _run_import(self, campaign, table, resolved, at=at,
                       list_name=list_name or table.path.name, rejects_path=Path(rejects_path),
                       default_region=default_region, mode=mode, batch_size=batch_size,
                       progress=progress, started=started, contact_by=contact_by,
                       consent_seller=consent_seller, consent_date_order=consent_date_order,
                       before=before, new_seller=new_seller)


def _seller_names(self: CampaignStore) -> list[str]:
    """The seller every campaign of the store declares (a campaign whose stored settings do
    not read declares none here: its own commands name the problem)."""
    names = []
    for row in self.campaigns():
        try:
            names.append(stored_settings(row).compliance.seller_name)
        except (ValueError, CampaignError):
            continue
    return [name for name in names if name]


seller_names = _seller_names
"""Every seller the store's campaigns declare (``dnc import --seller`` checks its names)."""


def _refuse_if_changed(before: dict[Path, tuple[int, int]]) -> None:
    """A lead file still being written (an export another program is saving, a copy under
    way) that ends at a row end reads as a whole, shorter file: its later rows were never
    imported, nor their consents, and nobody was told. Checked before anything is written:
    a refusal leaves the campaign and the rejects file as they were."""
    if (changed := changed_while_read(before)) is not None:
        path, change = changed
        raise LeadImportError(still_being_written(path, change), path=str(path))


def _column(frame: pd.DataFrame, mapping: dict[str, list[str]], name: str) -> np.ndarray | None:
    """The stripped text of a mapped field (None for empty cells), or None if unmapped."""
    columns = mapping.get(name)
    if not columns:
        return None
    values = frame[columns[0]].to_numpy(dtype=object)
    return np.array([(str(v).strip() or None) if v is not None else None for v in values],
                    dtype=object)


def _run_import(self: CampaignStore, campaign: CampaignRef, table: LeadTable,
                mapping: dict[str, list[str]], *, at: datetime, list_name: str,
                rejects_path: Path | None, default_region: str | None = None,
                mode: str = "atomic", batch_size: int = 100_000,
                progress: Progress | None = None, started: float | None = None,
                extras: dict[str, list[Any]] | None = None, contact_by: str | None = None,
                consent_seller: str | None = None,
                consent_date_order: str | None = None,
                before: dict[Path, tuple[int, int]] | None = None,
                new_seller: bool = False) -> ImportReport:
    started = started or time.perf_counter()
    frame = table.frame.reset_index(drop=True)
    total = len(frame)
    campaign_row = self.campaign(campaign)
    if campaign_row.state in (CampaignState.ARCHIVED, CampaignState.DELETED):
        raise LeadImportError(f"campaign {campaign_row.name!r} is {campaign_row.state}: "
                              "read-only", path=str(table.path))
    settings = stored_settings(campaign_row)
    region = (default_region or settings.default_region).upper()
    if problem := region_problem(region):
        raise LeadImportError(f"--region: {problem}", path=str(table.path))
    lines = table.row_lines()
    consent_column = _column(frame, mapping, "consent")
    if consent_column is not None and not new_seller:
        refuse_unknown_sellers(str(table.path), settings.compliance.seller_name,
                               _seller_names(self), consent_seller,
                               _column(frame, mapping, "consent_seller"), consent_column,
                               lines)
    if progress:
        progress("normalise", 0, total)
    phone, reason = normalise_series(frame[mapping["phone"][0]], region)
    reject_field = np.where(reason.to_numpy(dtype=object) != "", "phone", "").astype(object)
    reason = reason.to_numpy(dtype=object).copy()

    priority_raw = _column(frame, mapping, "priority")
    priority = np.zeros(total, dtype=np.int64)
    if priority_raw is not None:
        parsed = pd.to_numeric(pd.Series(priority_raw, dtype=object), errors="coerce")
        given = np.array([v is not None for v in priority_raw], dtype=bool)
        bad = given & (parsed.isna() | (parsed % 1 != 0)).to_numpy()
        mark = bad & (reason == "")
        reason[mark], reject_field[mark] = "priority is not a whole number", "priority"
        # Beyond the stored column's range the cast wrapped round (1e20 became -2**63).
        huge = given & ~bad & (parsed.abs() > PRIORITY_LIMIT).fillna(False).to_numpy()
        mark = huge & (reason == "")
        reason[mark] = f"priority is beyond ±{PRIORITY_LIMIT:,}"
        reject_field[mark] = "priority"
        priority = parsed.where(~(bad | huge), 0).fillna(0).to_numpy().astype(
            np.int64, copy=False)

    line_raw = _column(frame, mapping, "line_type")
    line_types = np.full(total, None, dtype=object)
    if line_raw is not None:
        for i, text in enumerate(line_raw.tolist()):
            value, valid = line_type_value(text)
            if not valid and reason[i] == "":
                reason[i] = f"line_type {text!r} is not {LINE_TYPE_CHOICES}"
                reject_field[i] = "line_type"
            line_types[i] = value

    zone_raw = _column(frame, mapping, "timezone")
    if zone_raw is not None:
        for i, problem in _unknown_zones(zone_raw).items():
            if reason[i] == "":
                reason[i], reject_field[i] = problem, "timezone"

    state_raw = _column(frame, mapping, "state")
    if state_raw is not None:
        known_states = RuleTables().state_zones
        for i, cell in enumerate(state_raw.tolist()):
            if cell is not None and cell.upper() not in known_states and reason[i] == "":
                # The rules refuse such a lead at every dial ("unknown US state"): refused
                # here, the row is named with its line instead.
                reason[i] = f"state {cell!r} is not a US state or territory code (e.g. TX)"
                reject_field[i] = "state"

    ok = reason == ""
    phones = phone.to_numpy(dtype=object).copy()
    for i, why in out_of_profile(phones, ok, settings.jurisdiction).items():
        reason[i], reject_field[i] = why, "phone"
        ok[i] = False
    existing = _existing_phones(self, campaign_row.id)
    first_seen: dict[str, int] = {}
    for i in np.flatnonzero(ok).tolist():
        number = phones[i]
        j = first_seen.setdefault(number, i)
        if j != i:
            reason[i] = f"duplicate in this file (first at line {lines[j]})"
            reject_field[i] = "phone"
            ok[i] = False
        elif number in existing:
            reason[i], reject_field[i] = "already in this campaign", "phone"
            ok[i] = False

    if progress:
        progress("infer", total, total)
    keep = np.flatnonzero(ok)
    rows = _build_rows(frame, mapping, keep, phones, priority, lines, extras, region,
                       consent_date_order)
    rows["line_type"] = line_types[keep]
    contact_column = mapping.get("contact_id", [contact_by])[0] if (
        "contact_id" in mapping or contact_by) else None
    contacts = contact_ids(frame[contact_column].to_numpy(dtype=object)[keep].tolist(),
                           contact_by if "contact_id" not in mapping else None) \
        if contact_column is not None else [None] * len(keep)
    rows["contact_id"] = np.array(contacts, dtype=object)
    # The person as the store compares people (models.Lead.contact_key, migration 0016).
    rows["contact_key"] = np.array([contact_key(c) for c in contacts], dtype=object)
    seller_cells = _column(frame, mapping, "consent_seller")
    rows["consent"] = np.array(_with_seller(
        rows["consent"].tolist(), rows["phone"].tolist(),
        seller_cells[keep].tolist() if seller_cells is not None else None, consent_seller),
        dtype=object)
    given_zone = _column(frame, mapping, "timezone")
    given_state = _column(frame, mapping, "state")
    warnings = zone_warnings(
        str(table.path), rows["phone"].tolist(), rows["state"].tolist(), rows["timezone"].tolist(),
        [given_zone is not None and given_zone[i] is not None and given_state is not None
         and given_state[i] is not None for i in keep.tolist()],
        rows["source_line"].tolist()) if given_zone is not None and given_state is not None \
        else []
    if "postal_code" in mapping:
        warnings = [*warnings, *postal_warnings(
            str(table.path), mapping["postal_code"][0], rows["phone"].tolist(),
            rows["state"].tolist(), rows["postal_code"].tolist(),
            rows["source_line"].tolist(),
            remove=f"dialer leads delete {shlex.quote(campaign_row.name)} --list "
                   f"{shlex.quote(list_name)} --yes")]
    if (alt_said := _alt_warning(str(table.path), lines[keep],
                                 rows.pop("alt_dropped").tolist())) is not None:
        warnings.append(alt_said)
    if (zero_said := _trunk_zero_warning(
            str(table.path), frame[mapping["phone"][0]].to_numpy(dtype=object)[keep],
            phones[keep], lines[keep], region,
            f"dialer leads delete {shlex.quote(campaign_row.name)} --list "
            f"{shlex.quote(list_name)} --yes")) is not None:
        warnings.append(zero_said)
    consent_cells = _column(frame, mapping, "consent")
    not_dates = rows.pop("consent_not_dates").tolist()
    ambiguous = rows.pop("consent_ambiguous").tolist()
    date_only = rows.pop("consent_date_only").tolist()
    if consent_cells is not None:
        warnings = [*warnings, *_consent_warnings(str(table.path), consent_cells[keep],
                                                  lines[keep], not_dates, ambiguous,
                                                  mapping["consent"][0])]
        if date_only:
            warnings.append(_date_only_summary(str(table.path), rows["consent"], lines[keep],
                                               date_only))
        if unnamed := no_seller_warning(
                str(table.path), rows["consent"].tolist(), lines[keep],
                settings.compliance.seller_name,
                f"dialer leads delete {shlex.quote(campaign_row.name)} --list "
                f"{shlex.quote(list_name)} --yes"):
            warnings.append(unnamed)
    remove = (f"dialer leads delete {shlex.quote(campaign_row.name)} --list "
              f"{shlex.quote(list_name)} --yes")
    phone_columns = unread_phone_columns(table, mapping, region,
                                         (contact_by,) if contact_by else ())
    unnamed_names = {f"column_{n}" for n in table.unnamed}
    # One warning a column: an unnamed column of phone numbers is said once, with both
    # facts (it had a warning for its missing name and another for its numbers).
    said = {c for columns in mapping.values() for c in columns} | {
        column for column, _, _ in phone_columns if column in unnamed_names}
    if (unnamed := unnamed_warning(table, remove, said)) is not None:
        warnings.append(unnamed)
    warnings.extend(unread_phone_warning(
        str(table.path), column, numbers, cells, mapping.get("alt_phones", []), remove,
        table.header_at if column in unnamed_names else None)
        for column, numbers, cells in phone_columns)
    if before is not None:
        _refuse_if_changed(before)
    rejects_written, rejects_earlier = _write_rejects(
        rejects_path, frame, lines, ~ok, reject_field, reason, table.encoding, table.delimiter)
    reject_reasons = (pd.Series(reason[~ok]).str.replace(r" \(first at line \d+\)", "", regex=True)
                      .value_counts().to_dict())
    list_id, batches = _insert(self, campaign_row.id, list_name, str(table.path), rows, at=at,
                               rejected=int((~ok).sum()), mode=mode, batch_size=batch_size,
                               progress=progress)
    return ImportReport(
        first_reject=_first_reject(str(table.path), frame, mapping, lines, ~ok, reject_field,
                                   reason),
        path=str(table.path), list_id=list_id, rows_read=total, imported=len(keep),
        rejected=int((~ok).sum()), rejects_path=str(rejects_path) if rejects_written else None,
        mapping=mapping, encoding=table.encoding, delimiter=table.delimiter,
        batches=tuple(batches), seconds=time.perf_counter() - started,
        reject_reasons={str(k): int(v) for k, v in reject_reasons.items()},
        warnings=tuple(warnings), extensions=int(rows["extensions"]),
        rejects_replaced=rejects_written and rejects_earlier, blank_rows=len(table.blank_lines),
        rejects_removed=str(rejects_path) if rejects_earlier and not rejects_written else None)


def _unknown_zones(cells: np.ndarray) -> dict[int, str]:
    """Rows whose time zone is not a place's IANA zone. Kept, a zone that does not load was
    skipped by the campaign's own schedule check (the hopper cannot place the callee's local
    time); ``EST`` or ``Etc/GMT+5`` loads but keeps one offset all year, so a New York
    lead's local time was an hour off every summer (``dnc.rules.zone_names``). Either row
    is refused with its field instead."""
    found: dict[int, str] = {}
    for i, cell in enumerate(cells.tolist()):
        if cell is None:
            continue
        for name in str(cell).split(","):
            name = name.strip()
            if (problem := zone_name_problem(name)) is not None:
                found[i] = f"timezone {problem}"
                break
    return found


def _existing_phones(self: CampaignStore, campaign_id: int) -> set[str]:
    with self.engine.connect() as connection:
        rows = connection.execute(sa.select(Lead.phone).where(Lead.campaign_id == campaign_id))
        return {r[0] for r in rows}


def _build_rows(frame: pd.DataFrame, mapping: dict[str, list[str]], keep: np.ndarray,
                phones: np.ndarray, priority: np.ndarray, lines: np.ndarray,
                extras: dict[str, list[Any]] | None, region: str,
                consent_date_order: str | None = None) -> dict[str, np.ndarray]:
    sub = frame.iloc[keep]
    kept_phones = phones[keep]

    def text(name: str) -> np.ndarray:
        col = _column(sub, mapping, name)
        return np.full(len(keep), None, dtype=object) if col is None else col

    state, zone = text("state"), text("timezone")
    if len(keep):
        table = area_codes()
        inferred_state = np.empty(len(keep), dtype=object)
        inferred_zone = np.empty(len(keep), dtype=object)
        for i, number in enumerate(kept_phones.tolist()):
            area = table.get(number[2:5]) if number.startswith("+1") else None
            if area is None:
                area = lookup_area(number)
            # The state the rules place the number in (dnc.numbering): it is stored and
            # read as the lead's own, which only adds its zones and its rules.
            inferred_state[i], inferred_zone[i] = number_state(number), area.timezone
        state = np.array([(s.upper() if s else None) for s in
                          np.where(state == None, inferred_state, state).tolist()],  # noqa: E711
                         dtype=object)
        zone = np.where(zone == None, inferred_zone, zone)  # noqa: E711
    mapped = {c for cols in mapping.values() for c in cols}
    custom_columns = [c for c in frame.columns if c not in mapped]
    extension = _extensions(sub[mapping["phone"][0]]) if len(keep) else None
    alt_dropped: list[tuple[int, str, str, str]] = []
    if extras is not None:
        custom = [json.dumps(extras["custom"][i]) for i in keep]
        alt = [json.dumps(extras["alt"][i]) for i in keep]
        consent = [json.dumps(extras["consent"][i]) for i in keep]
        not_dates: list[int] = []
        ambiguous: list[int] = []
        date_only: list[int] = []
    else:
        custom = (sub[custom_columns].to_json(orient="records", lines=True, force_ascii=False)
                  .splitlines() if custom_columns and len(keep) else ["{}"] * len(keep))
        alt, alt_dropped = _alt_phones(sub, mapping.get("alt_phones", []), region)
        consent, not_dates, ambiguous, date_only = _consent(
            sub, mapping.get("consent", []), consent_date_order)
    extensions = 0
    if extension is not None and extension.notna().any():
        for i, ext in enumerate(extension.tolist()):
            if isinstance(ext, str):
                fields = json.loads(custom[i])
                fields["phone_extension"] = ext
                custom[i] = json.dumps(fields, ensure_ascii=False)
                extensions += 1
    return {
        "phone": phones[keep], "alt_phones": np.array(alt, dtype=object),
        "first_name": text("first_name"), "last_name": text("last_name"),
        "custom": np.array(custom, dtype=object), "timezone": zone, "state": state,
        "postal_code": text("postal_code"), "consent": np.array(consent, dtype=object),
        "priority": priority[keep], "source_line": lines[keep],
        "extensions": np.int64(extensions),
        "consent_not_dates": np.array(not_dates, dtype=np.int64),
        "consent_ambiguous": np.array(ambiguous, dtype=np.int64),
        "consent_date_only": np.array(date_only, dtype=np.int64),
        "alt_dropped": _objects(alt_dropped),
    }


def _objects(items: Sequence[object]) -> np.ndarray:
    """A 1-d object array of ``items`` (tuples stay whole: ``np.array`` would make rows)."""
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        out[i] = item
    return out


def _with_seller(consents: list[str], phones: list[str], sellers: list[str | None] | None,
                 stated: str | None) -> list[str]:
    """Each consent record names the row's own number and the seller (the row's
    ``consent_seller`` cell, else the importer's ``stated`` seller, else none)."""
    out = []
    for i, text in enumerate(consents):
        records = json.loads(text)
        if not records:
            out.append(text)
            continue
        seller = (sellers[i] if sellers is not None else None) or stated
        for record in records:
            record.setdefault("number", phones[i])
            if seller and not record.get("seller"):
                record["seller"] = seller
        out.append(json.dumps(records))
    return out


_EXTENSION = r"(?i)(?:\s*[,;]?\s*(?:ext\.?|extension|x|#)\s*|;ext=)(\d{1,7})\s*$"


def _extensions(raw: pd.Series) -> pd.Series:
    """The extension written after a number ("201-555-0123 x45", "ext. 45"), or NaN."""
    return raw.astype(str).str.extract(_EXTENSION, expand=False)


def _alt_phones(sub: pd.DataFrame, columns: list[str], region: str
                ) -> tuple[list[str], list[tuple[int, str, str, str]]]:
    """Each row's alternate numbers as a JSON list, and the cells that held something not
    kept as one: (row position in ``sub``, column, cell, why), for ``_alt_warning``."""
    if not columns or sub.empty:
        return ["[]"] * len(sub), []
    normalised = []
    dropped: list[tuple[int, str, str, str]] = []
    for column in columns:
        numbers, reasons = normalise_series(sub[column], region)
        normalised.append(numbers.to_numpy(dtype=object))
        cells = sub[column].to_numpy(dtype=object)
        for i in np.flatnonzero(reasons.to_numpy(dtype=object) != "").tolist():
            cell = cells[i]
            if not pd.isna(cell) and str(cell).strip():
                dropped.append((i, column, str(cell).strip(), str(reasons.iloc[i])))
    dropped.sort()
    return ([json.dumps([n for n in numbers if n]) for numbers in zip(*normalised, strict=True)],
            dropped)


def _alt_warning(path: str, lines: np.ndarray, dropped: Sequence[tuple[int, str, str, str]]
                 ) -> str | None:
    """One warning for the alternate numbers not kept, the first named with its line: the
    row is imported on its main number, so the rejects file has no line for them, and a
    second number a spreadsheet rewrote (``4.15555E+09``) used to vanish without a word."""
    if not dropped:
        return None
    i, column, cell, why = dropped[0]
    more = (f"; {counted(len(dropped) - 1, 'more alternate number')} not kept either"
            if len(dropped) > 1 else "")
    return (f"{path}:{lines[i]}: alt_phones column {column!r}: {cell!r} is not kept as an "
            f"alternate number: {why} (the row is imported on its main number){more}")


_PLAN_NAMES = {"GB": "UK"}
"""A region's numbers as its users name them, for the trunk-zero warning."""


def _trunk_zero_warning(path: str, cells: np.ndarray, numbers: np.ndarray, lines: np.ndarray,
                        region: str, remove: str) -> str | None:
    """One warning for the numbers written without the trunk 0 (``2079460000`` in a UK
    file, as a spreadsheet that stored the column as a number writes ``020 7946 0000``),
    the first named with its line. Imported as the UK number they spell with the 0 back
    (the only national number those digits can be: phonenumbers checked it), and said:
    a file that lost its zeros may have lost more (a number stored as a number loses
    nothing else, but a reader should look), and a list of another country's numbers
    written without their country code would otherwise pass as UK numbers unsaid."""
    texts = [None if c is None or pd.isna(c) else str(c) for c in cells.tolist()]
    found = without_trunk_zero(texts, numbers.tolist(), region)
    if not found:
        return None
    i = found[0]
    national = phonenumbers.format_number(phonenumbers.parse(numbers[i], None),
                                          phonenumbers.PhoneNumberFormat.NATIONAL)
    more = (f"; {counted(len(found) - 1, 'more number')} the same" if len(found) > 1 else "")
    return (f"{path}:{lines[i]}: phone: {texts[i].strip()!r} has no leading 0: imported as "
            f"{national} ({numbers[i]}), as a spreadsheet that dropped the zero writes it"
            f"{more}. If these are not {_PLAN_NAMES.get(region, region)} numbers, write "
            f"them with their country code (+1 ...) and import again after `{remove}`")


def _first_reject(path: str, frame: pd.DataFrame, mapping: dict[str, list[str]],
                  lines: np.ndarray, rejected: np.ndarray, fields: np.ndarray,
                  reasons: np.ndarray) -> str | None:
    """The first rejected row as one line, ``FILE:LINE: field: 'cell': why``: the
    summary counted the reasons, and a reader had to open the rejects file to find which
    row and what it held (a main number a spreadsheet mangled, most often)."""
    index = np.flatnonzero(rejected)
    if not len(index):
        return None
    i = int(index[0])
    name = str(fields[i])
    column = (mapping.get(name) or [None])[0]
    cell = frame[column].iloc[i] if column is not None and column in frame else None
    shown = "" if cell is None or pd.isna(cell) else f" {str(cell).strip()!r}:"
    return f"{path}:{lines[i]}: {name}:{shown} {reasons[i]}"


def _consent(sub: pd.DataFrame, columns: list[str], order: str | None = None
             ) -> tuple[list[str], list[int], list[int], list[int]]:
    """A consent column holds the date consent was given; it is recorded as prior express
    written consent (47 CFR 64.1200(f)(9)) with the column as its source. A value that is
    not a date, or a day/month date whose order is not stated (``03/04/2025`` with no
    ``order``: ``campaigns.consent_dates``), is kept as an unrecognised record, which the
    rules treat as no consent.

    Also the rows (positions in ``sub``) whose cell is not a date, and those whose day and
    month cannot be told apart, for ``_consent_warnings``: the one parse of the column
    serves both (it was parsed twice, and the two parses had to agree on what a date is).

    A date without a time of day is recorded as given when that date has ended in every
    zone (``consent_dates.counts_from``: the next day at 12:00 UTC), not at its 00:00 UTC,
    the evening before in the US; the rows that gave one come last, for their summary."""
    if not columns or sub.empty:
        return ["[]"] * len(sub), [], [], []
    values = sub[columns[0]].astype(str).str.strip()
    dates = parse_consent_dates(values, order)
    source = f"import column {columns[0]}"
    out: list[str] = []
    not_dates: list[int] = []
    ambiguous: list[int] = []
    date_only: list[int] = []
    for i, (value, at, unclear, timeless) in enumerate(zip(
            values.tolist(), dates.given.tolist(), dates.ambiguous.tolist(),
            dates.date_only.tolist(), strict=True)):
        if not value:
            out.append("[]")
        elif pd.isna(at):
            out.append(json.dumps([{"kind": "unrecognised", "value": value, "source": source}]))
            (ambiguous if unclear else not_dates).append(i)
        else:
            # The record's instant is when it counts; its source keeps the date as written
            # (the rules' texts and the consent export show both).
            day = (at - DATE_ONLY_WAIT).date()
            record = {"kind": "prior_express_written", "given_at": at.isoformat(),
                      "source": f"{source}, dated {day} without a time of day"
                      if timeless else source}
            if timeless:  # the date as written: the RND's dates are compared with it
                record["dated"] = day.isoformat()
            out.append(json.dumps([record]))
            if timeless:
                date_only.append(i)
    return out, not_dates, ambiguous, date_only


def _date_only_summary(path: str, consents: np.ndarray, lines: np.ndarray,
                       date_only: Sequence[int]) -> str:
    """One line per file for the consents that gave a date but no time: each is recorded
    from the end of its date everywhere (``consent_dates.counts_from``), which a user who
    reads the date as the day of consent would not expect; the first one is shown."""
    first = date_only[0]
    since = datetime.fromisoformat(json.loads(consents[first])[0]["given_at"])
    day = (since - DATE_ONLY_WAIT).date()
    count = f"{len(date_only)} consent{'s' * (len(date_only) != 1)}"
    return (f"{path}: {count} had a date but no time: each counts from the end of that date, "
            f"the next day 12:00 UTC (line {lines[first]}: {day} counts from "
            f"{since:%Y-%m-%d %H:%M} UTC); give the time to rely on it sooner (field consent)")


_SERIAL = re.compile(r"\s*(\d{5})(?:\.\d+)?\s*")


def _serial_date_hint(cell: Any) -> str:
    """A date a spreadsheet saved as its serial number (``45300``: days since 1899-12-30,
    the column formatted as a number): the date it most likely is, and the repair. Not
    read as that date: a workbook of the 1904 date system (older Mac Excel) counts from
    1904-01-01, four years apart, and a consent's date is the user's to state."""
    found = _SERIAL.fullmatch(str(cell))
    if not found or not 20_000 <= int(found.group(1)) <= 80_000:
        return ""
    day = date(1899, 12, 30) + timedelta(days=int(found.group(1)))
    return (f"; {found.group(1)} looks like a spreadsheet's date serial number ({day} in "
            f"Excel's usual date system): format the column as a date, e.g. {day}, and "
            "save the file again")


def _consent_warnings(path: str, cells: np.ndarray, lines: np.ndarray,
                      not_dates: Sequence[int], ambiguous: Sequence[int], column: str,
                      limit: int = 5) -> list[str]:
    """Imported rows whose consent cell is not a date, or a date whose day and month could
    be either (``not_dates``, ``ambiguous``, from ``_consent``). They are kept, and the
    rules read such a consent as none (so nothing dials more), but a user who typed
    'yesterday', '2026-13-45' or a UK '03/04/2025' believed the consent recorded: say so,
    line by line."""
    found = [f"{path}:{lines[i]}: {column} {cells[i]!r} is not a date: kept as no consent"
             f"{_serial_date_hint(cells[i])} (field consent)" for i in not_dates[:limit]]
    if len(not_dates) > limit:
        found.append(f"{path}: ... and {len(not_dates) - limit} more lines whose consent is "
                     "not a date")
    found += [f"{path}:{lines[i]}: {column} {cells[i]!r} could be day/month or month/day: "
              "kept as no consent; state the order with --consent-date-order dmy (or mdy), "
              "or write ISO dates like 2025-04-03 (field consent)" for i in ambiguous[:limit]]
    if len(ambiguous) > limit:
        found.append(f"{path}: ... and {len(ambiguous) - limit} more lines whose consent "
                     "date could be day/month or month/day")
    return found


def _write_rejects(path: Path | None, frame: pd.DataFrame, lines: np.ndarray,
                   rejected: np.ndarray, fields: np.ndarray, reasons: np.ndarray,
                   encoding: str | None = None, delimiter: str | None = None
                   ) -> tuple[bool, bool]:
    """The rejected rows as they were, after line, field and reason, in the input's own
    encoding and delimiter (so the file opens and re-imports like the original; an XLSX
    input gives a UTF-8 CSV). Returns (written, an earlier file of that name was there).

    The file always describes this import: written whole beside its place and renamed over
    it (a reader never sees half of it), or, when no row is rejected, an earlier one of the
    same name is removed (left, a user read an earlier import's rejects as this one's)."""
    if path is None:
        return False, False
    earlier = path.exists() and not path.is_dir()
    if not rejected.any():
        if earlier:
            path.unlink()
        return False, earlier
    out = frame.loc[rejected].copy()
    out.insert(0, "reject_reason", reasons[rejected])
    out.insert(0, "reject_field", fields[rejected])
    out.insert(0, "line", lines[rejected])
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        out.to_csv(partial, index=False, sep=delimiter or ",", encoding=encoding or "utf-8",
                   errors="replace")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return True, earlier


def _insert(self: CampaignStore, campaign_id: int, list_name: str, source: str,
            rows: dict[str, np.ndarray], *, at: datetime, rejected: int, mode: str,
            batch_size: int, progress: Progress | None
            ) -> tuple[int | None, list[tuple[int, int]]]:
    total = len(rows["phone"])
    batches: list[tuple[int, int]] = []
    if total == 0:
        return None, batches  # nothing to add: no empty list is created
    connection = self.engine.connect()
    try:
        if not self.is_postgres:
            # A large page cache keeps the phone and hopper indexes' pages in memory.
            connection.connection.driver_connection.execute("PRAGMA cache_size=-262144")
        transaction = connection.begin()
        list_id = connection.execute(sa.insert(LeadList).values(
            campaign_id=campaign_id, name=list_name[:200], source_file=source, created_at=at,
            imported_rows=total, rejected_rows=rejected, active=True,
        ).returning(LeadList.id)).scalar_one()
        rebuild = _drop_indexes_for_bulk_load(self, connection, total, mode)
        if progress:
            progress("insert", 0, total)
        for start in range(0, max(total, 1), batch_size):
            stop = min(start + batch_size, total)
            if stop > start:
                _write_batch(self, connection, campaign_id, list_id, rows, start, stop, at)
                batches.append((int(rows["source_line"][start]),
                                int(rows["source_line"][stop - 1])))
            if mode == "batches":
                # The list counts what is committed, so an interrupted import's list does
                # not claim the rows that never arrived.
                connection.execute(sa.update(LeadList).where(LeadList.id == list_id)
                                   .values(imported_rows=stop))
                transaction.commit()
                transaction = connection.begin()
            if progress:
                progress("insert", stop, total)
        for statement in rebuild:
            connection.exec_driver_sql(statement)
        transaction.commit()
        if self.is_postgres and total >= BULK_LOAD_MIN_ROWS:
            # Fresh planner statistics, or the hopper's first claims after a big load may
            # scan instead of walking the dial-order index (seconds instead of ms).
            connection.exec_driver_sql("ANALYZE lead")
            connection.commit()
    except sa.exc.IntegrityError as error:
        raise LeadImportError(
            f"a lead was added to the campaign while importing ({error.orig}); "
            f"committed batches: {batches if mode == 'batches' else 'none'}") from error
    except BaseException as error:
        failure = storage_failure(error)
        if mode != "batches" or not batches or not (
                failure or isinstance(error, KeyboardInterrupt)):
            raise  # one transaction, rolled back: nothing was written
        # A full disk in --batches mode: the batches before it stay; the CLI's generic
        # "rolled back, nothing is half-stored" would hide them.
        why = "interrupted" if failure is None else failure.partition("; the change")[0]
        raise LeadImportError(
            f"{why}: lines {batches[0][0]}-{batches[-1][1]} were committed to list "
            f"{list_id} ({counted(len(batches), 'batch', 'batches')}); resume with --start-line "
            f"{batches[-1][1] + 1}", path=source) from None
    finally:
        connection.close()
    return list_id, batches


BULK_LOAD_MIN_ROWS = 50_000


def _drop_indexes_for_bulk_load(self: CampaignStore, connection: sa.Connection, total: int,
                                mode: str) -> list[str]:
    """On SQLite, for an atomic import at least as large as the lead table, drop the lead
    indexes now and return the statements that rebuild them before commit: building an
    index sorted is ~3x cheaper than random B-tree inserts. DDL is transactional in SQLite,
    so readers keep seeing the old snapshot and a failure rolls everything back."""
    if self.is_postgres or mode != "atomic" or total < BULK_LOAD_MIN_ROWS:
        return []
    existing = connection.exec_driver_sql("SELECT count(*) FROM lead").scalar_one()
    if existing > total:
        return []
    rows = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'lead' "
        "AND sql IS NOT NULL").all()
    for name, _sql in rows:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    return [sql for _name, sql in rows]


def _write_batch(self: CampaignStore, connection: sa.Connection, campaign_id: int,
                 list_id: int, rows: dict[str, np.ndarray], start: int, stop: int,
                 at: datetime) -> None:
    n = stop - start
    # A new lead is due from its import time (the hopper orders by due time). SQLite keeps
    # SQLAlchemy's text form (naive UTC with microseconds) so comparisons stay textual.
    due = (at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if not self.is_postgres
           else at.isoformat())
    # Values shared by every row are written into the statement, not bound per row: fewer
    # parameters is most of what makes SQLite's executemany fast.
    values: dict[str, Any] = {
        "campaign_id": int(campaign_id), "list_id": int(list_id),
        "status": LeadStatus.NEW.value, "attempts": 0, "attempts_today": 0,
        "next_attempt_at": due,
    }
    for name in ("alt_phones", "consent", "custom"):
        chunk = rows[name][start:stop]
        if n and all(v == chunk[0] for v in chunk.tolist()):
            values[name] = chunk[0]
    varying = [c for c in INSERT_COLUMNS if c not in values]
    raw = connection.connection.driver_connection
    if self.is_postgres:
        # COPY in CSV format from one text block: pandas writes the CSV in C, psycopg sends
        # it as is (a Python-level write_row per row is ~5x slower). None → unquoted empty
        # = NULL; our text columns never hold an empty string (import maps "" to None).
        constant_columns = [c for c in INSERT_COLUMNS if c in values]
        frame = pd.DataFrame({c: rows[c][start:stop] for c in varying})
        for c in constant_columns:
            frame[c] = values[c]
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, header=False)
        with raw.cursor() as cursor, cursor.copy(
                f"COPY lead ({', '.join(varying + constant_columns)}) FROM STDIN "
                "WITH (FORMAT csv)") as copy:
            copy.write(buffer.getvalue())
    else:
        def literal(value: Any) -> str:
            return str(value) if isinstance(value, int) else "'" + str(value).replace(
                "'", "''") + "'"

        slots = ", ".join("?" if c not in values else literal(values[c]) for c in INSERT_COLUMNS)
        records = list(zip(*(rows[c][start:stop].tolist() for c in varying), strict=True))
        cursor = raw.cursor()
        cursor.executemany(f"INSERT INTO lead ({', '.join(INSERT_COLUMNS)}) VALUES ({slots})",
                           records)
        cursor.close()
