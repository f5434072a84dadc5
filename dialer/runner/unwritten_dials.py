"""Dials held because the records they rest on could not be written.

A dial is sent only once its journal row is committed and the audit entry of the gate's
decision it rests on is on disk (docs/compliance.md, "Audit contract"). When either write
fails (a full disk under the audit log, a database that refuses the journal's transaction)
the batch's dials are not sent: fail closed. That is the store's failure, not the callee's:
no attempt is charged (docs/inbound.md, "A dial never sent is no attempt"), and a queue
callback or a lead (kept claimed in the hopper, ``Hopper.hold``) tries again after a
backoff that doubles from ``BACKOFF_FIRST`` up to ``BACKOFF_LONGEST`` seconds while the
failure lasts, so a store that stays down is asked at most once a minute per callback or
lead, and one that recovers is used within seconds.

``UnwrittenDials`` is the dial sender's record of such an outage: the failure's words (the
first one, kept while it lasts: the alert and the log name it once, not once per retry),
since when, how many batches and dials were held; cleared by the first batch whose dials
were written. The runner's alerts read it (``campaign/NAME/dial_records``).
"""

from __future__ import annotations

import logging

log = logging.getLogger("dialer.runner")

BACKOFF_FIRST = 5.0
"""Seconds before a held queue callback is tried again after the first failed write."""
BACKOFF_LONGEST = 60.0
"""The backoff's bound: a store down for an hour costs each held callback 60 tries, not
an attempt, and a supervisor one alert."""


class UnwrittenDials:
    """The outage of the dial records, as the dial sender meets it (one per runner)."""

    def __init__(self) -> None:
        self.failure: str | None = None
        """The first failure's words while the records cannot be written; None: they can."""
        self.since: float | None = None
        self.batches = 0
        """Consecutive batches whose dials were not written (the backoff's exponent)."""
        self.dials = 0
        """Dials held since the failure began."""

    def failed(self, failure: str, dials: int, now: float) -> float:
        """A batch of ``dials`` not written because of ``failure``: logged once per outage
        (ERROR, naming it); returns when a held queue callback should try again."""
        if self.failure is None:
            self.failure, self.since = failure, now
            log.error(
                "dial records not written, %d dials held and not sent (no call without "
                "its journal row and audit entry; held leads and callbacks tried again "
                "within %g s, no attempt charged): %s",
                dials,
                BACKOFF_LONGEST,
                failure,
            )
        else:
            log.debug("dial records still not written, %d dials held: %s", dials, failure)
        self.batches += 1
        self.dials += dials
        return now + self.backoff()

    def backoff(self) -> float:
        """Seconds to the next try: doubling from ``BACKOFF_FIRST``, at most
        ``BACKOFF_LONGEST``."""
        steps = min(max(self.batches - 1, 0), 16)
        return min(BACKOFF_FIRST * 2.0**steps, BACKOFF_LONGEST)

    def written(self, now: float) -> None:
        """A batch's dials were written: the outage, if any, is over (logged once)."""
        if self.failure is None:
            return
        log.warning(
            "dial records written again after %.0f s: %d dials had been held in %d batches (%s)",
            now - (self.since or now),
            self.dials,
            self.batches,
            self.failure,
        )
        self.failure = self.since = None
        self.batches = self.dials = 0
