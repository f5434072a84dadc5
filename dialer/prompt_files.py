"""Prompt files on disk → the engine's ``PromptSet`` (names, paths, lengths).

The project ships generated prompts (dialer/prompts/, ``python -m dialer.prompts.make``); an
operator replaces any of them, or adds the prompts their menus name, by putting ``NAME.wav``
in the prompts directory of the data home. Later directories override earlier ones. The
engine plays paths *as the switch sees them*: when FreeSWITCH runs on another host, copy the
merged directory there and give its path (``switch_directory``); lengths are read here.
"""

from __future__ import annotations

import wave
from collections.abc import Iterable
from pathlib import Path

from dialer.engine.prompts import PromptError, PromptSet

SHIPPED = Path(__file__).with_name("prompts")


def wav_seconds(path: Path) -> float:
    """The length of a PCM WAV file, or ``PromptError`` naming the file."""
    try:
        with wave.open(str(path)) as audio:
            rate = audio.getframerate()
            return audio.getnframes() / rate if rate else 0.0
    except (wave.Error, EOFError, OSError) as error:
        raise PromptError(f"{path}: not a readable PCM WAV file ({error}); record prompts "
                          "as 8 or 16 kHz, 16-bit mono WAV") from None


def prompt_files(directories: Iterable[Path]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for directory in directories:
        if directory.is_dir():
            for path in sorted(directory.glob("*.wav")):
                found[path.stem] = path
    return found


def load_prompts(extra: Iterable[Path] = (), switch_directory: str | None = None
                 ) -> PromptSet:
    """The shipped prompts, overridden by ``extra`` directories in order."""
    found = prompt_files([SHIPPED, *extra])
    files = {name: (f"{switch_directory.rstrip('/')}/{name}.wav" if switch_directory
                    else str(path)) for name, path in found.items()}
    return PromptSet(files, {name: wav_seconds(path) for name, path in found.items()})
