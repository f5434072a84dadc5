"""What a compliance officer asks the audit log, checked before it is answered: an empty
answer must mean "no such decision", never "you asked the wrong place or spelt it
another way" (``dialer compliance audit verify`` and ``export``)."""

from __future__ import annotations

from pathlib import Path

import phonenumbers

from dnc.errors import ComplianceError


def check_audit_place(directory: Path, home: Path, explicit: bool) -> None:
    """Refuse a log that is nowhere: an ``--audit-dir`` or ``--home`` typed wrong read as an
    empty log, and ``verify`` said ``ok: 0 entries`` (exit 0). A home that exists but has
    recorded no decision yet is an empty log, as before."""
    if directory.is_dir() or (not explicit and home.is_dir()):
        return
    where = "--audit-dir" if explicit else "the data directory"
    raise ComplianceError(
        f"no audit log at {directory}: {where} {directory if explicit else home} does not "
        "exist (check --home, $DIALER_HOME or --audit-dir); nothing was read")


def check_number(number: str) -> str:
    """The E.164 form the log stores. A number written another way matched nothing and the
    export was empty: read as "never called"."""
    if number.startswith("+"):
        try:
            parsed = phonenumbers.parse(number, None)
        except phonenumbers.NumberParseException:
            parsed = None
        if parsed is not None and phonenumbers.is_possible_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    hint = ""
    try:
        guess = phonenumbers.parse(number, "US")
        if phonenumbers.is_valid_number(guess):
            hint = (f" (a US number: write "
                    f"{phonenumbers.format_number(guess, phonenumbers.PhoneNumberFormat.E164)})")
    except phonenumbers.NumberParseException:
        pass
    raise ComplianceError(
        f"--number {number!r} is not an E.164 number: the log stores numbers as +CCNNN...; "
        f"write it with its country code{hint}")


def check_campaign(campaign: str, logged: set[str]) -> None:
    """A campaign no decision names (a typo) matched nothing: an empty export read as "no
    decision was made for it"."""
    if campaign in logged:
        return
    known = ", ".join(sorted(logged)) or "none"
    raise ComplianceError(
        f"--campaign {campaign!r}: no decision in the audit log names this campaign "
        f"(campaigns in the log: {known})")
