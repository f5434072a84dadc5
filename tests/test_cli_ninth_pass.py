"""The ninth pass of a new user's mistakes (docs/operations.md, "Ninth pass"): a setting
read as another kind than written (``max_wait = "300"``, ``closed_voicemail = "false"``, a
zone written as 5), a lead's zone nobody could fix by hand, and the campaign commands
reaching into the runner for their poke."""

from __future__ import annotations

import ast
import typing
from pathlib import Path

import pydantic
import pytest
from cli_kit import dialer, ok, started_spring
from cli_kit import refused_cleanly as refused
from hypothesis import given
from hypothesis import strategies as st

from dialer.config_numbers import _is_number
from dialer.engine.queue_config import Action, Ivr, Menu, QueueConfig

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def home(tmp_path, monkeypatch):
    return started_spring(tmp_path, monkeypatch)


# 1. each field takes its own kind, in every file a user writes

QUEUE_FILES = [
    pytest.param(
        "sales.toml",
        'name = "sales"\noverflow = "voicemail"\nmax_wait = "300"\n',
        3,
        'max_wait: a number is meant, got the text "300"',
        id="toml-text-number",
    ),
    pytest.param(
        "sales.toml",
        'name = "sales"\nclosed_voicemail = "false"\n',
        2,
        'closed_voicemail: true or false is meant, got the text "false"',
        id="toml-text-boolean",
    ),
    pytest.param(
        "sales.toml",
        'name = "sales"\n[hours]\ntimezone = 5\ndays = {mon = "09:00-17:00"}\n',
        3,
        "hours.timezone: a text is meant, got 5",
        id="toml-number-zone",
    ),
    pytest.param(
        "sales.toml",
        'name = "sales"\nstrategy = "skills"\n[skills]\nspanish = "3"\n',
        3,
        'skills: spanish: a number is meant, got the text "3"',
        id="toml-map-of-numbers",
    ),
    pytest.param(
        "sales.json",
        '{\n  "name": "sales",\n  "service_level": {\n    "target": "0.8"\n  }\n}\n',
        4,
        'service_level.target: a number is meant, got the text "0.8"',
        id="json-text-number",
    ),
    pytest.param(
        "sales.json",
        '{\n  "name": "sales",\n  "callback": {"enabled": 1}\n}\n',
        3,
        "callback.enabled: true or false is meant, got 1",
        id="json-number-boolean",
    ),
]


@pytest.mark.parametrize(("name", "text", "line", "said"), QUEUE_FILES)
def test_a_queue_file_value_of_another_kind_is_refused_with_file_line_and_field(
    home, name, text, line, said
):
    path = home / name
    path.write_text(text)
    message = refused("queue", "create", "sales", "--file", str(path))
    assert f"error: {path}:{line}: queue sales: {said}" in message  # was stored, converted
    assert dialer("queue", "show", "sales").exit_code != 0  # nothing stored


SCENARIO = """[campaign]
agents = 2
[agents]
talk = { dist = "fixed", value = 60.0 }
wrap = 0
[[queues]]
name = "sales"
[[queues]]
name = "support"
"""

SCENARIO_QUEUES = [
    pytest.param(
        'overflow = "voicemail"\nmax_wait = "300"\n',
        11,
        'max_wait: a number is meant, got the text "300"',
        id="text-number",
    ),
    pytest.param(
        '[queues.callback]\nenabled = "yes"\n',
        11,
        'callback.enabled: true or false is meant, got the text "yes"',
        id="text-boolean",
    ),
    pytest.param(
        'agents = ["ann", 7]\n', 10, "agents: item 2: a text is meant, got 7", id="number-name"
    ),
]


@pytest.mark.parametrize(("extra", "line", "said"), SCENARIO_QUEUES)
def test_a_scenario_queue_value_of_another_kind_is_refused_with_its_line(
    tmp_path, extra, line, said
):
    from simulations.errors import ScenarioError
    from simulations.scenario import load_scenario

    path = tmp_path / "s.toml"
    path.write_text(SCENARIO + extra)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value).startswith(f"{path}:{line}: [[queues]] #2 {said}")


def test_a_campaign_setting_given_as_json_text_is_refused_but_flag_text_is_read(home):
    said = refused("campaign", "edit", "spring", "--set", 'ring_timeout="30"')
    assert 'ring_timeout: a number is meant, got the text "30"' in said  # was stored as 30
    said = refused("campaign", "edit", "spring", "--set", 'amd_enabled="false"')
    assert 'amd_enabled: true or false is meant, got the text "false"' in said
    assert ok("campaign", "show", "spring")["settings"]["amd_enabled"] is False
    # A flag's text is text: .5 is no JSON but is a number typed on the command line, and a
    # number typed where a name is meant is that name as typed.
    ok("campaign", "edit", "spring", "--set", "wrap_up_timeout=.5e2")
    assert ok("campaign", "show", "spring")["settings"]["wrap_up_timeout"] == 50.0
    ok("campaign", "edit", "spring", "--set", "compliance.seller_name=1234")
    assert ok("campaign", "show", "spring")["settings"]["compliance"]["seller_name"] == "1234"
    said = refused("campaign", "edit", "spring", "--set", "compliance.seller_name=true")
    assert "compliance.seller_name: a text is meant, got true" in said


def _numeric_paths() -> list[tuple[str, ...]]:
    """Every number field of a queue configuration, as a path of keys into a configuration
    whose IVR has one menu ``main`` (an IVR action's priority too)."""
    paths: list[tuple[str, ...]] = []

    def walk(model: type[pydantic.BaseModel], prefix: tuple[str, ...]) -> None:
        for name, field in model.model_fields.items():
            if _is_number(field.annotation):
                paths.append((*prefix, name))
                continue
            if typing.get_origin(field.annotation) in (dict, tuple):
                continue  # a menu's options: the one below stands for them
            inner = [
                a
                for a in (field.annotation, *typing.get_args(field.annotation))
                if isinstance(a, type) and issubclass(a, pydantic.BaseModel)
            ]
            if inner and inner[0] not in (Action, Ivr):  # an action is text or a table
                walk(inner[0], (*prefix, name))

    walk(QueueConfig, ())
    walk(Menu, ("ivr", "menus", "main"))
    paths.append(("ivr", "menus", "main", "options", "1", "priority"))
    return paths


NUMERIC_PATHS = _numeric_paths()


def _with(path: tuple[str, ...], value: object) -> dict:
    config: dict = {
        "name": "q",
        "overflow": "voicemail",
        "ivr": {
            "start": "main",
            "menus": {"main": {"prompt": ["welcome"], "options": {"1": {"kind": "priority"}}}},
        },
    }
    section = config
    for key in path[:-1]:
        section = section.setdefault(key, {})
    section[path[-1]] = value
    return config


def test_the_numeric_paths_cover_the_sections():
    assert {
        ("max_wait",),
        ("service_level", "target"),
        ("callback", "offer_after"),
        ("alerts", "queue_length"),
        ("ivr", "menus", "main", "timeout"),
        ("priority", "aging_per_minute"),
    } <= set(NUMERIC_PATHS)
    QueueConfig.model_validate(_with(("max_wait",), 300))  # the base is valid


@given(path=st.sampled_from(NUMERIC_PATHS), text=st.text(max_size=12))
def test_no_toml_string_is_ever_read_as_a_number_of_a_queue(path, text):
    """Whatever a TOML string holds ("300", "1e3", " 5 ", "inf"), a number field of the
    queue configuration refuses it naming the field: a value is read as written."""
    with pytest.raises(pydantic.ValidationError) as caught:
        QueueConfig.model_validate(_with(path, text))
    (error,) = caught.value.errors()
    assert tuple(str(p) for p in error["loc"]) == path
    assert "a number is meant, got the text" in error["msg"]


# 2. one lead's zone, set by hand


def _import(home: Path) -> None:
    path = home / "leads.csv"
    path.write_text("phone,state\n2015550100,NJ\n2015550101,NJ\n")
    ok("leads", "import", "spring", str(path), "--yes")


def _zones(home: Path) -> dict[str, str]:
    return {row["phone"]: row["timezone"] for row in ok("leads", "list", "spring")["leads"]}


def test_a_leads_zone_is_set_by_id_or_number(home):
    _import(home)
    first = ok("leads", "list", "spring")["leads"][0]
    done = ok("leads", "edit", "spring", str(first["id"]), "--timezone", "America/New_York")
    assert done["timezone"] == {"before": first["timezone"], "after": "America/New_York"}
    assert done["warnings"] == []
    assert _zones(home)[first["phone"]] == "America/New_York"
    done = ok("leads", "edit", "spring", "+12015550101", "--timezone", "America/Chicago")
    assert "time zone America/Chicago is not a zone of state NJ" in done["warnings"][0]
    assert _zones(home)["+12015550101"] == "America/Chicago"  # written, as import does


@pytest.mark.parametrize(
    ("zone", "said"),
    [
        (
            "EST",
            "--timezone: EST is UTC-5 all year, with no summer time; did you mean "
            "America/New_York?",
        ),
        ("UTC", "--timezone: UTC is no callee's local time"),
        ("Mars/Olympus", "'Mars/Olympus' is not an IANA time zone"),
        ("America/New_York,EST5EDT", "EST5EDT is a POSIX rule"),
    ],
)
def test_a_zone_an_import_refuses_is_refused_and_nothing_written(home, zone, said):
    _import(home)
    before = _zones(home)
    lead = ok("leads", "list", "spring")["leads"][0]["id"]
    assert said in refused("leads", "edit", "spring", str(lead), "--timezone", zone)
    assert _zones(home) == before


def test_a_lead_that_is_not_there_is_named(home):
    _import(home)
    assert "lead '999': no such lead in this campaign" in refused(
        "leads", "edit", "spring", "999", "--timezone", "America/Chicago"
    )
    assert "nothing to change: give --timezone ZONE" in refused("leads", "edit", "spring", "1")


# 3. campaigns never imports the runner


def test_no_campaigns_module_imports_the_runner():
    """The campaign commands reach running processes through ``campaigns.cli_running``
    (the runner's implementation handed in by ``cli.build_app``); imports inside functions
    count too (``campaigns/cli.py`` imported ``dialer.runner.control`` for its poke)."""
    found = []
    for path in sorted((ROOT / "campaigns").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            found += [f"{path.name}: {n}" for n in names if n.startswith("dialer.runner")]
    assert found == []


class _Told:
    def __init__(self):
        self.told = []

    def tell_state(self, data, campaign):
        from campaigns.cli_common import read_store

        self.told.append((data, campaign, read_store(None, None).campaign(campaign).state))

    def sightings(self, store, data, campaign, *, now, queue=None):
        from types import SimpleNamespace

        return SimpleNamespace(found=True, sockets=("b",), owners=())


def test_a_state_change_and_an_edit_ask_what_the_composing_cli_handed_in(home, monkeypatch):
    """After the state is stored, the campaign commands poke through the implementation
    ``cli.build_app`` gave them (the runner's, ``dialer.running_notice``), with the data
    directory and the campaign; an edit asks it which processes keep the old settings."""
    from campaigns import cli_running
    from dialer.running_notice import RUNNER_PROCESSES

    assert cli_running.running() is RUNNER_PROCESSES
    fake = _Told()
    monkeypatch.setattr(cli_running, "_running", fake)
    assert ok("campaign", "pause", "spring")["state"] == "paused"
    assert fake.told == [(home, "spring", "paused")]
    result = dialer("campaign", "edit", "spring", "--set", "ring_timeout=30")
    assert result.exit_code == 0, result.output
    assert "note: campaign spring's running process (--instance b) keeps ring_timeout" in " ".join(
        result.stderr.split()
    )
