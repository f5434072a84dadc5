"""Test configuration shared by the whole suite.

PostgreSQL: tests marked ``postgres`` use the server named by ``DIALER_TEST_PG`` (default
the CI/developer server at 127.0.0.1:5432, database ``test``) and are skipped with the reason
when it cannot be reached.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

# The compiled engine (dialer/accel): the suite runs the pure-Python sources, and so do the
# commands it starts, whatever build the user has; DIALER_ACCEL=on (with DIALER_ACCEL_DIR)
# runs it against a fresh build instead, loaded here before any test imports the engine.
if (os.environ.get("DIALER_ACCEL") or "off") == "off":
    os.environ["DIALER_ACCEL"] = "off"
else:
    from dialer.accel.loader import activate

    activate()

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# No test may read or write the user's real data directory (registries, audit log, database).
# The stand-in is removed when the test run ends (pytest's own tmp_path directories are kept
# only for failed tests: tmp_path_retention_policy in pyproject.toml).
_TEST_HOME = tempfile.mkdtemp(prefix="dialer-test-home-")
os.environ["DIALER_HOME"] = _TEST_HOME
atexit.register(shutil.rmtree, _TEST_HOME, ignore_errors=True)
os.environ.pop("DIALER_DB", None)

DEFAULT_TEST_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _import_anyio_whole() -> None:
    """Import every anyio module now, in the main thread.

    anyio (4.16) imports its parts lazily, on first use, and it is a pytest plugin, so pytest
    rewrites its modules' asserts as they are imported. Starlette's FileResponse first
    touches ``anyio.open_file`` inside the web server's thread; the rewrite's ``ast.parse``
    there, racing one in the main thread, hit CPython 3.11's shared AST recursion counter
    (gh-106905: "SystemError: AST constructor recursion depth mismatch") and the response
    died after its headers (the recordings test, under load). Imported here, nothing of
    anyio is compiled in another thread. Backends whose library is absent (trio) are
    skipped."""
    import importlib
    import pkgutil

    import anyio

    for module in pkgutil.walk_packages(anyio.__path__, "anyio."):
        try:
            importlib.import_module(module.name)
        except ImportError:
            continue


_import_anyio_whole()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of a reachable PostgreSQL for tests, or skip with the reason."""
    url = os.environ.get("DIALER_TEST_PG", DEFAULT_TEST_PG)
    try:
        import psycopg

        plain = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain, connect_timeout=3) as connection:
            connection.execute("select 1")
    except Exception as error:  # any failure to connect means: no server here
        pytest.skip(f"PostgreSQL not reachable at {url}: {error}")
    return url
