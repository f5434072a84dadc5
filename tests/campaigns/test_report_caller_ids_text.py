"""The text report shows the answer rate per caller ID and the per-gateway section, not
only the JSON: an operator reading `dialer report` sees a number flagged as spam."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from campaigns.cli_report import _render_report
from campaigns.reports import CampaignReport


def test_caller_ids_and_gateways_are_rendered(capsys) -> None:
    empty = pd.DataFrame()
    report = CampaignReport(
        "spring", datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC), 0.03,
        {"dials": 300}, empty, empty, empty, empty, empty,
        caller_ids=pd.DataFrame({"caller_id": ["+12015550100", "+13125550100"],
                                 "dials": [150, 150], "answer_rate": [0.31, 0.04]}),
        gateways=pd.DataFrame({"gateway": ["carrier1"], "legs": [300], "asr": [0.2]}))
    _render_report(report)
    out = capsys.readouterr().out
    assert "caller ids" in out and "+13125550100" in out and "4.0%" in out
    assert "gateways" in out and "carrier1" in out and "20.0%" in out
