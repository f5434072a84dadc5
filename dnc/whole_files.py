"""Files a command writes for a person (exports, reports, plots) are written whole or not
at all: the content goes to a hidden file beside the target and is renamed over it only
when the writing ends. Ctrl-C, a full disk or an error half-way leaves no half file, and an
earlier file at that path stays as it was.

Files an import reads are read whole too: their size and modification time before the read
and after it must agree (``file_states``, ``changed_while_read``), or the import is
refused with nothing stored."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def written_whole(path: Path | str) -> Iterator[Path]:
    """A path to write ``path``'s content to; it becomes ``path`` when the block ends
    without an exception. The suffix is kept (pandas and matplotlib choose the format
    by it)."""
    path = Path(path)
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        yield partial
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


FileState = tuple[int, int]
"""A file's size in bytes and its modification time (ns), as ``os.stat`` gives them."""


def file_states(paths: Iterable[Path | str]) -> dict[Path, FileState]:
    """Each readable file's size and modification time, taken before an import reads it
    (a path that cannot be stat'ed is left to the reader, which names it)."""
    states: dict[Path, FileState] = {}
    for path in map(Path, paths):
        try:
            status = path.stat()
        except OSError:
            continue
        states[path] = (status.st_size, status.st_mtime_ns)
    return states


def changed_while_read(before: dict[Path, FileState]) -> tuple[Path, str] | None:
    """The first file whose size or modification time differs from ``before`` (taken
    before it was read), with what changed; None when every one is as it was.

    A file still being written (a download, a copy, an export another program is saving)
    that happens to end at a line end between two writes reads as a complete, shorter
    file: every record after that point is missing, with no malformed line to say so.
    Imports compare the file before and after reading it and refuse it when it moved."""
    for path, (size, mtime) in before.items():
        try:
            status = path.stat()
        except OSError:
            return path, "it was removed or replaced"
        if status.st_size != size:
            return path, f"its size went from {size:,} to {status.st_size:,} bytes"
        if status.st_mtime_ns != mtime:
            return path, "it was written to (its modification time changed)"
    return None


def still_being_written(path: Path, change: str) -> str:
    """The refusal's words for a file that changed while it was read."""
    return (f"the file changed while it was read ({change}): still being written, "
            "downloaded or copied? refused, nothing stored: import it once it is complete")
