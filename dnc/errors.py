"""Errors raised by the do-not-call registries and the compliance engine."""


class ComplianceError(Exception):
    """Base class for every user-facing error of ``dnc``."""


class ImportFormatError(ComplianceError):
    """An input file is malformed. Names the file, the line and the field."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        self.path = path
        self.line = line
        self.field = field
        where = ":".join(str(part) for part in (path, line) if part is not None)
        detail = f" (field {field!r})" if field else ""
        super().__init__(f"{where}: {message}{detail}" if where else f"{message}{detail}")
