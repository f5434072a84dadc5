"""A written consent counts only when it names this seller and this number: equal texts
match at once, and an empty seller name never matches (not even an empty campaign seller)."""

from __future__ import annotations

from datetime import UTC, datetime

from dnc.rules.consent import relied_consent
from dnc.rules.model import ConsentKind, ConsentRecord

AT = datetime(2026, 11, 17, 18, tzinfo=UTC)
NUMBER = "+12125550123"
WRITTEN = (ConsentKind.PRIOR_EXPRESS_WRITTEN,)


def consent(seller: str | None, number: str | None = NUMBER) -> ConsentRecord:
    return ConsentRecord(ConsentKind.PRIOR_EXPRESS_WRITTEN, datetime(2026, 1, 5, tzinfo=UTC),
                         seller=seller, number=number, source="web form #1")


def test_the_same_seller_and_number_are_relied_on() -> None:
    found, text = relied_consent([consent("Acme Solar")], WRITTEN, AT, number=NUMBER,
                                 seller="Acme Solar")
    assert found is not None and text.startswith("consent:prior_express_written for Acme")


def test_seller_names_differing_in_case_and_punctuation_match_and_digits_match() -> None:
    found, _ = relied_consent([consent("ACME solar, ", "+1 (212) 555-0123")], WRITTEN, AT,
                              number=NUMBER, seller="Acme Solar")
    assert found is not None


def test_an_empty_seller_name_is_no_seller_even_when_the_campaign_s_is_empty_too() -> None:
    found, why = relied_consent([consent("")], WRITTEN, AT, number=NUMBER, seller="")
    assert found is None
    assert "is for seller ''" in why


def test_another_seller_or_number_is_not_relied_on() -> None:
    assert relied_consent([consent("Other Co")], WRITTEN, AT, number=NUMBER,
                          seller="Acme Solar")[0] is None
    assert relied_consent([consent("Acme Solar", "+12125550199")], WRITTEN, AT,
                          number=NUMBER, seller="Acme Solar")[0] is None
