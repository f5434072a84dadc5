"""The vectorised NANP path must agree with phonenumbers on every input it decides."""

from __future__ import annotations

import pandas as pd
import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.phones import area_codes, normalise_one, normalise_series

STYLES = (
    lambda d: d, lambda d: "1" + d, lambda d: "+1" + d,
    lambda d: f"({d[:3]}) {d[3:6]}-{d[6:]}", lambda d: f"{d[:3]}.{d[3:6]}.{d[6:]}",
    lambda d: f"+1 {d[:3]} {d[3:6]} {d[6:]}", lambda d: "+" + d, lambda d: d[:7],
    lambda d: f" {d} ",
)
SEPARATED = st.builds(lambda digits, style: style(digits),
                      st.text(alphabet="0123456789", min_size=10, max_size=10),
                      st.sampled_from(STYLES))
# Realistic numbers: valid-looking area code and exchange (first digits 2-9).
PLAUSIBLE = st.builds(lambda a, b, c, style: style(f"{a}{b}{c}"),
                      st.integers(200, 999), st.integers(200, 999), st.integers(0, 9999).map(
                          lambda n: f"{n:04d}"), st.sampled_from(STYLES))


def _reference(text: str) -> str | None:
    return normalise_one(text, "US")[0]


@settings(max_examples=300)
@given(st.lists(PLAUSIBLE | SEPARATED | st.text(max_size=16), min_size=1, max_size=30))
def test_fast_path_agrees_with_phonenumbers(values):
    fast, reasons = normalise_series(pd.Series(values, dtype=object), "US")
    for value, number, reason in zip(values, fast, reasons, strict=True):
        assert number == _reference(value), value
        assert (reason == "") == (number is not None)


def test_formats_and_reasons():
    fast, reasons = normalise_series(pd.Series(
        ["(201) 555-0123", "+1 201 555 0123", "12015550123", "+2015550123", "555-01", "",
         "011 44 20 7946 0000", "1115550123"], dtype=object), "US")
    assert list(fast) == ["+12015550123", "+12015550123", "+12015550123", "+2015550123",
                          None, None, "+442079460000", None]
    assert reasons[4].startswith("invalid") and reasons[5] == "empty phone number"


def test_area_code_table_matches_phonenumbers():
    table = area_codes()
    assert table["201"].state == "NJ" and table["201"].timezone == "America/New_York"
    assert table["907"].state == "AK"
    assert table["416"].state == "ON"
    for npa in ("212", "305", "415", "808"):
        parsed = phonenumbers.parse(f"+1{npa}5550100")
        zones = phonenumbers.timezone.time_zones_for_number(parsed)
        assert set(table[npa].timezone.split(",")) == set(zones)


def test_another_countrys_international_prefix_is_refused_saying_what_to_write():
    """'00' is dialed abroad from most of the world, not from the US (011): a lead file
    from a European office writes '001 312 555 0124'. Refused, never guessed, and the
    reason says which number to write; the US prefix and a region dialing 00 still read."""
    numbers, reasons = normalise_series(pd.Series(
        ["001 312 555 0124", "0044 20 7946 0958", "011 44 20 7946 0958", "0012"],
        dtype=object), "US")
    assert list(numbers) == [None, None, "+442079460958", None]
    assert reasons[0] == ("invalid phone number (00 is not the international prefix dialed "
                          "from US; if +13125550124 is meant, write it so)")
    assert "if +442079460958 is meant, write it so" in reasons[1]
    assert reasons[3] == "invalid phone number"  # nothing valid behind the 00: no hint
    assert normalise_one("001 312 555 0124", "GB") == ("+13125550124", "")
