"""One answer to "is this list one of the user's own" (``dnc.registry.store.is_own_list``):
the rule ``campaign.own_lists`` asks it of a hit's version, ``dnc import``'s note and its
``--seller`` check of a registry's name. They were written three times, the rule from the
version's kind and the two others from the name, and disagreed on the internal list (its
versions are INTERNAL, its name read as a list of one's own). Sixteenth pass, item 4."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rules_kit import campaign, engine, outcome

from dnc.cli import _own_list_note
from dnc.interfaces import RegistryKind, RegistryVersion
from dnc.registry.errors import RegistryError
from dnc.registry.store import ListScope, check_scope, is_own_list, registry_kind
from dnc.rules.model import LeadFacts

NJ = "+12015550123"
NOON_NY = datetime(2026, 11, 10, 17, tzinfo=UTC)

_KNOWN = ["national", "state:TX", "state:FL", "internal", "tps", "ctps", "ctps:2026-12",
          "TPS", "client-acme", "myco", "acme-list", "nationalish"]
_NAMES = st.one_of(st.sampled_from(_KNOWN),
                   st.from_regex(r"[a-z][a-z0-9_-]{0,11}", fullmatch=True))


def _answers(name: str, kind: RegistryKind) -> dict[str, bool]:
    """Each caller's answer for a registry ``name`` whose versions carry ``kind``."""
    try:
        check_scope(name, ListScope(("Acme Solar",)))
        scoped = True
    except RegistryError:
        scoped = False
    version = RegistryVersion(name, kind, f"{name}@2026-12-01#1",
                              datetime(2026, 12, 1, tzinfo=UTC), 1)
    decision = engine({version: [NJ]}).check(LeadFacts(NJ), campaign(), NOON_NY)
    return {"helper": is_own_list(kind, name),
            "note": _own_list_note(name) is not None,
            "scope": scoped,
            "rule": not outcome(decision, "campaign.own_lists").passed}


@settings(max_examples=150, deadline=None)
@given(_NAMES)
def test_the_rule_the_note_and_the_seller_check_agree(name):
    """Invariant: for the kind a registry's versions carry, all three say the same."""
    answers = _answers(name, registry_kind(name))
    assert len(set(answers.values())) == 1, (name, answers)


@pytest.mark.parametrize(("name", "kind", "own"), [
    ("internal", RegistryKind.INTERNAL, False),
    ("national", RegistryKind.NATIONAL, False),
    ("state:TX", RegistryKind.STATE, False),
    ("tps", RegistryKind.OTHER, False),
    ("ctps:2026-12", RegistryKind.OTHER, False),
    ("client-acme", RegistryKind.OTHER, True),
])
def test_each_kind_of_list(name, kind, own):
    """The internal list's versions (``InternalDnc``) are INTERNAL: not one's own, for the
    rule as for the note (which named it a list of one's own by its name)."""
    assert registry_kind(name) is kind
    assert _answers(name, kind) == dict.fromkeys(("helper", "note", "scope", "rule"), own)


def test_the_internal_lists_own_versions_carry_the_kind_the_name_gives(tmp_path):
    from dnc.internal import InternalDnc

    internal = InternalDnc(tmp_path / "internal.db")
    version = internal.version()
    assert version.registry == "internal"
    assert registry_kind(version.registry) is version.kind is RegistryKind.INTERNAL
