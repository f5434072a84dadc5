"""The compiled engine sends the pure engine's commands, command for command.

``test_accel_translates`` proves that every module of the compiled set translates with its
``.pxd``; it runs no compiled code. A typed build can still decide differently from the
sources (a ``cdef`` attribute that truncates, a native class whose equality or ``repr``
differs, a ``cpdef`` whose default is read at build time), and nothing in the pure suite
would see it: the engine's speed work (issue 18) moves more of the hot path into native
classes at each step. Here the product set is compiled for real (``-O0``: the C compiler's
optimiser is most of a build's time and changes no decision), loaded with
``DIALER_ACCEL=on`` (the build or an error, never a silent fall back to the sources), and the
small campaigns of ``benchmarks/engine_streams.py`` must hash to the digests pinned for the
pure engine in ``tests/simulations/test_engine_stream_hashes.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from dialer.accel.build import build
from dialer.accel.cache import ROOT, product
from tests.simulations.test_engine_stream_hashes import RECORDED

pytest.importorskip("Cython", reason="the builder needs Cython (the test extra has it)")

COMPILED_DIGESTS = """\
import json, sys
from dialer.accel.loader import activate
outcome = activate()
assert outcome.compiled, outcome.why
import dialer.engine.engine as engine
from benchmarks.engine_streams import digest
out = {}
for name in sys.argv[1:]:
    d = digest(name)
    out[name] = [d.commands, d.attempts, d.sha256]
print(json.dumps({"engine_file": engine.__file__, "digests": out}))
"""


def _compiler() -> str | None:
    command = (sysconfig.get_config_var("CC") or "cc").split()[0]
    return shutil.which(command)


@pytest.fixture(scope="module")
def compiled_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if _compiler() is None:
        pytest.skip("no C compiler: the compiled engine cannot be built here")
    directory = tmp_path_factory.mktemp("accel-product")
    saved = os.environ.get("CFLAGS")
    os.environ["CFLAGS"] = "-O0"
    try:
        build(product(), directory, jobs=2)
    finally:
        if saved is None:
            os.environ.pop("CFLAGS", None)
        else:
            os.environ["CFLAGS"] = saved
    return directory


def test_the_compiled_engine_sends_the_pinned_command_streams(compiled_set: Path) -> None:
    env = {**os.environ, "DIALER_ACCEL": "on", "DIALER_ACCEL_DIR": str(compiled_set),
           "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run([sys.executable, "-c", COMPILED_DIGESTS, *RECORDED],
                            env=env, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.splitlines()[-1])
    assert Path(found["engine_file"]).is_relative_to(compiled_set), found["engine_file"]
    digests = {name: tuple(value) for name, value in found["digests"].items()}
    assert digests == RECORDED
