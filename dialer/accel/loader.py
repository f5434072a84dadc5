"""The import hook that runs the compiled engine, all of it or none.

``activate()`` is called by ``dialer simulate``, ``dialer sweep`` and the benchmarks before
they import any module of the compiled set. When the build is fresh (``cache.check``) it
puts a finder first on ``sys.meta_path`` that loads each module of the set from the build;
otherwise nothing is installed and the pure-Python sources run. ``DIALER_ACCEL``: ``auto``
(the default: the build when fresh; a stale or broken one is named in one line on stderr),
``off`` (never; ``--no-accel`` too), ``on`` (the build or an error: for benchmarks and for
running the tests against it). ``dialer run`` (live dialing) never calls it.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from dialer.accel.cache import AccelError, Layout, Status, check, module_name, product

ENV = "DIALER_ACCEL"
MODES = ("auto", "on", "off")


class CompiledModules(importlib.abc.MetaPathFinder):
    """Finds each module of the set in its compiled file, and nothing else."""

    def __init__(self, files: Mapping[str, Path], build: str = "", cython: str = "") -> None:
        self.files = {name: Path(path) for name, path in files.items()}
        self.build = build
        self.cython = cython

    def find_spec(self, fullname: str, path: object = None, target: object = None
                  ) -> importlib.machinery.ModuleSpec | None:
        file = self.files.get(fullname)
        if file is None:
            return None
        loader = importlib.machinery.ExtensionFileLoader(fullname, str(file))
        return importlib.util.spec_from_file_location(fullname, file, loader=loader)


@dataclass(frozen=True)
class Outcome:
    """What ``activate`` did: ``compiled`` (the finder is installed) and why not."""

    compiled: bool
    status: Status | None
    why: str


def mode_of(environ: Mapping[str, str] = os.environ) -> str:
    mode = environ.get(ENV, "").strip().lower() or "auto"
    if mode not in MODES:
        raise AccelError(f"{ENV}: one of {', '.join(MODES)} is meant, got {mode!r}")
    return mode


def installed() -> CompiledModules | None:
    return next((f for f in sys.meta_path if isinstance(f, CompiledModules)), None)


def activate(mode: str | None = None, layout: Layout | None = None,
             directory: Path | None = None, stderr: TextIO | None = None) -> Outcome:
    """Install the compiled set's finder if its build is fresh (see the module's text).
    ``mode`` overrides ``DIALER_ACCEL``; ``on`` raises ``AccelError`` rather than run pure
    Python."""
    mode = mode_of() if mode is None else mode
    if mode not in MODES:
        raise AccelError(f"{ENV}: one of {', '.join(MODES)} is meant, got {mode!r}")
    if mode == "off":
        return Outcome(False, None, "turned off")
    layout = layout or product()
    if (finder := installed()) is not None:
        return Outcome(True, None, f"already loaded ({len(finder.files)} modules)")
    status = check(layout, directory)
    early = [name for name in map(module_name, layout.modules) if name in sys.modules]
    hint = "`dialer accel build` compiles it again"
    if status.state == "fresh" and early:
        # Loading the rest compiled would mix compiled and pure modules of one set.
        why = f"the compiled engine is not loaded ({early[0]} was imported before the loader)"
        hint = "a fault of the command, not of the build"
    elif status.state == "fresh":
        sys.meta_path.insert(0, CompiledModules(status.files, str(status.build), str(
            (status.manifest or {}).get("cython"))))
        return Outcome(True, status, f"compiled, {status.build}")
    elif status.state == "absent":
        if mode == "on":
            raise AccelError(f"no compiled engine in {status.directory}: run `dialer accel "
                             "build` first")
        return Outcome(False, status, "no build")
    else:
        why = f"the compiled engine is {status.state} ({status.why})"
    if mode == "on":
        raise AccelError(f"{why}: {hint}")
    print(f"dialer: {why}: running pure Python; {hint}",
          file=stderr or sys.stderr, flush=True)
    return Outcome(False, status, why)


def reinstall(files: Mapping[str, str], build: str = "", cython: str = "") -> None:
    """A worker process's initializer (``ProcessPoolExecutor(initializer=reinstall,
    initargs=worker_args())``): the parent's finder, unless this process has it (a forked
    one) or already imported a module of the set (then it stays pure, whole)."""
    if files and installed() is None and not any(name in sys.modules for name in files):
        sys.meta_path.insert(0, CompiledModules({k: Path(v) for k, v in files.items()},
                                                build, cython))


def worker_args() -> tuple[dict[str, str], str, str]:
    """What ``reinstall`` needs in another process: the installed finder, if any."""
    finder = installed()
    if finder is None:
        return {}, "", ""
    return ({name: str(path) for name, path in finder.files.items()}, finder.build,
            finder.cython)


def engine_report(layout: Layout | None = None) -> dict[str, object]:
    """What ran, read from the modules imported (not from what was asked): ``compiled``
    when the finder is installed and every module of the set imported so far came from
    it, with the build's directory and Cython version; for reports and JSON, so that no
    figure is mistaken."""
    layout = layout or product()
    finder = installed()
    loaded = [sys.modules[name] for name in map(module_name, layout.modules)
              if name in sys.modules]
    if finder is None or not loaded or any(
            not isinstance(getattr(m.__spec__, "loader", None),
                           importlib.machinery.ExtensionFileLoader)
            or Path(m.__file__ or "") != finder.files.get(m.__name__) for m in loaded):
        return {"compiled": False}
    return {"compiled": True, "modules": len(loaded), "build": finder.build,
            "cython": finder.cython}


def engine_line(report: Mapping[str, object]) -> str:
    if report.get("compiled"):
        return (f"engine: compiled (Cython {report.get('cython')}, {report.get('modules')} "
                f"modules from {report.get('build')}; dialer accel status)")
    return "engine: pure Python"
