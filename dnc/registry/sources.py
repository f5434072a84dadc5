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
        if path.is_dir():
            raise ImportFormatError("is a directory, not a numbers file; name a file in it",
                                    path=str(path))
        if not path.is_file():
            raise ImportFormatError("no such file", path=str(path))
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for info in archive.infolist():
                    if not info.is_dir():
                        found.append(InputMember(path, info.filename, info.file_size))
        else:
            found.append(InputMember(path, None, path.stat().st_size))
    for member in found:
        with open_member(member) as stream:
            _refuse_wide_text(stream.read(4096), member.label)
    return found


_WIDE_BOMS = ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
              (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"))


def _refuse_wide_text(head: bytes, label: str) -> None:
    """A UTF-16 or UTF-32 file is refused as such, in one line, before it is parsed.

    The registries' files are ASCII (the FTC's) or UTF-8 text; parsed byte by byte, a
    UTF-16 file made every line "malformed" and the refusal quoted raw bytes
    ('\xff\xfe2\x000\x00...') a user could not read. ``dnc import`` takes no
    ``--encoding``: the repair is to save the file as UTF-8.
    """
    encoding = next((name for bom, name in _WIDE_BOMS if head.startswith(bom)), None)
    if encoding is None and head.count(b"\0") * 4 >= len(head) > 0:
        encoding = "UTF-16 or UTF-32 (no byte-order mark)"
    if encoding is None:
        return
    raise ImportFormatError(
        f"looks like {encoding} text, not the ASCII or UTF-8 a do-not-call file must be; "
        "dnc import has no --encoding option: save it as UTF-8 (e.g. iconv -f "
        f"{encoding.split()[0]} -t UTF-8 FILE > FILE.utf8) and import that", path=label)


@contextmanager
def open_member(member: InputMember) -> Iterator[BinaryIO]:
    if member.member is None:
        with open(member.path, "rb", buffering=0) as handle:
            yield handle
        return
    with zipfile.ZipFile(member.path) as archive, archive.open(member.member) as handle:
        yield handle
