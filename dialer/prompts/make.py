"""Generate the prompts the project ships, reproducibly: ``python -m dialer.prompts.make``.

Each phrase of ``dialer.engine.prompts`` (announcements, callback offer and confirmation,
closed message, voicemail greeting, a sample menu), the numbers 0-19, 20-90 and "hundred",
and the telephone keys are spoken by espeak-ng (US English voice, 150 words a minute),
trimmed of leading and trailing silence, resampled to 8 kHz (telephone band) and written as
16-bit mono PCM WAV; ``beep`` is a 1 kHz tone of 400 ms. ``MANIFEST.tsv`` records the
espeak-ng version, each file's text, length and SHA-256, so a second run can be checked
against it (``--check``). An operator replaces any prompt with a recording of the same name
in the prompts directory of the data home (docs/inbound.md, "Prompts").
"""

from __future__ import annotations

import argparse
import hashlib
import io
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly

from dialer.engine.prompts import KEYS, NUMBERS, PHRASES

HERE = Path(__file__).resolve().parent
RATE = 8000
_WORDS = {0: "zero", 1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six",
          7: "seven", 8: "eight", 9: "nine", 10: "ten", 11: "eleven", 12: "twelve",
          13: "thirteen", 14: "fourteen", 15: "fifteen", 16: "sixteen", 17: "seventeen",
          18: "eighteen", 19: "nineteen", 20: "twenty", 30: "thirty", 40: "forty",
          50: "fifty", 60: "sixty", 70: "seventy", 80: "eighty", 90: "ninety"}
_KEY_WORDS = {"*": "star", "#": "pound"}


def texts() -> dict[str, str]:
    """Prompt name → the words spoken."""
    spoken = dict(PHRASES)
    for name in NUMBERS:
        spoken[name] = "hundred" if name == "hundred" else _WORDS[int(name[1:])]
    for key, name in KEYS.items():
        spoken[name] = _KEY_WORDS.get(key) or _WORDS[int(key)]
    return spoken


def speak(text: str) -> np.ndarray:
    """espeak-ng's samples for ``text`` at 8 kHz, silence trimmed, as int16."""
    raw = subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "--stdout", text],
                         check=True, capture_output=True).stdout
    with wave.open(io.BytesIO(raw)) as source:
        rate = source.getframerate()
        samples = np.frombuffer(source.readframes(source.getnframes()), dtype="<i2")
    loud = np.flatnonzero(np.abs(samples) > 300)
    if len(loud):
        pad = rate // 20
        samples = samples[max(0, loud[0] - pad):loud[-1] + pad]
    resampled = resample_poly(samples.astype(np.float64), RATE, rate)
    return np.clip(np.round(resampled), -32768, 32767).astype("<i2")


def beep() -> np.ndarray:
    t = np.arange(int(RATE * 0.4)) / RATE
    envelope = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.01)
    return np.round(12000 * envelope * np.sin(2 * np.pi * 1000 * t)).astype("<i2")


def write(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="directory (default: here)")
    parser.add_argument("--check", action="store_true",
                        help="regenerate in memory and compare with MANIFEST.tsv")
    args = parser.parse_args(argv)
    version = subprocess.run(["espeak-ng", "--version"], check=True, capture_output=True,
                             text=True).stdout.strip()
    rows = [f"# {version}", "name\tseconds\tsha256\ttext"]
    for name, text in sorted({**texts(), "beep": "(1 kHz tone, 400 ms)"}.items()):
        samples = beep() if name == "beep" else speak(text)
        digest = hashlib.sha256(samples.tobytes()).hexdigest()
        rows.append(f"{name}\t{len(samples) / RATE:.3f}\t{digest}\t{text}")
        if not args.check:
            write(args.out / f"{name}.wav", samples)
    manifest = "\n".join(rows) + "\n"
    if args.check:
        stored = (args.out / "MANIFEST.tsv").read_text(encoding="utf-8")
        if stored != manifest:
            print("prompts differ from MANIFEST.tsv (another espeak-ng version?)",
                  file=sys.stderr)
            return 1
        print("prompts match MANIFEST.tsv")
        return 0
    (args.out / "MANIFEST.tsv").write_text(manifest, encoding="utf-8")
    print(f"wrote {len(rows) - 2} prompts to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
