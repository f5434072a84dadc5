"""Export of a campaign's leads and call results to CSV or XLSX.

Rows are streamed from the database in chunks for CSV; XLSX is limited by the format to
1,048,576 rows a sheet and is refused beyond that (use CSV).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import sqlalchemy as sa

from campaigns.errors import CampaignError
from campaigns.models import Agent, CallAttempt, Lead, LeadList
from dnc.whole_files import written_whole

if TYPE_CHECKING:
    from campaigns.store import CampaignRef, CampaignStore

XLSX_MAX_ROWS = 1_048_575
CHUNK = 100_000


def _leads_query(campaign_id: int) -> sa.Select:
    return (sa.select(Lead.id.label("lead_id"), LeadList.name.label("list"), Lead.phone,
                      Lead.first_name, Lead.last_name, Lead.state, Lead.postal_code,
                      Lead.timezone, Lead.status, Lead.attempts, Lead.last_outcome,
                      Lead.last_attempt_at, Lead.next_attempt_at, Lead.priority,
                      Lead.block_reason, Lead.custom, Lead.source_line)
            .join(LeadList, LeadList.id == Lead.list_id)
            .where(Lead.campaign_id == campaign_id).order_by(Lead.id))


def _results_query(campaign_id: int) -> sa.Select:
    return (sa.select(CallAttempt.id.label("attempt_id"), CallAttempt.lead_id,
                      CallAttempt.phone, CallAttempt.attempt_number, CallAttempt.dialed_at,
                      CallAttempt.answered_at, CallAttempt.bridged_at, CallAttempt.ended_at,
                      CallAttempt.outcome, CallAttempt.hangup_cause,
                      CallAttempt.hangup_side.label("hung_up_by"), CallAttempt.answer_kind,
                      CallAttempt.abandoned, Agent.name.label("agent"),
                      CallAttempt.disposition, CallAttempt.recording_path,
                      CallAttempt.switch_node, CallAttempt.caller_id, CallAttempt.call_uuid,
                      CallAttempt.queue_callback_id.label("queue_callback"))
            .outerjoin(Agent, Agent.id == CallAttempt.agent_id)
            .where(CallAttempt.campaign_id == campaign_id).order_by(CallAttempt.id))


def export_campaign(store: CampaignStore, campaign: CampaignRef, path: str | Path,
                    what: str = "leads") -> int:
    """Write ``leads`` or ``results`` (one row per call attempt) to ``path`` (.csv/.xlsx);
    returns the number of rows written."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise CampaignError(f"{path}: export to .csv or .xlsx")
    if what not in ("leads", "results"):
        raise CampaignError(f"export what={what!r}: choose leads or results")
    campaign_id = store.campaign(campaign).id
    query = _leads_query(campaign_id) if what == "leads" else _results_query(campaign_id)
    with written_whole(path) as partial:
        return _export_rows(store.engine, query, partial, path, what)


def _export_rows(engine: sa.Engine, query: sa.Select, path: Path, target: Path,
                 what: str) -> int:
    """The rows of ``query`` written to ``path``, in chunks (``target``: the file named)."""
    suffix = target.suffix.lower()
    written = 0
    with engine.connect().execution_options(sqlite_begin="DEFERRED") as connection:
        result = connection.execution_options(yield_per=CHUNK).execute(query)
        columns = list(result.keys())
        frames = []
        for chunk in result.partitions(CHUNK):
            frame = pd.DataFrame(chunk, columns=columns)
            if suffix == ".csv":
                frame.to_csv(path, mode="w" if written == 0 else "a", header=written == 0,
                             index=False)
            else:
                frames.append(frame)
            written += len(frame)
            if suffix == ".xlsx" and written > XLSX_MAX_ROWS:
                raise CampaignError(f"{target}: {written:,}+ rows do not fit in an XLSX sheet; "
                                    "export to .csv")
    if suffix == ".csv" and written == 0:
        pd.DataFrame(columns=columns).to_csv(path, index=False)
    if suffix == ".xlsx":
        frame = pd.concat(frames) if frames else pd.DataFrame(columns=columns)
        for column in frame.columns:  # Excel has no time zones: UTC wall time
            if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
                frame[column] = frame[column].dt.tz_convert("UTC").dt.tz_localize(None)
        for column in frame.columns:
            if frame[column].map(lambda v: isinstance(v, dict | list)).any():
                frame[column] = frame[column].map(str)
        frame.to_excel(path, index=False, sheet_name=what)
    return written
