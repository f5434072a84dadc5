"""FreeSWITCH's argument splitting as the simulator mirrors it (switch_separate_string)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulations.switch.dialstring import separate_string, split_variables


def test_blank_split_honours_quotes_and_escapes() -> None:
    assert separate_string("originate  {a=1}user/1001   &park() XML default 'Acme Co' 1 30",
                           " ") == ["originate", "{a=1}user/1001", "&park()", "XML", "default",
                                    "Acme Co", "1", "30"]
    assert separate_string(r"a\sb c", " ") == ["a b", "c"]


def test_variable_block_escapes() -> None:
    assert split_variables(r"a=1,b=x\,y,c='q r',d=k\=v,e=") == {
        "a": "1", "b": "x,y", "c": "q r", "d": "k=v", "e": ""}
    assert split_variables("^^;a=1,2;b=3") == {"a": "1,2", "b": "3"}


values = st.text(st.characters(min_codepoint=32, max_codepoint=126, blacklist_characters="{}[]$"),
                 max_size=30).map(lambda v: v.strip(" "))


@given(values)
def test_the_dialers_escaping_survives_freeswitchs_three_passes(value: str) -> None:
    """What dialer.freeswitch writes in ``{name=value}`` reaches the channel unchanged."""
    adapter = pytest.importorskip("dialer.freeswitch.api")
    block = adapter.variable_block({"origination_caller_id_name": value, "x": "1"})
    url = separate_string(f"{block}sofia/gateway/gw/15551234567 &park()", " ")[0]
    parsed = split_variables(url[1 : url.index("}")])
    assert parsed == {"origination_caller_id_name": value, "x": "1"}
