"""An inbound queue's configuration: validated once at the edge, then trusted by the engine.

The same model is stored by the queue store (``dialer queue create|edit``, as JSON), read
from simulation scenarios (TOML) and handed to the engine; pydantic refuses an unknown key,
a wrong type or an inconsistent combination with a message naming the field, so nothing
half-valid ever reaches a live call. Cross-queue checks (an overflow target that does not
exist, an overflow loop, a prompt or holiday calendar nobody ships) are made when the set of
queues is built (``dialer.engine.queues.QueueSet``).

Words used here are the contact centre's: *service level* is the share of calls answered
within a threshold (e.g. 80 % in 20 s), *overflow* sends a call elsewhere when the queue is
full or the caller has waited too long, *blending* shares agents between inbound queues and
an outbound campaign.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict, Field, field_validator, model_validator

from dialer.config_numbers import NumbersNotBooleans

QUEUE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}\Z")
"""A queue name travels as a FreeSWITCH channel variable (``dialer_queue=NAME``)."""
DIGITS = frozenset("0123456789*#")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY = 86_400.0
_STRICT = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
"""Every section: an unknown key is refused, and so is ``inf`` or ``nan`` (TOML writes them
bare, ``--set`` passes them as text): an infinite wait or handle time is never meant."""


class Strategy(StrEnum):
    """How a queue picks among its ready agents when a call arrives."""

    LONGEST_IDLE = "longest_idle"
    """The agent ready the longest (a fair share of calls)."""
    RING_ALL = "ring_all"
    """Offer the call to every ready agent; the first to accept takes it."""
    ROUND_ROBIN = "round_robin"
    """The next agent after the one who took the previous call, in a fixed order."""
    FEWEST_CALLS = "fewest_calls"
    """The agent who has taken the fewest calls of this queue."""
    SKILLS = "skills"
    """The agent with the highest levels in the queue's skills."""
    PREVIOUS_AGENT = "previous_agent"
    """The agent who last spoke with this caller, when ready; else longest idle."""


class Blending(StrEnum):
    """How the queue shares agents with the outbound campaign they also dial for."""

    INBOUND_FIRST = "inbound_first"
    """Waiting callers take an agent before any new outbound dial, and pacing keeps agents
    in reserve for the queue's service-level target (Erlang C/A on the learned arrival rate).
    An answered outbound call still gets the very next free agent: the law's two seconds
    leave no room to serve anything before it."""
    OUTBOUND_FIRST = "outbound_first"
    """No reserve: the queue's callers take the agents pacing leaves idle."""


class Unstaffed(StrEnum):
    """When callers leave a queue nobody can answer (``leave_when_unstaffed``).

    VICIdial's in-groups call it "No Agent No Queue" (N, Y, NO_PAUSED) with a "No Agent No
    Queue Action"; FreeSWITCH's mod_callcenter, ``max-wait-time-with-no-agent`` (0: at
    once). Checked when a caller enters the queue and when the last agent serving it logs
    out (or, with ``paused``, pauses or logs out)."""

    NEVER = "never"
    """Callers wait whoever is logged in (until ``max_wait``, or until they give up)."""
    LOGGED_OUT = "logged_out"
    """Leave when no agent serving the queue is logged in (VICIdial's Y)."""
    PAUSED = "paused"
    """Leave also when every agent serving it who is logged in is paused (NO_PAUSED)."""


class ActionKind(StrEnum):
    QUEUE = "queue"
    """Wait in a queue (``target``; none: the queue the call is for)."""
    PRIORITY = "priority"
    """Raise the call's priority by ``priority`` and wait in its queue."""
    VOICEMAIL = "voicemail"
    """Leave a message in the queue's voicemail box."""
    CALLBACK = "callback"
    """Be called back keeping the place in line, then hang up (needs a caller number)."""
    OPT_OUT = "opt_out"
    """Add the caller's number to the internal do-not-call list, confirm, hang up."""
    REPEAT = "repeat"
    """Play the current menu again."""
    MENU = "menu"
    """Go to another menu (``target``)."""
    BACK = "back"
    """Return to the menu this one was reached from."""


class Action(NumbersNotBooleans):
    """What a key press, a timeout or an overflow does.

    Written as an object (``{"kind": "queue", "target": "billing", "priority": 5}``) or as a
    short string: ``queue``, ``queue:billing``, ``priority:5``, ``voicemail``, ``callback``,
    ``opt_out``, ``repeat``, ``menu:NAME``, ``back``.
    """

    model_config = _STRICT
    kind: ActionKind
    target: str | None = None
    priority: int = Field(default=0, ge=-1000, le=1000)

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        kind, _, rest = value.partition(":")
        if kind == ActionKind.PRIORITY:
            try:
                return {"kind": kind, "priority": int(rest)}
            except ValueError:
                raise ValueError(f"{value!r}: write priority:N with N a whole number") from None
        return {"kind": kind, "target": rest or None}

    @model_validator(mode="after")
    def _targets(self) -> Action:
        if self.kind is ActionKind.MENU and not self.target:
            raise ValueError("menu actions name the menu: menu:NAME")
        if self.target is not None and self.kind not in (ActionKind.QUEUE, ActionKind.MENU):
            raise ValueError(f"{self.kind.value} takes no target")
        if self.kind is ActionKind.QUEUE and self.target is not None and not QUEUE_NAME.match(
                self.target):
            raise ValueError(f"queue name {self.target!r} is not valid")
        return self

    def __str__(self) -> str:
        if self.kind is ActionKind.PRIORITY:
            return f"priority:{self.priority:+d}"
        text = self.kind.value + (f":{self.target}" if self.target else "")
        return text + (f" (priority {self.priority:+d})" if self.priority else "")


_VOICEMAIL = Action(kind=ActionKind.VOICEMAIL)


def _prompts(value: Any) -> Any:
    return (value,) if isinstance(value, str) else value


class Menu(NumbersNotBooleans):
    """One IVR menu: a prompt, then a key press chooses what happens."""

    model_config = _STRICT
    prompt: tuple[str, ...] = Field(min_length=1)
    """Prompt names played in order (files of the prompt set)."""
    options: dict[str, Action] = Field(min_length=1)
    """Key (0-9, *, #) → action."""
    timeout: float = Field(default=6.0, gt=0, le=60)
    """Seconds after the prompt ends to wait for a key."""
    retries: int = Field(default=2, ge=0, le=5)
    """Times the menu is replayed after a timeout or an invalid key before giving up."""
    invalid_prompt: tuple[str, ...] = ("invalid_choice",)
    on_timeout: Action = Action(kind=ActionKind.QUEUE)
    """When the caller presses nothing, ``retries`` times over (default: wait in the queue)."""
    on_invalid: Action = Action(kind=ActionKind.QUEUE)
    """When the caller keeps pressing keys that are not options."""

    _prompt = field_validator("prompt", "invalid_prompt", mode="before")(_prompts)

    @field_validator("options")
    @classmethod
    def _keys(cls, value: dict[str, Action]) -> dict[str, Action]:
        for key in value:
            if len(key) != 1 or key not in DIGITS:
                raise ValueError(f"option key {key!r} is not a telephone key (0-9, *, #)")
        return value


class Ivr(NumbersNotBooleans):
    """The queue's menus; the call starts at ``start``."""

    model_config = _STRICT
    start: str = "main"
    menus: dict[str, Menu] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> Ivr:
        if self.start not in self.menus:
            raise ValueError(f"start menu {self.start!r} is not defined in menus")
        for name, menu in self.menus.items():
            for key, action in (*menu.options.items(), ("timeout", menu.on_timeout),
                                ("invalid", menu.on_invalid)):
                if action.kind is ActionKind.MENU and action.target not in self.menus:
                    where = f"options.{key}" if key not in ("timeout", "invalid") else \
                        f"on_{key}"
                    raise ValueError(f"menus.{name}.{where}: menu {action.target!r} is not "
                                     f"defined (menus: {', '.join(self.menus)})")
                if action.kind in (ActionKind.REPEAT, ActionKind.BACK, ActionKind.MENU) and \
                        key in ("timeout", "invalid"):
                    raise ValueError(f"menus.{name}.on_{key}: must end the menu (queue, "
                                     "priority, voicemail, callback or opt_out)")
        return self

    def problems(self) -> list[SettingProblem]:
        """What the menus do that nobody means, found from the table alone (the queue store
        refuses them when a configuration is saved, and a run refuses to serve one stored
        before; ``dialer doctor`` names them). A caller enters at ``start`` only (the
        dialplan's ``dialer_queue`` names a queue, never a menu), so every other menu is
        reached by a key."""
        reachable = self._reachable()
        found = [SettingProblem(f"ivr.menus.{name}", f"menu {name!r} is reached by no key (no "
                            f"option of {' or '.join(sorted(reachable))} is menu:{name}, and "
                            f"callers start at {self.start!r}): lead to it with an option "
                            f"menu:{name}, or remove it (--unset ivr.menus.{name})", True,
                                (f"--unset ivr.menus.{name}",))
                 for name in self.menus if name not in reachable]
        for name in sorted(reachable):
            menu = self.menus[name]
            for key, action in (("on_timeout", menu.on_timeout),
                                ("on_invalid", menu.on_invalid)):
                if action.kind is ActionKind.OPT_OUT:
                    # An opt-out is the caller's request (47 CFR 64.1200(d)); silence or a
                    # wrong key is not one.
                    who = "pressed nothing" if key == "on_timeout" else \
                        "pressed keys that are no option"
                    found.append(SettingProblem(
                        f"ivr.menus.{name}.{key}", f"opt_out would put a caller who {who} on "
                        "the do-not-call list; an opt-out is a key the caller chooses "
                        "(options): end the menu with queue, voicemail or callback", True,
                        (f"--set ivr.menus.{name}.{key}=queue",)))
        keyless = sorted(reachable - self._ended_by_a_key(reachable))
        if keyless:
            name = keyless[0]
            found.append(SettingProblem(
                f"ivr.menus.{name}", f"no key leads out of the menus from {name!r} "
                f"({', '.join(keyless)}: options only repeat, go back or change menus): "
                "a caller leaves them only once every retry has timed out or gone wrong "
                "(on_timeout, on_invalid); give an option an end (queue, priority:N, "
                "voicemail, callback)", False))
        return found

    def _reachable(self) -> set[str]:
        seen, stack = {self.start}, [self.start]
        while stack:
            for action in self.menus[stack.pop()].options.values():
                if action.kind is ActionKind.MENU and action.target not in seen:
                    seen.add(action.target)  # type: ignore[arg-type]
                    stack.append(action.target)  # type: ignore[arg-type]
        return seen

    def _ended_by_a_key(self, reachable: set[str]) -> set[str]:
        """The menus from which some sequence of key presses ends the menus (``back``
        returns to any menu that leads here)."""
        ending = {ActionKind.QUEUE, ActionKind.PRIORITY, ActionKind.VOICEMAIL,
                  ActionKind.CALLBACK, ActionKind.OPT_OUT}
        above = {name: {m for m in reachable if any(
            a.kind is ActionKind.MENU and a.target == name
            for a in self.menus[m].options.values())} for name in reachable}
        ended: set[str] = set()
        changed = True
        while changed:
            changed = False
            for name in reachable - ended:
                options = self.menus[name].options.values()
                if any(a.kind in ending or (a.kind is ActionKind.MENU and a.target in ended)
                       or (a.kind is ActionKind.BACK and above[name] & ended)
                       for a in options):
                    ended.add(name)
                    changed = True
        return ended


@dataclass(frozen=True, slots=True)
class SettingProblem:
    """A setting that validates but does what nobody means: a menu no caller reaches, an
    ending nobody chose, a time that never comes (``QueueConfig.problems``)."""

    field: str
    """Dotted path of the setting (``ivr.menus.billing``)."""
    message: str
    refused: bool
    """Refused when saved, and when a run would serve a queue stored before the check
    (``campaigns.queue_store.refuse_unmeant``); otherwise a warning (a menu set that works,
    slowly)."""
    repair: tuple[str, ...] = ()
    """``dialer queue edit NAME`` arguments that mend it, each a way (``--unset
    ivr.menus.billing``)."""


class PriorityRules(NumbersNotBooleans):
    """Who waits less: larger numbers are served first; waiting raises priority (aging)."""

    model_config = _STRICT
    vip_numbers: frozenset[str] = frozenset()
    """Caller numbers (E.164) that get ``vip_priority``."""
    vip_priority: int = Field(default=10, ge=0, le=1000)
    field: str | None = None
    """A caller-data field (a channel variable set by the dialplan, or a lead/contact field
    the driver looked up) whose value maps to a priority through ``field_priorities``."""
    field_priorities: dict[str, int] = Field(default_factory=dict)
    aging_per_minute: float = Field(default=1.0, ge=0, le=1000)
    """Priority points a waiting call gains per minute, so a low priority never starves:
    a call waits behind one of higher priority that arrived later only until its wait has
    made up the difference."""

    @field_validator("vip_numbers")
    @classmethod
    def _e164(cls, value: frozenset[str]) -> frozenset[str]:
        for number in value:
            if not (number.startswith("+") and number[1:].isdigit() and 8 <= len(number) <= 16):
                raise ValueError(f"VIP number {number!r} is not an E.164 number like +12015550123")
        return value

    @model_validator(mode="after")
    def _field(self) -> PriorityRules:
        if self.field_priorities and not self.field:
            raise ValueError("field_priorities needs field (the caller-data field to read)")
        return self


class ServiceLevel(NumbersNotBooleans):
    """The target: ``target`` of the calls answered within ``within`` seconds (80/20)."""

    model_config = _STRICT
    target: float = Field(default=0.8, gt=0, lt=1)
    within: float = Field(default=20.0, gt=0, le=3600)


_CLOCK = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]\Z")


def _window(text: str) -> tuple[time, time] | None:
    if text.strip().lower() == "closed":
        return None
    start_text, sep, end_text = (part.strip() for part in text.partition("-"))
    if not sep or not _CLOCK.match(start_text) or not (
            _CLOCK.match(end_text) or end_text == "24:00"):
        raise ValueError(f"{text!r}: write HH:MM-HH:MM on the 24-hour clock (e.g. "
                         "09:00-17:30) or closed")
    start = time.fromisoformat(start_text)
    end = time(0) if end_text in ("24:00", "00:00") else time.fromisoformat(end_text)
    if end != time(0) and end <= start:
        raise ValueError(f"{text!r}: the end must be after the start (a night past midnight "
                         "is two days: 22:00-24:00, then 00:00-06:00 the next day)")
    return start, end


class OpeningHours(NumbersNotBooleans):
    """When the queue takes calls, in the call centre's time zone.

    Holidays reuse the compliance calendars of ``dnc.rules`` (``holiday_calendar``, a
    calendar of dnc/data/holidays.csv) and their rule grammar for the queue's own closed
    days (``holidays``: ``MM-DD``, ``N DAY MM`` such as ``4 THU 11``, ``last MON 05`` or a
    single ``YYYY-MM-DD``).
    """

    model_config = _STRICT
    timezone: str
    days: dict[str, str]
    """Weekday (mon … sun) → ``HH:MM-HH:MM`` or ``closed``; a day not listed is closed."""
    holiday_calendar: str | None = None
    holidays: tuple[str, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        # A clock's zone (UTC may be meant), never an abbreviation: EST opened the queue an
        # hour late from March to November (dnc.rules.zone_names).
        from dnc.rules.zone_names import check_zone_name

        return check_zone_name(value, clock=True)

    @field_validator("days")
    @classmethod
    def _days(cls, value: dict[str, str]) -> dict[str, str]:
        for day, text in value.items():
            if day not in WEEKDAYS:
                raise ValueError(f"{day!r} is not a weekday ({', '.join(WEEKDAYS)})")
            try:
                _window(text)
            except ValueError as error:
                raise ValueError(f"{day}: {error}") from None
        if all(_window(text) is None for text in value.values()):
            # Every caller would hear the closed message, every hour of every week.
            raise ValueError("no day is open (a day not listed is closed): write e.g. "
                             "mon = \"09:00-17:00\", or leave hours out for always open")
        return value

    @field_validator("holidays")
    @classmethod
    def _holidays(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from dnc.rules.tables import Holiday

        for rule in value:
            try:
                Holiday("queue", rule, rule, "none", "").dates(date.today().year)
            except (ValueError, KeyError):
                raise ValueError(f"holiday {rule!r}: write MM-DD, N DAY MM (e.g. 4 THU 11), "
                                 "last DAY MM or YYYY-MM-DD") from None
        return value

    def windows(self) -> tuple[tuple[time, time] | None, ...]:
        return tuple(_window(self.days[d]) if d in self.days else None for d in WEEKDAYS)


class Announcements(NumbersNotBooleans):
    """While a caller waits: hold music, and every ``every`` seconds where they stand."""

    model_config = _STRICT
    music: str = "local_stream://moh"
    """A file or a FreeSWITCH stream (``local_stream://moh``) looped under the wait."""
    welcome: tuple[str, ...] = ()
    """Prompts played once when the caller enters the queue."""
    every: float | None = Field(default=45.0, ge=10, le=3600)
    """Seconds between announcements (None: music only)."""
    position: bool = True
    estimated_wait: bool = True

    _welcome = field_validator("welcome", mode="before")(_prompts)


class CallbackOffer(NumbersNotBooleans):
    """Queue callback: the caller keeps their place, hangs up, and is called back."""

    model_config = _STRICT
    enabled: bool = True
    digit: str = Field(default="1", pattern=r"^[0-9*#]$")
    """Key that, while waiting, asks for a callback (announced after each position)."""

    @field_validator("digit", mode="before")
    @classmethod
    def _digit_as_text(cls, value: Any) -> Any:
        # ``--set callback.digit=2`` parses as the number 2: the key 2 is meant.
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    offer_after: float = Field(default=0.0, ge=0, le=DAY)
    """Seconds of waiting before the offer is announced and the key accepted."""
    max_attempts: int = Field(default=3, ge=1, le=10)
    retry_after: float = Field(default=300.0, ge=30, le=7 * DAY)
    """Seconds between attempts when the callback is not answered."""
    ring_timeout: float = Field(default=30.0, ge=15, le=120)
    """At least 15 s: 47 CFR 64.1200(a)(6) (a callback is a call like any other)."""


class Voicemail(NumbersNotBooleans):
    model_config = _STRICT
    greeting: tuple[str, ...] = ("voicemail_greeting", "beep")
    max_seconds: float = Field(default=120.0, ge=5, le=3600)
    path_template: str = "voicemail/{queue}/{date}/{call_id}.wav"
    """Placeholders {queue} {call_id} {date} (YYYY-MM-DD UTC); relative to the recordings
    directory of the switch."""

    _greeting = field_validator("greeting", mode="before")(_prompts)

    @field_validator("path_template")
    @classmethod
    def _template(cls, value: str) -> str:
        try:
            sample = value.format(queue="q", call_id="c", date="2026-01-01")
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(f"unknown placeholder in {value!r}: {error}; use {{queue}} "
                             "{call_id} {date}") from None
        if any(c in sample for c in " ,'\"\\{}"):
            raise ValueError(f"{value!r}: no blanks, quotes, commas or braces in a path")
        return value


class AlertThresholds(NumbersNotBooleans):
    """Supervisor alerts for this queue (None: that alert is off)."""

    model_config = _STRICT
    longest_wait: float | None = Field(default=None, gt=0, le=DAY)
    """Seconds the longest-waiting caller has waited."""
    queue_length: int | None = Field(default=None, ge=1)
    service_level: float | None = Field(default=None, gt=0, le=1)
    """Alert when the service level over the last 15 minutes falls below this."""
    agents_below: int | None = Field(default=None, ge=1)
    """Alert when fewer agents than this are logged in to the queue."""


class QueueConfig(NumbersNotBooleans):
    """Everything about one inbound queue."""

    model_config = _STRICT
    name: str
    strategy: Strategy = Strategy.LONGEST_IDLE
    agents: tuple[str, ...] = ()
    """Agents who serve the queue (empty: every agent of the runner qualifying by skills)."""
    skills: dict[str, int] = Field(default_factory=dict)
    """Skill → lowest level an agent needs (1-10; an agent skill without a level is 1)."""
    priority: PriorityRules = Field(default_factory=PriorityRules)
    service_level: ServiceLevel = Field(default_factory=ServiceLevel)
    max_wait: float | None = Field(default=None, gt=0, le=DAY)
    """Seconds a caller waits before the overflow action."""
    max_length: int | None = Field(default=None, ge=1)
    """Callers waiting at most; one more goes to ``when_full`` (or ``overflow``)."""
    overflow: Action | None = None
    """After ``max_wait``: another queue, voicemail, or a callback offer."""
    when_full: Action | None = None
    """When ``max_length`` callers already wait (default: ``overflow``)."""
    leave_when_unstaffed: Unstaffed = Unstaffed.NEVER
    """Callers leave for ``when_unstaffed`` when nobody can answer (``Unstaffed``)."""
    when_unstaffed: Action | None = None
    """Where they go: voicemail (the default), callback (their place kept) or queue:NAME."""
    hours: OpeningHours | None = None
    """None: always open."""
    closed: tuple[str, ...] = ("closed",)
    """Prompts played outside opening hours."""
    closed_voicemail: bool = True
    """After the closed message, take a message (else hang up)."""
    ivr: Ivr | None = None
    announcements: Announcements = Field(default_factory=Announcements)
    callback: CallbackOffer = Field(default_factory=CallbackOffer)
    voicemail: Voicemail = Field(default_factory=Voicemail)
    blending: Blending = Blending.INBOUND_FIRST
    alerts: AlertThresholds = Field(default_factory=AlertThresholds)
    handle_time: float = Field(default=180.0, gt=0, le=DAY)
    """Mean handle time (talk + wrap-up, seconds) assumed until the queue has measured its
    own (wait estimates and the blending reserve use it)."""

    _closed = field_validator("closed", mode="before")(_prompts)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not QUEUE_NAME.match(value):
            raise ValueError(f"{value!r}: 1-64 letters, digits, '_', '-', '.'; starting with a "
                             "letter or digit")
        return value

    @field_validator("skills")
    @classmethod
    def _levels(cls, value: dict[str, int]) -> dict[str, int]:
        for skill, level in value.items():
            if not 1 <= level <= 10 or not re.fullmatch(r"[A-Za-z0-9_\-]+", skill):
                raise ValueError(f"skill {skill!r}: level {level} must be 1-10, the name "
                                 "letters, digits, '_' or '-'")
        return value

    @model_validator(mode="after")
    def _overflow(self) -> QueueConfig:
        for name, action in (("overflow", self.overflow), ("when_full", self.when_full),
                             ("when_unstaffed", self.when_unstaffed)):
            if action is not None and action.kind not in (
                    ActionKind.QUEUE, ActionKind.VOICEMAIL, ActionKind.CALLBACK):
                raise ValueError(f"{name}: must be queue:NAME, voicemail or callback")
            if action is not None and action.kind is ActionKind.QUEUE and (
                    action.target in (None, self.name)):
                raise ValueError(f"{name}: overflow to another queue: queue:NAME")
            if action is not None and action.kind is ActionKind.CALLBACK and \
                    not self.callback.enabled:
                raise ValueError(f"{name}: callback needs callback.enabled")
        if self.when_unstaffed is not None and \
                self.leave_when_unstaffed is Unstaffed.NEVER:
            raise ValueError("when_unstaffed needs leave_when_unstaffed (logged_out or "
                             "paused); without it nobody is ever sent there")
        if self.when_full is not None and self.max_length is None:
            raise ValueError("when_full needs max_length (how many callers may wait); "
                             "without it nobody is ever sent there")
        if self.overflow is not None and self.max_wait is None and self.max_length is None:
            raise ValueError("overflow needs max_wait (or max_length): without either nobody "
                             "is ever sent there")
        if (self.max_wait is not None or self.max_length is not None) and self.overflow is None \
                and self.when_full is None:
            raise ValueError("max_wait/max_length need an overflow target (overflow = "
                             "queue:NAME, voicemail or callback)")
        if self.max_wait is not None and self.overflow is None:
            raise ValueError("max_wait needs overflow (where a caller goes after it)")
        if self.strategy is Strategy.SKILLS and not self.skills:
            raise ValueError("strategy skills needs skills (skill → lowest level)")
        return self

    @property
    def full_action(self) -> Action | None:
        return self.when_full or self.overflow

    @property
    def unstaffed_action(self) -> Action:
        return self.when_unstaffed or _VOICEMAIL

    def actions(self) -> list[tuple[str, Action]]:
        """Every action the configuration can take, with where it is written."""
        found: list[tuple[str, Action]] = []
        for name in ("overflow", "when_full", "when_unstaffed"):
            action = getattr(self, name)
            if action is not None:
                found.append((name, action))
        if self.ivr is not None:
            for menu_name, menu in self.ivr.menus.items():
                for key, action in menu.options.items():
                    found.append((f"ivr.menus.{menu_name}.options.{key}", action))
                found.append((f"ivr.menus.{menu_name}.on_timeout", menu.on_timeout))
                found.append((f"ivr.menus.{menu_name}.on_invalid", menu.on_invalid))
        return found

    def problems(self) -> list[SettingProblem]:
        """What the queue store refuses when a configuration is saved (and a run refuses to
        serve in one stored before; ``dialer doctor`` names them): its menus' problems
        (``Ivr.problems``), and times that can never come because ``max_wait`` sends
        every caller on first."""
        found = self.ivr.problems() if self.ivr is not None else []
        if self.max_wait is None:
            return found
        wait = f"max_wait ({self.max_wait:g} s) sends every caller on first"
        if self.callback.enabled and self.callback.offer_after >= self.max_wait:
            found.append(SettingProblem(
                "callback.offer_after", f"{self.callback.offer_after:g} s: never offered, "
                f"{wait}; make it shorter, or turn the offer off (callback.enabled = false)",
                True, ("--set callback.offer_after=SECONDS", "--set callback.enabled=false")))
        if self.alerts.longest_wait is not None and self.alerts.longest_wait >= self.max_wait:
            found.append(SettingProblem(
                "alerts.longest_wait", f"{self.alerts.longest_wait:g} s: never raised, "
                f"{wait}; make it shorter than max_wait", True,
                ("--set alerts.longest_wait=SECONDS", "--unset alerts.longest_wait")))
        return found

    def prompt_names(self) -> list[tuple[str, str]]:
        """Every prompt the configuration plays (where, name); music is not a prompt."""
        names = [("closed", p) for p in self.closed]
        names += [("announcements.welcome", p) for p in self.announcements.welcome]
        names += [("voicemail.greeting", p) for p in self.voicemail.greeting]
        if self.ivr is not None:
            for menu_name, menu in self.ivr.menus.items():
                names += [(f"ivr.menus.{menu_name}.prompt", p) for p in menu.prompt]
                names += [(f"ivr.menus.{menu_name}.invalid_prompt", p)
                          for p in menu.invalid_prompt]
        return names


def parse_skill(text: str) -> tuple[str, int]:
    """An agent skill ``name`` or ``name:level`` (level 1-10; no level is 1)."""
    name, _, level_text = text.partition(":")
    if not level_text:
        return name, 1
    try:
        level = int(level_text)
    except ValueError:
        raise ValueError(f"skill {text!r}: the level after ':' must be a number 1-10") from None
    if not 1 <= level <= 10:
        raise ValueError(f"skill {text!r}: level {level} must be 1-10")
    return name, level
