"""A revocation names the person as the officer writes them: ``--contact c-77`` is the lead
import's ``C-77``, spaces and case aside (``dnc.interfaces.contact_key``).

On the code before, the facts store compared a revocation's ``contact_id`` with the lead's
byte for byte: a revocation recorded for ``c-77`` (or ``C-77 `` from a file) ended no consent
of the person ``C-77`` and stopped none of their telemarketing calls.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from dnc.facts import NumberFactsStore
from dnc.interfaces import Revocation, contact_key
from dnc.rules.engine import ComplianceEngine
from dnc.rules.model import CampaignRules, LeadFacts, Profile
from tests.dialer.runner.test_dial_gate import FreshNational

AT = datetime(2026, 11, 17, 18, tzinfo=UTC)  # Tuesday 13:00 in New York
NUMBER, OTHER = "+12015550101", "+12015550102"
US = CampaignRules("spring", profiles=(Profile.US_FEDERAL,), seller="Acme Solar",
                   treat_unknown_line_type_as_wireless=False)


def _revoke(store: NumberFactsStore, person: str) -> None:
    store.revoke([Revocation(None, person, AT - timedelta(days=1), "letter")],
                 AT - timedelta(days=1), "ann")


def test_a_revocation_for_the_person_in_other_case_stops_their_calls(tmp_path):
    store = NumberFactsStore(tmp_path / "facts.db")
    _revoke(store, " c-77 ")
    assert [r.contact_id for r in store.revocations(NUMBER, "C-77", AT)] == [" c-77 "]
    assert store.revocations_recorded(NUMBER, "C-77")
    assert store.revocations_recorded_many([(NUMBER, "C-77"), (OTHER, "c-78")]) == {
        NUMBER: store.revocations_recorded(NUMBER, "C-77"), OTHER: []}
    engine = ComplianceEngine(FreshNational(AT - timedelta(days=1)), _NoHistory(),
                              facts=store)
    lead = LeadFacts(NUMBER, time_zone="America/New_York", contact_id="C-77",
                     line_type=None)
    decision = engine.check(lead, US, AT)
    assert not decision.allowed
    assert "us.stop_request" in {o.rule_id for o in decision.reasons}
    store.close()


def test_a_facts_file_written_before_the_key_is_upgraded_and_filled(tmp_path):
    path = tmp_path / "facts.db"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE revocation (id INTEGER PRIMARY KEY AUTOINCREMENT, number TEXT, "
        "contact_id TEXT, at TEXT NOT NULL, channel TEXT NOT NULL, source TEXT NOT NULL, "
        "recorded_at TEXT NOT NULL, recorded_by TEXT NOT NULL);")
    old.execute("INSERT INTO revocation (number, contact_id, at, channel, source, recorded_at, "
                "recorded_by) VALUES (NULL, 'Email:Ann@X.com', ?, 'letter', '', ?, 'ann')",
                ((AT - timedelta(days=1)).isoformat(), (AT - timedelta(days=1)).isoformat()))
    old.commit()
    old.close()
    store = NumberFactsStore(path)
    assert len(store.revocations(NUMBER, "email:ann@x.com", AT)) == 1
    store.close()
    again = NumberFactsStore(path)  # a second opening finds it done
    assert len(again.revocations(NUMBER, "EMAIL:ANN@X.COM", AT)) == 1
    again.close()


def test_a_blank_person_is_no_revocation(tmp_path):
    import pytest

    from dnc.errors import ImportFormatError

    store = NumberFactsStore(tmp_path / "facts.db")
    with pytest.raises(ImportFormatError):
        _revoke(store, "   ")
    store.close()


@settings(max_examples=80, deadline=None)
@given(st.text(alphabet=st.sampled_from("aAbBß -_1é"), min_size=1, max_size=8),
       st.sampled_from([str.upper, str.lower, str.title, lambda s: f"  {s} "]))
def test_case_and_spaces_never_split_a_person(person, written):
    if contact_key(person) is None:
        return
    assert contact_key(written(person)) == contact_key(person) or \
        contact_key(written(person)) == contact_key(person.casefold())


class _NoHistory:
    def attempts(self, number_e164, since):
        return []
