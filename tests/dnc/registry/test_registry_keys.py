"""E.164 strings to registry keys: the batch fast path answers exactly what the general
path does, for any strings (other lengths, non-digits, newlines, non-ASCII)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dnc.registry.keys import _keys_of_any, key_of_e164, keys_of_e164

CHARACTERS = st.sampled_from(list("+1234567890\n xé"))
NUMBERS = st.one_of(st.text(CHARACTERS, min_size=10, max_size=14),
                    st.from_regex(r"\+1[0-9]{10}", fullmatch=True))


@settings(max_examples=400, deadline=None)
@given(st.lists(NUMBERS, max_size=8))
def test_the_fast_path_gives_the_general_answer(numbers: list[str]) -> None:
    keys = keys_of_e164(numbers)
    assert keys.tolist() == _keys_of_any(numbers).tolist()
    assert keys.tolist() == [-1 if key_of_e164(n) is None else key_of_e164(n) for n in numbers]
