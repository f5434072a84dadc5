"""``dialer demo --duration``: a duration that is no span is refused before anything starts
(``nan`` dialed until the demo was killed, ``-5`` ran a demo of nothing)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cli import app


@pytest.mark.parametrize("duration", ["nan", "-5", "0", "1e9"])
def test_a_duration_that_is_no_span_is_refused(duration, monkeypatch) -> None:
    import dialer.runner.demo

    def never(*_: object, **__: object) -> None:
        raise AssertionError("the demo started")

    monkeypatch.setattr(dialer.runner.demo, "run_demo", never)
    result = CliRunner().invoke(app, ["demo", "--duration", duration, "--no-web"])
    assert result.exit_code == 1, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: --duration {float(duration):g}: seconds of dialing"), line
