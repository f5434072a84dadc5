"""Files a command writes for a person (exports, reports, plots) are written whole or not
at all: the content goes to a hidden file beside the target and is renamed over it only
when the writing ends. Ctrl-C, a full disk or an error half-way leaves no half file, and an
earlier file at that path stays as it was."""

from __future__ import annotations

import os
from collections.abc import Iterator
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
