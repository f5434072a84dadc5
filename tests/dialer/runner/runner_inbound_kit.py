"""Helpers for live inbound tests: short prompts, a queue, callers through the simulator."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from campaigns.models import InboundCall
from campaigns.store import CampaignStore
from dialer.prompt_files import SHIPPED, load_prompts
from dialer.runner.demo import demo_switch_files
from simulations.switch.callers import InboundScript
from simulations.switch.embedded import RunningSwitch

PROMPT_SECONDS = 0.3


def short_prompts(data: Path, seconds: float = PROMPT_SECONDS) -> frozenset[str]:
    """Every shipped prompt as a short silent WAV in ``data/prompts`` (the operator's
    override directory), so menus and announcements take a fraction of a second; returns
    the files the simulated switch must have."""
    directory = data / "prompts"
    directory.mkdir(parents=True, exist_ok=True)
    for shipped in SHIPPED.glob("*.wav"):
        with wave.open(str(directory / shipped.name), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(8000)
            out.writeframes(b"\0\0" * int(8000 * seconds))
    prompts = load_prompts([directory])
    return frozenset(prompts.files.values()) | demo_switch_files()


def place(sim: RunningSwitch, queue: str, **script: Any) -> InboundScript:
    """A caller dials in now (the simulator's ``sim_inbound``, run in process)."""
    from simulations.switch.api import SwitchApi

    words = [queue] + [f"{k}={v}" for k, v in script.items()]
    reply = SwitchApi(sim.switch).execute("sim_inbound", " ".join(words))
    assert isinstance(reply, str) and reply.startswith("+OK"), reply
    return sim.switch.callers[reply.split()[1]]


def inbound_calls(store: CampaignStore) -> list[dict[str, Any]]:
    with store.read_session() as session:
        rows = session.execute(sa.select(InboundCall).order_by(InboundCall.id)).scalars().all()
        return [row.model_dump() for row in rows]
