"""The seller a lead file's consents name must be the campaign's, or declared new.

A written consent counts only for the seller it names (47 CFR 64.1200(f)(9); the rules
compare names without case or punctuation, ``dnc.rules.consent.same_seller``). A consent
imported for ``Sprng Solar`` into a campaign whose seller is ``Spring Solar`` never counts
for its calls: every such lead is refused at every dial (or, on a campaign calling on
consent alone, never called), and until 2026-12-07 nothing said so at the import. The
import now refuses a seller that is not the campaign's, naming the sellers the store knows
(the ``compliance.seller_name`` of each campaign) and the closest one, unless the importer
declares it (``--new-seller``: consents for another seller, kept on record).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from campaigns.errors import LeadImportError
from dnc.rules.consent import same_seller


def seller_problem(seller: str, campaign_seller: str, known: Sequence[str]) -> str | None:
    """Why consents naming ``seller`` would not count for a campaign of ``campaign_seller``
    (None: they would, or the campaign declares no seller yet and ``seller`` is no near miss
    of a seller the store knows). ``known``: every seller name the store's campaigns
    declare."""
    if campaign_seller and same_seller(seller, campaign_seller):
        return None
    names = sorted({name for name in known if name}, key=str.casefold)
    close = difflib.get_close_matches(seller, names, n=1, cutoff=0.6)
    if not campaign_seller and (not close or same_seller(seller, close[0])):
        return None
    hint = f"did you mean {close[0]!r}? " if close else ""
    listed = ", ".join(map(repr, names))
    whose = (
        f"is not the campaign's seller ({campaign_seller!r})"
        if campaign_seller
        else f"is not {close[0]!r}, the seller of another campaign"
    )
    return (
        f"consent seller {seller!r} {whose}: its consents would never count for the "
        f"campaign's calls; {hint}known sellers: {listed}; refused, nothing imported. "
        "Write the seller as the campaign declares it, or pass --new-seller to keep "
        "consents for another seller on record"
    )


def refuse_unknown_sellers(
    path: str,
    campaign_seller: str,
    known: Sequence[str],
    stated: str | None,
    cells: Sequence[str | None] | None,
    consents: Sequence[str | None],
    lines: Sequence[int],
) -> None:
    """Refuse the first seller (the ``--consent-seller`` option, else a row's
    ``consent_seller`` cell) that a row with a consent would name and that is not the
    campaign's; rows without a consent make no record and are not checked. A campaign that
    declares no seller yet cannot start (``campaign start`` names it); its consents count
    once it declares the seller they name."""
    checked: set[str] = set()
    for index, consent in enumerate(consents):
        if consent is None:
            continue
        cell = cells[index] if cells is not None else None
        seller = cell or stated
        if not seller or seller in checked:
            continue
        checked.add(seller)
        if (problem := seller_problem(seller, campaign_seller, known)) is None:
            continue
        if cell:
            raise LeadImportError(
                problem, path=path, line=int(lines[index]), field="consent_seller"
            )
        raise LeadImportError(f"--consent-seller: {problem}", path=path)
