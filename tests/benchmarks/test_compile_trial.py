"""The compiled engine's declarations against the sources they type (dialer/accel/pxd, used
by ``dialer accel build`` and benchmarks/compile_trial.py), and the speed comparison's
labels for extra trees (benchmarks/compare_engine_speed.py).

A ``cdef class`` declared in an augmenting ``.pxd`` has exactly the fields it declares: a
field a source change adds to the class, and the ``.pxd`` lacks, fails only at run time in
the compiled engine (an ``AttributeError``), so it is checked here, without Cython; so is
each ``cpdef`` method's or function's parameter list against its ``def`` (a parameter added
to the source fails the compile).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from benchmarks.compare_engine_speed import accel_labels, also_labels
from dialer.accel.cache import PXD, ROOT, AccelError, Layout, product, typed_declarations

TYPED_PXD = PXD
MODULES = product().modules


def _declared_modules() -> list[str]:
    return typed_declarations(product())


CLASS = re.compile(r"^cdef class (\w+)(?:\((\w+)\))?:\s*$")
FIELD = re.compile(r"^    cdef (?:public|readonly) \w+ (\w+)\s*$")


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
    """``__slots__``, a dataclass's annotated fields (``SimCall``: a native class in the
    compiled engine since the fifteenth step) and every ``self.NAME`` the class's methods
    assign, but its properties (``Engine.policy``: a setter's name is the class's, not a
    field of the instance)."""
    fields: set[str] = set()
    if any(_names_dataclass(d) for d in node.decorator_list):
        fields |= {statement.target.id for statement in node.body
                   if isinstance(statement, ast.AnnAssign)
                   and isinstance(statement.target, ast.Name)
                   and "ClassVar" not in ast.unparse(statement.annotation)}
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


def _names_dataclass(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return (isinstance(target, ast.Name) and target.id == "dataclass") or (
        isinstance(target, ast.Attribute) and target.attr == "dataclass")


@pytest.mark.parametrize("module", _declared_modules())
def test_each_native_class_declares_exactly_the_fields_its_source_sets(module: str) -> None:
    pxd = TYPED_PXD / Path(module).with_suffix(".pxd")
    tree = ast.parse((ROOT / module).read_text())
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    declared = declared_fields(pxd)
    assert declared, f"{pxd} declares no class"
    for name, fields in declared.items():
        assert name in classes, f"{pxd}: {module} has no class {name}"
        assert fields == assigned_fields(classes[name]), name


CPDEF = re.compile(r"^(?P<indent>\s*)cpdef (?:\w+ )?(?P<name>\w+)\((?P<params>[^)]*)\)")


def _cpdefs(pxd: Path) -> dict[str, list[tuple[str, bool]]]:
    """Each ``cpdef``'s parameters as (name, has a default), under ``Class.name`` or
    ``name``."""
    found: dict[str, list[tuple[str, bool]]] = {}
    current = None
    for line in pxd.read_text().splitlines():
        if (match := CLASS.match(line)) is not None:
            current = match.group(1)
        elif (match := CPDEF.match(line)) is not None:
            params = []
            for param in filter(None, (p.strip() for p in match.group("params").split(","))):
                name = param.split("=")[0].split()[-1]
                params.append((name, "=" in param))
            key = f"{current}.{match.group('name')}" if match.group("indent") else \
                match.group("name")
            found[key] = params
        elif line and not line[0].isspace():
            current = None
    return found


@pytest.mark.parametrize("module", _declared_modules())
def test_each_cpdef_takes_the_parameters_of_its_def(module: str) -> None:
    pxd = TYPED_PXD / Path(module).with_suffix(".pxd")
    tree = ast.parse((ROOT / module).read_text())
    defs: dict[str, ast.FunctionDef] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            defs[node.name] = node
        elif isinstance(node, ast.ClassDef):
            defs.update({f"{node.name}.{f.name}": f for f in node.body
                         if isinstance(f, ast.FunctionDef)})
    for key, params in _cpdefs(pxd).items():
        assert key in defs, f"{pxd}: {module} has no {key}"
        args = defs[key].args
        names = [a.arg for a in args.args]
        defaults = [False] * (len(names) - len(args.defaults)) + [True] * len(args.defaults)
        assert params == list(zip(names, defaults, strict=True)), key


def test_a_declaration_for_a_module_not_compiled_is_refused(tmp_path: Path) -> None:
    (tmp_path / "dialer").mkdir()
    (tmp_path / "dialer" / "cli_helpers.pxd").write_text("cdef class X:\n    pass\n")
    with pytest.raises(AccelError, match=re.escape("dialer/cli_helpers.py")):
        typed_declarations(Layout(ROOT, MODULES, tmp_path))


def test_every_shipped_declaration_types_a_compiled_module() -> None:
    assert set(_declared_modules()) <= set(MODULES)
    assert "dialer/engine/calls.py" in _declared_modules()


def test_accel_builds_are_labelled_accel_or_by_their_directory() -> None:
    assert list(accel_labels([Path("/tmp/typed")])) == ["accel"]
    assert list(accel_labels([Path("/tmp/typed"), Path("/x/untyped")])) == [
        "accel-typed", "accel-untyped"]


def test_extra_trees_are_labelled_by_their_directory_and_never_collide() -> None:
    labels = also_labels([Path("/tmp/untyped"), Path("/scratch/typed"), Path("/x/typed"),
                          Path("/y/new")])
    assert list(labels) == ["untyped", "typed", "also3", "also4"]
    assert labels["also3"] == Path("/x/typed")
