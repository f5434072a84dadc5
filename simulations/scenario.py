"""Scenario files (TOML) → validated, frozen settings. Errors name the file and the key.

The keys are documented in docs/simulations.md. Unknown keys are refused (a typo must not
silently fall back to a default).
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulations.distributions import Distribution, Fixed, parse_distribution
from simulations.errors import ScenarioError
from simulations.population import CalleePopulation
from simulations.scenario_bounds import check_bounds, check_times
from simulations.scenario_lines import with_line


@dataclass(frozen=True, slots=True)
class CampaignSettings:
    agents: int = 10
    shift_hours: float = 8.0
    shift_start_hour: float = 9.0
    """Hour of day (0 ≤ h < 24, local time of the callees) at which each day's shift starts:
    virtual time ``d · 86400 + s`` is ``shift_start_hour + s / 3600`` o'clock on day ``d``
    (it selects ``live_answer_by_hour``)."""
    days: int = 1
    leads: int = 0
    abandon_limit: float = 0.03
    connect_window: float = 2.0
    decision_interval: float = 1.0
    window_days: float = 30.0
    message_time: float = 10.0
    """Seconds the safe-harbour message plays before the switch hangs up."""
    outbound: bool = True
    """False for an inbound-only scenario (no lead is dialed)."""
    agents_by_hour: tuple[int, ...] = ()
    """Optional: 24 counts, index = hour of day, of the agents logged in during that hour
    of the shift (replaces ``agents``, which is then their maximum)."""

    def staffing(self) -> list[tuple[float, int]]:
        """(seconds into the shift, agents logged in from then on) at the shift's start and
        at each change of the hour of day within it."""
        if not self.agents_by_hour:
            return [(0.0, self.agents)]
        steps: list[tuple[float, int]] = []
        offset, shift = 0.0, self.shift_hours * 3600.0
        while offset < shift:
            clock = self.shift_start_hour + offset / 3600.0
            count = self.agents_by_hour[int(clock) % 24]
            if not steps or steps[-1][1] != count:
                steps.append((offset, count))
            offset = (math.floor(clock) + 1 - self.shift_start_hour) * 3600.0
        return steps

    def agent_seconds_per_day(self) -> float:
        """Logged-in agent time of one day's shift (agents × seconds, hour by hour)."""
        if not self.agents_by_hour:
            return self.agents * self.shift_hours * 3600.0
        steps = self.staffing()
        ends = [offset for offset, _ in steps[1:]] + [self.shift_hours * 3600.0]
        return sum(count * (end - offset) for (offset, count), end in
                   zip(steps, ends, strict=True))


@dataclass(frozen=True, slots=True)
class AmdSettings:
    enabled: bool = False
    detect_time: float = 3.0
    false_positive: float = 0.0
    """Share of people classed as machines (hung up on: counted as abandoned)."""
    false_negative: float = 0.0
    """Share of machines classed as people (connected to an agent)."""
    to_free_agent: bool = False
    """A machine verdict goes to an agent free at that instant, else it is hung up (the
    campaign setting ``machine_to_free_agent``; docs/pacing.md, "Machine verdicts to free
    agents")."""
    silence_before_verdict: float = 0.8
    """Seconds of silence after the person's greeting that AMD waits for before deciding
    HUMAN: a person's patience starts this long before the verdict (never before the answer);
    while AMD listens to the greeting the person is talking, not waiting."""


_NEVER_GIVES_UP = Fixed(math.inf)


@dataclass(frozen=True, slots=True)
class InboundSettings:
    """Poisson inbound arrivals (calls per hour) with a caller patience law.

    With ``[[queues]]`` configured (docs/inbound.md) the callers also choose in the menus
    (``keys``: key → probability, pressed ``key_delay`` s into a menu), accept a callback
    when it is offered (``callback_acceptance``), answer when called back
    (``callback_answer``) and speak ``voicemail_message`` s in voicemail; arrivals split
    among the queues by ``queues`` (name → share; default: the first queue)."""

    calls_per_hour: float = 0.0
    patience: Distribution = _NEVER_GIVES_UP
    calls_per_hour_by_hour: tuple[float, ...] = ()
    """Optional: 24 rates, index = hour of the day (replaces ``calls_per_hour``)."""
    queues: Mapping[str, float] = dataclasses.field(default_factory=dict)
    keys: Mapping[str, float] = dataclasses.field(default_factory=dict)
    key_delay: float = 3.0
    callback_acceptance: float = 0.0
    callback_answer: float = 0.9
    voicemail_message: float = 20.0

    @property
    def any_calls(self) -> bool:
        return self.calls_per_hour > 0 or any(self.calls_per_hour_by_hour)


@dataclass(frozen=True, slots=True)
class Scenario:
    path: Path
    campaign: CampaignSettings
    population: CalleePopulation
    amd: AmdSettings
    inbound: InboundSettings
    wrap: Distribution
    machine_handle_time: float
    queues: tuple[Any, ...] = ()
    """Inbound queue configurations (``QueueConfig``; ``[[queues]]``): with them the engine
    runs its menus, announcements, overflow, callbacks and the blending reserve."""

    def varied(self, key: str, value: float) -> Scenario:
        """A copy with one key changed (``agents``, ``live_answer``, ``campaign.leads`` ...)."""
        section, _, name = key.rpartition(".")
        hourly = {"live_answer": self.population.live_answer_by_hour,
                  "machine": self.population.machine_by_hour,
                  "busy": self.population.busy_by_hour,
                  "agents": self.campaign.agents_by_hour}
        if hourly.get(name):
            by_hour = "live_answer_by_hour" if name == "live_answer" else f"{name}_by_hour"
            raise ScenarioError(f"--vary {key}: the scenario sets {by_hour}, which "
                                f"replaces {name} in every hour")
        for target in ([section] if section else ["campaign", "population", "amd", "inbound"]):
            holder = getattr(self, target if target != "callees" else "population", None)
            if holder is not None and name in {f.name for f in dataclasses.fields(holder)}:
                current = getattr(holder, name)
                cast = type(current) if isinstance(current, int | float | bool) else float
                field_name = target if target != "callees" else "population"
                return dataclasses.replace(self, **{field_name: dataclasses.replace(
                    holder, **{name: cast(value)})})
        raise ScenarioError(f"--vary {key}: no such scenario key{self._meant_key(key)}")

    def _meant_key(self, key: str) -> str:
        """``"; did you mean agents?"`` for a scenario key one slip away, else ``""``."""
        import difflib

        section, _, name = key.rpartition(".")
        targets = [section] if section else ["campaign", "population", "amd", "inbound"]
        names = {f.name for target in targets
                 if (holder := getattr(self, "population" if target == "callees" else target,
                                       None)) is not None and dataclasses.is_dataclass(holder)
                 for f in dataclasses.fields(holder)}
        close = difflib.get_close_matches(name, sorted(names), 1)
        return f"; did you mean {(section + '.') if section else ''}{close[0]}?" if close \
            else ""


_TOP = {"campaign", "callees", "agents", "amd", "inbound", "machine_handle_time", "queues"}


def _table(tables: Mapping[str, Any], name: str, where: str) -> dict[str, Any]:
    value = tables.get(name, {})
    if not isinstance(value, Mapping):
        raise ScenarioError(f"{where}: [{name}] must be a table")
    return dict(value)


def _plain(raw: dict[str, Any], kind: type, where: str, section: str) -> Any:
    fields = {f.name: f for f in dataclasses.fields(kind)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in fields:
            import difflib

            close = difflib.get_close_matches(key, list(fields), 1)
            raise ScenarioError(f"{where}: [{section}].{key}: unknown key"
                                + (f" (did you mean {close[0]}?)" if close else "")
                                + f"; known: {', '.join(fields)}")
        default = fields[key].default
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise ScenarioError(f"{where}: [{section}].{key}: expected true or false")
        elif isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(f"{where}: [{section}].{key}: expected a number, got "
                                f"{value!r}{_text_number_hint(value)}")
        elif value < 0:
            raise ScenarioError(f"{where}: [{section}].{key}: must be >= 0")
        elif isinstance(default, int) and value != int(value):
            raise ScenarioError(f"{where}: [{section}].{key}: expected a whole number")
        values[key] = type(default)(value)
    return kind(**values)


def _agents_by_hour(raw: dict[str, Any], where: str) -> tuple[int, ...]:
    """``[campaign].agents_by_hour`` (taken out of ``raw``): empty, or 24 whole numbers;
    ``agents``, when also given, must be their maximum."""
    by_hour = raw.pop("agents_by_hour", None)
    if by_hour is None:
        return ()
    key = f"{where}: [campaign].agents_by_hour"
    if not isinstance(by_hour, list) or len(by_hour) != 24:
        raise ScenarioError(f"{key}: expected 24 whole numbers >= 0 (hours 0-23)")
    for hour, value in enumerate(by_hour):
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 \
                or value != int(value):
            raise ScenarioError(f"{key}[{hour}]: expected a whole number >= 0, got {value!r}")
    counts = tuple(int(v) for v in by_hour)
    agents = raw.get("agents")
    if isinstance(agents, int | float) and agents != max(counts):
        raise ScenarioError(f"{where}: [campaign].agents: {agents!r} but agents_by_hour's "
                            f"largest count is {max(counts)} (agents_by_hour replaces agents; "
                            "give both only when agents is that maximum)")
    return counts


def _inbound_extras(raw: dict[str, Any], where: str) -> dict[str, Any]:
    """The ``[inbound]`` keys that are not plain numbers (taken out of ``raw``)."""
    extras: dict[str, Any] = {}
    by_hour = raw.pop("calls_per_hour_by_hour", None)
    if by_hour is not None:
        if not isinstance(by_hour, list) or len(by_hour) != 24 or any(
                isinstance(v, bool) or not isinstance(v, int | float) or v < 0
                for v in by_hour):
            raise ScenarioError(f"{where}: [inbound].calls_per_hour_by_hour: 24 rates >= 0 "
                                "(hours 0-23)")
        extras["calls_per_hour_by_hour"] = tuple(float(v) for v in by_hour)
    for name, what in (("queues", "queue name"), ("keys", "key")):
        table = raw.pop(name, None)
        if table is None:
            continue
        if not isinstance(table, Mapping) or not table or any(
                isinstance(v, bool) or not isinstance(v, int | float) or v < 0
                for v in table.values()) or not sum(table.values()) > 0:
            raise ScenarioError(f"{where}: [inbound].{name}: a table of {what} = weight "
                                "(weights >= 0, not all 0)")
        if name == "keys":
            bad = [k for k in table if len(k) != 1 or k not in "0123456789*#"]
            if bad:
                raise ScenarioError(f"{where}: [inbound].keys: {bad[0]!r} is not a "
                                    "telephone key")
        extras[name] = {str(k): float(v) for k, v in table.items()}
    for name in ("callback_acceptance", "callback_answer"):
        value = raw.get(name)
        if value is not None and not (isinstance(value, int | float) and 0 <= value <= 1):
            raise ScenarioError(f"{where}: [inbound].{name}: a probability in [0, 1]")
    return extras


def _queues(raw: Any, inbound: InboundSettings, where: str) -> tuple[Any, ...]:
    """``[[queues]]``: queue configurations, validated as the queue store does."""
    if not raw:
        if inbound.queues or inbound.keys:
            raise ScenarioError(f"{where}: [inbound].queues/keys need [[queues]]")
        return ()
    import pydantic

    from dialer.engine.queue_config import QueueConfig

    if not isinstance(raw, list):
        raise ScenarioError(f"{where}: queues: write [[queues]] tables")
    configs = []
    for index, table in enumerate(raw):
        try:
            configs.append(QueueConfig.model_validate(table))
        except pydantic.ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise ScenarioError(f"{where}: [[queues]] #{index + 1}"
                                f"{(' ' + field) if field else ''}: "
                                f"{first['msg'].removeprefix('Value error, ')}") from None
    for index, config in enumerate(configs):
        _refuse_unmeant(config, f"{where}: [[queues]] #{index + 1} ({config.name})")
    names = {c.name for c in configs}
    for name in inbound.queues:
        if name not in names:
            raise ScenarioError(f"{where}: [inbound].queues: {name!r} is not in [[queues]]")
    return tuple(configs)


def _refuse_unmeant(config: Any, where: str) -> None:
    """Refuse a queue the live path refuses (``QueueConfig.problems``, its ``refused``
    flag; ``campaigns.queue_store.refuse_unmeant`` at save and at run start): otherwise an
    ``on_timeout = "opt_out"`` or a menu nobody reaches simulates without a word, figures
    of a queue no one may run. Warnings (a menu set that works, slowly) still load."""
    refused = [p for p in config.problems() if p.refused]
    if refused:
        more = f"; {len(refused) - 1} more in this queue" if len(refused) > 1 else ""
        raise ScenarioError(f"{where} {refused[0].field}: {refused[0].message}{more}")


_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"),
         (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def scenario_text(data: bytes, where: str) -> str:
    """A scenario file's text: UTF-8 as TOML is, or read as meant when a byte-order mark
    says UTF-8, UTF-16 or UTF-32 (Notepad's "Unicode" and "UTF-8 with BOM"); any other
    bytes are refused with their line. Both were a UnicodeDecodeError traceback, and a
    UTF-8 BOM 'not valid TOML ... (at line 1, column 1)' (first-hour eleventh pass)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                break
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise ScenarioError(
            f"{where}:{line}: not UTF-8 text (byte 0x{data[error.start]:02x}); a scenario "
            "file is TOML, which is UTF-8: save it as UTF-8 (e.g. iconv -f latin1 -t utf-8)"
        ) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file."""
    path = Path(path)
    where = str(path)
    try:
        text = scenario_text(path.read_bytes(), where)
        tables = tomllib.loads(text)
    except OSError as error:
        raise ScenarioError(f"{where}: cannot read: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"{where}: not valid TOML: {error}") from None
    try:
        tables, allow_unlawful = _unlawful_opt_in(tables, where)
        scenario = scenario_from_tables(tables, path)  # a misspelt key is named first
        _require_agent_laws(tables, where)
        _refuse_unlawful_limit(scenario.campaign.abandon_limit, allow_unlawful, where)
    except ScenarioError as error:
        raise ScenarioError(with_line(str(error), where, text)) from None
    return scenario


LAWFUL_ABANDON_LIMIT = 0.03
"""3 % of live answers, measured over 30 days (47 CFR 64.1200(a)(7)); Ofcom's is the same."""


def _unlawful_opt_in(tables: dict[str, Any], where: str) -> tuple[dict[str, Any], bool]:
    """The tables without ``[campaign].allow_unlawful_limit``, and its value (a study of a
    limit above the law's says so in its file)."""
    campaign = tables.get("campaign")
    if not isinstance(campaign, Mapping) or "allow_unlawful_limit" not in campaign:
        return tables, False
    allow = campaign["allow_unlawful_limit"]
    if not isinstance(allow, bool):
        raise ScenarioError(f"{where}: [campaign].allow_unlawful_limit: true or false, got "
                            f"{allow!r}")
    rest = {k: v for k, v in campaign.items() if k != "allow_unlawful_limit"}
    return {**tables, "campaign": rest}, allow


def _refuse_unlawful_limit(limit: float, allowed: bool, where: str) -> None:
    """A file's ``abandon_limit`` above the law's is very likely a percentage written as a
    fraction (0.3 for 0.3 %, simulated as 30 %): refused unless the file opts in."""
    if limit > LAWFUL_ABANDON_LIMIT and not allowed:
        raise ScenarioError(
            f"{where}: [campaign].abandon_limit: {limit:g} is {limit:.1%} of live answers, "
            f"above the law's {LAWFUL_ABANDON_LIMIT:g} = 3 % (47 CFR 64.1200(a)(7)); write "
            "a fraction (0.03 for 3 %), or set allow_unlawful_limit = true in [campaign] "
            "for a study of unlawful limits")


_AGENT_LAWS = {
    "talk": 'talk = { dist = "lognormal", mean = 180.0, sd = 90.0 }',
    "wrap": 'wrap = { dist = "fixed", value = 15.0 } (or wrap = 0 for none)',
}


def _require_agent_laws(tables: Mapping[str, Any], where: str) -> None:
    """A scenario file states its agents' talk and wrap-up laws.

    They drive every figure a simulation prints (occupancy, abandonment, the share of the
    practical limit); a file without them ran on a default talk law (exponential, mean
    180 s) and no wrap-up, and analysts trusted figures from laws they never wrote. Code
    that builds a scenario (``scenario_from_tables``: tests, sweeps' variants, recorded
    scenarios, which write both) may still lean on the defaults.
    """
    agents = tables.get("agents")
    if agents is None:
        raise ScenarioError(
            f"{where}: [agents]: missing; a scenario file must state its agents' laws, "
            f"e.g. [agents] {_AGENT_LAWS['talk']} and {_AGENT_LAWS['wrap']}")
    if isinstance(agents, Mapping):
        for key, example in _AGENT_LAWS.items():
            if key not in agents:
                raise ScenarioError(f"{where}: [agents].{key}: missing; a scenario file "
                                    f"must state it, e.g. {example}")


def _text_number_hint(value: Any) -> str:
    """What to write for a number given as text: ``"3%"`` (``abandon_limit``, written as
    people say it) is the fraction 0.03, ``"20"`` is 20 without the quotes."""
    if not isinstance(value, str):
        return ""
    text = value.strip()
    try:
        if text.endswith("%"):
            return f" (a fraction: write {float(text[:-1].strip()) / 100:g} for {text})"
        return f" (write the number without quotes: {float(text):g})"
    except ValueError:
        return ""


def scenario_from_tables(tables: Mapping[str, Any], path: Path = Path("<scenario>")) -> Scenario:
    where = str(path)
    for key in tables:
        if key not in _TOP:
            raise ScenarioError(f"{where}: {key}: unknown top-level key; known: "
                                f"{', '.join(sorted(_TOP))}")
    campaign_raw = _table(tables, "campaign", where)
    agents_by_hour = _agents_by_hour(campaign_raw, where)
    campaign = _plain(campaign_raw, CampaignSettings, where, "campaign")
    if agents_by_hour:
        campaign = dataclasses.replace(campaign, agents=max(agents_by_hour),
                                       agents_by_hour=agents_by_hour)
    if campaign.agents < 1:
        raise ScenarioError(f"{where}: [campaign].agents: at least 1 agent is needed")
    if not 0 < campaign.connect_window <= 2.0:
        raise ScenarioError(f"{where}: [campaign].connect_window: must be in (0, 2] seconds "
                            "(47 CFR 64.1200(a)(7)(i))")
    if campaign.shift_hours <= 0 or campaign.days < 1 or campaign.decision_interval <= 0:
        raise ScenarioError(f"{where}: [campaign]: shift_hours, days and decision_interval "
                            "must be positive")
    if not campaign.shift_hours <= 24:
        # Day d's shift starts at d·86400: a longer one overlaps the next day's (and 1e9
        # ran for ever before printing anything).
        raise ScenarioError(f"{where}: [campaign].shift_hours: at most 24 hours a day, got "
                            f"{campaign.shift_hours:g}")
    if not 0 <= campaign.shift_start_hour < 24:
        raise ScenarioError(f"{where}: [campaign].shift_start_hour: an hour of day in [0, 24)")
    if not 0 <= campaign.abandon_limit < 1:
        raise ScenarioError(f"{where}: [campaign].abandon_limit: a fraction in [0, 1) "
                            "(0.03 for 3 %)")
    if agents_by_hour and not any(count for _, count in campaign.staffing()):
        raise ScenarioError(f"{where}: [campaign].agents_by_hour: no agent in any hour of the "
                            "shift (shift_start_hour, shift_hours)")
    agents = _table(tables, "agents", where)
    # In the documented layout ``machine_handle_time`` follows [agents], so TOML puts it
    # inside that table; it is accepted there and at the top level.
    handle = agents.pop("machine_handle_time", tables.get("machine_handle_time", 5.0))
    extra = set(agents) - {"talk", "wrap"}
    if extra:
        raise ScenarioError(f"{where}: [agents].{sorted(extra)[0]}: unknown key; known: "
                            "talk, wrap, machine_handle_time")
    base = path.parent
    talk = parse_distribution(agents.get("talk", {"dist": "exponential", "mean": 180.0}),
                              f"{where}: [agents].talk", base)
    wrap = parse_distribution(agents.get("wrap", 0.0), f"{where}: [agents].wrap", base)
    population = CalleePopulation.from_tables(_table(tables, "callees", where), talk,
                                              where=where, base_dir=base)
    amd = _plain(_table(tables, "amd", where), AmdSettings, where, "amd")
    if amd.false_positive > 1 or amd.false_negative > 1:
        raise ScenarioError(f"{where}: [amd]: error rates are fractions in [0, 1]")
    if amd.to_free_agent and not amd.enabled:
        raise ScenarioError(f"{where}: [amd].to_free_agent: needs enabled = true (without "
                            "AMD every answer already goes to the agents)")
    inbound_raw = _table(tables, "inbound", where)
    inbound_patience = inbound_raw.pop("patience", None)
    extras = _inbound_extras(inbound_raw, where)
    inbound = dataclasses.replace(_plain(inbound_raw, InboundSettings, where, "inbound"),
                                  **extras)
    if inbound_patience is not None:
        inbound = dataclasses.replace(inbound, patience=parse_distribution(
            inbound_patience, f"{where}: [inbound].patience", base))
    check_bounds(campaign, amd, inbound, where)
    check_times(population, wrap, where)
    queues = _queues(tables.get("queues", []), inbound, where)
    if isinstance(handle, bool) or not isinstance(handle, int | float) or handle < 0:
        raise ScenarioError(f"{where}: machine_handle_time: expected seconds >= 0")
    return Scenario(path, campaign, population, amd, inbound, wrap, float(handle), queues)
