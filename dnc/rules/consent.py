"""Which recorded consent a call may rely on, if any, and why the others do not count.

A consent counts for a call when it is of an accepted kind, in force at the instant, not
revoked, and (for the written kinds) names this campaign's seller and the dialled number:

- 47 CFR 64.1200(f)(9) and 16 CFR 310.4(b)(1)(v)(A): prior express written consent is an
  agreement that authorises *the seller* to call *the telephone number* the signatory
  designates; 64.1200(c)(2)(ii) says the same of written permission despite a registry
  listing. A record for another seller or number, or one naming neither, is not one.
- FCC 24-24 (Consent Order of 2024, 47 CFR 64.1200(a)(10), in force 11 Apr 2025): consent
  may be revoked by any reasonable means; a revocation recorded at or before the instant
  ends every consent given before it (for the number, or the person when known). The rules
  honour it at once, inside the rule's outer limit of 10 business days. The "revoke-all"
  scope (a revocation covering the caller's unrelated robocalls too) is deferred to
  31 Jan 2027 (DA 26-12); the engine applies it already: a revocation ends every consent.
- 47 CFR 64.1200(m): a caller that checked the Reassigned Numbers Database is not liable for
  a call to a number reassigned without its knowledge. A consent is not relied on when the
  RND said the number was permanently disconnected after the consent (or after a date
  before it, which cannot prove the order); an RND "no" for a date on or before the
  consent proves the number was not reassigned since.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache

from dnc.interfaces import Revocation, RndAnswer, RndResult
from dnc.rules import stamps
from dnc.rules.model import ConsentKind, ConsentRecord

WRITTEN_KINDS = frozenset({ConsentKind.PRIOR_EXPRESS_WRITTEN, ConsentKind.WRITTEN_PERMISSION})
RND_CITATION = "47 CFR 64.1200(m) (Reassigned Numbers Database safe harbour)"
_F9 = "47 CFR 64.1200(f)(9)"


def same_words(a: str | None, b: str | None) -> bool:
    """Free text (seller names, call subjects) compared without case, punctuation or
    repeated spaces."""
    if not a or not b:
        return False
    return a == b or _norm(a) == _norm(b)


same_seller = same_words
"""Seller names compared without case, punctuation or repeated spaces."""


@lru_cache(maxsize=4096)
def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.casefold()).strip()


@lru_cache(maxsize=65536)
def _digits(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit())


def _same_number(a: str, b: str) -> bool:
    return a == b or _digits(a) == _digits(b)


def relied_consent(consents: Iterable[ConsentRecord], accepted: Iterable[ConsentKind],
                   at: datetime, *, number: str, seller: str | None,
                   revocations: Sequence[Revocation] = (),
                   reassigned: Sequence[RndResult] = (),
                   named_by: str | None = None) -> tuple[ConsentRecord | None, str]:
    """(the consent this call may rely on, its permission text) or (None, why none counts).

    ``named_by``: the rule (its citation) under which every accepted kind, not only the
    written ones, must name this seller and this number (PECR reg. 19 and 21: consent given
    to *that caller* for calls *on that line*)."""
    accepted = accepted if isinstance(accepted, (tuple, frozenset)) else tuple(accepted)
    why: list[str] = []
    for consent in consents:
        if consent.kind not in accepted:
            continue
        problem = _problem(consent, at, number, seller, revocations, reassigned, named_by)
        if problem:
            why.append(problem)
            continue
        return consent, _permission_text(consent, reassigned)
    kinds = _kinds(accepted)
    if not why:
        return None, f"no {kinds} consent recorded"
    return None, f"no usable {kinds} consent: " + "; ".join(dict.fromkeys(why))


@lru_cache(maxsize=64)
def _kinds(accepted: tuple[ConsentKind, ...] | frozenset[ConsentKind]) -> str:
    return " or ".join(sorted(kind.value for kind in set(accepted)))


_TEXTS: dict[int, tuple[ConsentRecord, str]] = {}
"""Consent (by identity; the record is kept so its id is not reused) -> its permission text
without the RND note. A lead's consents are the same objects at every dial."""


def _permission_text(consent: ConsentRecord, reassigned: Sequence[RndResult]) -> str:
    kept = _TEXTS.get(id(consent))
    if kept is not None and kept[0] is consent:
        text = kept[1]
    else:
        source = f" ({consent.source})" if consent.source else ""
        named = f" for {consent.seller}" if consent.seller else ""
        text = f"consent:{consent.kind.value}{named} given {stamps.day(consent.given_at)}{source}"
        if len(_TEXTS) >= 65536:
            _TEXTS.clear()
        _TEXTS[id(consent)] = (consent, text)
    return text + _rnd_note(consent, reassigned) if reassigned else text


def _given(consent: ConsentRecord) -> str:
    return f"consent of {stamps.day(consent.given_at)}"


def _problem(consent: ConsentRecord, at: datetime, number: str, seller: str | None,
             revocations: Sequence[Revocation], reassigned: Sequence[RndResult],
             named_by: str | None = None) -> str:
    if at < consent.given_at:
        return f"{_given(consent)} is given after this instant"
    if consent.revoked_at is not None and at >= consent.revoked_at:
        return f"{_given(consent)} revoked {stamps.day(consent.revoked_at)}"
    if consent.expires_at is not None and at >= consent.expires_at:
        return f"{_given(consent)} expired {stamps.day(consent.expires_at)}"
    for revocation in revocations:
        # Received at ``at``, known from ``recorded_at``: whichever comes first, it is in
        # force (a revocation recorded before the instant it names, e.g. a date read as the
        # end of that date, is honoured from its recording).
        if consent.given_at <= revocation.at and in_force(revocation, at):
            return (f"{_given(consent)} revoked by {revocation.channel} at "
                    f"{stamps.minute(revocation.at)} UTC (47 CFR 64.1200(a)(10))")
    written = consent.kind in WRITTEN_KINDS or named_by is not None
    # Equal texts first (the usual case): no call to compare the digits or the names.
    if consent.number is not None and consent.number != number and \
            not _same_number(consent.number, number):
        return f"{_given(consent)} covers {consent.number}, not {number}"
    if written and consent.number is None:
        return f"{_given(consent)} names no telephone number ({named_by or _F9})"
    if consent.seller is not None and seller is not None and (
            consent.seller != seller or not seller) and not same_seller(consent.seller, seller):
        return f"{_given(consent)} is for seller {consent.seller!r}, not {seller!r}"
    if written and consent.seller is None:
        return f"{_given(consent)} names no seller ({named_by or _F9})"
    if written and seller is None:
        return (f"{_given(consent)} names {consent.seller!r} but the campaign declares no "
                "seller (compliance.seller_name)")
    if reassigned:
        return _rnd_problem(consent, reassigned)
    return ""


def in_force(revocation: Revocation, at: datetime) -> bool:
    """Whether the dialer must honour ``revocation`` at ``at``: from the instant it was
    received or the instant it was recorded, whichever comes first."""
    return revocation.at <= at or (revocation.recorded_at is not None
                                   and revocation.recorded_at <= at)


def _rnd_problem(consent: ConsentRecord, reassigned: Sequence[RndResult]) -> str:
    """Why the RND results forbid relying on this consent ("" when they do not).

    A "yes" for a date on or after the consent: the number was disconnected after the
    consent was given, so the consent is a former subscriber's. A "yes" for an earlier date
    is refused too, unless a "no" for a date on or before the consent, queried no earlier
    than that "yes", shows the disconnection came before the consent. A consent known only
    by its date is compared by that date (``_rnd_instant``), not by the end of it."""
    given = _rnd_instant(consent)
    for result in reassigned:
        if result.answer is not RndAnswer.YES:
            continue
        if result.date < given and _cleared_by_later_no(given, result, reassigned):
            continue
        order = "after" if result.date >= given else "some time after"
        return (f"{RND_CITATION}: the RND says the number was permanently disconnected "
                f"{order} {stamps.day(result.date)} (consent {stamps.day(given)}): "
                "the consent may be a former subscriber's")
    return ""


def _rnd_instant(consent: ConsentRecord) -> datetime:
    """The instant the RND's dates are compared with: a date-only consent's own date (at
    00:00 UTC, as the RND's dates are read), since its ``given_at`` (the end of that date
    everywhere) would let a "no" for the next day clear a disconnection on the very day
    the consent was given, perhaps by the former subscriber."""
    if consent.dated is None:
        return consent.given_at
    return datetime(consent.dated.year, consent.dated.month, consent.dated.day, tzinfo=UTC)


def _cleared_by_later_no(given: datetime, yes: RndResult,
                         reassigned: Sequence[RndResult]) -> bool:
    return any(r.answer is RndAnswer.NO and r.date <= given
               and r.queried_at is not None and yes.queried_at is not None
               and r.queried_at >= yes.queried_at for r in reassigned)


def _rnd_note(consent: ConsentRecord, reassigned: Sequence[RndResult]) -> str:
    given = _rnd_instant(consent)
    if any(r.answer is RndAnswer.NO and r.date <= given for r in reassigned):
        return "; RND: not disconnected since the consent"
    return ""
