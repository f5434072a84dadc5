"""A copy of this tree with the engine's and the simulator's hot modules compiled by Cython.

    pip install cython            # not a dependency of the project
    python benchmarks/compile_trial.py DIR
    python benchmarks/compare_engine_speed.py --old b4cd29b --also DIR

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
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

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


def compile_modules(target: Path, jobs: int) -> None:
    script = (
        "import sys\n"
        "from Cython.Build import cythonize\n"
        "from setuptools import setup\n"
        "setup(name='compile-trial', script_args=['build_ext', '--inplace', '-j', "
        f"'{jobs}'],\n"
        "      ext_modules=cythonize(sys.argv[1:], nthreads=" f"{jobs}, quiet=True,\n"
        "          compiler_directives={'language_level': 3, 'annotation_typing': False,\n"
        "                               'binding': True}))\n"
    )
    subprocess.run([sys.executable, "-c", script, *MODULES], cwd=target, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", type=Path, help="a new directory for the compiled copy")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    try:
        import Cython
    except ImportError:
        sys.exit("compile_trial: Cython is not installed (pip install cython)")
    if args.target.exists():
        sys.exit(f"compile_trial: {args.target} exists; give a new directory")
    args.target.mkdir(parents=True)
    copy_tree(args.target)
    compile_modules(args.target, args.jobs)
    shutil.rmtree(args.target / "build", ignore_errors=True)
    built = [name for name in MODULES
             if list((args.target / name).parent.glob(Path(name).stem + ".*.so"))]
    print(f"Cython {Cython.__version__}: {len(built)} modules compiled in {args.target}")


if __name__ == "__main__":
    main()
