"""Input files as byte streams: plain files and zip archives (the FTC ships zipped files)."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from dnc.registry.errors import ImportFormatError


@dataclass(frozen=True, slots=True)
class InputMember:
    """One readable text stream: a plain file or one member of a zip archive."""

    path: Path
    member: str | None
    size: int

    @property
    def label(self) -> str:
        return f"{self.path}:{self.member}" if self.member else str(self.path)


def members(paths: list[Path]) -> list[InputMember]:
    found: list[InputMember] = []
    for path in paths:
        if not path.is_file():
            raise ImportFormatError("no such file", path=str(path))
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for info in archive.infolist():
                    if not info.is_dir():
                        found.append(InputMember(path, info.filename, info.file_size))
        else:
            found.append(InputMember(path, None, path.stat().st_size))
    return found


@contextmanager
def open_member(member: InputMember) -> Iterator[BinaryIO]:
    if member.member is None:
        with open(member.path, "rb", buffering=0) as handle:
            yield handle
        return
    with zipfile.ZipFile(member.path) as archive, archive.open(member.member) as handle:
        yield handle
