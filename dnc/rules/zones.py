"""Where the called party may be: the time zones and US states whose rules apply to a lead.

Every signal counts and none replaces another: the lead's explicit time zone(s), its state,
its postal code's state and the numbering plan's zones for the number (``phonenumbers``,
per area code and exchange). The US states whose laws apply are the lead's explicit state,
its postal code's state and the area code's state, because Florida (Fla. Stat.
501.059(8)(d)) and Oklahoma (15 O.S. 775C.6) presume that a call to an in-state area code
is a call to a resident: taking all of them is the strict reading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import PhoneNumberType, geocoder, number_type
from phonenumbers import timezone as number_zones

from dnc.errors import ComplianceError
from dnc.numbering import US_CODES, number_states
from dnc.rules.model import LeadFacts
from dnc.rules.tables import RuleTables

US_REGIONS = frozenset({"US", "PR", "GU", "MP", "AS", "VI"})


@dataclass(frozen=True, slots=True)
class Placement:
    """The zones a call must respect, where they came from, and the US states that apply."""

    zones: tuple[str, ...]
    source: str
    states: tuple[str, ...]
    region: str | None           # ISO region of the number ("US", "GB", ...)
    wireless_by_plan: bool       # the numbering plan says MOBILE
    line_type_ambiguous: bool    # FIXED_LINE_OR_MOBILE (all of the NANP)
    fixed_by_plan: bool = False  # the numbering plan says FIXED_LINE (outside the NANP)
    infos: tuple[ZoneInfo, ...] = ()  # ``zones`` as ZoneInfo objects

    @property
    def known(self) -> bool:
        return bool(self.zones)

    def zone_infos(self) -> tuple[ZoneInfo, ...]:
        return self.infos if len(self.infos) == len(self.zones) else tuple(
            _zone(name) for name in self.zones)


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=512)
def zone_loads(name: str) -> bool:
    """Whether ``name`` is a time zone this machine can load (an IANA name), by the same
    cached loader the rules place callees with: the lead import, the hopper's reports and
    availability ask this rather than each loading zones their own way (cached, the
    answer for a name that does not load too: a lead file may repeat one on every row)."""
    try:
        _zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def parse_e164(number_e164: str) -> phonenumbers.PhoneNumber:
    if not number_e164.strip().startswith("+"):
        # phonenumbers' own words for a national number were "(0) Missing or invalid
        # default region": name the form to write instead.
        raise ComplianceError(f"{number_e164!r} is not an E.164 number: write it with its "
                              f"country code{_as_us_number(number_e164)}")
    try:
        parsed = phonenumbers.parse(number_e164, None)
    except phonenumbers.NumberParseException as error:
        raise ComplianceError(f"{number_e164!r} is not an E.164 number: {error}") from error
    return parsed


def e164_text(number: str) -> str:
    """``number`` as the store and the audit log write it: ``+1 201 555 0100`` is
    ``+12015550100`` (explain found no lead for the spaced form, and explained another
    decision than the dialer's: no consent, no lead zone)."""
    return phonenumbers.format_number(parse_e164(number), phonenumbers.PhoneNumberFormat.E164)


def _as_us_number(text: str) -> str:
    try:
        guess = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        return " (e.g. +12015550123)"
    if not phonenumbers.is_valid_number(guess):
        return " (e.g. +12015550123)"
    return (f" (a US number: write "
            f"{phonenumbers.format_number(guess, phonenumbers.PhoneNumberFormat.E164)})")


_NANP = re.compile(r"\+1[2-9]\d{2}[2-9]\d{6}")


def _plan_facts(number_e164: str
                ) -> tuple[tuple[str, ...], str | None, str | None, int, bool]:
    """Zones, region, area-code state, line type and whether the plan places the number no
    closer than its state (see ``_number_facts``) from the numbering plan.

    In the NANP all of these are fixed by the area code and exchange (NPA-NXX), so a
    well-formed +1 number is looked up once per exchange; others once per number.
    """
    if _NANP.fullmatch(number_e164):
        return _prefix_facts(number_e164[:8])
    return _number_facts(number_e164)


def region_of(number_e164: str) -> str | None:
    """The ISO region of a number's numbering plan ("US", "CA", "GB", ...); in the NANP the
    area code fixes it, so it is looked up once per area code."""
    if _NANP.fullmatch(number_e164):
        return _npa_region(number_e164[:5])
    try:
        return phonenumbers.region_code_for_number(parse_e164(number_e164))
    except ComplianceError:
        return None


@lru_cache(maxsize=1024)
def _npa_region(prefix: str) -> str | None:
    return _prefix_facts(prefix + "555")[1]


@lru_cache(maxsize=32768)
def _prefix_facts(prefix: str
                  ) -> tuple[tuple[str, ...], str | None, str | None, int, bool]:
    return _number_facts(prefix + "5010")  # any subscriber number of the exchange


@lru_cache(maxsize=4096)
def _number_facts(number_e164: str
                  ) -> tuple[tuple[str, ...], str | None, str | None, int, bool]:
    """The numbering plan's facts; the last one says the plan knows the number's exchange
    no closer than its state or territory (the place it names is the state itself, or
    none): its zones are then the area code's default, which need not be the exchange's
    (every unlisted 219 exchange of north-west Indiana is given New York's zone, though
    the whole area code keeps Central time)."""
    parsed = parse_e164(number_e164)
    zones = tuple(z for z in number_zones.time_zones_for_number(parsed) if z != "Etc/Unknown")
    region = phonenumbers.region_code_for_number(parsed)
    area_states: tuple[str, ...] = ()
    description = ""
    if region in US_REGIONS:
        # One answer to where a number is (dnc/numbering.py): its exchange's state and its
        # area code's; the rules read no table of their own.
        description = geocoder.description_for_number(parsed, "en")
        area_states = tuple(s for s in number_states(number_e164) if s in US_CODES)
    state_only = bool(area_states) and ", " not in description
    return zones, region, area_states, number_type(parsed), state_only


def place(lead: LeadFacts, tables: RuleTables) -> Placement:
    """Resolve a lead's candidate zones and applicable states.

    The candidate zones are the union of every signal: the lead's explicit zone(s), its
    state's zones, its postal code's state's zones and the numbering plan's zones for the
    number (area code and exchange). The called party's location is unknown whenever these
    disagree (a mobile number keeps its area code when its owner moves), and a call must be
    lawful wherever the party may be: 12 CFR 1006.6(b)(1)(i) comment 6(b)(1)(i)-1 asks for
    convenience "in all the locations"; Fla. Stat. 501.059(8)(d) and 15 O.S. 775C.6 presume
    the area code's state is the location.
    """
    plan_zones, region, area_states, line_type, state_only = _plan_facts(lead.number_e164)
    who = lead.lead_id or lead.number_e164
    explicit_state = lead.state.upper() if lead.state else None
    if explicit_state is not None and explicit_state not in tables.state_zones:
        raise ComplianceError(f"lead {who}: unknown US state {lead.state!r}")
    postal_state = _postal_state(lead.postal_code, tables, who,
                                 us=region in US_REGIONS or explicit_state is not None)
    zones: dict[str, None] = {}
    sources: list[str] = []
    if lead.time_zone:
        explicit = tuple(z.strip() for z in lead.time_zone.split(",") if z.strip())
        for name in explicit:
            try:
                _zone(name)
            except (ZoneInfoNotFoundError, ValueError) as error:
                raise ComplianceError(f"lead {who}: unknown time zone {name!r}") from error
        zones.update(dict.fromkeys(explicit))
        sources.append("lead time zone")
    if explicit_state is not None:
        zones.update(dict.fromkeys(tables.state_zones[explicit_state]))
        sources.append(f"lead state {explicit_state}")
    if postal_state is not None:
        zones.update(dict.fromkeys(tables.state_zones[postal_state]))
        sources.append(f"postal code {lead.postal_code} -> {postal_state}")
    if plan_zones:
        zones.update(dict.fromkeys(plan_zones))
        sources.append("numbering plan")
    for area_state in area_states if state_only else ():
        if area_state in tables.state_zones and \
                any(z not in zones for z in tables.state_zones[area_state]):
            # The plan places the number in its state only: the party may be in any of
            # the state's zones (the area code's state is presumed the location: Fla.
            # Stat. 501.059(8)(d), 15 O.S. 775C.6).
            zones.update(dict.fromkeys(tables.state_zones[area_state]))
            sources.append(f"area code's state {area_state}")
    states = tuple(dict.fromkeys(
        s for s in (explicit_state, postal_state, *area_states) if s is not None))
    return Placement(
        zones=tuple(zones), infos=tuple(_zone(name) for name in zones),
        source=" + ".join(sources) if zones else "unknown",
        states=states, region=region,
        wireless_by_plan=line_type == PhoneNumberType.MOBILE,
        line_type_ambiguous=line_type == PhoneNumberType.FIXED_LINE_OR_MOBILE,
        fixed_by_plan=line_type == PhoneNumberType.FIXED_LINE)


_ZIP = re.compile(r"(\d{5})(?:[- ]?\d{4})?")
MILITARY_ZIP3 = frozenset({"340", *(f"{n:03d}" for n in range(90, 99)),
                           *(str(n) for n in range(962, 967))})
"""APO/FPO prefixes (AA 340, AE 090-098, AP 962-966; USPS Publication 65): an address
abroad, in no state and no zone of the US; the number's own signals place the call."""

ZIP5_STATES = {"96799": "AS", "96950": "MP", "96951": "MP", "96952": "MP"}
"""Five-digit ZIP codes of a territory inside another's three-digit prefix (USPS: Pago Pago,
American Samoa, in Hawaii's 967; Saipan, Rota and Tinian, Northern Mariana Islands, in
Guam's 969): American Samoa is an hour behind Hawaii."""


def _postal_state(postal_code: str | None, tables: RuleTables, who: str, *, us: bool
                  ) -> str | None:
    """The state a lead's postal code names, None when there is none to apply.

    A US lead (a US or territory number, or a lead that states a US state) whose postal
    code is given but names no state is refused rather than placed without it: a stated
    address is a location the called party may be in, and dropping it dropped that state's
    rules (a Rhode Island ZIP "2903" whose leading zero a spreadsheet lost, on a California
    mobile number, was called at 18:30 Eastern on a weekday, past Rhode Island's 18:00). A
    postal code of another country on a non-US number is not a US ZIP and is not read."""
    code = (postal_code or "").strip()
    if not code:
        return None
    match = _ZIP.fullmatch(code)
    if match is not None:
        zip3 = match.group(1)[:3]
        state = ZIP5_STATES.get(match.group(1)) or tables.zip3_states.get(zip3)
        if state is not None or zip3 in MILITARY_ZIP3:
            return state
    if not us:
        return None  # another country's postal code on a non-US number
    raise ComplianceError(
        f"lead {who}: postal code {code!r} is not a US ZIP code of a known state (5 digits "
        "or ZIP+4; a leading zero lost?): the state's rules cannot be applied without it")


def zone_conflict(lead: LeadFacts, tables: RuleTables) -> str | None:
    """A sentence when the lead's explicit time zone is not a zone of its explicit state
    (import warns; the rules use both)."""
    if not lead.time_zone or not lead.state:
        return None
    state = lead.state.upper()
    state_zones = tables.state_zones.get(state)
    if state_zones is None:
        return None
    explicit = [z.strip() for z in lead.time_zone.split(",") if z.strip()]
    outside = [z for z in explicit if z not in state_zones]
    if not outside:
        return None
    return (f"time zone {', '.join(outside)} is not a zone of state {state} "
            f"({', '.join(state_zones)}): both are used")
