"""A queue configuration refuses what a campaign manager writes by mistake in the first hour
(docs/operations.md, "Mistakes the dialer refuses", inbound): each case here was accepted
before and either never acted or acted on a value nobody meant."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from dialer.config_numbers import FlagText
from dialer.engine.queue_config import QueueConfig

OPEN = {"timezone": "America/New_York", "days": {"mon": "09:00-17:00"}}


def queue(**settings) -> QueueConfig:
    return QueueConfig.model_validate({"name": "sales", **settings})


@pytest.mark.parametrize("setting", [  # text as ``--set`` passes it (a file's is refused)
    {"handle_time": float("inf")}, {"handle_time": FlagText("nan")},
    {"max_wait": FlagText("inf"), "overflow": "voicemail"},
    {"callback": {"retry_after": float("inf")}}, {"callback": {"offer_after": FlagText("inf")}},
    {"alerts": {"longest_wait": float("inf")}},
    {"priority": {"aging_per_minute": FlagText("nan")}},
])
def test_an_infinite_or_undefined_number_is_refused(setting) -> None:
    with pytest.raises(ValidationError, match="finite number"):
        queue(**setting)


@pytest.mark.parametrize(("setting", "field"), [
    ({"handle_time": 1e300}, "handle_time"),
    ({"max_wait": 1e300, "overflow": "voicemail"}, "max_wait"),
    ({"callback": {"offer_after": 1e300}}, "offer_after"),
    ({"callback": {"retry_after": 1e300}}, "retry_after"),
    ({"announcements": {"every": 1e9}}, "every"),
    ({"alerts": {"longest_wait": 1e300}}, "longest_wait"),
])
def test_an_absurd_time_is_refused(setting, field) -> None:
    with pytest.raises(ValidationError, match=f"{field}\n.*less than or equal"):
        queue(**setting)


def test_an_overflow_nobody_can_reach_is_refused() -> None:
    with pytest.raises(ValidationError, match="overflow needs max_wait"):
        queue(overflow="voicemail")
    with pytest.raises(ValidationError, match="when_full needs max_length"):
        queue(when_full="callback")
    assert queue(max_length=3, overflow="voicemail").full_action is not None
    assert queue(max_length=3, when_full="callback").when_full is not None


def test_opening_hours_name_the_day_and_the_form() -> None:
    for text in ("9:00-17:00", "9-17", "9am-5pm", "09:00-25:00", "09:00"):
        with pytest.raises(ValidationError, match=rf"mon: '{text}': write HH:MM-HH:MM"):
            queue(hours={**OPEN, "days": {"mon": text}})
    with pytest.raises(ValidationError, match="a night past midnight is two days"):
        queue(hours={**OPEN, "days": {"mon": "22:00-06:00"}})
    assert queue(hours={**OPEN, "days": {"mon": "09:00-24:00", "tue": " 09:00 - 17:00 "}})


@pytest.mark.parametrize("days", [{}, {"mon": "closed", "sun": "Closed"}])
def test_opening_hours_with_no_open_day_are_refused(days) -> None:
    with pytest.raises(ValidationError, match="no day is open"):
        queue(hours={**OPEN, "days": days})


def test_a_callback_key_given_as_a_number_is_that_key() -> None:
    assert queue(callback={"digit": 2}).callback.digit == "2"
    with pytest.raises(ValidationError, match="digit"):
        queue(callback={"digit": 12})


def test_a_menu_naming_a_missing_menu_names_the_option_and_the_menus() -> None:
    with pytest.raises(ValidationError, match=r"menus\.main\.options\.1: menu 'billng' is not "
                                              r"defined \(menus: main\)"):
        queue(ivr={"menus": {"main": {"prompt": "x", "options": {"1": "menu:billng"}}}})
