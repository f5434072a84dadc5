"""Where a call's recording goes: the campaign's path template filled in per attempt."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from dialer.engine.calls import Call
from dialer.engine.config import CampaignConfig

_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]")


def _safe(value: str) -> str:
    # Path components come from ids and lead data: keep them to characters that are safe in
    # a file name and in a FreeSWITCH API argument (no spaces, slashes or quotes).
    return _UNSAFE.sub("_", value)


def recording_path(config: CampaignConfig, call: Call, at: float) -> str:
    """Fill ``config.recording_path_template`` for ``call`` answered at ``at``."""
    target = call.target
    date = datetime.fromtimestamp(at, tz=UTC).strftime("%Y-%m-%d")
    return config.recording_path_template.format(
        campaign=_safe(config.campaign_id),
        call_id=_safe(call.call_id),
        lead_id=_safe(target.lead_id if target else "inbound"),
        attempt=target.attempt_number if target else 0,
        date=date,
    )
