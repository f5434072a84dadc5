"""Where a compiled build lives, what it was compiled from, and whether it is still fresh.

A build is a directory ``build-*`` in the cache directory, named by the cache's
``manifest.json``: per module its source's path and sha256 (and its ``.pxd``'s), the
compiled file, the Python and Cython versions. The manifest is replaced in one rename after
the build is complete, so a reader sees the old build or the new one, never half of one.
A build is *fresh* when the set of modules and every source and ``.pxd`` hash are the ones
compiled; the pure-Python sources are the truth, a build only a faster copy of them.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import sysconfig
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dialer.errors import DialerError

ROOT = Path(__file__).resolve().parent.parent.parent
"""The directory holding the packages (``dialer``, ``simulations``): the source tree or
site-packages."""
PXD = Path(__file__).resolve().parent / "pxd"
"""Augmenting ``.pxd`` files, at the path (under ``PXD``) of the module each one types."""

TAG = sysconfig.get_config_var("SOABI") or sys.implementation.cache_tag
"""The interpreter's ABI (``cpython-311-x86_64-linux-gnu``): a build is for one."""
FORMAT = 1
MANIFEST = "manifest.json"
ENV_DIR = "DIALER_ACCEL_DIR"

EXCLUDED = {
    "dialer/engine/__init__.py": "the package's names, imported once",
    # pydantic models: their compiled methods look like fields without annotations to
    # pydantic, which refuses the class.
    "dialer/engine/queue_config.py": "pydantic models",
}
EXTRA = ("dialer/events.py", "dialer/commands.py", "dialer/ports.py", "simulations/driver.py",
         "simulations/kernel.py", "simulations/leads.py", "simulations/population.py",
         "simulations/streams.py", "pacing_models/predictive.py",
         "pacing_models/estimators.py", "pacing_models/budget.py", "pacing_models/tail.py")
"""Beside every engine module: every module an attempt passes through in the simulated day
but the scenario's distributions (not per attempt; Cython 3.0.11 compiled their
``isinstance(value, int | float)`` into a check that refused 180.0), the policies the
``dialer`` command imports before any command runs (too early for the loader):
pacing_models/policies.py and interface.py, and records.py (its builders are code it
generates at run time, which stays interpreted besides), and the predictive forecast's
kernels (pacing_models/forecast.py: numba compiles them from their bytecode). The predictive
policy's decision and its estimators are in the set: a 30-day predictive simulation spends
about a third of its time there (docs/engine.md, "Thirteenth step"); the policy is a native
class with Python-object fields (its ``.pxd``, "Sixteenth step (predictive)"), the
estimators untyped."""


class AccelError(DialerError):
    """The compiled engine cannot be built, found or loaded (one line for the user)."""


@dataclass(frozen=True)
class Layout:
    """What a build compiles: ``modules`` (paths under ``root``, ``a/b.py``) and the
    ``.pxd`` files under ``pxd`` at the same paths."""

    root: Path
    modules: tuple[str, ...]
    pxd: Path | None

    def pxd_of(self, module: str) -> Path | None:
        if self.pxd is None:
            return None
        path = self.pxd / Path(module).with_suffix(".pxd")
        return path if path.is_file() else None

    def shown(self, path: Path) -> str:
        """A path as a user reads it: relative to ``root`` when it is under it."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


def typed_declarations(layout: Layout) -> list[str]:
    """The modules ``layout``'s ``.pxd`` files type (their paths, ``a/b.py``); a ``.pxd``
    for a module the set does not compile refuses (it would silently type nothing)."""
    if layout.pxd is None or not layout.pxd.is_dir():
        return []
    modules = sorted(p.relative_to(layout.pxd).with_suffix(".py").as_posix()
                     for p in layout.pxd.rglob("*.pxd"))
    stray = [name for name in modules if name not in layout.modules]
    if stray:
        raise AccelError(f"{layout.pxd} types modules not compiled: {', '.join(stray)}")
    return modules


def hot_modules(root: Path = ROOT) -> tuple[str, ...]:
    engine = sorted(path.relative_to(root).as_posix()
                    for path in (root / "dialer" / "engine").glob("*.py"))
    return (*(name for name in engine if name not in EXCLUDED), *EXTRA)


def product() -> Layout:
    """The product's set: the engine's and the simulator's hot modules, typed by ``PXD``."""
    return Layout(ROOT, hot_modules(ROOT), PXD)


def module_name(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def cache_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """``$DIALER_ACCEL_DIR``, else ``$XDG_CACHE_HOME/dialer/accel/<ABI>`` (``~/.cache`` when
    unset or not absolute, as the XDG specification says)."""
    if given := environ.get(ENV_DIR, "").strip():
        return Path(given).expanduser()
    base = environ.get("XDG_CACHE_HOME", "")
    cache = Path(base) if base and Path(base).is_absolute() else Path.home() / ".cache"
    return cache / "dialer" / "accel" / TAG


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class Status:
    """``state``: ``absent`` (no build), ``fresh`` (loadable: ``files``), ``stale`` (a source,
    a ``.pxd`` or the module set changed since: ``changed`` names the first) or ``broken``
    (a manifest or a compiled file that cannot be read)."""

    state: str
    directory: Path
    why: str = ""
    changed: str | None = None
    manifest: Mapping[str, object] | None = None
    files: Mapping[str, Path] = field(default_factory=dict)

    def words(self) -> str:
        """One line for ``dialer accel status``."""
        if self.state == "fresh":
            m = self.manifest or {}
            return (f"fresh: {len(self.files)} modules compiled by Cython {m.get('cython')} "
                    f"for Python {m.get('python')} at {m.get('built_at')}, in {self.build}")
        if self.state == "absent":
            return (f"absent: no compiled engine in {self.directory} (dialer accel build "
                    "makes one; simulations run pure Python)")
        return (f"{self.state}: {self.why}; simulations run pure Python until `dialer accel "
                f"build` (in {self.directory})")

    @property
    def build(self) -> Path | None:
        name = (self.manifest or {}).get("directory")
        return self.directory / str(name) if name else None


def read_manifest(directory: Path) -> dict | None:
    """The manifest of ``directory``'s build, None when there is none; refuses one that is
    not a manifest of this format (``AccelError``)."""
    path = directory / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        manifest = json.loads(text)
    except ValueError as error:
        raise AccelError(f"{path}: not JSON ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT \
            or not isinstance(manifest.get("modules"), dict) \
            or not isinstance(manifest.get("directory"), str):
        raise AccelError(f"{path}: not a manifest of format {FORMAT}")
    return manifest


def check(layout: Layout | None = None, directory: Path | None = None) -> Status:
    """Whether the build in ``directory`` (default ``cache_dir()``) is fresh for ``layout``
    (default the product's set): the same modules, each source and ``.pxd`` the same bytes,
    the same interpreter ABI, every compiled file present."""
    layout = layout or product()
    directory = cache_dir() if directory is None else directory
    try:
        manifest = read_manifest(directory)
    except AccelError as error:
        return Status("broken", directory, str(error))
    if manifest is None:
        return Status("absent", directory)

    def stale(why: str, changed: str | None = None) -> Status:
        return Status("stale", directory, why, changed, manifest)

    if manifest.get("abi") != TAG:
        return stale(f"built for {manifest.get('abi')}, this interpreter is {TAG}")
    built: dict = manifest["modules"]
    names = {module_name(path): path for path in layout.modules}
    for name, path in names.items():
        if name not in built:
            return stale(f"{path} is new since the build", path)
    for name, entry in built.items():
        if name not in names:
            gone = entry.get("source", name) if isinstance(entry, dict) else name
            return stale(f"{gone} is no longer compiled", str(gone))
    build = directory / manifest["directory"]
    files: dict[str, Path] = {}
    for name, path in names.items():
        entry = built[name]
        source = layout.root / path
        if not source.is_file():
            return stale(f"{path} is gone", path)
        if entry.get("sha256") != sha256(source):
            return stale(f"{path} changed since the build", path)
        pxd = layout.pxd_of(path)
        if (None if pxd is None else sha256(pxd)) != entry.get("pxd_sha256"):
            shown = layout.shown(pxd) if pxd is not None else f"the .pxd of {path}"
            return stale(f"{shown} changed since the build", shown)
        compiled = build / str(entry.get("file"))
        if not compiled.is_file():
            return Status("broken", directory, f"{compiled} is missing", None, manifest)
        files[name] = compiled
    return Status("fresh", directory, manifest=manifest, files=files)
