"""A campaign's ``compliance`` settings: what kind of calls it makes, for whom, what its
recorded messages say, and its own limits. Validated once at the edge like every setting.

Two levels of checking:

- **validation** (``ComplianceSettings`` and ``check_campaign``, run by ``CampaignSettings``):
  a value that is given must be valid and consistent with the rest of the campaign, or the
  settings are refused (one line per field). For example a campaign that leaves recorded
  messages is a prerecorded campaign; a US telemarketing campaign cannot switch off the
  automated opt-out of its abandoned-call message (47 CFR 64.1200(a)(7)(i)(B)); a UK
  campaign aims below 3 % abandoned calls and, with AMD, states its false-positive estimate.
- **readiness** (``dialing_problems``): what must be declared before the campaign may dial
  (the seller's name, a number that accepts do-not-call requests, what the abandoned-call
  and recorded messages say). A draft may lack them; the runner refuses to start a campaign
  that does, naming each one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Literal

from pydantic import ConfigDict, Field, StrictBool, ValidationInfo, field_validator

from dialer.config_numbers import NumbersNotBooleans

if TYPE_CHECKING:
    from campaigns.settings import CampaignSettings

RETENTION_MIN_DAYS = 1827
"""Five years (16 CFR 310.5(b) as amended in 2024: records kept 5 years; the FCC's 2024
order keeps do-not-call requests 5 years too), counted with a leap day."""
UK_MAX_ABANDON_TARGET = 0.03
US_PROFILES = ("us", "us_federal", "us_state", "reg_f")
UK_PROFILES = ("uk", "uk_ofcom")


def _e164(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    if not (value.startswith("+") and value[1:].isdigit() and 8 <= len(value) <= 16):
        from campaigns.phones import e164_hint

        raise ValueError(f"{what} {value!r} is not an E.164 number{e164_hint(value)}")
    return value


class AttemptCapSetting(NumbersNotBooleans):
    """The campaign's own limit: at most ``max_calls`` in any ``window_hours``."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
    max_calls: int = Field(ge=1)
    window_hours: float = Field(gt=0)
    same_subject: bool = False
    per: Literal["person", "number"] = "person"
    """person: every number of the lead's contact counts; number: the dialled number only."""


class SafeHarborDeclaration(NumbersNotBooleans):
    """What the abandoned-call (safe-harbour) message says, as the campaign declares it:
    47 CFR 64.1200(a)(7)(i)(B) limits it to the statement that the call was for telemarketing
    purposes, the seller's name and a number that accepts do-not-call requests."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
    states_telemarketing_purpose: bool = False
    names_seller: bool = False
    gives_dnc_number: bool = False
    no_marketing_content: bool = False
    """UK (Ofcom 2016 statement, Annex 1): the information message played on an abandoned call
    identifies the company and gives a number to decline further calls, and contains no
    marketing."""


class RecordedMessageSetting(NumbersNotBooleans):
    """What the recorded message (``machine_message``, a voicemail drop) says
    (47 CFR 64.1200(b)(1)-(3))."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
    seller_named_first: bool = False
    callback_number: str | None = None
    optout_number: str | None = None
    """Toll-free number reaching the automated opt-out (telemarketing on a machine)."""
    interactive_optout: bool = False

    @field_validator("callback_number", "optout_number")
    @classmethod
    def _numbers(cls, value: str | None, info: ValidationInfo) -> str | None:
        from campaigns.settings import call_back_number_problem

        _e164(value, "number")
        problem = call_back_number_problem(value, str(info.field_name))
        if problem is not None:
            raise ValueError(problem)
        return value


class ComplianceSettings(NumbersNotBooleans):
    """The compliance section of a campaign's settings."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
    telemarketing: bool = True
    """A sales call (TSR/TCPA telemarketing); false for informational or debt collection."""
    prerecorded: bool | None = None
    """Plays a recorded message to a machine or a person. None: derived from
    ``machine_action`` (leave_message makes the campaign prerecorded)."""
    autodialed: bool = True
    """Numbers are selected and dialled by the dialer (every predictive, power or progressive
    campaign is)."""
    subject: str | None = None
    """The subject matter (FL/MD/OK count 3 calls per 24 h on the same subject)."""
    seller_name: str = ""
    """The seller on whose behalf the campaign calls: written consents must name it and the
    abandoned-call message states it."""
    telemarketer_name: str = ""
    """Who makes the calls, when not the seller (records: 16 CFR 310.5(a)(2))."""
    dnc_number: str | None = None
    """A number that accepts do-not-call requests during business hours (not a 900 or other
    charged number), given in the abandoned-call message."""
    safe_harbor: SafeHarborDeclaration = Field(default_factory=SafeHarborDeclaration)
    recorded_message: RecordedMessageSetting | None = None
    attempt_caps: tuple[AttemptCapSetting, ...] = ()
    unknown_line_type: Literal["wireless", "landline"] = "wireless"
    """How a number of unknown line type counts for autodialed/prerecorded calls."""
    agent_guaranteed: bool = False
    """Ofcom: every repeat call is guaranteed a live agent."""
    abandon_limit_guard: StrictBool = True
    """Hold ``power``, ``ratio`` and ``adaptive`` pacing to the abandonment limit
    (``pacing_models.limit_guard``). Only a campaign the limit does not bind may switch it
    off (``check_campaign``): one that is not telemarketing (47 CFR 64.1200(a)(7) and the
    TSR's abandonment rule govern telemarketing calls), and not UK (Ofcom's persistent-misuse
    policy counts every abandoned call, whatever its purpose)."""
    retention_days: int = Field(default=RETENTION_MIN_DAYS, ge=RETENTION_MIN_DAYS, le=36_500)
    """How long call records and consent records are kept (never under 5 years)."""
    state_list_waivers: dict[str, str] = Field(default_factory=dict)
    """State (``TX``) -> the compliance officer's statement of why this campaign may call
    into that state without its own do-not-call list loaded (e.g. "our calls are exempt from
    the Texas list: counsel's opinion of 2026-11-02"). Without one, a telemarketing call to a
    number placed in a state that keeps its own list (dnc/data/state_dnc_lists.csv) is refused
    until the list is loaded. The statement is named in every decision it allows."""

    @field_validator("dnc_number")
    @classmethod
    def _dnc_number(cls, value: str | None) -> str | None:
        from campaigns.settings import call_back_number_problem

        _e164(value, "dnc_number")
        if value is not None and value.startswith("+1900"):
            raise ValueError("dnc_number must not be a 900 (charged) number "
                             "(47 CFR 64.1200(a)(7)(i)(B))")
        problem = call_back_number_problem(value, "dnc_number")
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("state_list_waivers")
    @classmethod
    def _waivers(cls, value: dict[str, str]) -> dict[str, str]:
        from dnc.rules.tables import RuleTables

        lists = RuleTables().state_dnc_lists
        waivers: dict[str, str] = {}
        for state, statement in value.items():
            code = state.strip().upper()
            if code not in lists:
                raise ValueError(f"{state!r} keeps no do-not-call list of its own (states that "
                                 f"do: {', '.join(sorted(lists))})")
            text = " ".join(str(statement).split())
            if not text:
                raise ValueError(f"{code}: the waiver needs the officer's statement of why the "
                                 "state's list does not apply")
            waivers[code] = text
        return waivers

    @field_validator("seller_name", "telemarketer_name")
    @classmethod
    def _names(cls, value: str) -> str:
        return " ".join(value.split())


def profiles_named(jurisdiction: str) -> set[str]:
    return {p for p in jurisdiction.lower().replace(" ", "").split(",") if p}


def is_us(settings: CampaignSettings) -> bool:
    return bool(profiles_named(settings.jurisdiction) & set(US_PROFILES)) or \
        not profiles_named(settings.jurisdiction)


def is_uk(settings: CampaignSettings) -> bool:
    return bool(profiles_named(settings.jurisdiction) & set(UK_PROFILES))


def is_prerecorded(settings: CampaignSettings) -> bool:
    declared = settings.compliance.prerecorded
    return declared if declared is not None else settings.machine_action == "leave_message"


def check_campaign(settings: CampaignSettings) -> None:
    """Cross-field rules of the compliance settings (raises ValueError with the reason)."""
    compliance = settings.compliance
    if settings.machine_action == "leave_message" and compliance.prerecorded is False:
        raise ValueError("compliance.prerecorded: a campaign that leaves a recorded message "
                         "(machine_action leave_message) is a prerecorded campaign")
    if is_us(settings) and compliance.telemarketing and settings.optout_digit is None:
        raise ValueError("optout_digit: a US telemarketing campaign must offer the automated "
                         "opt-out in its abandoned-call message (47 CFR 64.1200(a)(7)(i)(B))")
    if not compliance.abandon_limit_guard and (compliance.telemarketing or is_uk(settings)):
        raise ValueError(limit_guard_refusal(settings))
    if is_uk(settings):
        for number in settings.caller_ids:
            problem = uk_cli_problem(number)
            if problem:
                raise ValueError(f"caller_ids: {number} {problem}")
        dnc_number = compliance.dnc_number
        if dnc_number is not None and (problem := uk_cli_problem(dnc_number)):
            raise ValueError(f"compliance.dnc_number: {dnc_number} {problem}")
        if settings.abandon_target >= UK_MAX_ABANDON_TARGET:
            raise ValueError(
                "abandon_target: Ofcom treats 3 % or more abandoned calls as an enforcement "
                "priority (2016 statement); aim well below it, e.g. 0.02 (give "
                "--abandon-target 0.02; the default 0.03 is the US limit)")
        if settings.amd_enabled and settings.amd_false_positive_estimate is None:
            raise ValueError(
                "amd_false_positive_estimate: with AMD on, a UK campaign must state its "
                "evidenced estimate of AMD false positives (Ofcom 2016, Annex 3); 0 only if "
                "that is the measured value")


def limit_guard_refusal(settings: CampaignSettings) -> str:
    """The one line refusing ``compliance.abandon_limit_guard=false`` on a campaign the
    abandonment limit binds."""
    why = ("a UK campaign's abandoned calls count whatever their purpose (Ofcom persistent-"
           "misuse statement, 2016)" if is_uk(settings) and not
           settings.compliance.telemarketing else
           "a telemarketing campaign must keep abandoned calls within 3 % of live answers "
           "(47 CFR 64.1200(a)(7))")
    return (f"compliance.abandon_limit_guard: cannot be switched off: {why}; only a "
            "non-telemarketing campaign (compliance.telemarketing=false) outside the UK may")


UK_ABANDON_WINDOW_HOURS = 24.0
"""Ofcom measures a campaign's abandoned-call rate per 24 hours (2016 statement, Annex 1,
A1.4-A1.5), the window a UK campaign's ledger must keep."""


def uk_window_problem(settings: CampaignSettings) -> str | None:
    """Why a UK campaign's abandonment window cannot be measured against Ofcom's 24 hours,
    else None. The dial-time rule ``uk.abandon_rate`` is handed a rate only from a 24-hour
    ledger and refuses every dial without one: checked when set and at start, so such a
    campaign is refused with its repair instead of starting and dialing no one."""
    hours = settings.abandon_window_hours
    if not is_uk(settings) or hours is None or hours == UK_ABANDON_WINDOW_HOURS:
        return None
    return (f"abandon_window_hours: {hours:g} h, but Ofcom measures a UK campaign's abandoned "
            "calls per 24 hours (2016 statement, Annex 1): leave it unset or set 24")


GUARANTEEING_POLICIES = frozenset({"progressive", "preview"})
"""Pacing policies that place a call only for an agent already free for it (one line per
free agent): the only ones under which ``compliance.agent_guaranteed`` can be true."""


def agent_guarantee_problem(settings: CampaignSettings) -> str | None:
    """Why a campaign that declares ``compliance.agent_guaranteed`` cannot keep that promise,
    else None.

    The declaration lifts Ofcom's repeat-call rules (no repeat within 72 h of an abandoned
    call, none on the day of an answering-machine verdict; ``uk.repeat_after_abandon``,
    ``uk.repeat_after_machine``), so it must be true of every call the campaign places, not
    merely stated: a predictive, power or ratio policy dials ahead of free agents, AMD can
    hang up on a person (a false positive is an abandoned call), and an inbound queue served
    by the same agents can take the agent a call is ringing for. Checked when set and at
    start, like the UK window, so a campaign stored before the check stays editable."""
    if not settings.compliance.agent_guaranteed:
        return None
    policy = settings.pacing_policy.partition(":")[0].strip().lower()
    if policy not in GUARANTEEING_POLICIES:
        return (f"compliance.agent_guaranteed: the campaign paces {policy!r}, which dials "
                "ahead of free agents; only progressive or preview pacing guarantees a live "
                "agent for every call (Ofcom 2010/2016 statements: repeat calls need one)")
    if settings.amd_enabled:
        return ("compliance.agent_guaranteed: AMD is on, and a person it takes for a machine "
                "is hung up on, an abandoned call (Ofcom 2016, Annex 3); turn AMD off "
                "(amd_enabled=false) to guarantee an agent")
    if settings.queues:
        return ("compliance.agent_guaranteed: the campaign's agents also serve inbound "
                f"queues ({', '.join(settings.queues)}), and a caller can take the agent a "
                "call is ringing for; serve no queue to guarantee an agent")
    return None


def uk_cli_problem(number: str) -> str | None:
    """Why ``number`` cannot be a UK campaign's calling line identity beyond what every caller
    ID must be (``campaigns.settings.caller_id_problem``: dialable, not premium-rate).

    Ofcom's CLI guidance (applied from 29 Jan 2025): the CLI must be a number the called
    person can call back at no more than a basic rate, so not a personal (070) number, which
    reaches the caller at a charge."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None  # caller_id_problem refuses it with its own reason
    if phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.PERSONAL_NUMBER:
        return "is a personal (070) number: a UK CLI or do-not-call number must be " \
            "callable at no more than a basic rate (Ofcom CLI guidance, 2025)"
    return None


def dialing_problems(settings: CampaignSettings) -> list[str]:
    """What the campaign must still declare before it may dial (empty: ready)."""
    from campaigns.compliance import campaign_rules
    from dnc.rules.federal import recorded_message_problems

    compliance = settings.compliance
    problems: list[str] = []
    if (is_us(settings) or is_uk(settings)) and not compliance.seller_name:
        problems.append("compliance.seller_name: the seller's name (stated in the "
                        "abandoned-call message; written consents must name it)")
    if (is_us(settings) or is_uk(settings)) and not compliance.dnc_number:
        problems.append("compliance.dnc_number: a number that accepts do-not-call requests "
                        "(given in the abandoned-call message)")
    if is_us(settings) and compliance.telemarketing:
        declared = compliance.safe_harbor
        missing = [name for name, ok in (
            ("states_telemarketing_purpose", declared.states_telemarketing_purpose),
            ("names_seller", declared.names_seller),
            ("gives_dnc_number", declared.gives_dnc_number)) if not ok]
        if missing:
            problems.append(
                "compliance.safe_harbor: declare that the abandoned-call message states the "
                "call was for telemarketing purposes, the seller's name and the do-not-call "
                f"number (47 CFR 64.1200(a)(7)(i)(B)); not declared: {', '.join(missing)}")
    if is_uk(settings):
        declared = compliance.safe_harbor
        missing = [name for name, ok in (
            ("names_seller", declared.names_seller),
            ("gives_dnc_number", declared.gives_dnc_number),
            ("no_marketing_content", declared.no_marketing_content)) if not ok]
        if missing:
            problems.append(
                "compliance.safe_harbor: declare that the abandoned-call information message "
                "names the company, gives a number to decline further calls and contains no "
                "marketing (Ofcom 2016 statement, Annex 1); not declared: "
                f"{', '.join(missing)}")
    if is_prerecorded(settings) and is_us(settings):
        rules = campaign_rules("check", settings)
        problems.extend(f"compliance.recorded_message: {p}"
                        for p in recorded_message_problems(rules))
    return problems


def attempt_cap_windows(settings: ComplianceSettings) -> list[tuple[int, timedelta, bool, bool]]:
    return [(c.max_calls, timedelta(hours=c.window_hours), c.same_subject, c.per == "person")
            for c in settings.attempt_caps]
