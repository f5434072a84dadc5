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
        _refuse_office_file(path)
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                _refuse_workbook(archive.namelist(), path)
                for info in archive.infolist():
                    if not info.is_dir():
                        found.append(InputMember(path, info.filename, info.file_size))
        else:
            found.append(InputMember(path, None, path.stat().st_size))
    for member in found:
        with open_member(member) as stream:
            _refuse_wide_text(stream.read(4096), member.label)
    return found


_SAVE_AS_TEXT = ("save the sheet as CSV UTF-8 (a column of numbers, one a line) and import "
                 "that with --format numbers")
_SAVE_AS_CSV = "save the sheet as CSV UTF-8 and scrub that"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _refuse_office_file(path: Path, advice: str = _SAVE_AS_TEXT) -> None:
    """An Excel 97-2003 workbook (``.xls``, an OLE2 compound file) is refused as such: read
    as text its NUL bytes looked like UTF-16, and its numbers were never found."""
    with open(path, "rb") as handle:
        if handle.read(len(_OLE2)) == _OLE2:
            raise ImportFormatError(f"is an Excel 97-2003 workbook (or another Office file), "
                                    f"not a text file; {advice}", path=str(path))


def _refuse_workbook(names: list[str], path: Path, advice: str = _SAVE_AS_TEXT) -> None:
    """An Excel (.xlsx) or OpenDocument workbook is a zip archive too: read as the FTC's
    zipped files, each of its XML parts was a file of "malformed" lines ('d.xlsx:
    docProps/app.xml:1: 289 of 289 records malformed')."""
    if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
        kind = "an Excel workbook (.xlsx)"
    elif "mimetype" in names and "content.xml" in names:
        kind = "an OpenDocument file (.ods)"
    else:
        return
    raise ImportFormatError(f"is {kind}, not a text file; {advice}", path=str(path))


_WIDE_BOMS = ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
              (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"))


def _refuse_wide_text(head: bytes, label: str, command: str = "dnc import") -> None:
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
        f"{command} has no --encoding option: save it as UTF-8 (e.g. iconv -f "
        f"{encoding.split()[0]} -t UTF-8 FILE > FILE.utf8) and import that", path=label)


def check_text_file(path: Path) -> None:
    """Refuse a workbook or UTF-16/32 text given where a CSV is read (``dnc scrub``), in
    one line, before it is parsed."""
    if not path.is_file():
        return  # open() names a missing file
    _refuse_office_file(path, _SAVE_AS_CSV)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            _refuse_workbook(archive.namelist(), path, _SAVE_AS_CSV)
    with open(path, "rb") as handle:
        _refuse_wide_text(handle.read(4096), str(path), "dnc scrub")


_UTF8_BOM = b"\xef\xbb\xbf"


def _past_utf8_bom(handle: BinaryIO) -> BinaryIO:
    """The stream after a UTF-8 byte-order mark, if it starts with one. A text editor or a
    spreadsheet saving "CSV UTF-8" writes one; the FTC flat-file and change-list parsers
    read bytes, so the mark made the first record malformed, and under the reject share
    (1 %) that number was dropped without a word and dialed."""
    if handle.read(len(_UTF8_BOM)) != _UTF8_BOM:
        handle.seek(0)
    return handle


@contextmanager
def open_member(member: InputMember) -> Iterator[BinaryIO]:
    if member.member is None:
        with open(member.path, "rb", buffering=0) as handle:
            yield _past_utf8_bom(handle)
        return
    with zipfile.ZipFile(member.path) as archive, archive.open(member.member) as handle:
        yield _past_utf8_bom(handle)
