"""The typed compile trial's declarations against the sources they type, and the speed
comparison's labels for extra trees (benchmarks/compile_trial.py, compare_engine_speed.py).

A ``cdef class`` declared in an augmenting ``.pxd`` has exactly the fields it declares: a
field a source change adds to the class, and the ``.pxd`` lacks, fails only at run time in
the compiled copy (an ``AttributeError``), so it is checked here, without Cython.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from benchmarks.compare_engine_speed import also_labels
from benchmarks.compile_trial import MODULES, ROOT, TYPED_PXD, typed_declarations

CLASS = re.compile(r"^cdef class (\w+)(?:\((\w+)\))?:\s*$")
FIELD = re.compile(r"^    cdef public \w+ (\w+)\s*$")


def declared_fields(pxd: Path) -> dict[str, set[str]]:
    classes: dict[str, set[str]] = {}
    current = None
    for line in pxd.read_text().splitlines():
        if (match := CLASS.match(line)) is not None:
            current = classes.setdefault(match.group(1), set())
        elif (match := FIELD.match(line)) is not None:
            assert current is not None, f"{pxd}: a field outside a class: {line!r}"
            current.add(match.group(1))
    return classes


def assigned_fields(node: ast.ClassDef) -> set[str]:
    """``__slots__`` and every ``self.NAME`` the class's methods assign, but its properties
    (``Engine.policy``: a setter's name is the class's, not a field of the instance)."""
    fields: set[str] = set()
    for statement in node.body:
        if isinstance(statement, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__slots__" for t in statement.targets):
            fields |= {element.value for element in statement.value.elts}  # type: ignore[attr-defined]
    for inner in ast.walk(node):
        targets: list[ast.expr] = []
        if isinstance(inner, ast.Assign):
            targets = list(inner.targets)
        elif isinstance(inner, ast.AugAssign | ast.AnnAssign):
            targets = [inner.target]
        for target in targets:
            for leaf in target.elts if isinstance(target, ast.Tuple) else [target]:
                if isinstance(leaf, ast.Attribute) and isinstance(leaf.value, ast.Name) \
                        and leaf.value.id == "self":
                    fields.add(leaf.attr)
    properties = {statement.name for statement in node.body
                  if isinstance(statement, ast.FunctionDef) and any(
                      isinstance(d, ast.Name) and d.id == "property"
                      for d in statement.decorator_list)}
    return fields - properties


@pytest.mark.parametrize("module", typed_declarations())
def test_each_native_class_declares_exactly_the_fields_its_source_sets(module: str) -> None:
    pxd = TYPED_PXD / Path(module).with_suffix(".pxd")
    tree = ast.parse((ROOT / module).read_text())
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    declared = declared_fields(pxd)
    assert declared, f"{pxd} declares no class"
    for name, fields in declared.items():
        assert name in classes, f"{pxd}: {module} has no class {name}"
        assert fields == assigned_fields(classes[name]), name


def test_a_declaration_for_a_module_not_compiled_is_refused(tmp_path: Path) -> None:
    (tmp_path / "dialer").mkdir()
    (tmp_path / "dialer" / "cli_helpers.pxd").write_text("cdef class X:\n    pass\n")
    with pytest.raises(SystemExit, match=re.escape("dialer/cli_helpers.py")):
        typed_declarations(tmp_path)


def test_every_shipped_declaration_types_a_compiled_module() -> None:
    assert set(typed_declarations()) <= set(MODULES)


def test_extra_trees_are_labelled_by_their_directory_and_never_collide() -> None:
    labels = also_labels([Path("/tmp/untyped"), Path("/scratch/typed"), Path("/x/typed"),
                          Path("/y/new")])
    assert list(labels) == ["untyped", "typed", "also3", "also4"]
    assert labels["also3"] == Path("/x/typed")
