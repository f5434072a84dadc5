"""A lead file given as a do-not-call list is refused (docs/dnc.md, "Bad input")."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dnc.registry import DncStore
from dnc.registry.errors import ImportRefused
from dnc.registry.importer import import_numbers

NOW = datetime(2026, 12, 7, tzinfo=UTC)


def _listed(tmp_path, number: str) -> bool:
    store = DncStore(tmp_path / "dnc", internal=False)
    try:
        return bool(store.hits(number))
    finally:
        store.close()


def test_a_lead_file_imported_as_a_state_list_is_refused(tmp_path):
    """``dnc import leads.csv --registry state:FL`` read the phone column and published it
    in place of the state's list: every number of the real list unlisted, and dialed."""
    root = tmp_path / "dnc" / "registries"
    state = tmp_path / "fl.txt"
    state.write_text("3055550100\n")
    import_numbers(root, "state:FL", [state], NOW, NOW)
    leads = tmp_path / "leads.csv"
    leads.write_text(
        "first_name,last_name,phone,email,priority\nAnn,Lee,2015550123,ann@example.com,1\n"
    )
    with pytest.raises(ImportRefused) as refused:
        import_numbers(root, "state:FL", [leads], NOW, NOW)
    assert str(refused.value).startswith(
        f"{leads}:1: looks like a lead file, not a do-not-call list: its header names "
        "'email', 'priority' (5 columns), which no do-not-call list carries; refused, stored "
        "registry unchanged. Import leads with dialer leads import CAMPAIGN FILE"
    )
    assert _listed(tmp_path, "+13055550100") and not _listed(tmp_path, "+12015550123")


def test_a_state_list_with_registrants_names_is_still_a_list(tmp_path):
    root = tmp_path / "dnc" / "registries"
    state = tmp_path / "mo.csv"
    state.write_text(
        "name,address,city,zip,phone\nAnn Lee,1 Main St,Jefferson City,65101,5735550100\n"
    )
    import_numbers(root, "state:MO", [state], NOW, NOW)
    assert _listed(tmp_path, "+15735550100")


def test_every_column_of_phone_numbers_is_listed(tmp_path):
    """A state list of ``home_phone`` and ``cell_phone`` was read from one column: the other
    column's numbers (people who asked not to be called) were dropped without a word."""
    root = tmp_path / "dnc" / "registries"
    state = tmp_path / "tx.csv"
    state.write_text(
        "name,home_phone,cell_phone\nAnn Lee,2125550100,9175550100\nBob Roe,2125550101,\n"
    )
    summary = import_numbers(root, "state:TX", [state], NOW, NOW)
    assert summary.count == 3 and summary.rejected == 0
    assert _listed(tmp_path, "+19175550100") and _listed(tmp_path, "+12125550101")
