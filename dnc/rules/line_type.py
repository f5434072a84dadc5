"""Which kind of line a number is, from every source the rules have, and who said so.

47 U.S.C. 227(b)(1)(A)(iii) and 47 CFR 64.1200(a)(1)(iii), (a)(2) protect wireless numbers,
but the NANP numbering plan cannot tell a US mobile from a landline (``phonenumbers`` calls
every +1 number "fixed line or mobile"). The sources, strongest first:

- the officer's line-type registry (``dnc.facts``): an entry for the number itself (a
  ported number) beats an entry for its block;
- the lead's own ``line_type`` column (e.g. from a carrier look-up made before import);
- the numbering plan, where it is definite (outside the NANP: mobile or fixed).

Sources that disagree resolve to the protected kind (wireless or VoIP over landline): the
call must be lawful whichever source is right. A line no source knows is ``unknown``; the
campaign's policy (``treat_unknown_line_type_as_wireless``, on by default) decides whether
the wireless rules apply to it, and the decision records that the policy decided.
"""

from __future__ import annotations

from dataclasses import dataclass

from dnc.interfaces import LineType, LineTypeRecord
from dnc.rules.model import CampaignRules, LeadFacts
from dnc.rules.zones import Placement

PROTECTED = frozenset({LineType.WIRELESS, LineType.VOIP})
"""Line types the wireless rules protect. VoIP counts: 227(b)(1)(A)(iii) also covers "any
service for which the called party is charged for the call", which VoIP service may be."""


@dataclass(frozen=True, slots=True)
class LineFinding:
    """The line type the rules use for one decision, with its source."""

    line_type: LineType
    source: str
    protected: bool
    """The wireless rules apply (wireless, VoIP, or unknown under the campaign's policy)."""


def find_line_type(lead: LeadFacts, placement: Placement, registry: LineTypeRecord | None,
                   campaign: CampaignRules) -> LineFinding:
    said: list[tuple[LineType, str]] = []
    if registry is not None and registry.line_type is not LineType.UNKNOWN:
        said.append((registry.line_type, registry.source))
    column = lead.line_type
    if column is None and lead.wireless is not None:
        column = LineType.WIRELESS if lead.wireless else LineType.LANDLINE
    if column is not None and column is not LineType.UNKNOWN:
        said.append((column, f"lead line_type column: {column.value}"))
    if placement.wireless_by_plan:
        said.append((LineType.WIRELESS, "numbering plan: mobile range"))
    elif placement.fixed_by_plan:
        said.append((LineType.LANDLINE, "numbering plan: fixed-line range"))
    protected = [(kind, source) for kind, source in said if kind in PROTECTED]
    if protected:
        kind = LineType.WIRELESS if any(k is LineType.WIRELESS for k, _ in protected) \
            else LineType.VOIP
        source = "; ".join(source for _, source in protected)
        others = [source for k, source in said if k not in PROTECTED]
        if others:
            source += " (over " + "; ".join(others) + ": the protected reading wins)"
        return LineFinding(kind, source, True)
    if said:
        return LineFinding(LineType.LANDLINE, "; ".join(source for _, source in said), False)
    if campaign.treat_unknown_line_type_as_wireless:
        return LineFinding(LineType.UNKNOWN, "no source knows the line type: counted as "
                           "wireless (campaign policy unknown_line_type=wireless)", True)
    return LineFinding(LineType.UNKNOWN, "no source knows the line type: counted as landline "
                       "(campaign policy unknown_line_type=landline)", False)
