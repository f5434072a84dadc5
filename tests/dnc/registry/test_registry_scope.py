"""A list of one's own scoped to named sellers (``dnc import --registry client-acme --seller
"Acme Solar"``, tenth pass): stored with its version, refused for the law's lists and for
a seller no campaign declares, reported by ``compliance explain`` where it does not bind.

Before, a list of one's own bound every campaign with no way to say whose it is (the
ninth pass's fail-closed default, kept: a list imported without ``--seller``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_kit import READY_SPRING, dialer, use_home

from dnc.registry import DncStore
from dnc.registry.errors import RegistryError
from dnc.registry.importer import import_numbers
from dnc.registry.store import ListScope
from dnc.registry.versions import LoadedVersion

NUMBER = "+12015550177"
AT = "2026-12-08T17:00:00Z"  # Tue 12:00 in New Jersey


def _campaigns(tmp_path: Path, monkeypatch) -> Path:
    use_home(tmp_path, monkeypatch)
    assert dialer("db", "upgrade").exit_code == 0
    for name, seller in (("acme-spring", "Acme Solar"), ("beta-fall", "Beta Energy")):
        args = [a.replace("Spring Solar", seller) for a in READY_SPRING]
        created = dialer("campaign", "create", name, *args)
        assert created.exit_code == 0, created.output
    listed = tmp_path / "acme.txt"
    listed.write_text(NUMBER[2:] + "\n")
    return listed


def _own_lists(campaign: str) -> tuple[bool, dict]:
    result = dialer("compliance", "explain", NUMBER, "--campaign", campaign, "--at", AT,
                    "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    [rule] = [r for r in document["rules"] if r["rule"] == "campaign.own_lists"]
    return document["allowed"], rule


def test_a_scoped_list_refuses_in_its_sellers_campaign_and_is_reported_elsewhere(
        tmp_path, monkeypatch):
    listed = _campaigns(tmp_path, monkeypatch)
    imported = dialer("dnc", "import", str(listed), "--registry", "client-acme", "--seller",
                      "acme solar", "--as-of", "2026-12-01", "--json")
    assert imported.exit_code == 0, imported.output
    # Stored as the campaigns spell the seller.
    assert json.loads(imported.stdout)["sellers"] == ["Acme Solar"]
    _, acme = _own_lists("acme-spring")
    assert not acme["passed"] and "scoped to seller 'Acme Solar'" in acme["reason"]
    _, beta = _own_lists("beta-fall")
    assert beta["passed"]
    assert "client-acme@2026-12-01#1 (scoped to seller 'Acme Solar'; this campaign's " \
        "seller is 'Beta Energy')" in beta["reason"]
    versions = json.loads(dialer("dnc", "versions", "--json").stdout)["versions"]
    assert {v["registry"]: v["sellers"] for v in versions}["client-acme"] == ["Acme Solar"]
    hits = json.loads(dialer("dnc", "check", NUMBER, "--json").stdout)["results"][0]["hits"]
    assert hits[0]["sellers"] == ["Acme Solar"]


def test_a_seller_no_campaign_declares_is_refused_naming_the_closest(tmp_path, monkeypatch):
    """A misspelt seller would scope the list to no campaign at all: refused, nothing
    imported."""
    listed = _campaigns(tmp_path, monkeypatch)
    result = dialer("dnc", "import", str(listed), "--registry", "client-acme", "--seller",
                    "Acme Solr")
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert "error: --seller 'Acme Solr': no campaign declares this seller; did you mean " \
        "'Acme Solar'?" in said
    assert not (tmp_path / "dnc" / "registries" / "client-acme").exists()


@pytest.mark.parametrize("registry", ["national", "state:TX", "tps"])
def test_the_laws_lists_cannot_be_scoped(tmp_path, monkeypatch, registry):
    listed = _campaigns(tmp_path, monkeypatch)
    result = dialer("dnc", "import", str(listed), "--registry", registry, "--format",
                    "numbers", "--seller", "Acme Solar")
    assert result.exit_code == 1
    assert "only a list of your own" in " ".join(result.output.split())


def test_importing_again_without_the_scope_binds_every_campaign_and_says_so(
        tmp_path, monkeypatch):
    """Fail closed: a version imported without --seller binds every campaign; the import
    says the earlier version was scoped. The earlier version keeps its own scope, so a
    decision taken while it was current is explained with it."""
    listed = _campaigns(tmp_path, monkeypatch)
    assert dialer("dnc", "import", str(listed), "--registry", "client-acme", "--seller",
                  "Acme Solar", "--as-of", "2026-12-01").exit_code == 0
    again = dialer("dnc", "import", str(listed), "--registry", "client-acme", "--as-of",
                   "2026-12-02")
    assert again.exit_code == 0, again.output
    assert "client-acme was scoped to seller 'Acme Solar' (client-acme@2026-12-01#1); this " \
        "import gives no --seller, so the new version binds every campaign" in \
        " ".join(again.stderr.split())
    allowed, beta = _own_lists("beta-fall")
    assert not allowed and not beta["passed"]
    directory = tmp_path / "dnc" / "registries" / "client-acme"
    assert LoadedVersion(directory, "v000001").info.sellers == ("Acme Solar",)
    [hit] = DncStore(tmp_path / "dnc").hits(NUMBER)
    assert hit.version.sellers == ()


def test_the_scope_is_kept_in_the_versions_meta(tmp_path):
    root = tmp_path / "registries"
    listed = tmp_path / "acme.txt"
    listed.write_text(NUMBER[2:] + "\n")
    now = datetime(2026, 12, 7, tzinfo=UTC)
    summary = import_numbers(root, "client-acme", [listed], now, now,
                             scope=ListScope(("Acme Solar",)))
    assert summary.sellers == ["Acme Solar"]
    meta = json.loads((root / "client-acme" / "v000001" / "meta.json").read_text())
    assert meta["sellers"] == ["Acme Solar"]
    with pytest.raises(RegistryError, match="only a list of your own"):
        import_numbers(root, "national", [listed], now, now, scope=ListScope(("Acme Solar",)))


def test_the_same_list_imported_again_the_same_day_with_a_scope_is_a_new_version(tmp_path):
    """An identical list imported twice the same day is not published again (the stored
    version stays); a scope given or taken away the second time is a new version, or the
    officer's scope would be dropped without a word."""
    root = tmp_path / "registries"
    listed = tmp_path / "acme.txt"
    listed.write_text(NUMBER[2:] + "\n")
    now = datetime(2026, 12, 7, tzinfo=UTC)
    first = import_numbers(root, "client-acme", [listed], now, now)
    again = import_numbers(root, "client-acme", [listed], now, now)
    assert again.unchanged and again.version == first.version
    scoped = import_numbers(root, "client-acme", [listed], now, now,
                            scope=ListScope(("Acme Solar",)))
    assert not scoped.unchanged and scoped.version != first.version
    assert scoped.sellers == ["Acme Solar"]
    same = import_numbers(root, "client-acme", [listed], now, now,
                          scope=ListScope(("Acme Solar",)))
    assert same.unchanged and same.sellers == ["Acme Solar"]
    widened = import_numbers(root, "client-acme", [listed], now, now)
    assert not widened.unchanged and widened.sellers == []


def test_a_change_list_that_changes_no_number_still_changes_the_scope(tmp_path):
    """A change list adding only numbers already listed, the same day, publishes nothing
    when the scope is the same; imported without --seller over a scoped list it widens the
    list to every campaign (a new version), as a full list does: taken for 'unchanged', the
    old scope stayed and other sellers' campaigns kept dialing the client's numbers."""
    from dnc.registry.importer import import_change_list

    root = tmp_path / "registries"
    listed = tmp_path / "acme.txt"
    listed.write_text(NUMBER[2:] + "\n")
    day = datetime(2026, 12, 7, tzinfo=UTC)
    first = import_numbers(root, "client-acme", [listed], day, day,
                           scope=ListScope(("Acme Solar",)))
    change = tmp_path / "acme-change.txt"
    change.write_text(f"{NUMBER[2:5]},{NUMBER[5:]},A,2026-12-07\n")
    same = import_change_list(root, "client-acme", [change], None, day,
                              scope=ListScope(("Acme Solar",)))
    assert same.unchanged and same.version == first.version
    widened = import_change_list(root, "client-acme", [change], None, day)
    assert not widened.unchanged and widened.sellers == []
