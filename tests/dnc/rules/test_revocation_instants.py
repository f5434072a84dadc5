"""A revocation ends consent from the first moment the dialer can know of it, and ends every
consent its instant may follow (FCC 24-24, 47 CFR 64.1200(a)(10)).

Two strict cases passed on the code before:

- a revocation *recorded* before the instant it names (a revocations file dated ahead, or a
  date read as the end of that date) did nothing until that instant: a consent it ends was
  relied on in between, though the revocation was on record;
- a revocations file's date alone was read as 00:00 UTC, so a consent given later that
  same date (perhaps before the revocation, perhaps after) was kept.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import example, given
from hypothesis import strategies as st

from dnc.facts import NumberFactsStore, parse_revocations
from dnc.interfaces import Revocation
from dnc.rules.consent import relied_consent
from dnc.rules.model import ConsentKind, ConsentRecord

NUMBER = "+12015550101"
SELLER = "Acme Solar"
WRITTEN = (ConsentKind.PRIOR_EXPRESS_WRITTEN,)


def _consent(given_at: datetime) -> ConsentRecord:
    return ConsentRecord(
        ConsentKind.PRIOR_EXPRESS_WRITTEN, given_at, seller=SELLER, number=NUMBER, source="web form"
    )


def _relied(consent: ConsentRecord, at: datetime, revocations) -> bool:
    found, _ = relied_consent(
        (consent,), WRITTEN, at, number=NUMBER, seller=SELLER, revocations=tuple(revocations)
    )
    return found is not None


def test_a_revocation_on_record_is_honoured_before_the_instant_it_names():
    given_at = datetime(2026, 1, 5, 15, tzinfo=UTC)
    recorded = datetime(2026, 7, 15, 15, tzinfo=UTC)
    stop = Revocation(NUMBER, None, recorded + timedelta(hours=2), "sms STOP", recorded_at=recorded)
    call = recorded + timedelta(hours=1)
    assert not _relied(_consent(given_at), call, [stop])
    # Not recorded yet and not received yet: nothing to honour.
    assert _relied(_consent(given_at), recorded - timedelta(minutes=1), [])


def test_a_revocation_dated_without_a_time_ends_a_consent_given_that_same_day(tmp_path):
    """The file says the person revoked on 10 March; a consent stamped 10 March 15:00 UTC
    may have come before it: the revocation wins. On the code before it was 00:00 UTC, and
    the consent was relied on at the next call."""
    [stop] = parse_revocations(f"number,at,channel\n{NUMBER},2026-03-10,letter\n", "r.csv")
    assert "dated 2026-03-10 without a time of day" in stop.source
    store = NumberFactsStore(tmp_path / "facts.db")
    try:
        recorded = datetime(2026, 3, 11, 9, tzinfo=UTC)
        store.revoke([stop], recorded, "ann")
        call = datetime(2026, 3, 11, 10, tzinfo=UTC)
        kept = store.revocations(NUMBER, None, call)
    finally:
        store.close()
    assert not _relied(_consent(datetime(2026, 3, 10, 15, tzinfo=UTC)), call, kept)
    # A consent given after the date has ended everywhere counts again.
    later = datetime(2026, 3, 11, 12, 1, tzinfo=UTC)
    assert _relied(_consent(later), later + timedelta(hours=1), kept)


def test_a_revocation_time_without_an_offset_is_read_as_its_latest_reading():
    [stop] = parse_revocations(f"number,at,channel\n{NUMBER},2026-03-10T09:00,email\n", "r.csv")
    assert stop.at == datetime(2026, 3, 10, 21, tzinfo=UTC)  # 09:00 at UTC-12
    [zoned] = parse_revocations(f"number,at,channel\n{NUMBER},2026-03-10T09:00Z,email\n", "r.csv")
    assert zoned.at == datetime(2026, 3, 10, 9, tzinfo=UTC) and zoned.source == "r.csv"


INSTANT = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
ZONES = [timedelta(hours=h) for h in range(-12, 15)]


@given(
    given_at=INSTANT,
    meant=INSTANT,
    lag=st.integers(-3 * 86400, 30 * 86400),
    after=st.integers(0, 90 * 86400),
    zone=st.sampled_from(ZONES),
    form=st.sampled_from(["date", "zoneless", "zoned"]),
)
@example(
    given_at=datetime(2026, 3, 10, 15, tzinfo=UTC),
    meant=datetime(2026, 3, 10, 14, tzinfo=UTC),
    lag=3600,
    after=0,
    zone=timedelta(hours=14),
    form="date",
)
def test_a_revoked_consent_never_authorises_a_later_dial(given_at, meant, lag, after, zone, form):
    """Whatever the file's cell (a date, a time without an offset, a zoned time), whenever
    it was recorded (before or after the instant it names), no call at or after the
    revocation's recording, or at or after the revocation itself, relies on a consent
    given at or before the instant the person meant."""
    local = (meant + zone).replace(tzinfo=None)  # the person's wall clock
    cell = {
        "date": local.date().isoformat(),
        "zoneless": local.isoformat(),
        "zoned": meant.isoformat(),
    }[form]
    [stop] = parse_revocations(f"number,at,channel\n{NUMBER},{cell},sms STOP\n", "r.csv")
    recorded = meant + timedelta(seconds=lag)
    stop = Revocation(stop.number_e164, None, stop.at, stop.channel, stop.source, recorded)
    call = min(recorded, meant) + timedelta(seconds=after)
    if call < recorded:
        return  # not on record yet: the dialer cannot know of it
    if given_at <= meant:
        assert not _relied(_consent(given_at), call, [stop])


def test_date_only_revocations_cover_the_whole_date_in_every_zone():
    day = date(2026, 3, 10)
    [stop] = parse_revocations(f"number,at,channel\n{NUMBER},{day},letter\n", "r.csv")
    for hours in range(-12, 15):
        last = datetime(2026, 3, 10, 23, 59, 59, tzinfo=UTC) - timedelta(hours=hours)
        assert stop.at >= last


def test_revoke_at_a_date_on_the_command_line_is_read_as_a_file_cell_is(tmp_path):
    """``dialer compliance revoke --at 2026-03-10`` ends a consent given at 15:00 UTC that
    day (it was read as 00:00 UTC, and the consent kept); a date that has not begun anywhere
    is refused as in the future."""
    from typer.testing import CliRunner

    import cli

    home = ["--home", str(tmp_path)]
    args = ["compliance", "revoke", NUMBER, "--channel", "letter", "--by", "ann", *home]
    done = CliRunner().invoke(cli.app, [*args, "--at", "2026-03-10"])
    assert done.exit_code == 0, done.output
    store = NumberFactsStore(tmp_path / "dnc" / "facts.db")
    try:
        [stop] = store.revocations(NUMBER, None, datetime.now(UTC))
    finally:
        store.close()
    assert stop.at == datetime(2026, 3, 11, 12, tzinfo=UTC)
    assert "without a time of day" in stop.source
    assert not _relied(_consent(datetime(2026, 3, 10, 15, tzinfo=UTC)), datetime.now(UTC), [stop])
    ahead = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    refused = CliRunner().invoke(cli.app, [*args, "--at", ahead])
    assert refused.exit_code != 0 and "future" in refused.output
