"""The seventh pass of a new user's mistakes (docs/operations.md, "Seventh pass"): each was
a traceback, a figure outside the range it is exact in, or a line without its file, and is
now one `error:` line and exit status 1 naming the option, the setting or the file and line."""

from __future__ import annotations

import pytest
from cli_kit import ok
from cli_kit import refused_cleanly as refused

# 1. staff answers in the range erlang does (5,000 agents, 4,000 Erlangs)


@pytest.mark.parametrize(("args", "said"), [
    (["--erlangs", "4001"], "--erlangs 4001 is outside its range: more than 0 (no load needs "
     "no agents) and at most 4,000 (4,000 Erlangs, the load the formulas are exact to"),
    (["--calls-per-hour", "100000"], "--calls-per-hour 100000 is outside its range: more than "
     "0 (no calls need no agents) and at most 80,000 with --aht 180"),
    (["--agents", "5001"], "--agents 5001 is outside 1-5,000: the formulas are exact to 5,000 "
     "agents and 4,000 Erlangs"),
    (["--agents", "5000"], "--agents 5000: 5,000 agents carry more than 4,000 Erlangs at "
     "service-level 0.8"),
])
def test_staff_refuses_beyond_the_range_erlang_answers_in(args, said):
    assert said in refused("staff", "--service-level", "0.8", *args)


def test_staff_refuses_a_target_that_needs_more_agents_than_the_exact_range():
    said = refused("staff", "--model", "b", "--blocking", "0", "--erlangs", "3999")
    assert "no staffing up to 5,000 agents meets blocking 0.0 at 3999 Erlangs" in said


def test_staff_answers_at_the_edge_of_the_range():
    answer = ok("staff", "--service-level", "0.8", "--erlangs", "4000")
    assert 4000 < answer["agents"] <= 5000
    carried = ok("staff", "--service-level", "0.8", "--agents", "4000")
    assert carried["max_traffic_erlangs"] <= 4000
