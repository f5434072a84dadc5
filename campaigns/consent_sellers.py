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
from typing import TYPE_CHECKING

from campaigns.errors import CampaignError, LeadImportError
from dnc.rules.consent import same_seller

if TYPE_CHECKING:
    from campaigns.store import CampaignStore


def seller_problem(seller: str, campaign_seller: str, known: Sequence[str],
                   override: str = "--new-seller") -> str | None:
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
        f"Write the seller as the campaign declares it, or pass {override} to keep "
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


def no_seller_warning(path: str, consents: Sequence[str], lines: Sequence[int],
                      campaign_seller: str, remove: str) -> str | None:
    """The imported written consents that name no seller (no ``--consent-seller``, no
    ``consent_seller`` cell): they count for no call (47 CFR 64.1200(f)(9)), and the leads
    that need one are refused at every dial. Until 2026-12-07 the import said nothing, and
    a campaign whose leads were all imported that way never dialed anyone (first-hour
    twelfth pass). A warning, not a refusal: such a consent dials less, never more."""
    import json

    found = [index for index, text in enumerate(consents) if text and any(
        isinstance(record, dict) and not record.get("seller")
        and str(record.get("kind", "")).endswith("written") for record in json.loads(text))]
    if not found:
        return None
    count = len(found)
    give = (f"give --consent-seller {campaign_seller!r} (the campaign's seller) if they "
            "were given to it" if campaign_seller else
            "give --consent-seller NAME, the seller they were given to")
    return (f"{path}:{lines[found[0]]}: {count:,} written consent"
            f"{'s name' if count != 1 else ' names'} no seller: a written consent counts "
            "only for the seller it names (47 CFR 64.1200(f)(9)), so "
            f"{'they count' if count != 1 else 'it counts'} for no call and the leads "
            f"that need one are refused at the dial; {give} (or a consent_seller column): "
            f"remove this list ({remove}) and import the file again (field consent)")


def consents_that_stop_counting(store: CampaignStore, campaign: str, old: str, new: str
                                ) -> tuple[int, int]:
    """(leads, consent records) of ``campaign`` whose consent names ``old`` (the seller
    now) and not ``new``: under ``new`` they stop counting (``dnc.rules.consent``). One
    pass over the campaign's consent column, streamed."""
    import sqlalchemy as sa

    from campaigns.models import Lead

    if not old or same_seller(old, new):
        return 0, 0
    alike: dict[str, bool] = {}
    leads = records = 0
    with store.session() as session:
        campaign_id = store._campaign(session, campaign).id
        rows = session.execute(sa.select(Lead.consent).where(
            Lead.campaign_id == campaign_id).execution_options(yield_per=5000))
        for (consent,) in rows:
            found = 0
            for record in consent or ():
                seller = record.get("seller") if isinstance(record, dict) else None
                if not isinstance(seller, str) or not seller:
                    continue
                if seller not in alike:
                    alike[seller] = same_seller(seller, old) and not same_seller(seller, new)
                found += alike[seller]
            leads += bool(found)
            records += found
    return leads, records


def refuse_seller_change(store: CampaignStore, campaign: str, old: str, new: str,
                         confirmed: bool) -> str | None:
    """A seller change that leaves imported consents behind: refused unless ``confirmed``
    (``--new-seller``), else the note to print (None: no consent names the old seller).
    Before, ``campaign edit --seller`` said nothing, and every lead called on a consent
    for the old seller was refused at the dial (or never called) from then on."""
    leads, records = consents_that_stop_counting(store, campaign, old, new)
    if not leads:
        return None
    what = (f"{leads:,} lead{'s' * (leads != 1)} of campaign {campaign!r} have "
            f"{records:,} consent{'s' * (records != 1)} naming {old!r}, the seller now: "
            f"under {new!r} they stop counting (a written consent counts for the seller "
            "it names, 47 CFR 64.1200(f)(9))")
    if not confirmed:
        raise CampaignError(
            f"{what}, and those leads are refused at the dial; refused, nothing changed. "
            f"If {new!r} is the same seller renamed, import its consents again naming it; "
            "pass --new-seller to change the seller anyway (the consents stay on record "
            f"for {old!r})")
    return f"{what}; kept on record for {old!r}"
