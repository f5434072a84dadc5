"""What an agent's endpoint must look like for FreeSWITCH to ring it.

FreeSWITCH's ``originate`` reads its first argument as ``TYPE/DATA`` (``user/1001``,
``sofia/internal/1001@10.0.0.5``, ``loopback/1001/default``, ``verto.rtc/...``): the part
before the first slash names the endpoint module. A bare extension, ``1001``, names a
module that does not exist, and the switch refuses the leg (``Could not locate channel
type 1001``, ``CHAN_NOT_IMPLEMENTED``, switch_core_session.c). The dialer writes the
endpoint as one API argument, which FreeSWITCH splits on blanks, quotes, commas, braces
and backslashes, so none of those can be in it either (``api._token`` refuses them at
send time). Checked when an agent is stored, so the mistake is named by the command that
made it, not by an agent whose leg never opens during a run.
"""

from __future__ import annotations

import re

UNSAFE_TOKEN = re.compile(r"[\s'\"\\{}\[\],]")
"""Characters FreeSWITCH splits an API command's arguments on (or that would open a
variable block): none may be in a token the dialer sends as one argument."""

_ENDPOINT = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]*/\S+\Z")
"""``TYPE/DATA``: an endpoint module's name, a slash, and what that module dials."""


def endpoint_problem(endpoint: str) -> str | None:
    """Why FreeSWITCH could not ring ``endpoint`` as an agent's phone, or None."""
    if not endpoint or not endpoint.strip():
        return "the endpoint is empty"
    bad = UNSAFE_TOKEN.search(endpoint)
    if bad is not None:
        return (f"endpoint {endpoint!r} contains {bad.group()!r}: FreeSWITCH splits a command's "
                "arguments on blanks, quotes, commas, braces and backslashes, so it cannot be "
                "sent as one")
    if _ENDPOINT.match(endpoint) is None:
        example = f"user/{endpoint}" if endpoint.isalnum() else "user/1001"
        return (f"endpoint {endpoint!r} names no endpoint type: FreeSWITCH dials TYPE/DATA, "
                f"e.g. {example} (a registered user) or sofia/internal/1001@10.0.0.5, and "
                "refuses anything else (CHAN_NOT_IMPLEMENTED)")
    return None
