"""Every module of the compiled engine translates with its ``.pxd`` (Cython only, no C
compiler: seconds). The pure-Python suites cannot see what only the typed build refuses; at
08ffcca ``dialer accel build`` failed on ``call_flow.end(..., sent=False)``, a keyword past
the left-out ``side`` of a typed ``cpdef`` (docs/engine.md, "Twelfth step")."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer.accel import build, cache


def test_the_product_modules_translate_with_their_pxd_files(tmp_path: Path) -> None:
    try:
        build.translate(cache.product(), tmp_path)
    except cache.AccelError as refused:
        pytest.fail(f"the compiled engine would not build:\n{refused}")
    translated = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.c"))
    assert translated == sorted(str(Path(m).with_suffix(".c")) for m in cache.product().modules)


def test_a_keyword_past_a_left_out_default_is_refused(tmp_path: Path) -> None:
    """The check itself: the engine's unsent-dial call as it was at 08ffcca."""
    layout = cache.product()
    source = (layout.root / "dialer/engine/engine.py").read_text(encoding="utf-8")
    fixed = "HangupCause.ORIGINATOR_CANCEL, HangupSide.UNKNOWN, False)"
    assert fixed in source
    root = tmp_path / "tree"
    for module in layout.modules:
        target = root / module
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((layout.root / module).read_bytes())
    (root / "dialer/engine/engine.py").write_text(
        source.replace(fixed, "HangupCause.ORIGINATOR_CANCEL, sent=False)"), encoding="utf-8"
    )
    old = cache.Layout(root, layout.modules, layout.pxd)
    with pytest.raises(cache.AccelError, match="missing argument 'side'"):
        build.translate(old, tmp_path / "stage")
