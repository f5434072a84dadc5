"""``dialer simulate --record / --report / --report-plot``: replication 0 of each policy
recorded as a campaign of its own in the store (simulations/recorder.py), and its campaign
report written through the code of ``dialer report`` (docs/simulations.md, "Recorded
simulations and their reports")."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulations.recorder import RecordingError

if TYPE_CHECKING:
    from campaigns.store import CampaignStore
    from pacing_models.params import PolicySpec
    from simulations.scenario import Scenario


@dataclass(frozen=True, slots=True)
class Recording:
    """One policy's campaign and the files its report goes to."""

    spec: PolicySpec
    campaign: str
    report: Path | None
    plot: Path | None


@dataclass(frozen=True, slots=True)
class RecordingPlan:
    recordings: tuple[Recording, ...]
    start: datetime
    db: str | None
    home: Path | None
    record: bool
    """False: the campaigns live in a temporary SQLite store (``--report`` alone)."""
    replace: bool


def parse_start(text: str | None, scenario: Scenario) -> datetime:
    """``--start`` (an ISO time, UTC unless it says otherwise); by default today, UTC, at
    the scenario's ``shift_start_hour``."""
    if text is None:
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return today + timedelta(hours=scenario.campaign.shift_start_hour)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise RecordingError(f"--start {text!r}: use an ISO time such as 2026-12-01T09:00"
                             ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _per_policy(path: Path | None, label: str, several: bool) -> Path | None:
    """The file of one policy: as given for one policy, ``stem-<policy>.suffix`` for
    several."""
    if path is None or not several:
        return path
    return path.with_name(f"{path.stem}-{_slug(label)}{path.suffix}")


def _slug(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", label)


def plan_recordings(specs: Sequence[PolicySpec], default_name: str, scenario: Scenario, *,
                    record: bool, db: str | None, home: Path | None,
                    campaign_name: str | None, start: str | None, replace: bool,
                    report: Path | None, report_plot: Path | None) -> RecordingPlan | None:
    """What to record and write, checked before anything runs (None: nothing asked).
    ``default_name``: the campaign name without ``--campaign-name`` (``-<policy>`` added)."""
    if not (record or report or report_plot):
        given = [option for option, value in (
            ("--campaign-name", campaign_name), ("--start", start), ("--replace", replace))
            if value]
        if given:
            raise RecordingError(f"{given[0]} needs --record, --report or --report-plot")
        return None
    if report is not None and report.suffix.lower() != ".xlsx":
        raise RecordingError(f"--report {report}: the campaign report is written as .xlsx")
    if report_plot is not None and report_plot.suffix.lower() != ".png":
        raise RecordingError(f"--report-plot {report_plot}: the plot is written as .png")
    from simulations.recorder import check_recordable

    moment = parse_start(start, scenario)
    check_recordable(scenario, moment)
    several = len(specs) > 1
    recordings = []
    for spec in specs:
        base = campaign_name or default_name
        name = f"{base}-{spec.label}" if several or campaign_name is None else base
        if not 1 <= len(name) <= 100:
            raise RecordingError(f"campaign name {name!r}: 1 to 100 characters")
        recordings.append(Recording(spec, name, _per_policy(report, spec.label, several),
                                    _per_policy(report_plot, spec.label, several)))
    return RecordingPlan(tuple(recordings), moment, db, home, record, replace)


@contextlib.contextmanager
def _store(plan: RecordingPlan) -> Iterator[CampaignStore]:
    from campaigns.cli_common import open_store

    if plan.record:
        store = open_store(plan.db, plan.home)
        try:
            yield store
        finally:
            store.close()
        return
    import tempfile

    with tempfile.TemporaryDirectory(prefix="dialer-sim-report-") as folder:
        store = open_store(f"sqlite:///{Path(folder) / 'simulated.db'}")
        try:
            yield store
        finally:
            store.close()


def check_names(plan: RecordingPlan) -> None:
    """Refuse a campaign name in use (unless ``--replace`` and it is a recorded simulation)
    before the simulations run."""
    if not plan.record:
        return
    from simulations.recorder import check_name

    with _store(plan) as store:
        for recording in plan.recordings:
            check_name(store, recording.campaign, replace=plan.replace)


def _record_then_replace(store: Any, scenario: Scenario, recording: Any,
                         plan: RecordingPlan, seed: int) -> Any:
    """Record under a name of its own, and only then put it in place of the recording
    ``--replace`` replaces (renamed in one transaction, deleted after). The old one was
    deleted first: a Ctrl-C (or any failure) while the new one was written lost both
    (first-hour eleventh pass)."""
    import dataclasses
    import os

    import sqlalchemy as sa

    from campaigns.models import Campaign
    from simulations.recorder import check_name, delete_simulated, record_simulation

    name = recording.campaign
    old = check_name(store, name, replace=plan.replace)
    temporary = f"{name[:90]}#recording-{os.getpid()}" if old is not None else name
    run = record_simulation(
        store, scenario, recording.spec.name, params=dict(recording.spec.params),
        name=temporary, start=plan.start, seed=seed, replication=0, replace=False)
    if old is None:
        return run
    with store.session() as session:
        session.execute(sa.update(Campaign).where(Campaign.id == old).values(
            name=f"{name[:90]}#replaced-{old}"))
        session.execute(sa.update(Campaign).where(Campaign.id == run.campaign_id).values(
            name=name))
        session.commit()
    delete_simulated(store, old)
    return dataclasses.replace(run, campaign=name)


def record_and_report(plan: RecordingPlan, scenario: Scenario, seed: int,
                      progress: Any = None) -> list[dict[str, Any]]:
    """Record replication 0 of each policy and write its report files; one document per
    policy (campaign, attempts, period, files)."""
    from campaigns.cli_report import write_workbook
    from campaigns.plot import plot_report
    from campaigns.reports import campaign_report
    from simulations.recorder import check_name

    done: list[dict[str, Any]] = []
    with _store(plan) as store:
        for recording in plan.recordings:  # every name, again, before the first recording
            check_name(store, recording.campaign, replace=plan.replace)
        for recording in plan.recordings:
            if progress is not None:
                progress(f"recording {recording.campaign}")
            run = _record_then_replace(store, scenario, recording, plan, seed)
            if recording.report is not None or recording.plot is not None:
                result = campaign_report(store, run.campaign, run.start, run.end)
                if recording.report is not None:
                    write_workbook(result, recording.report)
                if recording.plot is not None:
                    plot_report(result, recording.plot)
            done.append({
                "policy": recording.spec.label, "campaign": run.campaign if plan.record
                else None, "attempts": run.attempts, "from": run.start.isoformat(),
                "to": run.end.isoformat(),
                "report": str(recording.report) if recording.report else None,
                "report_plot": str(recording.plot) if recording.plot else None})
    return done


def describe(done: Sequence[dict[str, Any]]) -> list[str]:
    """What was recorded and written, one line each, with the report command."""
    def moment(text: str) -> str:
        return f"{datetime.fromisoformat(text).astimezone(UTC):%Y-%m-%dT%H:%M}"

    lines = []
    for entry in done:
        files = ", ".join(f for f in (entry["report"], entry["report_plot"]) if f)
        wrote = f"; wrote {files}" if files else ""
        if entry["campaign"] is None:
            lines.append(f"{entry['policy']} (replication 0, {entry['attempts']:,} "
                         f"attempts){wrote}")
            continue
        lines.append(
            f"recorded {entry['policy']} (replication 0) as campaign {entry['campaign']}: "
            f"{entry['attempts']:,} attempts; see dialer report {entry['campaign']} --from "
            f"{moment(entry['from'])} --to {moment(entry['to'])}{wrote}")
    return lines
