"""The opt-in compiled engine (dialer/accel): the builder, the loader's all-or-nothing rule,
the command line's words, and live dialing never loading it.

The builder is the real one (Cython and the C compiler), on a tiny set of two modules made
here (a few seconds); the product's own set takes minutes and is compiled by hand
(docs/engine.md, "Eleventh step"). Every load happens in a child process, so that this
process's modules are never the compiled ones.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dialer.accel.build import build
from dialer.accel.cache import MANIFEST, ROOT, AccelError, Layout, check, product, sha256

pytest.importorskip("Cython", reason="the builder needs Cython (the test extra has it)")

HOT = "class Point:\n    def __init__(self, x):\n        self.x = x\n\n\ndef twice(p):\n" \
      "    return p.x * 2\n"
WARM = "from accelprobe.hot import Point\n\n\ndef make(x):\n    return Point(x)\n"
HOT_PXD = "cdef class Point:\n    cdef public object x\n"
MODULES = ("accelprobe/hot.py", "accelprobe/warm.py")

PROBE = """\
import json, sys
from pathlib import Path
from dialer.accel.cache import Layout
from dialer.accel.loader import activate, engine_report
layout = Layout(Path(sys.argv[1]), tuple(sys.argv[3:]), Path(sys.argv[2]))
if "early" in sys.argv[1]:
    import accelprobe.warm  # imports hot.py: the set must then stay pure, whole
outcome = activate(layout=layout)
import accelprobe.hot, accelprobe.warm
print(json.dumps({"compiled": outcome.compiled, "hot": accelprobe.hot.__file__,
                  "warm": accelprobe.warm.__file__,
                  "native": not accelprobe.hot.Point.__flags__ & (1 << 9),
                  "twice": accelprobe.hot.twice(accelprobe.warm.make(21)),
                  "report": engine_report(layout)}))
"""


def _sources(root: Path) -> Layout:
    (root / "accelprobe").mkdir(parents=True)
    (root / "accelprobe" / "__init__.py").write_text("")
    (root / "accelprobe" / "hot.py").write_text(HOT)
    (root / "accelprobe" / "warm.py").write_text(WARM)
    (root / "pxd" / "accelprobe").mkdir(parents=True)
    (root / "pxd" / "accelprobe" / "hot.pxd").write_text(HOT_PXD)
    return Layout(root, MODULES, root / "pxd")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Layout, Path]:
    """The tiny set, compiled once by the real builder."""
    base = tmp_path_factory.mktemp("accel")
    layout = _sources(base / "src")
    build(layout, base / "cache", jobs=2)
    return layout, base / "cache"


@pytest.fixture
def fresh(built: tuple[Layout, Path], tmp_path: Path) -> tuple[Layout, Path]:
    """A copy of the built set and its cache, for a test to change."""
    layout, cache = built
    shutil.copytree(layout.root, tmp_path / "src")
    shutil.copytree(cache, tmp_path / "cache")
    return Layout(tmp_path / "src", layout.modules, tmp_path / "src" / "pxd"), tmp_path / "cache"


def _env(cache: Path, mode: str | None = None, root: Path | None = None) -> dict[str, str]:
    env = {**os.environ, "DIALER_ACCEL_DIR": str(cache),
           "PYTHONPATH": os.pathsep.join(str(p) for p in (root, ROOT) if p is not None)}
    env.pop("DIALER_ACCEL", None)
    if mode is not None:
        env["DIALER_ACCEL"] = mode
    return env


def _probe(layout: Layout, cache: Path, mode: str | None = None
           ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE, str(layout.root), str(layout.pxd), *layout.modules],
        env=_env(cache, mode, layout.root), capture_output=True, text=True, timeout=120)


def _loaded(layout: Layout, cache: Path, mode: str | None = None) -> tuple[dict, str]:
    result = _probe(layout, cache, mode)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def test_a_fresh_build_loads_every_module_compiled_and_says_so(fresh) -> None:
    layout, cache = fresh
    manifest = json.loads((cache / MANIFEST).read_text())
    hot = manifest["modules"]["accelprobe.hot"]
    assert hot["sha256"] == hashlib.sha256(HOT.encode()).hexdigest()
    assert hot["pxd_sha256"] == hashlib.sha256(HOT_PXD.encode()).hexdigest()
    assert manifest["modules"]["accelprobe.warm"]["pxd_sha256"] is None
    assert manifest["python"] == sys.version.split()[0]
    import Cython

    assert manifest["cython"] == Cython.__version__
    assert manifest["native_classes"] == ["accelprobe.hot.Point"]
    assert check(layout, cache).state == "fresh"
    result, stderr = _loaded(layout, cache)
    build_dir = cache / manifest["directory"]
    for name in ("hot", "warm"):
        assert Path(result[name]).parent == build_dir / "accelprobe"
        assert result[name].endswith(".so")
    assert result["native"] and result["compiled"] and result["twice"] == 42
    assert result["report"]["compiled"] is True
    assert result["report"]["build"] == str(build_dir)
    assert stderr == ""


def test_an_edited_source_runs_pure_python_whole_and_says_which_in_one_line(fresh) -> None:
    layout, cache = fresh
    with (layout.root / "accelprobe" / "warm.py").open("a") as handle:
        handle.write("# edited\n")
    result, stderr = _loaded(layout, cache)
    # All or nothing: hot.py did not change, yet it is not loaded compiled either.
    assert result["hot"].endswith("hot.py") and result["warm"].endswith("warm.py")
    assert not result["native"] and not result["compiled"]
    assert result["report"] == {"compiled": False}
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert "accelprobe/warm.py changed" in lines[0] and "dialer accel build" in lines[0]
    status = check(layout, cache)
    assert (status.state, status.changed) == ("stale", "accelprobe/warm.py")
    assert status.words().startswith("stale: accelprobe/warm.py changed since the build")


def test_an_edited_pxd_or_a_module_added_is_stale_too(fresh) -> None:
    layout, cache = fresh
    (layout.root / "accelprobe" / "cold.py").write_text("X = 1\n")
    grown = Layout(layout.root, (*layout.modules, "accelprobe/cold.py"), layout.pxd)
    assert check(grown, cache).changed == "accelprobe/cold.py"
    assert check(Layout(layout.root, layout.modules[:1], layout.pxd), cache).state == "stale"
    (layout.root / "pxd" / "accelprobe" / "hot.pxd").write_text(HOT_PXD + "\n")
    status = check(layout, cache)
    assert (status.state, status.changed) == ("stale", "pxd/accelprobe/hot.pxd")
    result, stderr = _loaded(layout, cache)
    assert not result["compiled"] and "pxd/accelprobe/hot.pxd" in stderr


def test_a_module_imported_before_the_loader_keeps_the_whole_set_pure(fresh, tmp_path) -> None:
    layout, cache = fresh
    early = tmp_path / "early"
    layout.root.rename(early)
    layout = Layout(early, layout.modules, early / "pxd")
    result, stderr = _loaded(layout, cache)
    assert not result["compiled"] and result["hot"].endswith("hot.py")
    assert "accelprobe.hot was imported before the loader" in stderr


def test_off_runs_pure_python_silently_and_on_refuses_a_stale_build(fresh) -> None:
    layout, cache = fresh
    result, stderr = _loaded(layout, cache, "off")
    assert not result["compiled"] and result["hot"].endswith(".py") and stderr == ""
    (layout.root / "accelprobe" / "hot.py").write_text(HOT + "# edited\n")
    refused = _probe(layout, cache, "on")
    assert refused.returncode != 0
    assert "accelprobe/hot.py changed since the build" in refused.stderr
    assert _probe(layout, cache, "sometimes").returncode != 0
    result, _ = _loaded(layout, tmp := cache.parent / "nothing")
    assert not result["compiled"] and not tmp.exists()


def test_a_failed_build_leaves_the_old_build_whole(fresh) -> None:
    layout, cache = fresh
    before = (cache / MANIFEST).read_text()
    (layout.root / "pxd" / "accelprobe" / "hot.pxd").write_text(
        "cdef class Point:\n    cdef public object x\n    cdef public object x\n")
    with pytest.raises(AccelError, match="the compile failed"):
        build(layout, cache, jobs=1)
    assert (cache / MANIFEST).read_text() == before
    assert [p.name for p in cache.iterdir() if "build-" in p.name] == [
        json.loads(before)["directory"]]
    (layout.root / "pxd" / "accelprobe" / "hot.pxd").write_text(HOT_PXD)
    result, _ = _loaded(layout, cache)
    assert result["compiled"]


def test_an_interrupted_build_leaves_the_old_build_and_no_half_one(fresh) -> None:
    layout, cache = fresh
    before = (cache / MANIFEST).read_text()
    script = ("import sys\nfrom pathlib import Path\nfrom dialer.accel.build import build\n"
              "from dialer.accel.cache import Layout\n"
              f"build(Layout(Path({str(layout.root)!r}), {layout.modules!r}, "
              f"Path({str(layout.pxd)!r})), Path({str(cache)!r}), jobs=1)\n")
    child = subprocess.Popen([sys.executable, "-c", script], env=_env(cache),
                             start_new_session=True, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        while not any(p.name.startswith(".build-") for p in cache.iterdir()):
            assert child.poll() is None, "the build ended before it could be interrupted"
            time.sleep(0.05)
    finally:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    assert (cache / MANIFEST).read_text() == before
    result, stderr = _loaded(layout, cache)
    assert result["compiled"] and stderr == ""
    build(layout, cache, jobs=2)  # the next build removes what the killed one left
    assert len([p for p in cache.iterdir() if "build-" in p.name]) == 1


def _cli(*args: str, cache: Path, mode: str | None = None, before: str = ""
         ) -> subprocess.CompletedProcess[str]:
    script = f"import sys\n{before}\nimport cli\nsys.argv = ['dialer', *sys.argv[1:]]\ncli.main()\n"
    return subprocess.run([sys.executable, "-c", script, *args], env=_env(cache, mode),
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_without_cython_the_build_says_what_to_install_in_one_line(tmp_path) -> None:
    result = _cli("accel", "build", cache=tmp_path / "c", before="sys.modules['Cython'] = None")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: dialer accel build needs Cython: pip install 'dialer[accel]' (or pip install "
        "'cython>=3.0')"]
    assert not (tmp_path / "c" / MANIFEST).exists()


def _product_manifest(cache: Path, change: str | None = None) -> None:
    """A manifest of the product's set as if built from these sources (empty files for the
    compiled modules: a loader that used them would fail), ``change``'s hash altered."""
    layout = product()
    modules = {}
    for path in layout.modules:
        name = path.removesuffix(".py").replace("/", ".")
        file = cache / "build-x" / Path(path).with_suffix(".cpython-fake.so")
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(b"")
        pxd = layout.pxd_of(path)
        modules[name] = {"source": path, "sha256": "0" if path == change else sha256(
            ROOT / path), "pxd_sha256": None if pxd is None else sha256(pxd),
            "file": file.relative_to(cache / "build-x").as_posix()}
    from dialer.accel.cache import FORMAT, TAG

    (cache / MANIFEST).write_text(json.dumps({
        "format": FORMAT, "directory": "build-x", "abi": TAG, "python": "3.11.7",
        "cython": "3.3.1", "built_at": "2026-12-07 02:00:00 UTC", "modules": modules}))


def test_status_says_absent_fresh_stale_and_where(tmp_path) -> None:
    cache = tmp_path / "cache"
    absent = _cli("accel", "status", cache=cache)
    assert absent.stdout.startswith(f"compiled engine absent: no compiled engine in {cache}")
    _product_manifest(cache)
    fresh = _cli("accel", "status", cache=cache)
    assert fresh.stdout.startswith(f"compiled engine fresh: {len(product().modules)} modules "
                                   "compiled by Cython 3.3.1")
    assert str(cache / "build-x") in fresh.stdout
    _product_manifest(cache, change="dialer/engine/dialing.py")
    stale = json.loads(_cli("accel", "status", "--json", cache=cache, mode="off").stdout)
    assert stale["state"] == "stale" and stale["changed"] == "dialer/engine/dialing.py"
    assert stale["mode"] == "off" and stale["directory"] == str(cache)
    text = _cli("accel", "status", cache=cache).stdout
    assert "stale: dialer/engine/dialing.py changed since the build" in text
    cleared = _cli("accel", "clear", cache=cache)
    assert cleared.stdout.strip() == f"removed the compiled engine from {cache}"
    assert not cache.exists()


def test_the_commands_import_no_module_of_the_set_before_their_loader() -> None:
    script = ("import sys, cli\nfrom dialer.accel.cache import module_name, product\n"
              "cli.build_app()\n"
              "print([m for m in map(module_name, product().modules) if m in sys.modules])\n")
    out = subprocess.run([sys.executable, "-c", script], env=_env(Path("/nonexistent")),
                         cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]"


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    """simulations/scenarios/outbound.toml, 3 agents for a quarter of an hour (fast)."""
    text = (ROOT / "simulations" / "scenarios" / "outbound.toml").read_text()
    small = tmp_path / "small.toml"
    small.write_text(text.replace("agents = 20", "agents = 3", 1).replace(
        "shift_hours = 8", "shift_hours = 0.25", 1))
    return small


def _notes(stderr: str) -> list[str]:
    """The loader's lines (the progress bar may add its own to stderr)."""
    return [line for line in stderr.splitlines() if "compiled" in line or "dialer:" in line]


def test_simulate_loads_a_fresh_build_and_names_a_stale_one(tmp_path, scenario) -> None:
    cache = tmp_path / "cache"
    _product_manifest(cache)  # "fresh", its compiled files empty: loading them fails
    args = ("simulate", str(scenario), "--replications", "1", "--workers", "1", "--json")
    loaded = _cli(*args, cache=cache)
    assert loaded.returncode != 0 and "cpython-fake.so" in loaded.stderr
    _product_manifest(cache, change="simulations/driver.py")
    stale = _cli(*args, cache=cache)
    assert stale.returncode == 0, stale.stderr
    assert _notes(stale.stderr) == [
        "dialer: the compiled engine is stale (simulations/driver.py changed since the "
        "build): running pure Python; `dialer accel build` compiles it again"]
    assert json.loads(stale.stdout)["engine"] == {"compiled": False}
    off = _cli(*args, "--no-accel", cache=cache)
    assert off.returncode == 0 and _notes(off.stderr) == []


def test_sweep_names_a_stale_build_and_says_which_engine_its_workers_ran(tmp_path, scenario
                                                                         ) -> None:
    cache = tmp_path / "cache"
    _product_manifest(cache, change="dialer/engine/engine.py")
    result = _cli("sweep", str(scenario), "--vary", "agents=2", "--policy", "progressive",
                  "--replications", "1", "--workers", "1", "--json", cache=cache)
    assert result.returncode == 0, result.stderr
    assert _notes(result.stderr) == [
        "dialer: the compiled engine is stale (dialer/engine/engine.py changed since the "
        "build): running pure Python; `dialer accel build` compiles it again"]
    assert json.loads(result.stdout)["engine"] == {"compiled": False}


def test_live_dialing_never_loads_the_compiled_engine(tmp_path) -> None:
    cache = tmp_path / "cache"
    _product_manifest(cache)  # "fresh": a loader would take its (empty) compiled files
    before = ("import atexit\natexit.register(lambda: print(sys.modules["
              "'dialer.engine.engine'].__file__))")
    result = _cli("run", "spring", "--log-format", "xml", "--home", str(tmp_path / "home"),
                  cache=cache, before=before)
    assert result.returncode == 1
    assert "--log-format 'xml'" in result.stderr and "cpython-fake" not in result.stderr
    assert result.stdout.strip().endswith("dialer/engine/engine.py")
