"""A scenario's ``[[queues]]`` pass the check the live path makes (``QueueConfig.problems``,
refused at save and at run start): a queue no one may run (an opt-out nobody chose, a menu
nobody reaches, a time ``max_wait`` always cuts short) is refused in one line naming the
file, the queue and the field, never simulated without a word; every shipped scenario
still loads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from simulations.errors import ScenarioError
from simulations.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
BLENDED = (ROOT / "simulations/scenarios/blended.toml").read_text()
"""Its last table is ``[[queues]]`` support (#2): lines appended below go into it."""

MENU = '[queues.ivr.menus.main]\nprompt = "welcome"\noptions = { "1" = "queue" }\n'

REFUSED = [
    pytest.param(MENU + 'on_timeout = "opt_out"\n', "ivr.menus.main.on_timeout",
                 "opt_out would put a caller who pressed nothing on the do-not-call list",
                 id="silence-opts-out"),
    pytest.param(MENU + 'on_invalid = "opt_out"\n', "ivr.menus.main.on_invalid",
                 "opt_out would put a caller who pressed keys that are no option",
                 id="wrong-key-opts-out"),
    pytest.param(MENU + '[queues.ivr.menus.billing]\nprompt = "billing"\n'
                 'options = { "1" = "queue" }\n', "ivr.menus.billing",
                 "menu 'billing' is reached by no key", id="menu-nobody-reaches"),
    pytest.param('max_wait = 60\noverflow = "voicemail"\n', "callback.offer_after",
                 "60 s: never offered, max_wait (60 s) sends every caller on first",
                 id="callback-never-offered"),
    pytest.param('max_wait = 80\noverflow = "voicemail"\nalerts = { longest_wait = 90 }\n',
                 "alerts.longest_wait", "90 s: never raised, max_wait (80 s)",
                 id="alert-never-raised"),
]


@pytest.mark.parametrize(("extra", "field", "said"), REFUSED)
def test_a_queue_the_live_path_refuses_is_refused_naming_file_queue_and_field(
        tmp_path: Path, extra: str, field: str, said: str) -> None:
    path = tmp_path / "s.toml"
    path.write_text(BLENDED + extra)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    # The line where the field (or its table) is written follows the file's name.
    assert re.match(rf"{re.escape(str(path))}:\d+: \[\[queues\]\] #2 \(support\) "
                    rf"{re.escape(field)}: ", message), message
    assert said in message
    assert "\n" not in message


def test_two_refused_settings_name_the_first_and_count_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(BLENDED + MENU + 'on_timeout = "opt_out"\non_invalid = "opt_out"\n')
    with pytest.raises(ScenarioError, match=r"ivr\.menus\.main\.on_timeout: .*; 1 more in "
                                            r"this queue$"):
        load_scenario(path)


def test_a_menu_that_only_warns_still_loads(tmp_path: Path) -> None:
    """A problem the live path only warns of (no key leads out: callers leave by timing
    out) is not refused here either: the same ``refused`` flag decides."""
    path = tmp_path / "s.toml"
    path.write_text(BLENDED + '[queues.ivr.menus.main]\nprompt = "welcome"\n'
                    'options = { "9" = "repeat" }\n')
    scenario = load_scenario(path)
    problems = scenario.queues[1].problems()
    assert problems and not any(p.refused for p in problems)


@pytest.mark.parametrize("path", sorted((ROOT / "simulations/scenarios").glob("*.toml")),
                         ids=lambda p: p.name)
def test_every_shipped_scenario_loads(path: Path) -> None:
    scenario = load_scenario(path)
    assert not [p for q in scenario.queues for p in q.problems() if p.refused]


@pytest.mark.parametrize("command", ["simulate", "sweep"])
def test_simulate_and_sweep_refuse_it_in_one_error_line(tmp_path: Path, command: str) -> None:
    path = tmp_path / "s.toml"
    path.write_text(BLENDED + MENU + 'on_timeout = "opt_out"\n')
    args = [command, str(path), "--policy", "progressive", "--workers", "1",
            "--replications", "1"]
    if command == "sweep":
        args += ["--vary", "agents=19,20"]
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    on_timeout = len(BLENDED.splitlines()) + 4  # the line it is written on
    assert lines[0].startswith(f"error: {path}:{on_timeout}: [[queues]] #2 (support) "
                               "ivr.menus.main.on_timeout: opt_out would put"), lines
