"""A campaign's settings as stored, read fail closed.

Bounds apply when a setting is written (``campaigns.store.validate_settings``), so a
campaign stored before a bound existed, or written into the database by other means, can
hold a value no edit would take now. Read as it was, such a value was a pydantic traceback
in every command (``max_attempts_per_day`` 1e20 is no integer pydantic reads) or an
overflow deep in a report (``callback_grace_minutes`` 1e300 as a ``timedelta``). Readers go
through ``stored_settings``: a stored value the model refuses is one line naming the
campaign, the setting, its range and the edit that repairs it; ``settings_in_range`` does
the same for a value the model reads but a reader cannot compute with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pydantic

from campaigns.errors import CampaignError
from campaigns.settings import CampaignSettings, pacing_range_problems, range_problem

if TYPE_CHECKING:
    from campaigns.models import Campaign


class StoredSettingsError(CampaignError):
    """A campaign's stored settings hold a value out of range or unreadable; ``problems``
    pairs each setting with its line (the repair included)."""

    def __init__(self, campaign: str, problems: list[tuple[str, str]]) -> None:
        self.campaign = campaign
        self.problems = problems
        super().__init__("; ".join(line for _, line in problems))

    @property
    def keys(self) -> set[str]:
        """The top-level settings at fault (what an edit must write to repair them)."""
        return {key.partition(".")[0] for key, _ in self.problems}


def repair_line(campaign: str, key: str, problem: str) -> str:
    """``problem`` of ``campaign``'s stored ``key`` with the edit that repairs it."""
    target = key if key != "settings" else "KEY"
    return (f"campaign {campaign!r}: {problem}; repair it with `dialer campaign edit "
            f"{campaign} --set {target}=VALUE`")


def _problem(campaign: str, error: Any) -> tuple[str, str]:
    key = ".".join(str(part) for part in error["loc"]) or "settings"
    value = error.get("input")
    problem = range_problem(key, value) or (
        f"{key}: {str(error['msg']).removeprefix('Value error, ')} (stored: {value!r})"
        if error["loc"] else str(error["msg"]).removeprefix("Value error, "))
    return key, repair_line(campaign, key, problem)


def read_stored_settings(campaign: str, stored: Mapping[str, Any]) -> CampaignSettings:
    """``campaign``'s settings from their stored form, or ``StoredSettingsError``."""
    try:
        return CampaignSettings.model_validate(stored)
    except pydantic.ValidationError as error:
        raise StoredSettingsError(
            campaign, [_problem(campaign, e) for e in error.errors()]) from None


def stored_settings(row: Campaign) -> CampaignSettings:
    """The settings of a stored campaign row (``read_stored_settings``)."""
    return read_stored_settings(row.name, row.settings)


def settings_in_range(campaign: str, settings: CampaignSettings, keys: Iterable[str]
                      ) -> CampaignSettings:
    """``settings``, once the ranged settings ``keys`` a reader computes with are inside
    their ranges (``PACING_RANGES``); else ``StoredSettingsError`` naming each."""
    problems = pacing_range_problems(settings, set(keys))
    if problems:
        raise StoredSettingsError(campaign, [
            (problem.partition(":")[0], repair_line(campaign, problem.partition(":")[0],
                                                    problem)) for problem in problems])
    return settings
