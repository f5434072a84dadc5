"""IVR menus as a state machine on key presses (pure: no call, no clock, no command).

The menus of a queue (``queue_config.Ivr``) are the transition table: a state is a menu,
a key press looks up the menu's options, a timeout or an unknown key counts a try. The
machine answers each input with what the caller hears next (``Play``) or how the menu
ends (``Finish``); the inbound router turns that into commands and timers.

Rules a caller can rely on: a key that is an option acts at once (barge-in, no need to wait
for the prompt's end); ``repeat`` plays the menu again; ``menu:NAME`` goes down, ``back``
comes back up; after ``retries`` timeouts or unknown keys *in a row in one menu* the menu
ends with its ``on_timeout`` or ``on_invalid`` action (by default: wait in the queue), so
nobody is stuck in a menu for ever.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dialer.engine.queue_config import Action, ActionKind, Ivr


@dataclass(slots=True)
class IvrSession:
    """Where one caller is in the menus."""

    menu: str
    tries: int = 0
    """Timeouts and unknown keys in a row in this menu."""
    trail: list[str] = field(default_factory=list)
    """Menus above this one (for ``back``)."""
    keys: str = ""
    """Every key pressed, in order (reports: the path through the menus)."""


@dataclass(frozen=True, slots=True)
class Play:
    """Play ``prompts``, then wait ``timeout`` seconds for a key."""

    prompts: tuple[str, ...]
    timeout: float


@dataclass(frozen=True, slots=True)
class Finish:
    """The menus are done: do ``action`` (queue, priority, voicemail, callback, opt-out)."""

    action: Action


Step = Play | Finish


class IvrMachine:
    """The transitions of one queue's menus."""

    def __init__(self, ivr: Ivr) -> None:
        self.ivr = ivr

    def start(self) -> tuple[IvrSession, Play]:
        session = IvrSession(self.ivr.start)
        return session, self._menu_prompt(session)

    def key(self, session: IvrSession, digit: str) -> Step:
        session.keys += digit
        menu = self.ivr.menus[session.menu]
        action = menu.options.get(digit)
        if action is None:
            return self._miss(session, menu.invalid_prompt, menu.on_invalid)
        kind = action.kind
        if kind is ActionKind.REPEAT:
            return self._menu_prompt(session)
        if kind is ActionKind.MENU:
            assert action.target is not None  # checked by the configuration
            session.trail.append(session.menu)
            return self._enter(session, action.target)
        if kind is ActionKind.BACK:
            return self._enter(session, session.trail.pop() if session.trail else session.menu)
        return Finish(action)

    def timeout(self, session: IvrSession) -> Step:
        return self._miss(session, (), self.ivr.menus[session.menu].on_timeout)

    def _miss(self, session: IvrSession, before: tuple[str, ...], give_up: Action) -> Step:
        session.tries += 1
        if session.tries > self.ivr.menus[session.menu].retries:
            return Finish(give_up)
        menu = self.ivr.menus[session.menu]
        return Play(before + menu.prompt, menu.timeout)

    def _enter(self, session: IvrSession, name: str) -> Play:
        session.menu = name
        session.tries = 0
        return self._menu_prompt(session)

    def _menu_prompt(self, session: IvrSession) -> Play:
        menu = self.ivr.menus[session.menu]
        return Play(menu.prompt, menu.timeout)
