"""A voicemail-drop campaign through the runner: the engine asks the dial-time gate before
each recorded message (the prerecorded rules at that instant) and the runner writes that
decision to the audit log before the message plays."""

from __future__ import annotations

import asyncio

from dialer.runner.demo import SWITCH_SOUNDS_DIR, demo_switch_files
from dialer.runner.runner import Runner
from dnc.rules.audit import AuditLog
from simulations.switch.embedded import running_switch
from simulations.switch.fates import SimpleCallees
from simulations.switch.switch import SwitchSettings
from tests.dialer.runner.runner_kit import check_journal_invariants, make_store, settings_for

DROP = {"amd_enabled": True, "amd_false_positive_estimate": 0.05,
        "machine_action": "leave_message", "machine_message": "ivr/voicemail.wav",
        "compliance": {"seller_name": "Demo Dialer Inc.", "dnc_number": "+18005550100",
                       "safe_harbor": {"states_telemarketing_purpose": True,
                                       "names_seller": True, "gives_dnc_number": True,
                                       # Ofcom's message also declares no marketing (the
                                       # UK profile, the hours no US zone is open).
                                       "no_marketing_content": True},
                       "recorded_message": {"seller_named_first": True,
                                            "callback_number": "+12015550100",
                                            "optout_number": "+18005550100"}}}


def test_every_voicemail_drop_rests_on_an_audited_message_decision(tmp_path):
    store = make_store(tmp_path, agents=2, leads=40, pacing_policy="progressive", **DROP)

    async def scenario() -> None:
        callees = SimpleCallees(live_answer=0.0, machine=1.0, busy=0.0, failed=0.0,
                                time_to_answer=1.0)
        files = demo_switch_files() | {f"{SWITCH_SOUNDS_DIR}/ivr/voicemail.wav"}
        settings = SwitchSettings(speed=4.0, playback_seconds=1.0, sound_files=files,
                                  amd_false_negative=0.0)
        async with running_switch(settings=settings, fate_source=callees, seed=5) as sim:
            runner = Runner(settings_for(tmp_path, sim.url), store, login_agents=True)
            await runner.run(duration=3.0)

    asyncio.run(scenario())
    attempts = check_journal_invariants(store)
    machines = [a for a in attempts if a["answer_kind"] == "machine"]
    assert machines, "no call reached a machine"
    messages = [e for e in AuditLog(tmp_path / "audit").entries() if e.get("stage") == "message"]
    assert messages and all(e["allowed"] for e in messages)
    assert {e["number"] for e in messages} <= {a["phone"] for a in machines}
    dials = {e["decision_id"]: e for e in AuditLog(tmp_path / "audit").entries()
             if e.get("stage") == "dial"}
    assert all(a["compliance_decision"] in dials for a in attempts)
