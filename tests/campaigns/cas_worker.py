"""One writer of the campaign store in a process of its own, for the compare-and-set race
tests (``test_campaign_versions.py``): reads one JSON command a line from standard input,
acts on the store at once and answers one JSON line. Run as
``python tests/campaigns/cas_worker.py DATABASE_URL``."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from campaigns.store import CampaignStore, IllegalTransition, StaleVersion
from dialer.runner.state_follow import stop_stored


def act(store: CampaignStore, command: dict) -> dict:
    at = datetime.now(UTC)
    try:
        if command["op"] == "state" and command["target"] == "stopped":
            row = store.campaign(command["campaign"])
            done, state = stop_stored(
                store, row.id or 0, [command["saw"]], at.timestamp(), command["seen"]
            )
            return {"ok": done, "state": state}
        if command["op"] == "state":
            store.transition_campaign(
                command["campaign"],
                command["target"],
                at=at,
                seen_version=command["seen"],
                only_from=("paused",) if command["target"] == "running" else None,
            )
        else:
            store.edit_campaign(
                command["campaign"], command["changes"], at=at, seen_pacing_version=command["seen"]
            )
    except StaleVersion as stale:
        return {"ok": False, "stale": True, "state": stale.state}
    except IllegalTransition as refused:
        return {"ok": False, "error": str(refused)}
    return {"ok": True}


def main() -> None:
    store = CampaignStore.open(sys.argv[1], upgrade=False)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        print(json.dumps(act(store, json.loads(line))), flush=True)
    store.close()


if __name__ == "__main__":
    main()
