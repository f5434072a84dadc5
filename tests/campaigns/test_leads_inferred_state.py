"""The state a lead file leaves out is the one the compliance rules place the number in
(dnc/numbering.py), stored as the lead's own: Chicago (312), New York (212) and Connecticut
(203) leads were stored with no state, the four-digit table knowing none of them."""

from __future__ import annotations

from datetime import UTC, datetime

from dnc.rules.model import LeadFacts
from dnc.rules.tables import RuleTables
from dnc.rules.zones import place

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def test_import_stores_the_state_the_rules_place_the_number_in(store, tmp_path) -> None:
    store.create_campaign("c", at=NOW)
    path = tmp_path / "leads.csv"
    path.write_text("phone\n3125550123\n2035550123\n2125550123\n2016315555\n2015550123\n")
    report = store.import_file("c", path, at=NOW)
    assert report.imported == 5
    leads = {lead.phone: lead for lead in store.leads("c")}
    assert {phone: lead.state for phone, lead in leads.items()} == {
        "+13125550123": "IL", "+12035550123": "CT", "+12125550123": "NY",
        "+12016315555": "NY", "+12015550123": "NJ"}
    for phone, lead in leads.items():  # the stored state adds nothing the rules lack
        stored = place(LeadFacts(phone, state=lead.state), RuleTables())
        assert set(stored.states) == set(place(LeadFacts(phone), RuleTables()).states)
