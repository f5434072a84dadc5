"""How FreeSWITCH splits API arguments and originate variable blocks (switch_utils.c).

``originate`` arguments go through ``switch_separate_string`` three times: the command line on
blanks, the ``{...}`` block on ``,`` (``switch_event_create_brackets``), and each item once on
``=``. Every pass honours single quotes and backslash escapes and then runs
``cleanup_separated_string``, which removes quotes and the escapes of ``'``, ``"``, ``\\``, the
pass's own delimiter and ``\\n \\r \\t \\s``. Mirroring the passes exactly is what lets the
dialer's escaping (dialer/freeswitch) be tested against the simulator.
"""

from __future__ import annotations

_UNESCAPE = {"n": "\n", "r": "\r", "t": "\t", "s": " "}


def _cleanup(token: str, delim: str | None) -> str:
    """``cleanup_separated_string``: drop quotes and escapes, trim blanks."""
    out: list[str] = []
    end = 0
    quoted = False
    index = len(token) - len(token.lstrip(" "))
    while index < len(token):
        char = token[index]
        if char == "\\" and index + 1 < len(token):
            escaped = token[index + 1]
            if escaped in ("'", '"', "\\") or escaped == delim or escaped in _UNESCAPE:
                out.append(_UNESCAPE.get(escaped, escaped))
                end = len(out)
                index += 2
                continue
        if char == "'" and (quoted or "'" in token[index + 1 :]):
            quoted = not quoted
            if quoted:
                end = len(out)
        else:
            out.append(char)
            if char != " " or quoted:
                end = len(out)
        index += 1
    return "".join(out[:end])


def separate_string(text: str, delim: str, limit: int = 1024) -> list[str]:
    """``switch_separate_string``: split on ``delim`` outside quotes (a backslash protects the
    next character), then clean every piece; ``^^X`` at the start makes ``X`` the delimiter."""
    if text.startswith("^^") and len(text) > 2:
        delim, text = text[2], text[3:]
    blank = delim == " "
    if blank:
        text = text.lstrip(" ")
    pieces: list[str] = []
    current: list[str] = []
    quoted = False
    index = 0
    while index < len(text):
        if len(pieces) + 1 >= limit:
            current.append(text[index:])
            break
        char = text[index]
        if char == "\\":
            current.append(text[index : index + 2])
            index += 2
            continue
        if char == "'" and (blank or quoted or "'" in text[index + 1 :]):
            quoted = not quoted
        elif char == delim and not quoted:
            pieces.append("".join(current))
            current = []
            index += 1
            while blank and index < len(text) and text[index] == " ":
                index += 1
            continue
        current.append(char)
        index += 1
    if current or not blank:
        pieces.append("".join(current))
    return [_cleanup(piece, None if blank else delim) for piece in pieces]


def split_variables(block: str) -> dict[str, str]:
    """The inside of an originate's ``{...}`` or ``[...]`` block as a dict."""
    pairs: dict[str, str] = {}
    for item in separate_string(block, ","):
        parts = separate_string(item, "=", 2)
        if len(parts) == 2 and parts[0]:
            pairs[parts[0]] = parts[1]
    return pairs
