"""A queue configuration file (``dialer queue create|edit --file``): read it as meant, and
say on which line a field is written.

A campaign manager writes the file in whatever editor they have: a Windows editor saves
UTF-8 with a byte-order mark, or "Unicode" (UTF-16); both are read as meant. What cannot
be read is refused in one line naming the file: a directory, bytes that are not text, a
suffix that says neither JSON nor TOML, a JSON object naming a key twice (``json`` keeps
the last silently, so an IVR key written twice would lose its first action; TOML refuses
it itself). ``line_of`` finds the line of a dotted field (``ivr.menus.main.options.1``) so a
refusal of the configuration names the file and the line too, as a lead file's does.
"""

from __future__ import annotations

import codecs
import json
import re
import tomllib
from pathlib import Path
from typing import Any

from campaigns.errors import CampaignError

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
"""UTF-32 first: its little-endian mark begins with UTF-16's."""


class QueueFileError(CampaignError):
    """A queue configuration file that cannot be read. Names the file (and the line)."""


def _text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise QueueFileError(f"{path}: cannot read: {error.strerror or error}") from None
    encoding = next((name for bom, name in _BOMS if raw.startswith(bom)), "utf-8")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as error:
        raise QueueFileError(
            f"{path}: not UTF-8 text (byte 0x{raw[error.start]:02x} at offset {error.start}); "
            "save it as UTF-8") from None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _Duplicate(key)
        seen[key] = value
    return seen


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def read_queue_file(path: Path) -> dict[str, Any]:
    """The file's table: TOML for ``.toml``, JSON for ``.json``."""
    kind = path.suffix.lower().lstrip(".")
    if path.is_dir():
        raise QueueFileError(f"{path}: is a directory, not a queue file; name a .toml or "
                             ".json file in it")
    if kind not in ("toml", "json"):
        raise QueueFileError(f"{path}: a queue file is .toml or .json (its suffix says how "
                             "to read it)")
    text = _text(path)
    try:
        data = tomllib.loads(text) if kind == "toml" else json.loads(
            text, object_pairs_hook=_no_duplicates)
    except tomllib.TOMLDecodeError as error:
        raise QueueFileError(f"{path}: not valid TOML: {error}") from None
    except json.JSONDecodeError as error:
        raise QueueFileError(f"{path}:{error.lineno}: not valid JSON: {error.msg} (column "
                             f"{error.colno})") from None
    except _Duplicate as duplicate:
        line = _json_key_lines(text, duplicate.key)
        where = f":{line}" if line else ""
        raise QueueFileError(f"{path}{where}: key {duplicate.key!r} is written twice in one "
                             "object (JSON would keep only the last)") from None
    if not isinstance(data, dict):
        raise QueueFileError(f"{path}: a queue configuration is a table/object")
    return data


def _json_key_lines(text: str, key: str) -> int | None:
    """The line of the second ``"key":`` (the duplicate)."""
    found = [m.start() for m in re.finditer(rf'"{re.escape(key)}"\s*:', text)]
    return text.count("\n", 0, found[1]) + 1 if len(found) > 1 else None


def line_of(text: str, field: tuple[str | int, ...], kind: str) -> int | None:
    """The line where ``field`` (a path of keys) is written, or its nearest written parent's;
    None when not even its first key is in the text. Each key is looked for after the one
    before it, so ``ivr.menus.main.options.1`` finds the ``1`` of main's options."""
    at, line = 0, None
    for part in field:
        key = re.escape(str(part))
        if kind == "json":
            pattern = rf'"{key}"\s*:'
        else:  # TOML: a bare or quoted key before '=', '.', or a table header's ']'
            pattern = (rf'(?m)(?:^|(?<=[\s{{,\[.]))(?:"{key}"|\'{key}\'|{key})'
                       r'(?=\s*(?:=|\.|\]))')
        match = re.compile(pattern).search(text, at)
        if match is None:
            break
        at = match.end()
        line = text.count("\n", 0, match.start()) + 1
    return line


def file_line(path: Path, field: tuple[str | int, ...]) -> int | None:
    kind = path.suffix.lower().lstrip(".")
    try:
        return line_of(_text(path), field, kind)
    except QueueFileError:
        return None
