"""What a switch can do for this campaign, checked before the first call is placed on it.

Two things a real FreeSWITCH does not tell by failing loudly (issue 17):

* ``uuid_broadcast`` of a file that does not exist answers ``+OK Message sent``; the playback
  then fails at once and the person hears nothing. So every prompt the campaign may play
  (the safe-harbour message, the voicemail message) is looked up with mod_commands'
  ``file_exists`` (a relative path under the switch's ``sounds_dir``, where playback looks
  for it). A campaign whose safe-harbour message is not playable does not start: without
  it no abandoned call is a legal one (47 CFR 64.1200(a)(7)(i)(B), 16 CFR
  310.4(b)(4)(iii); Ofcom's persistent-misuse statement A1.8).
* ``execute_on_answer=amd`` on a switch without mod_amd (none built from the public tree
  has it) hangs up every answered call with DESTINATION_OUT_OF_ORDER. So the detector is
  found with ``module_exists``: mod_amd's ``amd``, else mod_avmd (beep) with the
  greeting-length check, else none, and a campaign with AMD on refuses a switch with none.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialer.esl.client import EslClient
from dialer.freeswitch import MachineDetector


@dataclass(frozen=True, slots=True)
class SwitchCapabilities:
    detector: MachineDetector
    missing: tuple[str, ...]
    """Prompts the switch cannot play (as configured, with the path that was checked)."""

    def problems(self, switch_id: str, amd_enabled: bool) -> list[str]:
        found = [f"switch {switch_id} cannot play {what}" for what in self.missing[:3]]
        if len(self.missing) > 3:
            found.append(f"and {len(self.missing) - 3} more files")
        if amd_enabled and self.detector is MachineDetector.NONE:
            found.append(
                f"switch {switch_id} has no answering-machine detector (module_exists "
                "mod_amd and mod_avmd both false): turn AMD off for the campaign, or load "
                "mod_avmd (in FreeSWITCH's tree) or mod_amd on the switch")
        return found


def resolve(path: str, sounds_dir: str) -> str:
    """Where FreeSWITCH's playback looks for ``path`` (relative: under ``sounds_dir``)."""
    if path.startswith("/") or "://" in path or not sounds_dir:
        return path
    return f"{sounds_dir.rstrip('/')}/{path}"


async def probe(client: EslClient, prompts: dict[str, str]) -> SwitchCapabilities:
    """``prompts``: what it is (e.g. "the safe-harbour message") → its configured path."""
    async def yes(command: str) -> bool:
        return (await client.api(command, timeout=10.0)).strip() == "true"

    if await yes("module_exists mod_amd"):
        detector = MachineDetector.AMD
    elif await yes("module_exists mod_avmd"):
        detector = MachineDetector.AVMD
    else:
        detector = MachineDetector.NONE
    sounds_dir = (await client.api("global_getvar sounds_dir", timeout=10.0)).strip()
    if sounds_dir.startswith("-ERR") or sounds_dir == "_undef_":
        sounds_dir = ""
    missing = []
    for what, path in prompts.items():
        if not path:
            continue
        full = resolve(path, sounds_dir)
        if "://" in full:
            continue  # a stream (tone_stream://...), nothing to look up
        if not await yes(f"file_exists {full}"):
            missing.append(f"{what} {path!r} (file_exists {full}: false)")
    return SwitchCapabilities(detector, tuple(missing))
