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
