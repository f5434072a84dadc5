"""One command line: every option explained, one name per idea, nothing lost in help.

Walks every ``dialer`` command: each option and argument has help; the data directory is
``--home`` and a file a command writes is ``--output`` (``--plot``, ``--rejects`` name what
they are); no ``--no-no-`` flag; help text survives rich markup whole and carries no RST
backticks; the choices a user must know (pacing policies, profiles) are listed."""

from __future__ import annotations

from collections.abc import Iterator

import typer
from rich.text import Text

import cli

FORBIDDEN = {"--data-dir": "--home", "--out": "--output", "--csv": "--output"}


def _commands() -> Iterator[tuple[str, object]]:
    def walk(command: object, path: str) -> Iterator[tuple[str, object]]:
        children = getattr(command, "commands", None)
        if children:
            for name, child in children.items():
                yield from walk(child, f"{path} {name}")
        else:
            yield path, command

    yield from walk(typer.main.get_command(cli.app), "dialer")


def _params() -> Iterator[tuple[str, object]]:
    for path, command in _commands():
        for param in command.params:  # type: ignore[attr-defined]
            yield path, param


def test_every_option_and_argument_has_help():
    missing = [f"{path} {param.name}" for path, param in _params()
               if not (getattr(param, "help", None) or "").strip()]
    assert missing == []


def test_one_name_per_idea_and_no_double_negatives():
    names = [(path, name) for path, param in _params()
             for name in [*param.opts, *getattr(param, "secondary_opts", [])]]
    assert [f"{p} {n}" for p, n in names if n.startswith("--no-no-")] == []
    wrong = [f"{p} {n} (use {FORBIDDEN[n]})" for p, n in names if n in FORBIDDEN]
    assert wrong == []


def test_help_text_survives_markup_and_has_no_rst():
    texts = [(f"{path} {param.name}", param.help) for path, param in _params()
             if getattr(param, "help", None)]
    texts += [(path, command.help) for path, command in _commands()  # type: ignore[attr-defined]
              if getattr(command, "help", None)]
    lost = [where for where, text in texts
            if Text.from_markup(text).plain != text.replace("\\[", "[")]
    assert lost == []
    assert [where for where, text in texts if "``" in text] == []


def test_choices_are_listed_where_a_user_must_pick_one():
    from pacing_models import POLICY_NAMES

    helps = {f"{path} {param.name}": param.help for path, param in _params()
             if getattr(param, "help", None)}
    for command in ("dialer campaign create", "dialer campaign edit"):
        assert all(name in helps[f"{command} pacing"] for name in POLICY_NAMES)
        assert all(p in helps[f"{command} jurisdiction"]
                   for p in ("us", "us_federal", "us_state", "reg_f", "uk"))


def test_version_flag():
    from importlib.metadata import version

    from typer.testing import CliRunner

    result = CliRunner().invoke(cli.app, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"dialer {version('dialer')}"


def _at_80(*args: str) -> str:
    from typer.testing import CliRunner

    result = CliRunner(env={"COLUMNS": "80"}).invoke(cli.app, list(args))
    assert result.exit_code in (0, 1), result.output
    assert all(len(line) <= 80 for line in result.stdout.splitlines()), result.stdout
    return result.stdout


def test_compliance_citations_wrap_by_word_at_80_columns(tmp_path, monkeypatch):
    monkeypatch.setenv("DIALER_HOME", str(tmp_path))
    text = _at_80("compliance", "explain", "+12015550123", "--profile", "us_federal",
                  "--tz", "America/New_York", "--at", "2026-11-17T03:00Z")
    # A citation is never cut inside a token: each piece is on one line.
    assert "310.4(b)(1)(iii)(B)" in text and "64.1200(c)(1);" in text


def test_report_and_campaign_show_fit_80_columns(tmp_path, monkeypatch):
    monkeypatch.setenv("DIALER_HOME", str(tmp_path))
    _at_80("campaign", "create", "spring", "--caller-id", "+12015550100")
    shown = _at_80("campaign", "show", "spring")
    assert "09:00–20:00 Mon–Sat" in shown and "busy after 15 min" in shown
    report = _at_80("report", "spring", "--from", "2026-11-01", "--to", "2026-11-03")
    assert "summary" in report
