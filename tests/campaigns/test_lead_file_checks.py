"""Lead files that would mislead are refused before anything is stored (docs/campaigns.md,
"Importing leads"; docs/operations.md, "Eleventh pass: imports")."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from campaigns.errors import LeadImportError

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture
def campaign(store):
    store.create_campaign("c", at=NOW)
    return store


def _rows(first: int, count: int) -> str:
    return "".join(f"201555{first + i:04d},Ann{i}\n" for i in range(count))


def test_a_lead_file_growing_while_read_is_refused(campaign, tmp_path):
    """An export still being saved that ends at a row end reads as a whole, shorter file:
    its later rows (and their consents) were never imported, with no word."""
    path = tmp_path / "leads.csv"
    path.write_text("phone,first_name\n" + _rows(100, 50))
    appended = []

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "normalise" and not appended:
            with open(path, "a") as handle:
                handle.write(_rows(200, 50))
            appended.append(stage)

    with pytest.raises(LeadImportError) as refused:
        campaign.import_file("c", path, at=NOW, progress=progress)
    assert str(refused.value).startswith(
        f"{path}: the file changed while it was read (its size went from "
    )
    assert "refused, nothing stored: import it once it is complete" in str(refused.value)
    assert campaign.leads("c") == [] and campaign.lead_lists("c") == []
    assert not Path(f"{path}.rejects.csv").exists()
    assert campaign.import_file("c", path, at=NOW).imported == 100


def test_a_revocations_file_growing_while_read_is_refused(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import cli

    path = tmp_path / "rev.csv"
    path.write_text("number,at,channel\n+13055550123,2026-11-02T10:00Z,letter\n")
    read_text = Path.read_text

    def growing(self: Path, *args, **kwargs) -> str:
        text = read_text(self, *args, **kwargs)
        if self == path:
            with open(path, "a") as handle:
                handle.write("+13055550124,2026-11-02T10:00Z,letter\n")
        return text

    monkeypatch.setattr(Path, "read_text", growing)
    result = CliRunner().invoke(
        cli.app,
        [
            "compliance",
            "revocations",
            "import",
            str(path),
            "--by",
            "officer",
            "--home",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 1, result.output
    assert f"{path}: the file changed while it was read" in " ".join(result.output.split())
    assert not (tmp_path / "dnc" / "facts.db").exists()  # nothing recorded


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "201,5550100\n201,5550101\n",
            "an FTC do-not-call file (its first line is a record, '201,5550100')",
        ),
        ("201,5550100,A,2026-12-05\n201,5550101,D,2026-12-05\n", "an FTC do-not-call file"),
        (
            "Phone,DNC Date\n2015550100,2026-11-01\n",
            "a do-not-call list (its header is 'Phone', 'DNC Date')",
        ),
    ],
)
def test_a_do_not_call_list_given_as_a_lead_file_is_refused(campaign, tmp_path, text, shown):
    """A state's do-not-call list imported as leads: its numbers (people who asked not to be
    called) became leads, dialed wherever the list was not also loaded as a registry."""
    path = tmp_path / "fl-dnc.csv"
    path.write_text(text)
    with pytest.raises(LeadImportError) as refused:
        campaign.import_file("c", path, at=NOW)
    assert str(refused.value).startswith(f"{path}:1: looks like {shown}")
    assert "Import it with dialer dnc import FILE" in str(refused.value)
    assert campaign.leads("c") == []


def test_a_lead_file_with_rows_flagged_do_not_call_is_refused(campaign, tmp_path):
    """A CRM export's "Do Not Call" column was kept as a custom field the dialer never
    reads: the rows flagged Yes were dialed."""
    path = tmp_path / "crm.csv"
    path.write_text(
        "Phone,First Name,Do Not Call\n2015550100,Ann,No\n2015550101,Bob,\n2015550102,Cy,Yes\n"
    )
    with pytest.raises(LeadImportError) as refused:
        campaign.import_file("c", path, at=NOW)
    assert str(refused.value).startswith(
        f"{path}:4: 1 rows are flagged do-not-call (first 'Yes'): the column would be kept "
        "as a custom field the dialer never reads, and they would be dialed; refused, "
        "nothing imported."
    )
    assert str(refused.value).endswith("(field 'Do Not Call')")
    assert campaign.leads("c") == []
    path.write_text("Phone,First Name,Do Not Call\n2015550100,Ann,No\n2015550101,Bob,\n")
    assert campaign.import_file("c", path, at=NOW).imported == 2


def _seller_campaign(store, name: str, seller: str) -> None:
    store.create_campaign(name, {"compliance": {"seller_name": seller}}, at=NOW)


def test_a_consent_seller_typo_is_refused_with_the_seller_meant(store, tmp_path):
    """``--consent-seller 'Sprng Solar'`` on a campaign of ``Spring Solar`` imported consents
    that never count for its calls, without a word."""
    _seller_campaign(store, "spring", "Spring Solar")
    _seller_campaign(store, "acme", "Acme Windows")
    path = tmp_path / "leads.csv"
    path.write_text(
        "phone,consent,consent_seller\n2015550100,2026-11-01T10:00Z,\n"
        "2015550101,2026-11-01T10:00Z,Spring solar\n"
        "2015550102,,Sprng Solar\n2015550103,2026-11-01T10:00Z,Sprng Solar\n"
    )
    with pytest.raises(LeadImportError) as refused:
        store.import_file("spring", path, at=NOW, consent_seller="Spring Solar")
    assert str(refused.value) == (
        f"{path}:5: consent seller 'Sprng Solar' is not the campaign's seller ('Spring "
        "Solar'): its consents would never count for the campaign's calls; did you mean "
        "'Spring Solar'? known sellers: 'Acme Windows', 'Spring Solar'; refused, nothing "
        "imported. Write the seller as the campaign declares it, or pass --new-seller to "
        "keep consents for another seller on record (field 'consent_seller')"
    )
    with pytest.raises(
        LeadImportError,
        match=r"^.*leads\.csv: --consent-seller: consent "
        "seller 'Sprng Solar' is not the campaign's seller",
    ):
        store.import_file(
            "spring",
            path,
            at=NOW,
            consent_seller="Sprng Solar",
            mapping={"phone": "phone", "consent": "consent"},
        )
    assert store.leads("spring") == []
    report = store.import_file("spring", path, at=NOW, new_seller=True)
    assert report.imported == 4


def test_a_campaign_without_a_seller_takes_a_new_one_but_not_a_near_miss(store, tmp_path):
    _seller_campaign(store, "acme", "Acme Windows")
    store.create_campaign("fresh", at=NOW)
    path = tmp_path / "leads.csv"
    path.write_text("phone,consent\n2015550100,2026-11-01T10:00Z\n")
    with pytest.raises(
        LeadImportError,
        match=r"is not 'Acme Windows', the seller of another "
        r"campaign: .* did you mean 'Acme Windows'",
    ):
        store.import_file("fresh", path, at=NOW, consent_seller="Acme Window")
    # a seller of its own, not near another's: its consents count once the campaign
    # declares it (a campaign without a seller cannot start)
    assert store.import_file("fresh", path, at=NOW, consent_seller="Spring Solar").imported == 1
