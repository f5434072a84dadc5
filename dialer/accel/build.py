"""The builder of ``dialer accel build``: compile a set of modules, whole or not at all.

Under a lock on the cache directory: the sources and their ``.pxd`` files are copied (and
hashed as copied) into a new ``.build-*`` directory, compiled there by Cython and the C
compiler in a child process (``jobs`` at once), the compiled set imported in another child
(a build that does not load is refused), then the directory is renamed ``build-*`` and the
manifest naming it replaces the old one in one rename. An interrupted build leaves the old
build (or none) and a ``.build-*`` directory no manifest names, removed by the next build.

Directives: ``annotation_typing=False``, because with it Cython takes ``x: float`` for a C
double and ``x: int`` for an exact ``int``, which would change values and accepted types;
what is typed is what the ``.pxd`` files declare (native classes whose fields are Python
objects, a few ``dict`` or ``list``), so the compiled modules behave as the sources.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from dialer.accel.cache import (
    FORMAT,
    MANIFEST,
    TAG,
    AccelError,
    Layout,
    module_name,
    sha256,
    typed_declarations,
)

DIRECTIVES = {"language_level": 3, "annotation_typing": False, "binding": True}

COMPILE = """\
import sys
from Cython.Build import cythonize
from setuptools import Distribution
jobs, modules = int(sys.argv[1]), sys.argv[2:]
extensions = cythonize(modules, nthreads=jobs if jobs > 1 else 0, quiet=True,
                       compiler_directives=DIRECTIVES)
dist = Distribution({"name": "dialer-accel", "ext_modules": extensions,
                     "script_args": ["build_ext", "--inplace", "-j", str(jobs)]})
dist.parse_command_line()
dist.run_commands()
""".replace("DIRECTIVES", repr(DIRECTIVES))

NATIVE = """\
import importlib, json, sys
from pathlib import Path
from dialer.accel.loader import CompiledModules
files = json.loads(sys.argv[1])
sys.meta_path.insert(0, CompiledModules({k: Path(v) for k, v in files.items()}))
native = []
for name in files:
    module = importlib.import_module(name)
    if not str(module.__file__).endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)):
        raise SystemExit(f"{name} did not load from its compiled file")
    for attr, value in vars(module).items():
        if isinstance(value, type) and value.__module__ == name \\
                and not value.__flags__ & (1 << 9):  # Py_TPFLAGS_HEAPTYPE: a cdef class
            native.append(f"{name}.{attr}")
print(json.dumps(native))
"""


def requirements() -> str:
    """Cython's version, or ``AccelError`` saying what to install (one line)."""
    try:
        import Cython
    except ImportError:
        raise AccelError("dialer accel build needs Cython: pip install 'dialer[accel]' (or "
                         "pip install 'cython>=3.0')") from None
    try:
        import setuptools  # noqa: F401
    except ImportError:
        raise AccelError("dialer accel build needs setuptools: pip install 'dialer[accel]' "
                         "(or pip install setuptools)") from None
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(os.environ.get("CC", compiler).split()[0] or compiler) is None:
        raise AccelError(f"dialer accel build needs a C compiler ({compiler} not found): "
                         "install one (apt-get install gcc, or xcode-select --install)")
    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if not headers.is_file():
        raise AccelError(f"dialer accel build needs Python's C headers ({headers} not "
                         "found): apt-get install python3-dev, or your Python's -dev package")
    return str(Cython.__version__)


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AccelError(f"another `dialer accel build` is writing {directory}") from None
        yield


def _remove_builds(directory: Path, keep: str | None) -> None:
    for path in directory.iterdir():
        if path.is_dir() and path.name.startswith(("build-", ".build-")) and path.name != keep:
            shutil.rmtree(path, ignore_errors=True)


def _stage(layout: Layout, stage: Path) -> dict[str, dict[str, object]]:
    """Copy each module and its ``.pxd`` into ``stage`` (with an empty ``__init__.py`` in
    each package, which Cython reads for the module's full name); the manifest's entries,
    hashed from the bytes copied."""
    entries: dict[str, dict[str, object]] = {}
    for path in layout.modules:
        source = layout.root / path
        if not source.is_file():
            raise AccelError(f"{source}: no such module to compile")
        target = stage / path
        target.parent.mkdir(parents=True, exist_ok=True)
        data = source.read_bytes()
        target.write_bytes(data)
        package = target.parent
        while package != stage:
            (package / "__init__.py").touch()
            package = package.parent
        entry: dict[str, object] = {"source": path, "sha256": sha256(target), "pxd": None,
                                    "pxd_sha256": None}
        if (pxd := layout.pxd_of(path)) is not None:
            shutil.copyfile(pxd, target.with_suffix(".pxd"))
            entry["pxd"] = layout.shown(pxd)
            entry["pxd_sha256"] = sha256(target.with_suffix(".pxd"))
        entries[module_name(path)] = entry
    return entries


def _run(command: list[str], cwd: Path, log: Path, env: dict[str, str], what: str) -> str:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"$ {' '.join(command[:3])} ...\n{result.stdout}{result.stderr}\n")
    if result.returncode != 0:
        last = next((line for line in reversed((result.stderr or result.stdout).splitlines())
                     if line.strip()), "no output")
        raise AccelError(f"{what} failed ({last.strip()}); the whole log is {log}")
    return result.stdout


TRANSLATE = """\
import sys
from Cython.Build import cythonize
cythonize(sys.argv[2:], nthreads=int(sys.argv[1]), quiet=True, compiler_directives=DIRECTIVES)
""".replace("DIRECTIVES", repr(DIRECTIVES))


def translate(layout: Layout, directory: Path, jobs: int = 2) -> None:
    """Cython's half of a build, without the C compiler: every module of ``layout`` with its
    ``.pxd`` translated to C in ``directory`` (seconds, where a build takes minutes). It
    catches what only the typed build refuses: a call to a typed ``cpdef`` with a keyword
    past a left-out default, a ``.pxd`` out of step with its class. Raises ``AccelError``
    with Cython's own message."""
    requirements()
    _stage(layout, directory)
    result = subprocess.run([sys.executable, "-c", TRANSLATE, str(jobs), *layout.modules],
                            cwd=directory, capture_output=True, text=True,
                            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    if result.returncode != 0:
        output = result.stdout + result.stderr
        start = output.find("Error compiling Cython file")
        raise AccelError(output[start:start + 3000] if start >= 0 else output[-3000:])


def build(layout: Layout, directory: Path, jobs: int = 2,
          say: Callable[[str], None] = lambda line: None) -> dict[str, object]:
    """Compile ``layout`` into ``directory``; the new manifest. Raises ``AccelError`` with
    one line (nothing to install, a compile that failed, a build that does not load), the
    old build left as it was."""
    cython = requirements()
    typed_declarations(layout)  # a stray .pxd refuses before anything is written
    started = time.monotonic()
    with _locked(directory):
        _remove_builds(directory, keep=_current(directory))
        stage = Path(tempfile.mkdtemp(prefix=".build-", dir=directory))
        try:
            entries = _stage(layout, stage)
            log = directory / "last-build.log"
            log.write_text("", encoding="utf-8")
            say(f"compiling {len(entries)} modules with Cython {cython} ({jobs} at once) in "
                f"{stage}")
            env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
            _run([sys.executable, "-c", COMPILE, str(jobs), *layout.modules], stage, log, env,
                 "the compile")
            suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
            for name, entry in entries.items():
                compiled = (stage / str(entry["source"])).with_suffix(suffix)
                if not compiled.is_file():
                    raise AccelError(f"the compile made no {compiled.name} for {name}; the "
                                     f"whole log is {log}")
                entry["file"] = compiled.relative_to(stage).as_posix()
            shutil.rmtree(stage / "build", ignore_errors=True)
            for c_file in stage.rglob("*.c"):
                c_file.unlink()
            files = {name: str(stage / str(entry["file"])) for name, entry in entries.items()}
            path = os.pathsep.join(filter(None, [str(layout.root), str(Path(__file__).resolve()
                                                 .parent.parent.parent),
                                                 os.environ.get("PYTHONPATH")]))
            native = json.loads(_run([sys.executable, "-c", NATIVE, json.dumps(files)],
                                     layout.root, log, {**env, "PYTHONPATH": path},
                                     "loading the compiled modules").splitlines()[-1])
            final = directory / ("build-" + stage.name.removeprefix(".build-"))
            manifest = {
                "format": FORMAT, "directory": final.name, "abi": TAG,
                "python": sys.version.split()[0], "cython": cython,
                "built_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
                "root": str(layout.root), "jobs": jobs,
                "seconds": round(time.monotonic() - started, 1),
                "native_classes": native, "modules": entries,
            }
            (stage / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
            stage.rename(final)
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise
        pending = directory / f".{MANIFEST}.new"
        pending.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        os.replace(pending, directory / MANIFEST)
        _remove_builds(directory, keep=final.name)
    return manifest


def _current(directory: Path) -> str | None:
    try:
        return str(json.loads((directory / MANIFEST).read_text(encoding="utf-8"))["directory"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def clear(directory: Path) -> bool:
    """Remove the build (the manifest first, so no reader finds half of it); whether there
    was anything to remove."""
    if not directory.is_dir():
        return False
    with _locked(directory):
        found = (directory / MANIFEST).exists() or any(
            p.name.startswith(("build-", ".build-")) for p in directory.iterdir())
        (directory / MANIFEST).unlink(missing_ok=True)
        _remove_builds(directory, keep=None)
        for leftover in (directory / f".{MANIFEST}.new", directory / "last-build.log"):
            leftover.unlink(missing_ok=True)
    (directory / ".lock").unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        directory.rmdir()
    return found
