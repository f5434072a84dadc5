"""Seventeenth adversarial pass: every number the called person is shown or told to call.

47 CFR 64.1601(e) and Ofcom's CLI guidance: the caller ID must be a number a person can call
to ask not to be called; 64.1200(a)(7)(i)(B) and (b)(2): the abandoned-call message's
do-not-call number and a recorded message's call-back number "may not be a 900 number or any
other number for which charges exceed local or long distance transmission charges" (Ofcom:
a free or basic-rate number). Before this pass only a premium-rate caller ID and a +1 900
do-not-call number were refused: a pager or shared-cost caller ID, a UK premium-rate,
personal (070), pager or undialable do-not-call number, and a 900 call-back number in the
recorded message were accepted (docs/compliance-proof.md, "Seventeenth pass", row 2)."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from campaigns.settings import CampaignSettings

UK = {"jurisdiction": "uk", "abandon_target": 0.02}
US_CLI = "+12015550100"
UK_CLI = "+442079460000"
RECORDED = {"seller_named_first": True, "callback_number": US_CLI,
            "optout_number": "+18005550199"}

REFUSED_TYPES = (phonenumbers.PhoneNumberType.PREMIUM_RATE,
                 phonenumbers.PhoneNumberType.SHARED_COST,
                 phonenumbers.PhoneNumberType.PAGER,
                 phonenumbers.PhoneNumberType.VOICEMAIL)


def _settings(**values) -> CampaignSettings:
    return CampaignSettings.model_validate({"caller_ids": [US_CLI], **values})


def _examples(kinds) -> list[str]:
    numbers = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in kinds:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None and phonenumbers.number_type(example) == kind:
                numbers.append(phonenumbers.format_number(
                    example, phonenumbers.PhoneNumberFormat.E164))
    return sorted(set(numbers))


REFUSED = _examples(REFUSED_TYPES)
CALLABLE = _examples((phonenumbers.PhoneNumberType.FIXED_LINE,
                      phonenumbers.PhoneNumberType.TOLL_FREE))


@pytest.mark.parametrize(("values", "message"), [
    ({"caller_ids": ["+447623456789"]}, "pager number"),
    ({**UK, "caller_ids": ["+447623456789"]}, "pager number"),
    ({**UK, "caller_ids": [UK_CLI], "compliance": {"dnc_number": "+449098790000"}},
     "dnc_number: +449098790000 is a premium-rate number"),
    ({**UK, "caller_ids": [UK_CLI], "compliance": {"dnc_number": "+448712345678"}},
     "premium-rate number"),
    ({**UK, "caller_ids": [UK_CLI], "compliance": {"dnc_number": "+447010000000"}},
     "compliance.dnc_number: +447010000000 is a personal (070) number"),
    ({"compliance": {"dnc_number": "+12015550"}}, "dnc_number: +12015550 is not a dialable"),
    ({"machine_action": "leave_message", "machine_message": "vm.wav",
      "compliance": {"recorded_message": {**RECORDED, "callback_number": "+19005550100"}}},
     "callback_number: +19005550100 is a premium-rate number"),
    ({"machine_action": "leave_message", "machine_message": "vm.wav",
      "compliance": {"recorded_message": {**RECORDED, "callback_number": "+12015550"}}},
     "callback_number: +12015550 is not a dialable"),
])
def test_a_number_the_called_person_cannot_call_back_at_a_basic_rate_is_refused(values,
                                                                              message):
    with pytest.raises(ValidationError, match=message.replace("+", r"\+").replace("(", r"\(")
                       .replace(")", r"\)")):
        _settings(**values)


@settings(max_examples=60, deadline=None)
@given(number=st.sampled_from(REFUSED), where=st.sampled_from(
    ("caller_ids", "dnc_number", "callback_number")))
def test_no_surcharged_or_unanswerable_number_is_accepted_anywhere_a_callee_is_given_one(
        number, where):
    """Whatever the country, a premium-rate, shared-cost, pager or voicemail-access number is
    refused as a caller ID, as the do-not-call number and as the recorded message's
    call-back number; a fixed-line or toll-free number of a country is accepted there."""
    assert len(REFUSED) >= 20 and len(CALLABLE) >= 100
    values = {
        "caller_ids": {"caller_ids": [number]},
        "dnc_number": {"compliance": {"dnc_number": number}},
        "callback_number": {"machine_action": "leave_message", "machine_message": "vm.wav",
                            "compliance": {"recorded_message": {**RECORDED,
                                                                "callback_number": number}}},
    }[where]
    with pytest.raises(ValidationError):
        _settings(**values)
    callable_number = CALLABLE[REFUSED.index(number) % len(CALLABLE)]
    _settings(caller_ids=[callable_number], compliance={"dnc_number": callable_number})
