"""The recordings' catalogue: where each call's recording is, its checksum, export and purge.

The switch writes the files (``uuid_record``) under its recordings directory in the
campaign's layout (``campaign/date/lead-attempt-call.wav``); the dialer catalogues each
recording with its attempt when the call ends (``recording`` table). The dialer's view of
the same directory (a shared mount, or the switch's own disk on one host) is the
``root`` these functions take.

- ``seal``: size and SHA-256 of each finished recording whose file is there (``sealed``);
  one that is not there some minutes after its call ended is ``missing``.
- ``export``: copies recordings with a manifest (JSON) and a ``SHA256SUMS`` file, after
  checking each sealed file still has its checksum (a file that changed is refused).
- ``purge``: deletes the files of recordings older than the campaign's retention, never
  inside the records period (``compliance.retention_days``): the two are compared here
  again, whatever the settings say.

``recording_for_attempt(call_uuid)`` is the stable lookup the reports and the web pages link
by: an attempt's ``call_uuid`` never changes.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import select

from campaigns.errors import CampaignError
from campaigns.models import CallAttempt, Campaign, Recording, utcnow
from campaigns.settings import CampaignSettings
from campaigns.stored_settings import stored_settings

if TYPE_CHECKING:
    from campaigns.store import CampaignStore

MISSING_AFTER = timedelta(minutes=10)
"""A recording whose file is not there this long after its call ended is ``missing``
(the switch closes the file at hang-up; a shared mount may lag a little)."""


class RecordingStoreError(CampaignError):
    """A recording that cannot be found, read, exported or purged as asked."""


@dataclass(frozen=True, slots=True)
class RecordingView:
    """A catalogued recording with what a person or a page needs to find it."""

    call_uuid: str
    campaign: str
    path: str
    format: str
    status: str
    started_at: datetime | None
    ended_at: datetime | None
    consent: str
    pauses: list[Any]
    size_bytes: int | None
    sha256: str | None
    lead_id: int | None
    attempt_number: int | None
    phone: str | None
    purged_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}  # type: ignore[attr-defined]


def _views(store: CampaignStore, query: Any) -> list[RecordingView]:
    with store.read_session() as session:
        rows = session.exec(query).all()
        return [RecordingView(r.call_uuid, name, r.path, r.format, r.status, r.started_at,
                              r.ended_at, r.consent, list(r.pauses or []), r.size_bytes,
                              r.sha256, lead, attempt, phone, r.purged_at)
                for r, name, lead, attempt, phone in rows]


def _base_query() -> Any:
    return (select(Recording, Campaign.name, CallAttempt.lead_id, CallAttempt.attempt_number,
                   CallAttempt.phone)
            .join(Campaign, Campaign.id == Recording.campaign_id)
            .join(CallAttempt, CallAttempt.id == Recording.attempt_id, isouter=True))


def recordings(store: CampaignStore, campaign: str | None = None, *,
               since: datetime | None = None, until: datetime | None = None,
               status: str | None = None, limit: int | None = None) -> list[RecordingView]:
    query = _base_query()
    if campaign is not None:
        query = query.where(Campaign.name == campaign)
    if since is not None:
        query = query.where(Recording.started_at >= since)
    if until is not None:
        query = query.where(Recording.started_at < until)
    if status is not None:
        query = query.where(Recording.status == status)
    query = query.order_by(Recording.started_at, Recording.id)
    if limit is not None:
        query = query.limit(limit)
    return _views(store, query)


def recording_for_attempt(store: CampaignStore, call_uuid: str) -> RecordingView | None:
    """The recording of the attempt whose channel id is ``call_uuid`` (None: not recorded)."""
    found = _views(store, _base_query().where(Recording.call_uuid == call_uuid))
    return found[0] if found else None


def file_of(root: Path, view: RecordingView) -> Path:
    path = (root / view.path).resolve()
    if not path.is_relative_to(root.resolve()):
        raise RecordingStoreError(f"recording {view.call_uuid}: path {view.path} leaves the "
                                  "recordings directory")
    return path


def _digest(path: Path) -> tuple[int, str]:
    sha = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
            size += len(block)
    return size, sha.hexdigest()


def seal(store: CampaignStore, root: Path, *, campaign: str | None = None,
         now: datetime | None = None) -> dict[str, int]:
    """Checksum the finished recordings whose file is there; counts by new status."""
    now = now or utcnow()
    counts = {"sealed": 0, "missing": 0, "waiting": 0}
    for view in recordings(store, campaign, status="recorded"):
        path = file_of(root, view)
        with store.session() as session:
            row = session.exec(select(Recording).where(
                Recording.call_uuid == view.call_uuid)).one()
            if path.is_file():
                row.size_bytes, row.sha256 = _digest(path)
                row.status = "sealed"
                counts["sealed"] += 1
            elif view.ended_at is not None and now - view.ended_at > MISSING_AFTER:
                row.status = "missing"
                counts["missing"] += 1
            else:
                counts["waiting"] += 1
                continue
            session.add(row)
            session.commit()
    return counts


def export(store: CampaignStore, root: Path, destination: Path, *,
           campaign: str | None = None, since: datetime | None = None,
           until: datetime | None = None) -> dict[str, Any]:
    """Copy the sealed recordings (sealing first) with ``manifest.json`` and
    ``SHA256SUMS``; a file whose checksum changed since it was sealed is not exported and
    is named in ``changed`` (the caller exits non-zero)."""
    seal(store, root, campaign=campaign)
    destination.mkdir(parents=True, exist_ok=True)
    if any(destination.iterdir()):
        raise RecordingStoreError(f"{destination} is not empty: export into a new directory")
    exported: list[dict[str, Any]] = []
    changed: list[str] = []
    skipped: dict[str, int] = {}
    for view in recordings(store, campaign, since=since, until=until):
        if view.status != "sealed":
            skipped[view.status] = skipped.get(view.status, 0) + 1
            continue
        source = file_of(root, view)
        size, digest = _digest(source)
        if digest != view.sha256 or size != view.size_bytes:
            changed.append(view.path)
            continue
        target = destination / view.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        exported.append({**view.to_json(), "sha256": digest})
    (destination / "SHA256SUMS").write_text(
        "".join(f"{item['sha256']}  {item['path']}\n" for item in exported))
    manifest = {"exported_at": utcnow().isoformat(), "campaign": campaign,
                "from": since.isoformat() if since else None,
                "to": until.isoformat() if until else None,
                "recordings": exported, "changed": changed, "skipped": skipped}
    (destination / "manifest.json").write_text(json.dumps(manifest, indent=1, default=str))
    return manifest


def keep_until(settings: CampaignSettings, started_at: datetime) -> datetime:
    """The first moment a recording may be deleted: after its retention and never inside
    the records period (the larger of the two)."""
    records = settings.compliance.retention_days
    days = max(settings.recording.retention_days or records, records)
    return started_at + timedelta(days=days)


def purge(store: CampaignStore, root: Path, *, campaign: str | None = None,
          now: datetime | None = None, dry_run: bool = False) -> list[RecordingView]:
    """Delete the files of recordings past their retention; returns what was (or, with
    ``dry_run``, would be) deleted."""
    now = now or utcnow()
    settings = {c.name: stored_settings(c)
                for c in store.campaigns(include_deleted=True)}
    due: list[RecordingView] = []
    for view in recordings(store, campaign):
        if view.status == "purged" or view.started_at is None:
            continue
        if now < keep_until(settings[view.campaign], view.started_at):
            continue
        due.append(view)
    if dry_run:
        return due
    for view in due:
        path = file_of(root, view)
        path.unlink(missing_ok=True)
        with store.session() as session:
            row = session.exec(select(Recording).where(
                Recording.call_uuid == view.call_uuid)).one()
            row.status, row.purged_at = "purged", now
            session.add(row)
            session.commit()
    return due


def summary(views: Sequence[RecordingView]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for view in views:
        counts[view.status] = counts.get(view.status, 0) + 1
    return counts
