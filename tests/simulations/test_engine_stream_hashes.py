"""The engine's command streams on fixed campaigns are bit-identical to the recorded ones.

The digests were taken from main before the engine's per-attempt speed work (issue 18) and
must not change with a speed-up: every command, its fields and its time, in order
(benchmarks/engine_streams.py hashes them; it also runs the big campaigns by hand). A
deliberate change of behaviour (pacing, inbound) re-derives the digest it changes from main
at that commit, and says so in its commit message.
"""

from __future__ import annotations

import pytest

from benchmarks.engine_streams import SMALL, digest

RECORDED = {
    "progressive-10x1h": (2878, 636,
                          "1e4a2fb5582e6fa25403eb8a3bdcdc6073ec4ef2033635287d32cbd71ed74abb"),
    "predictive-20x2h": (13892, 3081,
                         "f9d0ecfe42d176dcc2e9522f4654492d15690a7c52268c0469dbd214b45ffc84"),
    "power-10x1h": (3713, 828,
                    "761b5b2a4115946eb75aa1bbc6001d7991975182b3f5d626a493677a0f78c99e"),
    "adaptive-10x1h": (3645, 845,
                       "b9978e4c5bb9d0bc208db7eb04936780ca36c02e2064806625e1bd1d0668a6ba"),
    "predictive-amd-10x1h": (3451, 935,
                             "a9a15785123aacf97a17bb0198ed031d5155f417bab122aabdb3214e1f837163"),
    "progressive-inbound-10x1h": (
        2313, 420, "d88e8bf129e8fdaf640fbdaaf2f7fcd5abad993dfb358ee9643fb44e7f208df2"),
    "world-100x5k": (21376, 5006,
                     "697383d6d7cba62dc89ca3005f923e60f4fe1cc47693b51413e4d4f60a92f8ab"),
}


def test_every_small_campaign_has_a_recorded_digest() -> None:
    assert set(SMALL) == set(RECORDED)


@pytest.mark.parametrize("name", SMALL)
def test_command_stream_is_unchanged(name: str) -> None:
    d = digest(name)
    assert (d.commands, d.attempts, d.sha256) == RECORDED[name]
