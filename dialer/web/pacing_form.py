"""The console's pacing form: what a supervisor typed, as settings changes, or why not
(naming the field); and the stored settings the page was drawn with, so a change made from a
stale page (a second tab, another supervisor) is caught instead of silently overwriting.

Only plain decimals are numbers here: Python's ``float`` also reads ``2_5`` (25: a typo
for 2.5 that would dial ten times harder), ``1e1`` and ``²`` (which ``int`` then refused
with a 500). The runner checks the legal bounds again (``validate_settings``).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from campaigns.settings import MAX_ABANDON_TARGET, CampaignSettings
from dialer.config_numbers import json_meant

PACING_FIELDS = ("abandon_target", "lines_per_agent", "max_lines", "pacing_policy")
PACING_KEYS = (*PACING_FIELDS, "pacing_params")
PACING_LABELS = {"abandon_target": "abandonment target", "lines_per_agent": "lines per agent",
                 "max_lines": "max lines", "pacing_policy": "policy",
                 "pacing_params": "policy parameters"}
SEEN_FIELD = "pacing_seen"
"""The form's hidden field: the campaign's pacing version the page showed (bumped by
every change of a pacing setting, from the console or ``dialer campaign edit``; the store
writes a change only over it)."""

SELLER_REFUSAL = (
    "the seller is not changed from the console: `dialer campaign edit CAMPAIGN --seller "
    "NAME` changes it, checked against the consents imported for the campaign (a written "
    "consent counts for the seller it names, 47 CFR 64.1200(f)(9)); nothing changed")
"""Why a form that names a seller is refused as a whole (docs/campaigns.md)."""

_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)\Z", re.ASCII)
_WHOLE = re.compile(r"\d+\Z", re.ASCII)
LEGAL_LIMIT = ("47 CFR 64.1200(a)(7)(i): at most 3 % of live answers abandoned over 30 days")


class PacingRefused(ValueError):
    """A pacing form the console will not send: ``field`` is the form field to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def pacing_changes(data: dict[str, Any]) -> dict[str, Any]:
    """The form as settings changes, or ``PacingRefused``. The abandonment target is in
    percent, as the form says: "2" and "2 %" are 2 %, and "0.02" is 0.02 % (never read as a
    fraction, which would make a cautious 0.02 % a hundred times bigger); "30" is 30 %,
    refused here in the form's own unit rather than as the model's fraction 0.3."""
    sellers = sorted(key for key in data if "seller" in str(key).casefold())
    if sellers:
        # Before, such a field was dropped without a word and the pacing beside it applied:
        # the supervisor read "saved" over a seller the store never changed, while the
        # command line's and the Python API's seller changes are checked against the
        # consents imported for the old seller (campaigns/consent_sellers.py).
        raise PacingRefused(sellers[0], SELLER_REFUSAL)
    changes: dict[str, Any] = {}
    for key in PACING_FIELDS:
        raw = str(data.get(key, "")).strip()
        if not raw:
            continue
        label = PACING_LABELS[key]
        if key == "pacing_policy":
            changes[key] = raw
        elif key == "max_lines":
            if not _WHOLE.match(raw):
                raise PacingRefused(key, f"{label} {raw!r}: write a whole number of lines, "
                                    "e.g. 50")
            changes[key] = int(raw)
        elif key == "abandon_target":
            text = raw.removesuffix("%").strip()
            if not _DECIMAL.match(text):
                raise PacingRefused(key, f"{label} {raw!r} is not a number: "
                                    + _comma_fix(text, "write a percentage, e.g. 2.5"))
            percent = float(text)
            if not 0 <= percent <= MAX_ABANDON_TARGET * 100:  # also 400 nines: infinity
                raise PacingRefused(key, f"{label} {raw!r}: write a percentage from 0 to "
                                    f"{MAX_ABANDON_TARGET * 100:g} ({LEGAL_LIMIT})")
            changes[key] = percent / 100
        else:
            if not _DECIMAL.match(raw):
                raise PacingRefused(key, f"{label} {raw!r} is not a number: "
                                    + _comma_fix(raw, "write a decimal, e.g. 1.5"))
            value = float(raw)
            if not math.isfinite(value):  # 400 digits: float() says infinity
                raise PacingRefused(key, f"{label}: {len(raw)} digits is not a number of "
                                    "lines, e.g. 1.5")
            changes[key] = value
    raw_params = str(data.get("pacing_params", "")).strip()
    if raw_params:
        try:
            params = json.loads(raw_params)
        except json.JSONDecodeError as error:
            meant = json_meant(raw_params)
            raise PacingRefused("pacing_params", f"policy parameters: not JSON ({error})"
                                + (f"; write {meant}" if meant else "")) from None
        if not isinstance(params, dict):
            raise PacingRefused("pacing_params", "policy parameters: write a JSON object, "
                                "e.g. {\"margin_z\": 1.0}")
        changes["pacing_params"] = params
    if not changes:
        raise PacingRefused("pacing_policy", "no pacing setting given: fill in the setting "
                            "to change")
    return changes


def _comma_fix(text: str, otherwise: str) -> str:
    """What to write for a decimal comma (``2,5``, as a French or German keyboard types
    it), else ``otherwise``."""
    if re.fullmatch(r"\d*,\d+", text):
        whole, _, fraction = text.partition(",")
        return f"write {whole or 0}.{fraction} (a decimal point, not a comma)"
    return otherwise


def pacing_seen(raw: object) -> int | None:
    """The pacing version a form sent: None when it sent none (a script, an older client:
    not checked, as before), -1 for anything but a whole number (a digest from a page
    drawn before versions: no version any store holds, so refused as stale)."""
    text = str(raw or "").strip()
    if not text:
        return None
    return int(text) if text.isascii() and text.isdigit() else -1


def describe(settings: CampaignSettings) -> str:
    """The stored pacing settings in the form's words and units."""
    params = json.dumps(settings.pacing_params, sort_keys=True) if settings.pacing_params \
        else "none"
    return (f"policy {settings.pacing_policy}, abandonment target "
            f"{settings.abandon_target * 100:g} %, lines per agent {settings.lines_per_agent:g}"
            f", max lines {settings.max_lines or 'none'}, parameters {params}")


def field_of(error: str) -> str | None:
    """The form field a runner's refusal names (``invalid campaign settings: KEY: ...``)."""
    head = error.removeprefix("invalid campaign settings: ")
    key = head.partition(":")[0].partition(".")[0].strip()
    if key in PACING_KEYS:
        return key
    if head.startswith("pacing policy"):
        return "pacing_policy"
    return None


def placeholders(settings: CampaignSettings) -> dict[str, str]:
    """The stored values as the form's placeholders (what is set now), in its units."""
    return {"pacing_policy": settings.pacing_policy,
            "abandon_target": f"{settings.abandon_target * 100:g}%",
            "lines_per_agent": f"{settings.lines_per_agent:g}",
            "max_lines": str(settings.max_lines or "none"),
            "pacing_params": json.dumps(settings.pacing_params, sort_keys=True)
            if settings.pacing_params else '{"margin_z": 1.0}'}
