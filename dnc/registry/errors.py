"""Errors of the registry store (subclasses of the package's ``ComplianceError``)."""

from dnc.errors import ComplianceError, ImportFormatError


class RegistryError(ComplianceError):
    """A registry cannot be opened or written (names the registry and the path)."""


class ImportRefused(ImportFormatError):
    """A file is mostly garbage: refused whole, the stored registry is untouched."""


__all__ = ["ImportFormatError", "ImportRefused", "RegistryError"]
