"""The contract records (events, commands, dial targets, pacing states) keep dataclass
semantics with the faster ``__init__`` of ``fast_init`` (pacing_models/records.py)."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer import commands, events, ports
from dialer.ports import fast_init
from pacing_models import interface
from pacing_models.records import BUILDER_FIELDS, builder, is_native

RECORDS = sorted(
    (
        obj for module in (events, commands, ports, interface)
        for obj in vars(module).values()
        if inspect.isclass(obj) and dataclasses.is_dataclass(obj)
        and obj.__module__ == module.__name__
    ),
    key=lambda cls: cls.__name__,
)


def _refused(cls: type) -> type[Exception]:
    """What assigning a field raises: ``FrozenInstanceError``; on a native record of the
    compiled engine its base, ``AttributeError`` (the field is a read-only attribute; Cython
    makes no ``__setattr__`` for a frozen dataclass)."""
    return AttributeError if is_native(cls) else dataclasses.FrozenInstanceError


def _reference(cls: type, values: dict[str, object]) -> dict[str, object]:
    """What the dataclass-generated ``__init__`` would store: given values, else defaults."""
    stored = {}
    for f in dataclasses.fields(cls):
        if f.name in values:
            stored[f.name] = values[f.name]
        elif f.default is not dataclasses.MISSING:
            stored[f.name] = f.default
        else:
            stored[f.name] = f.default_factory()  # type: ignore[misc]
    return stored


def test_every_contract_record_has_the_fast_init() -> None:
    assert len(RECORDS) >= 30
    for cls in RECORDS:
        if is_native(cls):  # compiled: Cython's own (tests/dialer/engine/test_native_records.py)
            continue
        assert cls.__init__.__code__.co_filename == "<string>", cls
        assert cls.__init__.__qualname__ == f"{cls.__qualname__}.__init__"
        params = list(inspect.signature(cls).parameters)
        assert params == [f.name for f in dataclasses.fields(cls)], cls


@pytest.mark.parametrize("cls", RECORDS, ids=lambda cls: cls.__name__)
@settings(max_examples=20)
@given(data=st.data())
def test_records_store_what_the_dataclass_would(cls: type, data: st.DataObject) -> None:
    fields = dataclasses.fields(cls)
    required = [f for f in fields if f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING]
    optional = [f for f in fields if f not in required]
    given_optional = data.draw(st.lists(st.sampled_from(optional), unique=True)) if optional else []
    values = {f.name: data.draw(st.integers() | st.text(max_size=3) | st.none())
              for f in [*required, *given_optional]}
    by_keyword = cls(**values)
    required_names = {f.name for f in required}
    by_position = cls(*[values[f.name] for f in required],
                      **{name: v for name, v in values.items() if name not in required_names})
    expected = _reference(cls, values)
    for record in (by_keyword, by_position):
        assert {f.name: getattr(record, f.name) for f in fields} == expected
    assert by_keyword == by_position
    with pytest.raises(_refused(cls)):
        setattr(by_keyword, fields[0].name, 1)


def test_default_factories_give_each_record_its_own_value() -> None:
    one = commands.Originate(0.0, "c", "+1", "+2", "", 20.0)
    two = commands.Originate(0.0, "d", "+1", "+2", "", 20.0)
    assert one.variables == {} and one.variables is not two.variables
    assert events.AgentLoggedIn(0.0, "a").skills == frozenset()


def test_wrong_arguments_fail_as_with_any_function() -> None:
    with pytest.raises(TypeError):
        commands.Bridge(0.0, "c")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        commands.Bridge(0.0, "c", "a", "l", nope=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        commands.Bridge(0.0, "c", "a", "l", call_id="again")  # type: ignore[misc]


def test_replace_and_repr_are_the_dataclass_ones() -> None:
    hangup = commands.Hangup(1.0, "c")
    assert dataclasses.replace(hangup, call_id="d") == commands.Hangup(1.0, "d")
    assert repr(hangup) == "Hangup(at=1.0, call_id='c', cause=<HangupCause.NORMAL_CLEARING: 16>)"


def test_classes_the_fast_init_cannot_serve_keep_their_own() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        value: int

        def __post_init__(self) -> None:
            if self.value < 0:
                raise ValueError("negative")

    generated = Checked.__init__
    assert fast_init(Checked).__init__ is generated
    with pytest.raises(ValueError, match="negative"):
        Checked(-1)


def test_big_records_built_through_their_twin_are_of_their_own_class() -> None:
    big = [cls for cls in RECORDS if len(dataclasses.fields(cls)) >= BUILDER_FIELDS]
    assert commands.AttemptFinished in big and interface.PacingState in big
    finished = commands.AttemptFinished(
        1.0, "c", "sim", commands.Direction.OUTBOUND, commands.CallOutcome.BUSY,
        commands.HangupCause.USER_BUSY, "L1", "+15550000001", 1, 0.5)
    assert type(finished) is commands.AttemptFinished
    assert isinstance(finished, commands.AttemptFinished)
    with pytest.raises(_refused(commands.AttemptFinished)):  # native since the 16th step
        finished.at = 2.0  # type: ignore[misc]
    assert copy.copy(finished) == finished == pickle.loads(pickle.dumps(finished))
    assert hash(finished) == hash(copy.deepcopy(finished))
    assert dataclasses.replace(finished, at=3.0).at == 3.0


def test_a_subclass_of_a_big_record_keeps_its_class_and_its_own_slots() -> None:
    @fast_init
    @dataclasses.dataclass(frozen=True, slots=True)
    class Wide:
        a: int
        b: int = 2
        c: int = 3
        d: int = 4
        e: int = 5
        f: int = 6
        g: int = 7
        h: int = 8
        i: list[int] = dataclasses.field(default_factory=list)

    @dataclasses.dataclass(frozen=True, slots=True)
    class Wider(Wide):
        j: int = 10

    Wider.__init__ = Wide.__init__  # type: ignore[misc]  # the inherited fast path
    wider = Wider(1)
    assert type(wider) is Wider
    assert (wider.a, wider.h, wider.i) == (1, 8, [])
    assert type(Wide(1)) is Wide and Wide(1).i is not Wide(1).i


@pytest.mark.parametrize("cls", RECORDS, ids=lambda cls: cls.__name__)
@settings(max_examples=10)
@given(data=st.data())
def test_a_builder_makes_what_the_class_makes(cls: type, data: st.DataObject) -> None:
    """``builder(cls)(*fields)`` is ``cls(*fields)``: same class, fields, equality, repr,
    hash, immutability, copies and pickling."""
    fields = dataclasses.fields(cls)
    values = [data.draw(st.integers() | st.text(max_size=3) | st.none()) for _ in fields]
    built, called = builder(cls)(*values), cls(*values)
    assert type(built) is cls
    assert {f.name: getattr(built, f.name) for f in fields} == \
        {f.name: getattr(called, f.name) for f in fields}
    assert built == called and repr(built) == repr(called) and hash(built) == hash(called)
    with pytest.raises(_refused(cls)):
        setattr(built, fields[0].name, 1)
    assert copy.copy(built) == built == pickle.loads(pickle.dumps(built))
    assert dataclasses.replace(built) == built


def test_a_class_the_builder_cannot_serve_is_called_instead() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        value: int

        def __post_init__(self) -> None:
            if self.value < 0:
                raise ValueError("negative")

    assert builder(Checked) is Checked
    with pytest.raises(TypeError):
        builder(commands.Hangup)(1.0)  # every field is required, as with any function


@pytest.mark.parametrize("cls", [commands.AttemptFinished, commands.Originate,
                                 events.CallHungUp], ids=lambda cls: cls.__name__)
@settings(max_examples=10)
@given(data=st.data())
def test_a_builder_with_fixed_fields_makes_what_the_class_makes(
    cls: type, data: st.DataObject,
) -> None:
    """``builder(cls, **fixed)(*others)`` is ``cls`` with the fixed fields at their values
    and the others given in their order (the engine's ``AttemptFinished`` builders)."""
    fields = dataclasses.fields(cls)
    fixed_names = data.draw(st.sets(st.sampled_from([f.name for f in fields]),
                                    max_size=len(fields) - 1))
    values = {f.name: data.draw(st.integers() | st.text(max_size=3) | st.none())
              for f in fields}
    fixed = {name: values[name] for name in fixed_names}
    others = [values[f.name] for f in fields if f.name not in fixed]
    built, called = builder(cls, **fixed)(*others), cls(*values.values())
    assert type(built) is cls
    assert {f.name: getattr(built, f.name) for f in fields} == values
    assert built == called and repr(built) == repr(called) and hash(built) == hash(called)
    with pytest.raises(_refused(cls)):
        setattr(built, fields[0].name, 1)


def test_a_builder_refuses_fixed_fields_it_cannot_serve() -> None:
    with pytest.raises(TypeError, match="no field"):
        builder(commands.Hangup, no_such_field=1)

    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        value: int

        def __post_init__(self) -> None:
            pass

    with pytest.raises(TypeError, match="no builder twin"):
        builder(Checked, value=1)
