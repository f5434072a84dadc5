"""The line of a scenario file a refusal is about: ``s.toml:4: [campaign].agents: ...``.

The checks run on the parsed tables (sweeps check their variants the same way, with no
file text), so they name the section and key; the loader, which has the text, adds the
line where that key (or that table) is written.
"""

from __future__ import annotations

import re

_FIELD = re.compile(r"\[(?P<section>[A-Za-z_]+)\](?:\.(?P<key>[A-Za-z_]+))?")
_HEADER = re.compile(r"^\s*\[\[?\s*(?P<name>[A-Za-z_.]+)\s*\]\]?\s*(#.*)?$")


def line_of(text: str, section: str, key: str | None) -> int | None:
    """The 1-based line where ``[section]`` sets ``key`` (``key`` None: the header), or
    None when the file does not write it there (a default, a dotted key elsewhere)."""
    current = ""
    header_line = None
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            current = header.group("name")
            if current == section and header_line is None:
                header_line = number
            continue
        if current == section and key is not None and re.match(
                rf"\s*[\"']?{re.escape(key)}[\"']?\s*=", line):
            return number
    return header_line


def with_line(message: str, where: str, text: str) -> str:
    """``message`` with the line after the file's name, when it names a field it can find."""
    prefix = f"{where}: "
    if not message.startswith(prefix):
        return message
    field = _FIELD.match(message, len(prefix))
    if field is None:
        return message
    number = line_of(text, field.group("section"), field.group("key"))
    if number is None:
        return message
    return f"{where}:{number}: {message[len(prefix):]}"
