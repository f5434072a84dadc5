"""A copy of this tree with the engine's and the simulator's hot modules compiled by Cython.

    pip install cython            # not a dependency of the project
    python benchmarks/compile_trial.py DIR
    python benchmarks/compile_trial.py --typed DIR_TYPED
    python benchmarks/compare_engine_speed.py --old b4cd29b --also DIR --also DIR_TYPED

Issue 18 asked whether compiling the per-attempt path from the same sources pays (the
profile of the simulated day is flat: about 98 Python calls per attempt, none above 7 %).
This copies the files git tracks (uncommitted changes included) into ``DIR`` and compiles
``MODULES`` there in place, so that ``compare_engine_speed.py --also DIR`` measures the
compiled copy in the same alternating rounds as this tree and the old commits. Nothing in
the project imports or builds compiled modules: the result and why it is not adopted are in
docs/engine.md ("Compiling the hot modules").

Directives: ``annotation_typing=False``, because with it Cython takes ``x: float`` for a C
double and ``x: int`` for an exact ``int``, which would change values and accepted types
(the command streams must stay identical); the modules are compiled as plain Python.

``--typed``: the same modules, with the augmenting ``.pxd`` files of ``benchmarks/typed_pxd/``
copied beside their modules first. Each declares some of the module's classes as
``cdef class`` (native classes: fields at fixed offsets in the instance, no ``__dict__``)
and some functions as ``cpdef`` with typed arguments, without editing the ``.py``; which
records could not become native, and why, is in docs/engine.md ("Typed compiled state").
Every field stays a Python object (``cdef public object``; a few are typed ``dict`` or
``list``, which they always are): a C ``double`` or ``bint`` would change values or accepted
types, as ``annotation_typing`` would.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TYPED_PXD = Path(__file__).resolve().parent / "typed_pxd"
"""Augmenting ``.pxd`` files, at the path of the module each one types (``--typed``)."""

EXCLUDED = {
    # pydantic models: their compiled methods look like fields without annotations to
    # pydantic, which refuses the class.
    "dialer/engine/queue_config.py",
}
ENGINE = {str(p.relative_to(ROOT)) for p in (ROOT / "dialer" / "engine").glob("*.py")
          if p.name != "__init__.py"}
MODULES = [
    *sorted(ENGINE - EXCLUDED),
    "dialer/events.py", "dialer/commands.py", "pacing_models/records.py",
    "simulations/driver.py", "simulations/kernel.py", "simulations/leads.py",
    "simulations/population.py", "simulations/streams.py",
]
"""Every module an attempt passes through in the simulated day, except the pacing policies
(pacing_models' logic) and the scenario's distributions (not per attempt; Cython 3.0.11
compiled their ``isinstance(value, int | float)`` into a check that refuses 180.0)."""


def copy_tree(target: Path) -> None:
    files = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True,
                           check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def typed_declarations(source: Path = TYPED_PXD) -> list[str]:
    """The ``.pxd`` files of ``source``, as the tree's paths of the modules they type; one
    that types no module of ``MODULES`` refuses (it would silently type nothing)."""
    modules = sorted(str(p.relative_to(source).with_suffix(".py"))
                     for p in source.rglob("*.pxd"))
    stray = [name for name in modules if name not in MODULES]
    if stray:
        raise SystemExit(f"compile_trial: {source} types modules not compiled here: "
                         + ", ".join(stray))
    return modules


def add_typed_declarations(target: Path, source: Path = TYPED_PXD) -> list[str]:
    modules = typed_declarations(source)
    for name in modules:
        shutil.copy2(source / Path(name).with_suffix(".pxd"), target / Path(name).with_suffix(
            ".pxd"))
    return modules


NATIVE_CHECK = (
    "import importlib, inspect, sys\n"
    "for name in sys.argv[1:]:\n"
    "    module = importlib.import_module(name)\n"
    "    for attr, value in vars(module).items():\n"
    "        if inspect.isclass(value) and value.__module__ == name \\\n"
    "                and not value.__flags__ & (1 << 9):\n"  # Py_TPFLAGS_HEAPTYPE
    "            print(f'{name}.{attr}')\n"
)


def native_classes(target: Path, modules: list[str]) -> list[str]:
    """The classes of ``modules`` that the compiled copy defines as static (extension)
    types, i.e. ``cdef class``: imported in a child with the copy first on the path."""
    names = [name.removesuffix(".py").replace("/", ".") for name in modules]
    out = subprocess.run([sys.executable, "-c", NATIVE_CHECK, *names], cwd=target,
                         env={**os.environ, "PYTHONPATH": str(target)}, capture_output=True,
                         text=True, check=True)
    return out.stdout.split()


def compile_modules(target: Path, jobs: int) -> None:
    script = (
        "import sys\n"
        "from Cython.Build import cythonize\n"
        "from setuptools import Distribution\n"
        "dist = Distribution({'name': 'compile-trial', 'script_args': ['build_ext', "
        f"'--inplace', '-j', '{jobs}'],\n"
        "    'ext_modules': cythonize(sys.argv[1:], nthreads=" f"{jobs}, quiet=True,\n"
        "        compiler_directives={'language_level': 3, 'annotation_typing': False,\n"
        "                             'binding': True})})\n"
        "dist.parse_command_line()\n"
        "dist.run_commands()\n"
    )
    subprocess.run([sys.executable, "-c", script, *MODULES], cwd=target, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", type=Path, help="a new directory for the compiled copy")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--typed", action="store_true",
                        help="add benchmarks/typed_pxd/'s .pxd files (native classes) first")
    args = parser.parse_args()
    try:
        import Cython
    except ImportError:
        sys.exit("compile_trial: Cython is not installed (pip install cython)")
    if args.target.exists():
        sys.exit(f"compile_trial: {args.target} exists; give a new directory")
    args.target.mkdir(parents=True)
    copy_tree(args.target)
    typed = add_typed_declarations(args.target) if args.typed else []
    compile_modules(args.target, args.jobs)
    shutil.rmtree(args.target / "build", ignore_errors=True)
    built = [name for name in MODULES
             if list((args.target / name).parent.glob(Path(name).stem + ".*.so"))]
    print(f"Cython {Cython.__version__}: {len(built)} modules compiled in {args.target}")
    if typed:
        native = native_classes(args.target, typed)
        print(f"typed by {len(typed)} .pxd files; native classes: {', '.join(native)}")


if __name__ == "__main__":
    main()
