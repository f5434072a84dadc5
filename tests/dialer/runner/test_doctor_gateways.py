"""``dialer doctor`` on the gateways a run would route through: every one disabled, or cost
tables that serve none of the leads' numbers, placed no call at all (each lead given back
every 15 minutes) while doctor said the campaign would dial."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from campaigns.gateways import RateRow, add_gateway, edit_gateway
from campaigns.leads import LeadInput
from campaigns.store import CampaignStore
from dialer.runner.doctor import Verdict, _gateway_checks

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
SWITCH = "10.0.0.5:8021"


@pytest.fixture
def store(tmp_path: Path):
    opened = CampaignStore.open(f"sqlite:///{tmp_path}/dialer.db")
    opened.create_campaign("spring", {"caller_ids": ["+12025550100"]}, at=NOW)
    opened.add_leads("spring", [LeadInput("+12015550123"), LeadInput("+13125550101")], at=NOW)
    yield opened
    opened.close()


def checks(store) -> list[tuple[Verdict, str]]:
    row = store.campaign("spring")
    return [(c.verdict, c.message) for c in _gateway_checks(store, [SWITCH], row)]


def gateway(store, name: str, prefixes: list[str] | None) -> None:
    rates = None if prefixes is None else [RateRow(p, 0.01, 6, 6) for p in prefixes]
    add_gateway(store, {"name": name, "switch": SWITCH, "channels": 10, "cps": 2}, rates, at=NOW)


def test_no_gateway_configured_is_no_check(store) -> None:
    assert checks(store) == []  # calls go through `dialer run --gateway`


def test_every_gateway_disabled_fails_with_its_repair(store) -> None:
    gateway(store, "g1", None)
    edit_gateway(store, "g1", SWITCH, {"enabled": False})
    [(verdict, message)] = checks(store)
    assert verdict is Verdict.FAIL
    assert "every gateway is disabled" in message and "--enable" in message


def test_cost_tables_serving_none_of_the_leads_fail(store) -> None:
    gateway(store, "uk", ["44"])
    [(verdict, message)] = checks(store)
    assert verdict is Verdict.FAIL
    assert "serves the leads' numbers" in message and "44" in message


def test_some_leads_unserved_is_a_warning_and_a_table_less_gateway_serves_all(store) -> None:
    gateway(store, "nj", ["1201"])
    [(verdict, message)] = checks(store)
    assert verdict is Verdict.WARN and "1 of 2 dialable leads" in message
    gateway(store, "any", None)
    assert [v for v, _ in checks(store)] == [Verdict.OK]


def test_a_row_stored_beyond_the_limits_fails_with_its_repair(store) -> None:
    """A gateway stored before the bounds (or written by hand) is named by doctor, and the
    runner refuses it, as `gateway add` would."""
    from dialer.engine.gateways import GatewayConfigError
    from dialer.runner.carriers import load_router

    add_gateway(store, {"name": "g1", "switch": SWITCH, "channels": 1_000_000_000, "cps": 2,
                        "priority": -1}, None, at=NOW)
    [(verdict, message)] = checks(store)
    assert verdict is Verdict.FAIL
    assert "--channels 1000000000 is outside 1-10,000" in message
    assert "--priority -1 is outside 0-1,000" in message
    assert "dialer gateway edit g1 --switch 10.0.0.5:8021" in message
    with pytest.raises(GatewayConfigError, match="--channels 1000000000"):
        load_router(store, [SWITCH])
