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


_QUEUE_FIELD = re.compile(r"\[\[queues\]\] #(?P<index>\d+)(?: \([^)]*\))? "
                          r"(?P<field>[A-Za-z0-9_*#\-]+(?:\.[A-Za-z0-9_*#\-]+)*):")
"""``[[queues]] #2 (sales) max_wait:``, the form of a queue's refusal in a scenario."""


def queue_line_of(text: str, index: int, field: tuple[str, ...]) -> int | None:
    """The line where the ``index``-th (1-based) ``[[queues]]`` table writes ``field`` (a
    path of keys, found as a queue file's are: ``campaigns.queue_files.line_of``), else the
    table's header; None when the file has no such table."""
    from campaigns.queue_files import line_of as key_line

    lines = text.splitlines()
    headers = [n for n, line in enumerate(lines) if (h := _HEADER.match(line)) and
               line.lstrip().startswith("[[") and h.group("name") == "queues"]
    if len(headers) < index:
        return None
    start = headers[index - 1]
    end = next((n for n, line in enumerate(lines[start + 1:], start + 1)
                if (h := _HEADER.match(line)) and (line.lstrip().startswith("[[") or
                                                   not h.group("name").startswith("queues."))),
               len(lines))
    found = key_line("\n".join(lines[start + 1:end]), field, "toml")
    return start + 1 + (found or 0)


def with_line(message: str, where: str, text: str) -> str:
    """``message`` with the line after the file's name, when it names a field it can find."""
    prefix = f"{where}: "
    if not message.startswith(prefix):
        return message
    queue = _QUEUE_FIELD.match(message, len(prefix))
    field = _FIELD.match(message, len(prefix))
    if queue is not None:
        number = queue_line_of(text, int(queue.group("index")),
                               tuple(queue.group("field").split(".")))
    elif field is None:
        return message
    else:
        number = line_of(text, field.group("section"), field.group("key"))
    if number is None:
        return message
    return f"{where}:{number}: {message[len(prefix):]}"
