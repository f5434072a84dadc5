"""The engine's and the simulator's hot modules compiled by Cython, typed or not, for measuring.

    pip install -e '.[accel]'
    python benchmarks/compile_trial.py DIR              # typed: dialer/accel/pxd's .pxd files
    python benchmarks/compile_trial.py --untyped DIR2   # the same modules, no .pxd
    python benchmarks/compare_engine_speed.py --old b4cd29b --accel DIR --accel DIR2
    python benchmarks/engine_instructions.py --old b4cd29b --accel DIR

A front end of the product's builder (``dialer accel build``, dialer/accel/build.py; no
second copy of the build): it compiles ``dialer.accel.cache.product()``'s modules into the
cache directory ``DIR`` instead of the user's, and prints which classes came out native.
``--untyped`` leaves the ``.pxd`` files out (the first trial of docs/engine.md, "Compiling
the hot modules"). The benchmarks' ``--accel DIR`` runs this tree with that build loaded
(``DIALER_ACCEL=on``, ``DIALER_ACCEL_DIR=DIR``).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dialer.accel.build import build  # noqa: E402
from dialer.accel.cache import AccelError, product  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", type=Path, help="the build's cache directory")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--typed", action="store_true",
                        help="the default (kept for the commands of earlier docs)")
    parser.add_argument("--untyped", action="store_true",
                        help="leave dialer/accel/pxd's .pxd files out (no native classes)")
    args = parser.parse_args()
    layout = product()
    if args.untyped:
        layout = replace(layout, pxd=None)
    try:
        manifest = build(layout, args.target.resolve(), args.jobs,
                         say=lambda line: print(line, flush=True))
    except AccelError as error:
        sys.exit(f"compile_trial: {error}")
    native = manifest["native_classes"]
    print(f"Cython {manifest['cython']}: {len(manifest['modules'])} modules compiled in "  # type: ignore[arg-type]
          f"{manifest['seconds']} s, {args.target / str(manifest['directory'])}")
    print(f"native classes ({len(native)}): {', '.join(native)}")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
