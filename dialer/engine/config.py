"""A campaign's engine settings, validated once when built.

Drivers build ``CampaignConfig`` from the campaign store (live) or a scenario (simulated);
the engine trusts it afterwards. Limits come from the rules the engine exists to keep:
- ring timeout at least 15 s: 47 CFR 64.1200(a)(6) forbids disconnecting an unanswered
  call before at least 15 seconds or four rings; it is the called phone's ringing, counted
  from the ringing the switch reports (``switch_ring_timeout``);
- connect window at most 2 s: 47 CFR 64.1200(a)(7)(i) and Ofcom's persistent-misuse
  statement count a live answer not connected to an agent within two seconds of the
  called person's completed greeting as abandoned. A campaign may choose a shorter window,
  never a longer one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from dialer.engine.recordings import RecordingConfig, RecordingMode
from dialer.errors import DialerError

MIN_RING_TIMEOUT = 15.0
MAX_CONNECT_WINDOW = 2.0
SETUP_ALLOWANCE = 15.0
"""Seconds of call set-up (post-dial delay) a call whose ringing the switch never reports is
given before its ring time starts counting: it is hung up ``ring_timeout`` plus this after
the dial, so its phone rang the whole ring timeout whenever set-up took this long or less
(and at least the legal 15 s up to ``ring_timeout`` plus this less 15). The real captures
(/work/shared/esl-captures/real-fs/, 02 and 04a) show 0.02 s from the originate to
CHANNEL_PROGRESS on a local SIP loop; a carrier's post-dial delay is seconds. Not a
figure from a source: a margin the operator cannot lower."""


BACKSTOP_MARGIN = 2.0
"""Seconds the switch's backstop adds for the engine's own lateness: it ends a call at its
first decision at or after the limit (up to ``decision_interval`` later) and at a tick (the
runner ticks several times a second), and its ``Hangup`` takes a message to reach the
switch. Without it, ringing reported just after ``ring_timeout + SETUP_ALLOWANCE`` but
before the engine's next decision rang less than ``ring_timeout`` before the backstop
(ring_timeout 54.5 s, set-up 70 s, found by the hypothesis test: 54 s of ringing; at
ring_timeout 15 s the same race could give 14.5 s, under the law's 15)."""


def switch_ring_timeout(ring_timeout: float, rings_from_dial: bool,
                        decision_interval: float = 1.0) -> float:
    """The ``originate_timeout`` the switch is given for a call that should ring
    ``ring_timeout`` seconds (``Originate.ring_timeout``).

    FreeSWITCH runs ``originate_timeout`` from the originate, call set-up included, so the
    ring time itself cannot be handed to it: ``ring_timeout=15`` and a 4 s set-up gave the
    phone 11 s (47 CFR 64.1200(a)(6): not before 15 s or four rings; review row F4). The
    engine ends an unanswered call itself (``Dialing.end_rung_calls``): ``ring_timeout``
    after the ringing the switch reports, or ``ring_timeout + SETUP_ALLOWANCE`` after the
    dial while none is reported. The switch's own timeout is only the backstop behind that
    (the engine's hang-up lost with its link): twice the ring timeout plus the allowance,
    the decision interval and ``BACKSTOP_MARGIN``, whole seconds rounded up, so a ringing
    reported before the engine's last say (at most ``ring_timeout + SETUP_ALLOWANCE`` after
    the dial, and its next decision after that) still rings ``ring_timeout`` before the
    switch ends it. A driver whose calls ring from the dial (the simulator: no set-up)
    gets the ring timeout itself, which is then exact."""
    if rings_from_dial:
        return ring_timeout
    return float(math.ceil(2.0 * ring_timeout + SETUP_ALLOWANCE + decision_interval
                           + BACKSTOP_MARGIN))


class CampaignConfigError(DialerError):
    """A campaign setting the engine cannot run with."""


class MachineAction(StrEnum):
    """What to do with a call answered by an answering machine."""

    HANG_UP = "hang_up"
    LEAVE_MESSAGE = "leave_message"


@dataclass(frozen=True, slots=True)
class CampaignConfig:
    """Everything the engine needs to know about one campaign."""

    campaign_id: str
    caller_id_number: str
    """Shown to the callee; must be a number that can be called back (47 CFR 64.1601(e))."""
    caller_id_name: str = ""
    ring_timeout: float = 25.0
    connect_window: float = MAX_CONNECT_WINDOW
    amd_enabled: bool = False
    machine_action: MachineAction = MachineAction.HANG_UP
    machine_message: str = ""
    """Recording left on voicemail when ``machine_action`` is ``leave_message``."""
    machine_to_free_agent: bool = False
    """With AMD: a machine verdict goes to an agent who is free at that instant (nobody
    waits, nothing is queued), else ``machine_action`` applies as before. A person AMD got
    wrong is then connected within the connect window instead of abandoned (an AMD false
    positive is an abandoned call: Ofcom 2016, A1.6); an idle agent hears the greeting of a
    true machine and drops it. VICIdial offers the same as "AMD Agent Route Options"."""
    connect_window_from_answer: bool = False
    """Run the connect window from the answer even with AMD on. Ofcom reads the two seconds
    from the start of the called person's greeting, AMD's listening included (UK
    campaigns); the US rule runs it from the completed greeting, when AMD decides."""
    amd_false_positive_estimate: float = 0.0
    """Estimated share of machine classifications that were really people. Each counts as
    an abandoned live answer (Ofcom 2016, A1.6); 0 when AMD is off or not estimated."""
    count_unknown_as_live: bool = True
    """Treat answers AMD could not classify (and every answer with AMD off) as live:
    connect them to an agent and count them in the abandonment ledger. Safe default."""
    safe_harbor_message: str = "ivr/safe_harbor.wav"
    """Recording with the seller's name and a call-back number (47 CFR 64.1200(a)(7)(i)(B))."""
    optout_digit: str | None = "9"
    """Key that, pressed during the safe-harbour message, adds the number to the internal DNC."""
    recording_enabled: bool = False
    recording_path_template: str = "{campaign}/{date}/{call_id}.wav"
    """Placeholders: {campaign}, {call_id}, {lead_id}, {attempt}, {date} (YYYY-MM-DD UTC)."""
    recording: RecordingConfig | None = None
    """Recording modes, consent and layout (dialer/engine/recordings.py); None: every
    answered call when ``recording_enabled`` (to ``recording_path_template``), else none."""
    wrap_up_timeout: float = 30.0
    """Seconds of wrap-up after which the agent becomes ready without a disposition."""
    abandon_target: float = 0.03
    ledger_window: float = 30 * 86400.0
    """Abandonment measurement window in seconds (US: 30 days per campaign)."""
    abandon_period_start: float | None = None
    """The campaign's start (epoch seconds): successive periods of ``ledger_window`` run
    from it, and the current one is bounded on its own besides the rolling window (47 CFR
    64.1200(a)(7)(i), "each successive 30-day period or portion thereof"). The runner
    gives the campaign's first attempt; None: the period starts with the engine (its first
    answer or pacing decision), which is the simulator's campaign start."""
    pacing_policy: str = "progressive"
    pacing_params: Mapping[str, Any] = field(default_factory=dict)
    decision_interval: float = 1.0
    lines_per_agent: float = 1.0
    max_lines: int | None = None
    """Ceiling on calls dialing or ringing at once (trunk capacity); None for no ceiling."""
    switch_ids: tuple[str, ...] = ("default",)
    agent_preview: bool = False
    """Preview dialing: each ready agent is shown a lead and dials or skips it
    (``PreviewLead``, ``PreviewDecided``); the pacing policy is not asked."""
    """Switches to spread calls across (round robin over those that are up)."""
    message_latency_budget: float = 0.3
    """Seconds between ``uuid_broadcast`` and the message being heard, budgeted at least
    (a real FreeSWITCH 1.11 took 0.12-0.16 s): the safe-harbour message is sent this long
    before the connect window closes, so the person hears it within the window. A driver
    that measures more on a switch (``MessageLatency``) raises that switch's budget."""
    agent_guaranteed: bool = False
    """Every call is promised a live agent (Ofcom's "agent guaranteed", which lifts the
    repeat-call rules; the campaign's settings allow it only with progressive or preview
    pacing, AMD off and no queue): a ready agent's pause waits while every ready agent of
    their switch is promised to an outbound dial in flight (promises.py), so a call placed
    for them never finds nobody. It applies at the first decision where one is spare, or
    after the call the agent takes."""
    rings_from_dial: bool = False
    """The driver's calls start ringing at the far end the instant they are dialed, with no
    call set-up before (the discrete simulator, which models none and reports no ringing):
    the law's minimum ring time (15 s, 47 CFR 64.1200(a)(6)) for shedding a ringing call
    then runs from the dial, and its switch is given the ring timeout itself. False (a real
    switch): it runs from the ringing the switch reports (``CallRinging``), a call whose
    ringing was never reported is not shed early (set-up takes seconds: 15 s after the
    dial, the phone may have rung for 11), and the engine ends unanswered calls itself
    behind a backstop ``originate_timeout`` (``switch_ring_timeout``)."""
    amd_timeout: float = 6.0
    """Seconds after the answer by which the detector must have decided (mod_amd's total
    analysis time is 5 s); past it the answer counts as unknown, so no call waits for ever
    on a detector that never reports."""

    def __post_init__(self) -> None:
        if not self.campaign_id:
            raise CampaignConfigError("campaign_id: must not be empty")
        if self.ring_timeout < MIN_RING_TIMEOUT:
            raise CampaignConfigError(
                f"ring_timeout: {self.ring_timeout} s is below the legal minimum of "
                f"{MIN_RING_TIMEOUT:g} s (47 CFR 64.1200(a)(6)); set it to 15 or more"
            )
        if not 0.0 < self.connect_window <= MAX_CONNECT_WINDOW:
            raise CampaignConfigError(
                f"connect_window: {self.connect_window} s must be above 0 and at most "
                f"{MAX_CONNECT_WINDOW:g} s (47 CFR 64.1200(a)(7)(i))"
            )
        if self.machine_action is MachineAction.LEAVE_MESSAGE and not self.machine_message:
            raise CampaignConfigError(
                "machine_message: required when machine_action is leave_message"
            )
        if self.machine_to_free_agent and not self.amd_enabled:
            raise CampaignConfigError(
                "machine_to_free_agent: needs amd_enabled (without AMD there are no machine "
                "verdicts: every answer already goes to the agents)")
        if not 0.0 <= self.abandon_target < 1.0:
            raise CampaignConfigError(
                f"abandon_target: {self.abandon_target} must be a fraction in [0, 1)"
            )
        if self.ledger_window <= 0 or self.decision_interval <= 0 or self.wrap_up_timeout < 0:
            raise CampaignConfigError(
                "ledger_window and decision_interval must be positive, wrap_up_timeout >= 0"
            )
        if self.optout_digit is not None and self.optout_digit not in "0123456789*#":
            raise CampaignConfigError(
                f"optout_digit: {self.optout_digit!r} is not a telephone key (0-9, *, #)"
            )
        if not 0.0 <= self.amd_false_positive_estimate < 1.0:
            raise CampaignConfigError(
                f"amd_false_positive_estimate: {self.amd_false_positive_estimate} must be a "
                "fraction in [0, 1)"
            )
        if not self.switch_ids:
            raise CampaignConfigError("switch_ids: at least one switch is needed")
        if not 0.0 <= self.message_latency_budget < self.connect_window:
            raise CampaignConfigError(
                f"message_latency_budget: {self.message_latency_budget} s must be at least 0 "
                f"and below the connect window ({self.connect_window} s): the safe-harbour "
                "message must start inside the window")
        if self.amd_timeout <= 0:
            raise CampaignConfigError(f"amd_timeout: {self.amd_timeout} s must be positive")

    def recording_config(self) -> RecordingConfig:
        if self.recording is not None:
            return self.recording
        if not self.recording_enabled:
            return RecordingConfig()
        # The setting before recording modes: every answered call from the answer, as the
        # driver configured it (the live runner always passes ``recording``).
        return RecordingConfig(RecordingMode.ALL, check_consent=False,
                               path_template=self.recording_path_template)
