"""The inbound queues an engine serves: each configuration with what it needs at run time.

``QueueSet`` is built once from validated configurations (``queue_config.QueueConfig``) and
checks what one queue alone cannot: an overflow or menu that names a queue nobody
configured, overflows that go round in a circle (a caller would be passed on for ever), a
prompt the prompt set lacks, a holiday calendar nobody loaded. Any of these refuses to build,
with the queue and the field named.

Without configurations (``QueueSet.implicit()``) the engine serves any queue name the way it
always did: by priority then arrival, no menu, no music, no announcement, no callback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from dialer.engine.ivr import IvrMachine
from dialer.engine.prompts import ENGINE_PROMPTS, PromptSet
from dialer.engine.queue_config import (
    ActionKind,
    Announcements,
    CallbackOffer,
    PriorityRules,
    QueueConfig,
    Strategy,
    Unstaffed,
)
from dialer.engine.queue_stats import QueueStats
from dialer.engine.routing import (
    FewestCalls,
    LongestIdle,
    RoundRobin,
    RoutingStrategy,
    SkillLevels,
    Sticky,
)
from dialer.engine.wait_estimate import WaitEstimator
from dialer.errors import DialerError
from dnc.rules.calendar import WeeklyWindow, allowed_in_zone
from dnc.rules.tables import Holiday, HolidayCalendar


class UnknownQueueError(DialerError):
    """An inbound call names a queue this engine does not serve."""


class QueueSetError(DialerError):
    """Queue configurations that cannot run together (a missing target, a loop, ...)."""


def _strategy(config: QueueConfig) -> RoutingStrategy | None:
    kind = config.strategy
    if kind is Strategy.RING_ALL:
        return None
    if kind is Strategy.ROUND_ROBIN:
        return RoundRobin()
    if kind is Strategy.FEWEST_CALLS:
        return FewestCalls()
    if kind is Strategy.SKILLS:
        return SkillLevels(tuple(config.skills))
    if kind is Strategy.PREVIOUS_AGENT:
        return Sticky()
    return LongestIdle()


class Queue:
    """One queue at run time: its configuration, routing, menus, hours and live figures."""

    def __init__(self, config: QueueConfig, closed_on: Callable[[date], bool] | None,
                 legacy: bool = False) -> None:
        self.config = config
        self.name = config.name
        self.strategy: RoutingStrategy | None = None if legacy else _strategy(config)
        self.ring_all = config.strategy is Strategy.RING_ALL
        self.members: frozenset[str] | None = frozenset(config.agents) if config.agents else None
        self.levels = tuple(sorted(config.skills.items()))
        self.aging = config.priority.aging_per_minute / 60.0
        self.ivr = IvrMachine(config.ivr) if config.ivr is not None else None
        self.stats = QueueStats(config.service_level.within)
        self.estimator = WaitEstimator(config.handle_time)
        self._vip = config.priority.vip_numbers
        self._hours: tuple[WeeklyWindow, ZoneInfo] | None = None
        if config.hours is not None:
            self._hours = (WeeklyWindow(config.hours.windows(), closed_on),
                           ZoneInfo(config.hours.timezone))

    def is_open(self, at: float) -> bool:
        if self._hours is None:
            return True
        window, zone = self._hours
        return allowed_in_zone(window, zone, datetime.fromtimestamp(at, UTC))

    def priority_of(self, number: str, variables: Mapping[str, str]) -> int:
        """The priority the queue's rules give a caller (VIP list, a caller-data field)."""
        rules = self.config.priority
        priority = rules.vip_priority if number in self._vip else 0
        if rules.field is not None:
            value = variables.get(rules.field)
            if value is not None:
                priority += rules.field_priorities.get(value, 0)
        return priority

    def serves(self, agent_id: str, levels: Mapping[str, int]) -> bool:
        if self.members is not None and agent_id not in self.members:
            return False
        return all(levels.get(skill, 0) >= level for skill, level in self.levels)

    def __repr__(self) -> str:
        return f"Queue({self.name!r})"


_LEGACY = {
    "priority": PriorityRules(aging_per_minute=0.0),
    "announcements": Announcements(music="", every=None, position=False,
                                   estimated_wait=False),
    "callback": CallbackOffer(enabled=False),
}


class QueueSet:
    """The queues one engine serves, checked together."""

    def __init__(self, configs: Iterable[QueueConfig], prompts: PromptSet | None = None,
                 calendars: Mapping[str, Callable[[date], bool]] | None = None) -> None:
        configs = list(configs)
        self.prompts = prompts or PromptSet({}, {})
        self.implicit = False
        self.needed: dict[str, str] = {}
        """Prompt name → the first queue (and where in it) that may play it: what the
        switch must be able to play for these queues (the runner checks it at start)."""
        self.queues: dict[str, Queue] = {}
        calendars = calendars or {}
        for config in configs:
            if config.name in self.queues:
                raise QueueSetError(f"queue {config.name!r} is configured twice")
            self.queues[config.name] = Queue(config, _closed_days(config, calendars))
        for config in configs:
            self._check(config)
        self._check_loops(configs)

    @classmethod
    def implicit(cls) -> QueueSet:
        """No configuration: any queue name, served by priority then arrival."""
        queue_set = cls(())
        queue_set.implicit = True
        return queue_set

    def get(self, name: str) -> Queue:
        queue = self.queues.get(name)
        if queue is None:
            if not self.implicit:
                raise UnknownQueueError(
                    f"queue {name!r} is not served here (served: "
                    f"{', '.join(self.queues) or 'none'}): configure it with `dialer queue "
                    "create` and add it to the campaign's queues")
            config = QueueConfig(name=name, **_LEGACY)
            queue = self.queues[name] = Queue(config, None, legacy=True)
        return queue

    def __contains__(self, name: str) -> bool:
        return name in self.queues or self.implicit

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.queues.values())

    def _check(self, config: QueueConfig) -> None:
        owner = f"queue {config.name}"
        for where, action in config.actions():
            if action.kind is ActionKind.QUEUE and action.target is not None and \
                    action.target not in self.queues:
                raise QueueSetError(f"{owner}: {where}: queue {action.target!r} is not "
                                    "configured")
            if action.kind is ActionKind.CALLBACK and not config.callback.enabled:
                raise QueueSetError(f"{owner}: {where}: callback needs callback.enabled")
        names = config.prompt_names()
        announces = config.announcements.every is not None and (
            config.announcements.position or config.announcements.estimated_wait)
        if announces or config.callback.enabled or any(
                a.kind in (ActionKind.OPT_OUT, ActionKind.VOICEMAIL)
                for _, a in config.actions()) or (config.when_unstaffed is None and \
                config.leave_when_unstaffed is not Unstaffed.NEVER):
            # Announcements, callback offers, opt-out confirmations and "all busy" before
            # an overflow to voicemail are spoken by the engine itself.
            names += [("(engine)", name) for name in sorted(ENGINE_PROMPTS)]
        self.prompts.check(names, owner)
        for where, name in names:
            part = "announcements" if where == "(engine)" else where
            self.needed.setdefault(name, f"{owner} ({part})")

    def unstaffed(self, agents: Mapping[str, Iterable[str]]) -> dict[str, str]:
        """Why each queue that none of ``agents`` (name → skills, ``name`` or ``name:level``)
        may serve would keep its callers waiting until they give up: its agent list names
        none of them, or nobody has the skill levels it needs. Empty when every queue has
        someone (queue name → why)."""
        from dialer.engine.agents import split_levels

        levels = {name: split_levels(frozenset(skills))[1] for name, skills in agents.items()}
        problems: dict[str, str] = {}
        for queue in self.queues.values():
            if any(queue.serves(name, have) for name, have in levels.items()):
                continue
            why = []
            if queue.members is not None and not queue.members & levels.keys():
                why.append(f"its agents ({', '.join(sorted(queue.members))}) are none of "
                           f"the {len(levels)} here ({', '.join(sorted(levels)) or 'none'})")
            lacking = [f"{skill}:{level}" for skill, level in queue.levels
                       if not any(have.get(skill, 0) >= level for have in levels.values())]
            if lacking or (queue.levels and not why):
                held = "; ".join(f"{name} {', '.join(sorted(agents[name])) or 'none'}"
                                 for name in sorted(levels)) or "there is no agent"
                why.append(f"nobody has {', '.join(lacking) or 'all of its skills'} at "
                           f"that level or above (skills: {held})")
            problems[queue.name] = (f"queue {queue.name}: no agent can take its calls: "
                                    + ("; ".join(why) or "there is no agent"))
        return problems

    def prompt_paths(self) -> dict[str, str]:
        """What each needed prompt is (queue and where) → its path as the switch plays it."""
        return {f"prompt {name!r} of {used_by}": self.prompts.files[name]
                for name, used_by in sorted(self.needed.items())}

    @staticmethod
    def _check_loops(configs: list[QueueConfig]) -> None:
        """Overflows (max wait, full, unstaffed) must not lead back to a queue already
        passed."""
        edges = {c.name: [a.target for a in (c.overflow, c.when_full, c.when_unstaffed)
                          if a is not None and a.kind is ActionKind.QUEUE and a.target]
                 for c in configs}
        for start in edges:
            path = [start]
            stack = [(start, iter(edges[start]))]
            while stack:
                _, targets = stack[-1]
                target = next(targets, None)
                if target is None:
                    stack.pop()
                    path.pop()
                    continue
                if target in path:
                    loop = " -> ".join([*path[path.index(target):], target])
                    raise QueueSetError(f"queue {start}: overflows go round in a circle "
                                        f"({loop}): end one of them in voicemail or callback")
                path.append(target)
                stack.append((target, iter(edges.get(target, ()))))


def _closed_days(config: QueueConfig, calendars: Mapping[str, Callable[[date], bool]]
                 ) -> Callable[[date], bool] | None:
    hours = config.hours
    if hours is None:
        return None
    checks: list[Callable[[date], bool]] = []
    if hours.holiday_calendar is not None:
        calendar = calendars.get(hours.holiday_calendar)
        if calendar is None:
            raise QueueSetError(
                f"queue {config.name}: hours.holiday_calendar: no calendar "
                f"{hours.holiday_calendar!r} (known: {', '.join(sorted(calendars)) or 'none'})")
        checks.append(calendar)
    if hours.holidays:
        checks.append(HolidayCalendar(f"queue {config.name}", tuple(
            Holiday(config.name, rule, rule, "none", "queue configuration")
            for rule in hours.holidays)))
    if not checks:
        return None
    return lambda day: any(check(day) for check in checks)
