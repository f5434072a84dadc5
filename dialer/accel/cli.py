"""``dialer accel build | status | clear``: the opt-in compiled engine for simulations."""

from __future__ import annotations

import json
from typing import Annotated

import typer

accel_app = typer.Typer(
    help="The compiled engine for simulations (opt-in; needs pip install 'dialer\\[accel]' "
    "and a C compiler): build it, see whether it is fresh, remove it. dialer simulate and "
    "dialer sweep load it while every source is the one compiled; dialer run never does.",
    no_args_is_help=True)


@accel_app.command("build")
def build(
    jobs: Annotated[int, typer.Option(
        min=1, max=64, help="Modules compiled at once (C compiler processes).")] = 2,
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifest as JSON.")
                       ] = False,
) -> None:
    """Compile the engine's and the simulator's hot modules (Cython, typed by the .pxd
    files shipped in dialer/accel/pxd) into the cache directory ($DIALER_ACCEL_DIR, else
    ~/.cache/dialer/accel/ABI); the old build stays until the new one is complete."""
    import sys

    from dialer.accel.build import build as build_set
    from dialer.accel.cache import cache_dir, product

    directory = cache_dir()
    manifest = build_set(product(), directory, jobs,
                         say=None if as_json else lambda line: print(line, file=sys.stderr))
    if as_json:
        print(json.dumps(manifest))
        return
    native = manifest["native_classes"]
    print(f"built {len(manifest['modules'])} modules ({len(native)} native classes) with "  # type: ignore[arg-type]
          f"Cython {manifest['cython']} in {manifest['seconds']} s: "
          f"{directory / str(manifest['directory'])}")


@accel_app.command("status")
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Say whether the compiled engine is fresh (every source as compiled), stale (naming
    the first file changed), broken or absent, and where it is."""
    from dialer.accel.cache import check
    from dialer.accel.loader import mode_of

    result = check()
    mode = mode_of()
    if as_json:
        print(json.dumps({"state": result.state, "directory": str(result.directory),
                          "build": None if result.build is None else str(result.build),
                          "why": result.why or None, "changed": result.changed,
                          "mode": mode}))
        return
    print(f"compiled engine {result.words()}")
    if mode == "off":
        print("DIALER_ACCEL=off: simulations run pure Python whatever the build")


@accel_app.command("clear")
def clear() -> None:
    """Remove the compiled engine from the cache directory."""
    from dialer.accel.build import clear as clear_build
    from dialer.accel.cache import cache_dir

    directory = cache_dir()
    if clear_build(directory):
        print(f"removed the compiled engine from {directory}")
    else:
        print(f"no compiled engine in {directory}: nothing removed")


def register(app: typer.Typer) -> None:
    """Add ``dialer accel`` to the root app."""
    app.add_typer(accel_app, name="accel")
