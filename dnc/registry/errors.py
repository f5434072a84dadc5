"""Errors of the registry store (subclasses of the package's ``ComplianceError``)."""

from dnc.errors import ComplianceError, ImportFormatError


class RegistryError(ComplianceError):
    """A registry cannot be opened or written (names the registry and the path)."""


class ImportRefused(ImportFormatError):
    """A file is mostly garbage: refused whole, the stored registry is untouched."""


class FileCutOff(ImportRefused):
    """The input looks incomplete: it ends in the middle of a record (a file still being
    written), or holds fewer than half the stored numbers (a download cut short)."""


class OlderThanApplied(ImportRefused):
    """A full list dated before the newest date already applied to its registry: published,
    the registry would go back in time (``--allow-older`` when the stored date is wrong)."""


def refuse_cut_off(source: str, line: int, record: bytes | str) -> None:
    """A last line with no line end that is no whole record is a file still being written
    (a download, a copy): its numbers after that point are missing, and a list read so far
    would be published as the registry (under the 1 % reject share, with no word)."""
    text = record.decode("latin-1") if isinstance(record, bytes) else record
    raise FileCutOff(
        f"the last line {text[:60]!r} has no line end and is not a whole record: the file "
        "looks cut off (still being written, downloaded or copied?); refused, stored "
        "registry unchanged: import it once it is complete", path=source, line=line)


__all__ = ["FileCutOff", "ImportFormatError", "ImportRefused", "OlderThanApplied",
           "RegistryError", "refuse_cut_off"]
