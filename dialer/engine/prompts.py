"""The prompts the engine plays, by name, with their lengths; and how numbers are spoken.

The engine never opens an audio file: the driver loads a ``PromptSet`` (file per name and
its length in seconds, dialer/prompt_files.py for the files the project ships and an
operator's replacements) and the engine plays names. Knowing each prompt's length is what
lets the IVR time its key wait from the end of the prompt and the voicemail start its
recording after the greeting, without depending on PLAYBACK_STOP events (which a prompt
broken off by the next one also sends).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dialer.errors import DialerError


class PromptError(DialerError):
    """A queue plays a prompt the prompt set does not have."""


NUMBERS = (*(f"n{i}" for i in range(20)), *(f"n{t}" for t in range(20, 100, 10)), "hundred")
KEYS = {**{str(d): f"key_{d}" for d in range(10)}, "*": "key_star", "#": "key_pound"}
PHRASES = {
    "you_are_number": "You are number",
    "in_line": "in line.",
    "wait_about": "Your estimated wait is about",
    "minute": "minute.",
    "minutes": "minutes.",
    "wait_under_a_minute": "Your estimated wait is less than a minute.",
    "callback_offer": "To keep your place in line and be called back, press",
    "callback_confirm": "Thank you. We will call you back when it is your turn. Goodbye.",
    "optout_confirm": "Your number has been removed from our calling list. Goodbye.",
    "closed": "We are closed at the moment.",
    "voicemail_greeting": "Please leave your name, number and message after the tone.",
    "invalid_choice": "Sorry, that is not a valid choice.",
    "all_busy": "All our agents are busy.",
    "welcome": "Thank you for calling. Please hold for the next available agent.",
    "main_menu": "For sales, press 1. For support, press 2. To be called back, press 3. "
                 "To leave a message, press 4. To stop our calls, press 9. To hear these "
                 "options again, press star.",
    "goodbye": "Goodbye.",
}
"""Phrases the project ships (generated audio, see dialer/prompts/); numbers and keys are
spoken too. ``beep`` is a tone."""
ENGINE_PROMPTS = frozenset({
    *NUMBERS, *KEYS.values(), "you_are_number", "in_line", "wait_about", "minute", "minutes",
    "wait_under_a_minute", "callback_offer", "callback_confirm", "optout_confirm", "goodbye",
    "all_busy",
})
"""Names the engine plays by itself (announcements, callback, opt-out)."""


@dataclass(frozen=True, slots=True)
class PromptSet:
    """Prompt name → file path (as the switch sees it) and length in seconds."""

    files: Mapping[str, str]
    durations: Mapping[str, float]

    @classmethod
    def uniform(cls, names: Iterable[str], seconds: float = 1.0,
                directory: str = "/prompts") -> PromptSet:
        """Every name, ``seconds`` long, at ``directory/NAME.wav`` (tests, simulations)."""
        names = tuple(names)
        return cls({n: f"{directory}/{n}.wav" for n in names}, dict.fromkeys(names, seconds))

    @classmethod
    def standard(cls, seconds: float = 1.0) -> PromptSet:
        """The shipped names (``PHRASES``, numbers, keys, beep) with uniform lengths."""
        return cls.uniform((*PHRASES, *NUMBERS, *KEYS.values(), "beep"), seconds)

    def check(self, names: Iterable[tuple[str, str]], owner: str) -> None:
        for where, name in names:
            if name not in self.files:
                raise PromptError(f"{owner}: {where}: prompt {name!r} is not in the prompt "
                                  "set (add NAME.wav to the prompts directory)")

    def paths(self, names: Iterable[str]) -> tuple[str, ...]:
        return tuple(self.files[name] for name in names)

    def length(self, names: Iterable[str]) -> float:
        return sum(self.durations[name] for name in names)


def spoken_number(n: int) -> tuple[str, ...]:
    """Prompt names that say ``n`` (0 … 999; larger numbers are said as 999)."""
    n = max(0, min(int(n), 999))
    if n < 20:
        return (f"n{n}",)
    if n < 100:
        tens, unit = divmod(n, 10)
        return (f"n{tens * 10}",) + ((f"n{unit}",) if unit else ())
    hundreds, rest = divmod(n, 100)
    return (f"n{hundreds}", "hundred") + (spoken_number(rest) if rest else ())


def position_prompts(position: int) -> tuple[str, ...]:
    return ("you_are_number", *spoken_number(position), "in_line")


def wait_prompts(seconds: float | None) -> tuple[str, ...]:
    """The estimated wait, rounded up to whole minutes (an estimate that errs long
    disappoints less); nothing when there is no estimate (no agent logged in)."""
    if seconds is None or not math.isfinite(seconds):
        return ()
    if seconds < 60.0:
        return ("wait_under_a_minute",)
    minutes = math.ceil(seconds / 60.0)
    return ("wait_about", *spoken_number(minutes), "minute" if minutes == 1 else "minutes")


def key_prompt(digit: str) -> str:
    return KEYS[digit]
