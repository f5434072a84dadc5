"""One campaign's abandonment slack shared by several dialer processes: the claim arithmetic.

47 CFR 64.1200(a)(7) bounds abandoned calls to 3 % of live answers per *campaign* per
30-day period. The campaign's slack S = r·L − A (L, A: the campaign's live answers and
abandons in the measurement that binds) is what the two safety rails spend: the limit
guard keeps each process's excess lines in flight e within it (each such line abandons at
most once), predictive's batch guard keeps c·E + z·√(c·E) of its expected abandons within
it. With N processes each spending the whole of S, the campaign's worst case is N·S.

The share is a **claim**: each process holds a number of abandons of slack, ``remaining``,
and its rails spend no more than that (the engine's ledger folds it into the counts the
policy sees, ``AbandonLedger.set_slack_claim``). Claims are granted one process at a time
under a lock on the campaign (``campaigns/slack_claims.py``) by ``grant``, which keeps

    Σ remaining_k ≤ S        (over every process k with a live record)

true at every instant:

- *At a grant* to process i: S is the campaign's slack computed from every live process's
  own counts as it published them with its remaining claim (one row, one instant: p_k),
  i's own counts now, and the store's counts of every process without a live record;
  i gets at most ``S − Σ_{k≠i} remaining_k(p_k)``. After p_k, an abandon of k lowers both
  S and k's remaining by one (k's engine counts its own abandons against its claim at
  once), an answer raises S, so S − Σ remaining only grows from what the grant saw.
- *Shedding*: a grant never takes a process below min(its remaining claim, its excess lines
  in flight e_i): the lines already out keep their cover (the limit guard's own lines are
  within its claim, so for it this is e_i; for predictive it keeps the worst case e_i).
- *Between grants*: an abandon spends one unit of some process's claim and one of S; an
  answer adds r to S and nothing to any claim; a line that ends frees nothing until the
  process's next grant. So no event breaks the sum (the window rolling lowers S by a few
  hundredths of an abandon between decisions: each process's guard keeps its own reserve,
  N reserves in all, where one would do).
- *A process alone* (no other live record) holds the whole slack, whatever S becomes:
  ``remaining`` None, which every other process counts as infinite, so a newcomer gets
  nothing until the lone process, at its next grant, sees the newcomer's record and takes
  a bounded claim (fair share, never less than its lines in flight) — two processes are
  never both alone, since grants are serialised.

Fail closed: a record counts until it expires (a stale one at its last published value);
a process whose grant cannot be written keeps no claim beyond a hold shorter than its
record's life by more than a line's longest time in flight (``upkeep.py``), so its lines
have drained before another process may take its share.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PublishedCounts:
    """A process's own live answers and abandons at one instant (as its ledger counts
    them), published with its claim: the window's, and the current period's (None: the
    process counts no period, or a period other than the granting process's)."""

    window_live: int
    window_abandons: int
    period_live: int | None = None
    period_abandons: int | None = None


def campaign_slack(target: float, counts: list[PublishedCounts], *,
                   periods: bool) -> float:
    """S = r·L − A of the campaign from every part's counts: the window's, or the current
    period's when that has less (``periods``), as the engine's ``binding_counts`` picks.

    A part without period counts adds no period answers and all of its window's abandons
    to the period (it may have abandons in the period; its answers there are not known):
    the period's slack is then never overstated."""
    window = target * sum(c.window_live for c in counts) - sum(c.window_abandons for c in counts)
    if not periods:
        return window
    live = sum(c.period_live or 0 for c in counts)
    abandons = sum(c.window_abandons if c.period_abandons is None else c.period_abandons
                   for c in counts)
    return min(window, target * live - abandons)


def grant(slack: float, others_remaining: float, processes: int, exposure: int,
          own_remaining: float) -> int:
    """Abandons of slack granted to one process (module docstring): its fair share of the
    campaign's ``slack`` (÷ the ``processes`` with a live record, itself included), no more
    than what the others' claims (``others_remaining``, ∞ when one holds the whole slack)
    leave, and never below min(``own_remaining``, ``exposure``) (its claim before, ∞ when it
    held the whole slack; its excess lines in flight). Whole abandons, rounded down."""
    if processes < 1:
        raise ValueError(f"processes must be ≥ 1, got {processes}")
    kept = min(own_remaining, float(max(exposure, 0)))
    kept_units = math.floor(kept) if math.isfinite(kept) else 0
    free = slack - others_remaining
    if not math.isfinite(free) or not math.isfinite(slack):
        return max(kept_units, 0)
    share = min(math.floor(slack / processes), math.floor(free))
    return max(share, kept_units, 0)


@dataclass(frozen=True, slots=True)
class PeerClaim:
    """Another process's live record: its claim left when it published (None: the whole
    slack) and its own counts at that instant."""

    remaining: int | None
    counts: PublishedCounts


def grant_for(target: float, own: PublishedCounts, exposure: int, own_remaining: float,
              peers: list[PeerClaim], rest: PublishedCounts, *,
              periods: bool) -> tuple[int | None, float]:
    """(the claim granted to one process, the campaign's slack it was granted against):
    the whole slack (None) when no other process has a live record, else ``grant``.

    The slack is the campaign's from this process's own counts now, each peer's as it
    published them, and ``rest`` (the store's counts of every process without a live
    record). Called under the campaign's claim lock (campaigns/slack_claims.py)."""
    slack = campaign_slack(target, [own, rest, *(peer.counts for peer in peers)],
                           periods=periods)
    if not peers:
        return None, slack
    others = sum(math.inf if peer.remaining is None else float(peer.remaining)
                 for peer in peers)
    return grant(slack, others, len(peers) + 1, exposure, own_remaining), slack
