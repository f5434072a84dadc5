"""A do-not-call file that changes while it is read (a download or copy still under way)
is refused, the stored registry unchanged (docs/dnc.md, "Bad input")."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dnc.registry import DncStore
from dnc.registry.errors import FileCutOff
from dnc.registry.importer import import_change_list, import_full_list, import_numbers

NOW = datetime(2026, 12, 7, tzinfo=UTC)


def _growing(path: Path, more: str):
    """A progress callback that appends ``more`` to ``path`` when the read has begun, as a
    download still being written does (the file so far ends at a line end)."""
    calls = []

    def progress(_: int) -> None:
        if not calls:
            with open(path, "a") as handle:
                handle.write(more)
        calls.append(_)

    return progress


def _version(root: Path, registry: str) -> str | None:
    store = DncStore(root.parent, internal=False)
    found = next((v.version for v in store.versions() if v.registry == registry), None)
    store.close()
    return found


def _lines(first: int, count: int, ftc: bool, suffix: str = "") -> str:
    return "".join(
        (f"201,{first + i}{suffix}\n" if ftc else f"201{first + i}\n") for i in range(count)
    )


@pytest.mark.parametrize("kind", ["ftc-full-list", "numbers-file", "change-list"])
def test_a_file_growing_while_read_is_refused(tmp_path, kind):
    root = tmp_path / "dnc" / "registries"
    registry = "state:FL" if kind == "numbers-file" else "national"
    ftc = kind != "numbers-file"
    stored = tmp_path / "stored.txt"
    stored.write_text(_lines(5550000, 10, ftc))
    (import_numbers if not ftc else import_full_list)(root, registry, [stored], NOW, NOW)
    before = _version(root, registry)
    path = tmp_path / "growing.txt"
    suffix = ",A,2026-12-07" if kind == "change-list" else ""
    path.write_text(_lines(5551000, 200, ftc, suffix))
    progress = _growing(path, _lines(5552000, 200, ftc, suffix))
    with pytest.raises(FileCutOff) as refused:
        if kind == "change-list":
            import_change_list(root, registry, [path], None, NOW, progress=progress)
        elif ftc:
            import_full_list(root, registry, [path], NOW, NOW, progress=progress)
        else:
            import_numbers(root, registry, [path], NOW, NOW, progress=progress)
    assert str(refused.value).startswith(
        f"{path}: the file changed while it was read (its size went from "
    )
    assert (
        "still being written, downloaded or copied? refused, stored registry unchanged: "
        "import it once it is complete" in str(refused.value)
    )
    assert _version(root, registry) == before


def test_a_file_rewritten_in_place_while_read_is_refused(tmp_path):
    """Same size, new content (a copy over an older file of the same length)."""
    root = tmp_path / "dnc" / "registries"
    path = tmp_path / "full.txt"
    path.write_text(_lines(5551000, 100, True))

    def rewrite(_: int) -> None:
        if path.read_text().startswith("201,5553000"):
            return
        stat = path.stat()
        path.write_text(_lines(5553000, 100, True))
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))

    with pytest.raises(FileCutOff, match="it was written to"):
        import_full_list(root, "national", [path], NOW, NOW, progress=rewrite)
    assert _version(root, "national") is None
