"""A campaign's settings, validated once at the edge (pydantic) and stored as JSON.

Legal floors and ceilings enforced here:
- ring timeout at least 15 s: 47 CFR 64.1200(a)(6) forbids disconnecting an unanswered
  telemarketing call before 15 seconds or four rings;
- connect window at most 2 s: 47 CFR 64.1200(a)(7)(i) counts a live answer not connected to
  an agent within two seconds of the greeting as abandoned (Ofcom uses the same 2 s);
- abandonment target at most 3 % (the US ceiling over 30 days per campaign); a campaign may
  aim lower, never higher.
"""

from __future__ import annotations

import functools
import inspect
import json
import math
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, time
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)

from campaigns.compliance_settings import ComplianceSettings, check_campaign
from dialer.config_numbers import NumbersNotBooleans

if TYPE_CHECKING:
    from pacing_models.interface import PacingPolicy

MIN_RING_TIMEOUT = 15.0
MAX_CONNECT_WINDOW = 2.0
MAX_ABANDON_TARGET = 0.03


class CampaignState(StrEnum):
    DRAFT = "draft"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"
    ARCHIVED = "archived"
    DELETED = "deleted"
    """Removed by ``dialer campaign delete``: hidden and read-only, its call records kept."""


# Allowed transitions, checked in one place (``campaigns.store.transition_campaign``).
CAMPAIGN_TRANSITIONS: dict[CampaignState, frozenset[CampaignState]] = {
    CampaignState.DRAFT: frozenset({CampaignState.RUNNING, CampaignState.ARCHIVED}),
    CampaignState.RUNNING: frozenset({CampaignState.PAUSED, CampaignState.STOPPED}),
    CampaignState.PAUSED: frozenset({CampaignState.RUNNING, CampaignState.STOPPED}),
    CampaignState.STOPPED: frozenset({CampaignState.RUNNING, CampaignState.ARCHIVED}),
    CampaignState.ARCHIVED: frozenset(),
    CampaignState.DELETED: frozenset(),
}


class Outcome(StrEnum):
    """How a dial attempt ended, as the retry rules see it.

    The unanswered values equal ``dialer.hangup.DialOutcome``'s, so the runner may pass
    those directly.
    """

    BUSY = "busy"
    NO_ANSWER = "no_answer"
    REJECTED = "rejected"
    BAD_NUMBER = "bad_number"
    NETWORK = "network"
    CANCELLED = "cancelled"
    INTERNAL = "internal"
    MACHINE = "machine"
    ABANDONED = "abandoned"
    ANSWERED = "answered"   # a person, connected to an agent; the disposition decides next


class RetryRule(NumbersNotBooleans):
    """Retry after ``delay_minutes`` while the lead has fewer than ``max_attempts`` attempts.

    ``delay_minutes = None`` means never retry after this outcome.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
    delay_minutes: float | None = Field(default=60.0, ge=0, le=525_600)  # a year
    max_attempts: int = Field(default=6, ge=1, le=1_000)


def _default_retry_rules() -> dict[str, RetryRule]:
    return {
        Outcome.NO_ANSWER: RetryRule(delay_minutes=120, max_attempts=6),
        Outcome.BUSY: RetryRule(delay_minutes=15, max_attempts=6),
        Outcome.MACHINE: RetryRule(delay_minutes=240, max_attempts=4),
        Outcome.REJECTED: RetryRule(delay_minutes=24 * 60, max_attempts=3),
        Outcome.NETWORK: RetryRule(delay_minutes=5, max_attempts=10),
        Outcome.CANCELLED: RetryRule(delay_minutes=5, max_attempts=10),
        Outcome.INTERNAL: RetryRule(delay_minutes=5, max_attempts=10),
        Outcome.ABANDONED: RetryRule(delay_minutes=60, max_attempts=6),
        Outcome.BAD_NUMBER: RetryRule(delay_minutes=None, max_attempts=1),
        Outcome.ANSWERED: RetryRule(delay_minutes=None, max_attempts=1),
    }


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _weekday(name: str) -> int | None:
    """0 for ``mon``, ``Monday``, ``Mon.`` ... 6 for Sunday; None for any other text."""
    key = name.strip().lower().rstrip(".")
    return next((number for number, day in enumerate(_WEEKDAYS)
                 if len(key) >= 3 and day.startswith(key)), None)


class CallingWindow(NumbersNotBooleans):
    """Local-time hours (the callee's time zone) the campaign itself chooses to call in.

    The compliance engine applies the legal windows on top; this is the business schedule.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
    start: time = time(9, 0)
    end: time = time(20, 0)
    days: tuple[int, ...] = (0, 1, 2, 3, 4, 5)  # Monday=0 … Sunday=6

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clock_time(cls, value: Any) -> Any:
        """Only ``HH:MM`` (or ``HH:MM:SS``) text: pydantic read a number as seconds after
        midnight, so ``{"start": 8, "end": 20}`` became 00:00:08-00:00:20, a window no call
        ever fell in, stored without a word."""
        if isinstance(value, time):
            return value
        if isinstance(value, str) and re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", value.strip()):
            hours, minutes, *seconds = (int(part) for part in value.strip().split(":"))
            if hours < 24 and minutes < 60 and all(s < 60 for s in seconds):
                return time(hours, minutes, *seconds)
        raise ValueError(f"{value!r} is not a time of day: write HH:MM on the 24-hour clock "
                         "(e.g. 09:00 or 17:30)")

    @field_validator("days", mode="before")
    @classmethod
    def _day_numbers(cls, value: Any) -> Any:
        """Days named (``["mon", "tue"]``, ``"Mon-Fri"`` as a spreadsheet writes them) are
        refused with their numbers written out: "a number is meant, got the text 'mon'"
        did not say which number a Monday is."""
        names = [item for item in value if isinstance(item, str)] \
            if isinstance(value, list | tuple) else []
        if names and all(_weekday(name) is not None for name in names):
            numbers = [_weekday(item) if isinstance(item, str) else item for item in value]
            raise ValueError(f"days are numbers, 0 for Monday to 6 for Sunday: write "
                             f"{json.dumps(numbers)}")
        return value

    def admits(self, local: datetime) -> bool:
        """Whether ``local`` (the callee's local time) falls in the window: one of its
        days, from ``start`` up to (not including) ``end``."""
        return local.weekday() in self.days and self.start <= local.time() < self.end

    @model_validator(mode="after")
    def _ordered(self) -> CallingWindow:
        if self.end <= self.start:
            raise ValueError("calling window end must be after start")
        if not self.days or any(d not in range(7) for d in self.days):
            raise ValueError("calling window days must be 0 (Monday) … 6 (Sunday)")
        return self


DEFAULT_DISPOSITIONS = ("SALE", "NI", "CALLBK", "DNC", "WRONG", "NA", "AM", "DROP", "TIMEOUT")
"""Codes and meanings: SALE sale, NI not interested, CALLBK call back (schedules a
callback), DNC do not call (adds to the internal list), WRONG wrong number, NA no answer
(set by the agent), AM answering machine (set by the agent), DROP dropped / abandoned,
TIMEOUT none set: wrap-up timed out or the agent logged out (``wrap_up_timeout_disposition``)."""


RECORDING_MODES = Literal["none", "all", "percentage", "on_demand"]
RECORDING_LAYOUT = "{campaign}/{date}/{lead_id}-{attempt}-{call_id}.{format}"
_LAYOUT_FIELDS = {"campaign", "date", "lead_id", "attempt", "call_id", "format", "queue"}


class RecordingSettings(NumbersNotBooleans):
    """Call recording (docs/carriers.md): which calls, the consent notice, files, retention."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
    mode: RECORDING_MODES = "none"
    """none, all (every answered call), percentage (a stable share), on_demand (the agent
    starts it)."""
    percentage: float = Field(default=100.0, gt=0, le=100)
    queues: dict[str, RECORDING_MODES] = Field(default_factory=dict)
    """Inbound queues' own modes (a queue not listed records as the campaign does)."""
    two_party_consent: Literal["notice", "no_recording"] = "notice"
    """Callees who may be in an all-party-consent state (and every UK callee): play
    ``notice_message`` first, or do not record them."""
    notice_message: str = ""
    format: Literal["wav", "mp3", "ogg", "flac"] = "wav"
    """wav (mod_sndfile), or compressed: mp3 (mod_shout), ogg and flac (mod_sndfile with
    libsndfile's codecs) on the switch."""
    layout: str = RECORDING_LAYOUT
    """Where each file goes under the recordings directory: {campaign} {date} (UTC day)
    {lead_id} {attempt} {call_id} {format} {queue}; must contain {call_id}."""
    retention_days: int | None = Field(default=None, ge=1, le=36_500)  # a century
    """How long recordings are kept; never less than the records period
    (``compliance.retention_days``). None: the records period."""

    @field_validator("layout")
    @classmethod
    def _layout(cls, value: str) -> str:
        import string

        names = {name for _, name, _, _ in string.Formatter().parse(value) if name}
        unknown = sorted(names - _LAYOUT_FIELDS)
        if unknown:
            raise ValueError(f"recording.layout: unknown placeholder(s) {unknown}; known: "
                             f"{sorted(_LAYOUT_FIELDS)}")
        if "call_id" not in names:
            raise ValueError("recording.layout must contain {call_id} (one file per call)")
        if value.startswith("/") or ".." in value.split("/"):
            raise ValueError("recording.layout is relative to the recordings directory "
                             "(no leading / or ..)")
        return value


def jurisdiction_problem(jurisdiction: str) -> str | None:
    """Why ``jurisdiction`` names no known set of compliance profiles, else None."""
    from dnc.rules.profiles import JURISDICTION_ALIASES, profiles_for

    if not jurisdiction.replace(",", "").strip():
        return f"no profile named; known: {', '.join(sorted(JURISDICTION_ALIASES))}"
    try:
        profiles_for(jurisdiction)
    except ValueError as error:  # it names the unknown profile and the known ones
        return str(error)
    return None


def region_problem(region: str) -> str | None:
    """Why ``region`` cannot be the region national numbers are read in, else None. An
    unknown one (ZZ) used to reject every row of a lead file, one by one, as 'not a phone
    number (Missing or invalid default region.)'."""
    import phonenumbers

    if region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        meant = _REGION_NAMES.get(region.strip().upper().replace(".", ""))
        return (f"region {region!r} is not a region code" + (
            f"; did you mean {meant}? (a two-letter ISO 3166 code)" if meant else
            " (e.g. US, CA, GB)"))
    return None


_REGION_NAMES = {"UK": "GB", "GBR": "GB", "ENGLAND": "GB", "USA": "US", "UNITEDSTATES": "US",
                 "CAN": "CA", "CANADA": "CA", "AUS": "AU", "DEU": "DE", "GER": "DE",
                 "FRA": "FR", "IRL": "IE", "MEX": "MX", "NZL": "NZ", "ESP": "ES", "ITA": "IT",
                 "PRI": "PR", "EL": "GR"}
"""Country names and three-letter codes a user writes for a region code (``--region UK``,
``USA``): the refusal names the code meant."""


def jurisdiction_region(jurisdiction: str) -> str:
    """The region a campaign of ``jurisdiction`` reads national numbers in when its
    ``default_region`` is not given: its first profile's country (uk: GB; us, reg_f: US).
    A UK campaign used to read them as US numbers: "020 7946 0018" was refused at import
    and "2079460018" stored as a Maine number, refused at the dial (first-hour eleventh
    pass). An unknown jurisdiction (refused elsewhere, with its own line) reads as US."""
    from dnc.rules.model import Profile
    from dnc.rules.profiles import profiles_for

    try:
        profiles = profiles_for(jurisdiction)
    except ValueError:
        return "US"
    return "GB" if profiles[0] is Profile.UK_OFCOM else "US"


def region_jurisdiction_problem(region: str, jurisdiction: str) -> str | None:
    """Why national numbers read in ``region`` can never be called under ``jurisdiction``
    (the region's country code is none of the jurisdiction's), else None. A US campaign
    may read them as CA (one numbering plan, the number says its region); a UK campaign
    reading them as US numbers dials none of them."""
    import phonenumbers

    from dnc.rules.profiles import campaign_regions, profiles_for

    try:
        regions = campaign_regions(profiles_for(jurisdiction))
    except ValueError:
        return None  # an unknown jurisdiction has its own refusal
    code = phonenumbers.country_code_for_region(region.upper())
    if code in {phonenumbers.country_code_for_region(r) for r in regions}:
        return None
    home = jurisdiction_region(jurisdiction)
    return (f"{region.upper()} is outside the jurisdiction {jurisdiction!r}, whose rules "
            f"cover numbers of {', '.join(sorted(regions))}: a number written without its "
            f"country code would be read as a {region.upper()} number and never dialed; "
            f"leave default_region out to follow the jurisdiction ({home}), or set "
            f"default_region={home}")


class CampaignSettings(NumbersNotBooleans):
    """Everything a campaign manager sets. Immutable; ``with_changes`` validates edits."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    jurisdiction: str = "us"
    """Compliance profiles, comma-separated, each a name ``dnc.rules`` knows ("us",
    "reg_f", "uk", ...). ``jurisdiction_problem`` refuses an unknown or empty one when it is
    set: left to the dial-time check it stopped ``doctor`` with a traceback, and an empty
    text selected the federal rules alone, without the state overlays."""
    caller_ids: tuple[str, ...] = ()
    """Numbers presented to the called party. No default: a caller ID is the seller's own
    number, one the called party can call back (47 CFR 64.1601(e)); a campaign without one
    cannot start."""
    caller_id_name: str = ""
    caller_id_policy: Literal["fixed", "round_robin", "local_presence"] = "fixed"
    """Which of ``caller_ids`` a call shows: always the first (``fixed``), each in turn
    (``round_robin``), or one in the callee's area code, else state, else the first
    (``local_presence``)."""
    caller_id_daily_cap: int | None = Field(default=None, ge=1)
    """At most this many calls a UTC day show any one caller ID (carriers' analytics label
    numbers with heavy volume as spam); None: no cap. A number at its cap is skipped; when
    every number is, the campaign waits for the next day."""
    caller_id_caps: dict[str, int] = Field(default_factory=dict)
    """Per-number daily caps that differ from ``caller_id_daily_cap``."""
    caller_id_attestation: dict[str, Literal["A", "B", "C"]] = Field(default_factory=dict)
    """The STIR/SHAKEN attestation level the operator declares per caller ID; passed to
    the gateways whose variables name ``{attestation}``."""
    default_region: str = "US"
    """The region of numbers written without their country code (lead files, inbound
    callers): when not given, the jurisdiction's (``jurisdiction_region``: uk reads them as
    GB). One the jurisdiction's rules cannot call is refused when set
    (``region_jurisdiction_problem``)."""
    pacing_policy: str = "predictive"
    """A ``pacing_models`` policy name; predictive dials progressively until it has learned
    the campaign's rates (``check_pacing`` validates name and parameters when they are set)."""
    pacing_params: dict[str, Any] = Field(default_factory=dict)
    abandon_target: float = Field(default=0.03, ge=0.0, le=MAX_ABANDON_TARGET)
    ring_timeout: float = Field(default=25.0, ge=MIN_RING_TIMEOUT, le=300)
    connect_window: float = Field(default=MAX_CONNECT_WINDOW, gt=0, le=MAX_CONNECT_WINDOW)
    amd_enabled: bool = False
    recording_enabled: bool = False
    safe_harbor_message: str = "ivr/safe_harbor.wav"
    """Message (file or text) played to a live answer no agent could take in time."""
    wrap_up_timeout: float = Field(default=30.0, ge=0)
    schedule: CallingWindow = Field(default_factory=CallingWindow)
    retry_rules: dict[str, RetryRule] = Field(default_factory=_default_retry_rules)
    max_attempts_per_day: int = Field(default=3, ge=1)
    """Per-lead daily cap on dial attempts (UTC day)."""
    allowed_dispositions: tuple[str, ...] = DEFAULT_DISPOSITIONS
    callback_grace_minutes: float = Field(default=15.0, ge=0)
    """A callback dialed within this long after its due time counts as kept."""
    claim_ttl_seconds: float = Field(default=300.0, gt=0)
    """How long a hopper claim lasts before an unused lead returns to the pool (a dialer
    process renews the claims it still holds well before they expire)."""
    # -- the live dialer (dialer.runner maps these onto the engine's CampaignConfig) --------
    machine_action: Literal["hang_up", "leave_message"] = "hang_up"
    """What to do when AMD says an answering machine: hang up, or leave ``machine_message``."""
    machine_message: str = ""
    machine_to_free_agent: StrictBool = False
    """With AMD: a machine verdict goes to an agent free at that instant (never queued),
    else ``machine_action`` applies. A person AMD got wrong is then connected instead of
    abandoned; an idle agent hears a true machine's greeting and drops it (docs/pacing.md,
    "Machine verdicts to free agents")."""
    amd_false_positive_estimate: float | None = Field(default=None, ge=0.0, lt=1.0)
    """Share of machine verdicts that were really people; each counts as an abandon
    (Ofcom 2016 statement on persistent misuse, Annex 3). None: not estimated (counted as 0;
    a UK campaign with AMD on must set it)."""
    optout_digit: str | None = Field(default="9", pattern=r"^[0-9*#]$")
    """Key that, during the safe-harbour message, adds the number to the internal DNC
    (47 CFR 64.1200(a)(7)(i)(B)); None for none."""
    recording_path_template: str = "{campaign}/{date}/{call_id}.wav"
    decision_interval: float = Field(default=1.0, gt=0, le=60)
    """Seconds between pacing decisions."""
    lines_per_agent: float = Field(default=1.0, gt=0)
    """Lines per agent for the power policy."""
    max_lines: int | None = Field(default=None, ge=1)
    """Ceiling on calls dialing or ringing at once (trunk capacity); None for none."""
    wrap_up_timeout_disposition: str = "TIMEOUT"
    """Disposition recorded when wrap-up ends without one (timeout, agent logged out)."""
    queues: tuple[str, ...] = ()
    """Inbound queues this campaign's runner serves (``dialer queue list``); its agents take
    their calls between outbound ones (docs/inbound.md). Checked when the runner starts."""
    abandon_window_hours: float | None = Field(default=None, gt=0)
    """Abandonment measurement window; None: by jurisdiction (UK 24 h, else 30 days)."""
    recording: RecordingSettings = Field(default_factory=RecordingSettings)
    """Call recording: mode, consent notice, format, layout, retention. ``recording_enabled``
    is the older switch: true means mode ``all``."""
    compliance: ComplianceSettings = Field(default_factory=ComplianceSettings)
    """Telemarketing or not, prerecorded, subject, seller, message declarations, the
    campaign's own attempt caps, the unknown-line-type policy (campaigns.compliance_settings)."""
    # -- the agent desktop (dialer web) ----------------------------------------------------
    pause_reasons: tuple[str, ...] = ("break", "lunch", "training", "meeting", "coaching")
    """The reason codes agents pause with (recorded in the agent history)."""
    agent_script: str = ""
    """What agents read to the customer; {first_name}, {last_name}, {phone}, {state} and the
    lead's custom fields by name are filled in with the lead's values."""
    preview_dialing: bool = False
    """Agents see each lead first and dial or skip it (needs pacing_policy "preview")."""

    @model_validator(mode="before")
    @classmethod
    def _region_follows_jurisdiction(cls, data: Any) -> Any:
        """No ``default_region`` given: the jurisdiction's (a stored campaign always has
        one, so its reading does not change)."""
        if isinstance(data, Mapping) and "default_region" not in data and isinstance(
                data.get("jurisdiction", "us"), str):
            return {**data, "default_region": jurisdiction_region(data.get("jurisdiction",
                                                                            "us"))}
        return data

    @property
    def abandon_window_seconds(self) -> float:
        if self.abandon_window_hours is not None:
            return self.abandon_window_hours * 3600.0
        uk = any(p.startswith("uk") for p in self.jurisdiction.lower().split(","))
        return 24 * 3600.0 if uk else 30 * 86400.0

    @field_validator("caller_ids")
    @classmethod
    def _e164(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for number in value:
            problem = caller_id_problem(number)
            if problem:
                raise ValueError(problem)
        if len(set(value)) != len(value):
            raise ValueError("a caller ID is listed twice")
        return value

    @field_validator("optout_digit", mode="before")
    @classmethod
    def _digit_as_text(cls, value: Any) -> Any:
        """``--set optout_digit=9`` reads 9 as a number; the key is the digit 9."""
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 9:
            return str(value)
        return value

    @field_validator("retry_rules", mode="before")
    @classmethod
    def _rules_complete(cls, value: Any) -> Any:
        """An outcome's rule written in part keeps that outcome's default for the rest:
        ``{"no_answer": {"max_attempts": 2}}`` used to take ``RetryRule``'s generic 60
        minutes, retrying unanswered numbers twice as often as the default 120."""
        if not isinstance(value, Mapping):
            return value
        defaults = _default_retry_rules()
        out: dict[Any, Any] = {}
        for outcome, rule in value.items():
            default = defaults.get(outcome) if isinstance(outcome, str) else None
            if isinstance(rule, Mapping) and default is not None:
                rule = {**default.model_dump(), **rule}
            out[outcome] = rule
        return out

    @field_validator("retry_rules")
    @classmethod
    def _known_outcomes(cls, value: dict[str, RetryRule]) -> dict[str, RetryRule]:
        known = {o.value for o in Outcome}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"retry rules for unknown outcomes {unknown}; known: {sorted(known)}")
        merged = _default_retry_rules()
        merged.update({Outcome(k): v for k, v in value.items()})
        return {str(k): v for k, v in merged.items()}

    @model_validator(mode="after")
    def _timeout_disposition_allowed(self) -> CampaignSettings:
        if self.wrap_up_timeout_disposition not in self.allowed_dispositions:
            raise ValueError(f"wrap_up_timeout_disposition {self.wrap_up_timeout_disposition!r}"
                             " must be one of allowed_dispositions")
        if self.preview_dialing and self.pacing_policy != "preview":
            raise ValueError("preview_dialing needs pacing_policy 'preview'")
        if not self.pause_reasons or any(
                not reason or len(reason) > 40 for reason in self.pause_reasons):
            raise ValueError("pause_reasons: 1 to 40 characters each, at least one")
        if self.machine_action == "leave_message" and not self.machine_message:
            raise ValueError("machine_message is required when machine_action is leave_message")
        if self.machine_to_free_agent and not self.amd_enabled:
            raise ValueError("machine_to_free_agent needs amd_enabled (without AMD every "
                             "answer already goes to the agents)")
        for name, numbers in (("caller_id_caps", self.caller_id_caps),
                              ("caller_id_attestation", self.caller_id_attestation)):
            unknown = sorted(set(numbers) - set(self.caller_ids))
            if unknown:
                raise ValueError(f"{name}: {', '.join(unknown)} not among caller_ids")
        if any(cap < 1 for cap in self.caller_id_caps.values()):
            raise ValueError("caller_id_caps: a daily cap is at least 1 call")
        self._check_recording()
        check_campaign(self)
        return self

    def _check_recording(self) -> None:
        recording = self.recording
        if self.recording_enabled and recording.mode == "none":
            object.__setattr__(self, "recording", recording.model_copy(update={"mode": "all"}))
            recording = self.recording
        if self.recording_path_template != "{campaign}/{date}/{call_id}.wav" and \
                recording.layout == RECORDING_LAYOUT:
            # The older template setting, as a layout (checked the same way).
            layout = RecordingSettings._layout(self.recording_path_template)
            object.__setattr__(self, "recording", recording.model_copy(update={
                "layout": layout}))
            recording = self.recording
        records = self.compliance.retention_days
        if recording.retention_days is not None and recording.retention_days < records:
            raise ValueError(
                f"recording.retention_days {recording.retention_days} is inside the records "
                f"period (compliance.retention_days {records}): recordings are kept at least "
                "that long")
        modes = {recording.mode, *recording.queues.values()}
        if modes != {"none"} and recording.two_party_consent == "notice" and \
                not recording.notice_message:
            raise ValueError(
                "recording.notice_message: recording needs the notice played to callees in "
                "all-party-consent states (and every UK callee); set it (a file on the "
                "switch), or set recording.two_party_consent=no_recording")

    def retry_rule(self, outcome: str) -> RetryRule:
        return self.retry_rules.get(str(outcome), RetryRule(delay_minutes=None))

    def with_changes(self, **changes: Any) -> CampaignSettings:
        """A validated copy with ``changes`` applied (raises pydantic.ValidationError).

        A section (``MERGED_SECTIONS``) written in part keeps the fields not written: an
        edit of ``schedule.end`` used to bring back the default days (Saturday dialed
        again), and one outcome's retry rule the default rules of every other outcome."""
        return settings_with_changes(self.model_dump(mode="json"), changes)


def settings_with_changes(data: Mapping[str, Any], changes: Mapping[str, Any]
                          ) -> CampaignSettings:
    """Settings ``data`` (as stored, or dumped) with ``changes`` applied and validated, the
    sections merged field by field (``CampaignSettings.with_changes``). From stored data,
    it is how an edit repairs a campaign whose stored settings no longer validate."""
    data = dict(data)
    for key in MERGED_SECTIONS:
        section = changes.get(key)
        if isinstance(section, dict) and isinstance(data.get(key), dict):
            changes = {**changes, key: _merged(data[key], section)}
    data.update(changes)
    return CampaignSettings.model_validate(data)


MERGED_SECTIONS = ("schedule", "retry_rules", "recording", "compliance")
"""Settings made of fields that an edit changes one by one (``--set schedule.end=18:00`` or
``--set 'retry_rules={"busy": {...}}'``): the fields not written keep their values. The
free maps (``pacing_params``, ``caller_id_caps``, ``caller_id_attestation``) are replaced
when written whole, so a key can be removed; the CLI merges their dotted form."""


def caller_id_problem(number: str) -> str | None:
    """Why ``number`` cannot be a caller ID (None when it can): it must be E.164, a number
    that exists in its numbering plan (the called party can call it back, 47 CFR
    64.1601(e)), and not premium-rate (a call back must not cost the called party more:
    47 CFR 64.1200(a)(7)(i)(B) and the TSR forbid 900 numbers for do-not-call requests)."""
    import phonenumbers

    if not (isinstance(number, str) and number.startswith("+") and number[1:].isdigit()
            and 8 <= len(number) <= 16):
        from campaigns.phones import e164_hint

        hint = e164_hint(number) if isinstance(number, str) else ""
        return f"caller ID {number!r} is not an E.164 number{hint}"
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return f"caller ID {number} is not a dialable number"
    if not phonenumbers.is_valid_number(parsed):
        return f"caller ID {number} is not a dialable number in its numbering plan"
    why = call_back_refused().get(phonenumbers.number_type(parsed))
    if why is not None:
        return f"caller ID {number} is {why}"
    return None


def call_back_number_problem(number: str | None, what: str) -> str | None:
    """Why ``number``, a number the called person is told (or shown) to call, cannot be one
    (None when it can, or when none is given): the do-not-call number of the abandoned-call
    message (47 CFR 64.1200(a)(7)(i)(B): "may not be a 900 number or any other number for
    which charges exceed local or long distance transmission charges"; Ofcom: a free or
    basic-rate number) and a recorded message's call-back number ((b)(2), the same words)
    must be dialable and reach the caller at no surcharge, as a caller ID must."""
    if number is None:
        return None
    problem = caller_id_problem(number)
    if problem is None:
        return None
    return f"{what}: " + problem.replace("caller ID ", "", 1).replace(
        "callers calling back", "callers", 1)


@functools.cache
def call_back_refused() -> dict[Any, str]:
    """Number types (phonenumbers) no called person may be given to call back: a surcharge
    (premium rate, shared cost) or nobody to take the request (pagers, voicemail access).
    Built on first use: phonenumbers is imported only when a number is checked."""
    import phonenumbers

    kind = phonenumbers.PhoneNumberType
    surcharge = "callers calling back pay a surcharge"
    return {
        kind.PREMIUM_RATE: f"a premium-rate number: {surcharge}",
        kind.SHARED_COST: f"a shared-cost number: {surcharge}",
        kind.PAGER: "a pager number: no person or message answers a call back to take a "
                    "do-not-call request (47 CFR 64.1601(e); Ofcom CLI guidance)",
        kind.VOICEMAIL: "a voicemail access number: no person or message of the caller "
                        "answers a call back to take a do-not-call request (47 CFR "
                        "64.1601(e); Ofcom CLI guidance)",
    }


PACING_RANGES: dict[str, tuple[float, bool, float, str]] = {
    "lines_per_agent": (0.0, False, 50.0, "the power and ratio policies' own limit"),
    "max_lines": (1.0, True, 100_000.0, "more is a slip of the keyboard, not a trunk"),
    "abandon_window_hours": (0.0, False, 720.0, "30 days, the longest window a rule measures "
                             "over (47 CFR 64.1200(a)(7)(i)): a longer one lets the last 30 "
                             "days exceed the limit"),
    "wrap_up_timeout": (0.0, True, 3_600.0, "seconds: an hour, as a simulation's "
                        "[agents].wrap; an agent held in wrap-up longer has left"),
    "callback_grace_minutes": (0.0, True, 10_080.0, "a week; 1e300 made the report a "
                               "traceback"),
    "claim_ttl_seconds": (0.0, False, 3_600.0, "an hour: a dead process's claim holds "
                          "its lead that long"),
    "max_attempts_per_day": (1.0, True, 1_000.0, "more is a slip of the keyboard"),
    "caller_id_daily_cap": (1.0, True, 1_000_000.0, "calls a day from one number"),
}
"""The campaign's numeric settings whose model bound is open above: their sane
range (low, whether low itself is allowed, high inclusive, why), checked when set
(``pacing_range_problems``) and at start, not on every read, so a campaign stored before the
check stays readable and an edit repairs it."""


def pacing_range_problems(settings: CampaignSettings, keys: Iterable[str] | None = None
                          ) -> list[str]:
    """One line per numeric pacing setting outside its range: the setting, the value and
    the range (``keys``: only those; None: all)."""
    problems = []
    for key in PACING_RANGES:
        if keys is not None and key not in keys:
            continue
        if (problem := range_problem(key, getattr(settings, key))) is not None:
            problems.append(problem)
    return problems


def range_problem(key: str, value: Any) -> str | None:
    """The line naming ``key``'s value outside its ``PACING_RANGES`` range, else None (also
    for a value that is not a number, which the model names). Also for a value as stored,
    unparsed: ``max_attempts_per_day`` 1e20 is no integer pydantic reads, and its message
    ("exceeded maximum size") named no range."""
    if key not in PACING_RANGES or value is None or isinstance(value, bool) or \
            not isinstance(value, int | float):
        return None
    low, low_allowed, high, why = PACING_RANGES[key]
    above = value >= low if low_allowed else value > low
    if above and value <= high:
        return None
    left = "[" if low_allowed else "("
    ms = milliseconds_hint(key, value, high)
    return (f"{key}: {value!r} is outside its range {left}{low:.15g}, {high:.15g}] ({why})"
            f"{f'; {ms}' if ms else ''}")


SECONDS_SETTINGS = ("ring_timeout", "wrap_up_timeout", "connect_window", "decision_interval")
"""The campaign's times in seconds whose names do not say so (``claim_ttl_seconds`` does)."""


def unit_of(key: str) -> str | None:
    """The unit a numeric setting is written in, from its name (None: a count or share)."""
    name = key.rpartition(".")[2]
    for suffix, unit in (("_seconds", "seconds"), ("_minutes", "minutes"),
                         ("_hours", "hours"), ("_days", "days")):
        if name.endswith(suffix):
            return unit
    return "seconds" if name in SECONDS_SETTINGS else None


def milliseconds_hint(key: str, value: Any, high: Any) -> str | None:
    """A time in seconds written in milliseconds (``ring_timeout=20000``,
    ``wrap_up_timeout=30000``, as a switch's ``originate_timeout`` or a SIP trace counts
    them): a value over ``high`` whose thousandth is within it says so and what to write.
    "Input should be less than or equal to 300" or a range alone named neither. The one
    check for every duration setting: the model's bounds (``_settings_message``) and the
    ranges (``range_problem``) both call it."""
    if unit_of(key) != "seconds" or isinstance(value, bool) or \
            not isinstance(value, int | float) or isinstance(high, bool) or \
            not isinstance(high, int | float) or not math.isfinite(value):
        return None
    seconds = value / 1000
    if value < 1000 or value <= high or seconds > high:
        return None
    return (f"{value:g} looks like milliseconds: the setting is in seconds, write "
            f"{seconds:g} for {seconds:g} s")


class PacingSettingsError(ValueError):
    """A pacing policy name or parameter the policies do not know, or a value out of range."""


def _policy_parameters(name: str) -> list[str]:
    from pacing_models import make_policy

    signature = inspect.signature(type(make_policy(name)).__init__)
    return [p.name for p in signature.parameters.values()
            if p.name != "self" and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]


def check_pacing_name(name: str) -> str:
    """The policy name in its canonical spelling, or one line naming it and the choices."""
    from pacing_models import POLICY_NAMES

    if not isinstance(name, str) or name.strip().lower() not in POLICY_NAMES:
        from dialer.words import meant_name

        meant = meant_name(name.strip().lower(), POLICY_NAMES) if isinstance(name, str) \
            else None
        hint = f" (did you mean {meant!r}?)" if meant else ""
        raise PacingSettingsError(
            f"pacing_policy: unknown pacing policy {name!r}{hint}; choose one of "
            f"{', '.join(POLICY_NAMES)}")
    return name.strip().lower()


def build_pacing_policy(name: str, params: Mapping[str, Any], *, guard: bool = True
                        ) -> PacingPolicy:
    """The policy a campaign's settings name, built (and so checked) by ``pacing_models``.

    Never a fallback: a policy that does not exist or a parameter it does not take is
    refused with one line naming it and the valid choices, because a typo that quietly
    dialed some other way once broke the abandonment limit. Nor a parameter outside the
    live envelope (``pacing_models.params.LIVE_ENVELOPE``): settings a simulation may try,
    measured to break the limit, are refused for a campaign that dials people.

    ``power``, ``ratio`` and ``adaptive`` come behind the abandonment-limit guard
    (``pacing_models.limit_guard``) unless ``guard`` is false, which only a campaign whose
    ``compliance.abandon_limit_guard`` is false may ask for (``limit_guard_on``): fail
    closed, a caller that does not say is guarded.
    """
    from pacing_models import make_policy
    from pacing_models.errors import PacingError
    from pacing_models.limit_guard import guarded
    from pacing_models.params import outside_live_envelope

    canonical = check_pacing_name(name)
    if not isinstance(params, Mapping):
        raise PacingSettingsError(
            f"pacing_params: must be an object of KEY: VALUE, got {params!r}")
    known = _policy_parameters(canonical)
    unknown = sorted(set(params) - set(known))
    if unknown:
        from dialer.words import meant_name

        meant = meant_name(str(unknown[0]), known) if len(unknown) == 1 else None
        hint = f" (did you mean {meant!r}?)" if meant else ""
        raise PacingSettingsError(
            f"pacing_params: {', '.join(map(repr, unknown))} "
            f"{'is not a parameter' if len(unknown) == 1 else 'are not parameters'} of the "
            f"{canonical} policy{hint}; valid: {', '.join(known) or 'none'}")
    try:
        policy = make_policy(canonical, **dict(params))
    except (PacingError, TypeError, ValueError) as error:
        raise PacingSettingsError(f"pacing_params of the {canonical} policy: {error}") from None
    # A campaign dials people: only inside the envelope where the policy was measured to
    # keep the abandonment limit (a simulation may go past it; pacing_models.params).
    outside = outside_live_envelope(canonical, params)
    if outside is not None:
        raise PacingSettingsError(f"pacing_params of the {canonical} policy: {outside}")
    return guarded(policy) if guard else policy


def limit_guard_on(settings: CampaignSettings) -> bool:
    """Whether the campaign's live policy runs behind the abandonment-limit guard: unless
    its compliance settings switch it off (allowed only where the limit does not bind:
    ``campaigns.compliance_settings.check_campaign``)."""
    return settings.compliance.abandon_limit_guard


def limit_guard_words(settings: CampaignSettings) -> str:
    """Whether the guard holds the campaign's pacing, for ``doctor`` and ``campaign show``."""
    from pacing_models.limit_guard import GUARDED_POLICIES

    policy = settings.pacing_policy.strip().lower()
    if policy not in GUARDED_POLICIES:
        own = ("keeps its own abandonment budget" if policy == "predictive" else
               "never dials ahead of free agents")
        return f"not needed: {policy} {own}"
    if limit_guard_on(settings):
        return (f"on: {policy} is held to the {settings.abandon_target * 100:g} % abandonment "
                "limit (progressive while the window has no slack)")
    return (f"off (compliance.abandon_limit_guard=false, not telemarketing): {policy} is not "
            "held to the abandonment limit")


def check_pacing(name: str, params: Mapping[str, Any]) -> str:
    """Validate a campaign's pacing when it is set; returns the canonical policy name.

    The name is checked at once; parameters, when any are given, by building the policy
    (the policies check their own ranges). With none, the policy's defaults hold.
    """
    canonical = check_pacing_name(name)
    if params:
        build_pacing_policy(canonical, params)
    return canonical


def _merged(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``changes`` applied key by key, nested sections merged the same way."""
    out = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out
