"""The records of every attempt, native classes in the compiled engine (docs/engine.md,
"Fifteenth step"), keep their dataclass behaviour in both modes.

Declared ``@dataclass(frozen=True)`` (``SimCall``: ``@dataclass``) and given their slots and
``fast_init`` in pure Python by ``native_or_slotted``; compiled (``DIALER_ACCEL=on``), Cython
makes each a native dataclass with the fields its ``.pxd`` declares, in the ``.pxd``'s order.
The suite runs these tests in both modes: the pure-Python ones pin the class the records
were before, the compiled ones that the native class is one and behaves the same.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer import commands, events, ports
from dialer.accel.cache import PXD, ROOT
from dialer.engine import call_flow
from pacing_models.records import builder, fast_init, is_native, native_or_slotted
from simulations import driver

NATIVE = {
    "dialer/events.pxd": (events, ["CallAnswered", "CallClassified", "CallHungUp",
                                   "CallBridged", "CallDisposed"]),
    "dialer/commands.pxd": (commands, ["JournalAttempt", "AgentStateChanged", "Originate",
                                       "Bridge", "Hangup", "AttemptFinished"]),
    "dialer/ports.pxd": (ports, ["DialTarget", "GateVerdict"]),
    "simulations/driver.pxd": (driver, ["SimCall"]),
}
CLASSES = [getattr(module, name) for module, names in NATIVE.values() for name in names]
FROZEN = [cls for cls in CLASSES if cls is not driver.SimCall]
COMPILED = is_native(events.CallHungUp)
"""Whether this run loaded the compiled engine (every class of the set is native then)."""


def _declared(pxd: str) -> dict[str, list[str]]:
    """The fields each ``cdef class`` of a ``.pxd`` declares, in their order."""
    classes: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in (PXD / pxd).read_text().splitlines():
        if match := re.match(r"cdef class (\w+)", line):
            current = classes.setdefault(match.group(1), [])
        elif current is not None and (match := re.match(r"    cdef (?:readonly|public) "
                                                         r"object (\w+)$", line)):
            current.append(match.group(1))
        elif line and not line.startswith(" "):
            current = None
    return classes


def _source_order(cls: type) -> list[str]:
    """The fields in the order of the ``class`` statement in the module's source."""
    path = ROOT / (cls.__module__.replace(".", "/") + ".py")  # compiled: no getsource
    source = path.read_text().split(f"\nclass {cls.__name__}:", 1)[1]
    body = source.split("\n\n\n", 1)[0]
    return re.findall(r"^    (\w+): ", body, re.MULTILINE)


@pytest.mark.parametrize("pxd", sorted(NATIVE))
def test_each_pxd_declares_the_fields_in_their_order(pxd: str) -> None:
    """Cython takes a native dataclass's fields in the ``.pxd``'s order, so a field out of
    place there would take another's argument (``CallHungUp(at, cause, call_id)``)."""
    module, names = NATIVE[pxd]
    declared = _declared(pxd)
    for name in names:
        cls = getattr(module, name)
        assert declared[name] == _source_order(cls), name
        assert [f.name for f in dataclasses.fields(cls)] == declared[name], name


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_the_class_is_native_when_compiled_else_slotted(cls: type) -> None:
    names = tuple(f.name for f in dataclasses.fields(cls))
    if COMPILED:
        assert is_native(cls)
        assert not hasattr(cls, "__slots__")
    else:
        assert not is_native(cls)
        assert cls.__slots__ == names
        assert not hasattr(cls(*range(len(names))), "__dict__")
        if cls is not driver.SimCall:
            assert cls.__init__.__code__.co_filename == "<string>"  # fast_init's
    assert builder(cls) is cls or not COMPILED


def _reference_repr(record: object) -> str:
    fields = ", ".join(f"{f.name}={getattr(record, f.name)!r}"
                       for f in dataclasses.fields(record))  # type: ignore[arg-type]
    return f"{type(record).__name__}({fields})"


_VALUES = st.integers() | st.text(max_size=3) | st.none() | st.floats(allow_nan=False)


@pytest.mark.parametrize("cls", FROZEN, ids=lambda cls: cls.__name__)
@settings(max_examples=15)
@given(data=st.data())
def test_native_or_not_a_record_behaves_as_its_dataclass(cls: type, data: st.DataObject) -> None:
    fields = dataclasses.fields(cls)
    values = [data.draw(_VALUES) for _ in fields]
    record = cls(*values)
    assert type(record) is cls
    assert [getattr(record, f.name) for f in fields] == values
    assert record == cls(**{f.name: v for f, v in zip(fields, values, strict=True)})
    assert hash(record) == hash(cls(*values))
    assert record != cls(*values[:-1], ("other",)) and record != values
    assert repr(record) == _reference_repr(record)
    assert cls.__match_args__ == tuple(f.name for f in fields)
    # Frozen: FrozenInstanceError in pure Python; compiled, its base AttributeError (a
    # read-only attribute: Cython makes no ``__setattr__`` for a frozen dataclass).
    with pytest.raises(AttributeError if COMPILED else dataclasses.FrozenInstanceError):
        setattr(record, fields[0].name, 1)
    # Pure Python: the TypeError of CPython's slotted frozen dataclasses (their
    # ``__setattr__`` calls ``super()`` with the class before its slots), as before.
    with pytest.raises(AttributeError if COMPILED else TypeError):
        record.not_a_field = 1  # type: ignore[attr-defined]
    assert copy.copy(record) == record == copy.deepcopy(record)
    assert pickle.loads(pickle.dumps(record)) == record
    first = fields[0].name
    assert getattr(dataclasses.replace(record, **{first: -1}), first) == -1
    assert dataclasses.asdict(record) == dict(zip([f.name for f in fields], values,
                                                  strict=True)) or any(
        isinstance(v, (list, dict)) for v in values)
    fixed = fields[1].name
    others = [v for f, v in zip(fields, values, strict=True) if f.name != fixed]
    assert builder(cls, **{fixed: values[1]})(*others) == record


@pytest.mark.parametrize(("build", "cls"), [(commands.originate, commands.Originate),
                                            (ports.dial_target, ports.DialTarget)],
                         ids=["Originate", "DialTarget"])
@settings(max_examples=15)
@given(data=st.data())
def test_a_builder_of_every_field_makes_the_class_s_record(build: Any, cls: type,
                                                          data: st.DataObject) -> None:
    """``commands.originate`` and ``ports.dial_target``: compiled, the native class's
    allocation and its fields stored directly (past Cython's ``__init__``, which imports
    ``dataclasses`` per default factory at every call); in pure Python the builder twin."""
    fields = dataclasses.fields(cls)
    values = [data.draw(_VALUES) for _ in fields]
    record = build(*values)
    assert type(record) is cls
    assert [getattr(record, f.name) for f in fields] == values
    assert record == cls(*values) and repr(record) == repr(cls(*values))
    assert hash(record) == hash(cls(*values))
    assert build.__name__.startswith("_native_") == COMPILED


_UNANSWERED_FIXED = {**call_flow._NOT_INBOUND, "answered_at": None, "bridged_at": None,
                     "agent_id": None, "gateway": None, "recording_started_at": None,
                     "recording_consent": "", "recording_pauses": ()}


@settings(max_examples=15)
@given(data=st.data())
def test_the_call_flow_s_attempt_records_are_the_class_s(data: st.DataObject) -> None:
    """The call flow's two builders of ``AttemptFinished`` (compiled: functions calling the
    native class) make the record its builder of the same fixed fields makes."""
    fields = dataclasses.fields(commands.AttemptFinished)
    values = {f.name: data.draw(_VALUES) for f in fields}
    for fixed, build, compiled in (
            (call_flow._NOT_INBOUND, call_flow._outbound_finished, call_flow._outbound_record),
            (_UNANSWERED_FIXED, call_flow._unanswered_finished,
             call_flow._unanswered_record)):
        record = commands.AttemptFinished(**{**values, **fixed})
        args = [value for name, value in values.items() if name not in fixed]
        assert build(*args) == record == compiled(*args)
        assert builder(commands.AttemptFinished, **fixed)(*args) == record
        assert repr(build(*args)) == repr(record)
        assert (build is compiled) == COMPILED


def test_defaults_and_factories_are_the_declarations() -> None:
    one = commands.Originate(0.0, "c", "+1", "+2", "", 20.0)
    two = commands.Originate(0.0, "d", "+1", "+2", "", 20.0)
    assert one.variables == {} and one.variables is not two.variables
    assert (one.detect_machine, one.switch_id, one.gateway) == (False, "default", None)
    assert commands.Hangup(1.0, "c").cause is commands.HangupCause.NORMAL_CLEARING
    hung_up = events.CallHungUp(1.0, "c")
    assert (hung_up.cause, hung_up.side) == (events.HangupCause.NORMAL_CLEARING,
                                             events.HangupSide.UNKNOWN)
    assert repr(commands.Hangup(1.0, "c")) == \
        "Hangup(at=1.0, call_id='c', cause=<HangupCause.NORMAL_CLEARING: 16>)"
    with pytest.raises(TypeError):
        commands.Bridge(0.0, "c")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        commands.Bridge(0.0, "c", "a", "l", call_id="again")  # type: ignore[misc]


def test_a_sim_call_is_a_mutable_dataclass() -> None:
    call = driver.SimCall(1, 2.0, 3.0, 4.0, 0.5)
    assert (call.inbound, call.answered_at, call.bridged, call.ended) == (False, None, False,
                                                                          False)
    call.ended = True
    assert call == driver.SimCall(1, 2.0, 3.0, 4.0, 0.5, ended=True)
    assert repr(call) == _reference_repr(call)
    blank = driver.SimCall.__new__(driver.SimCall)  # how _originate builds one
    assert type(blank) is driver.SimCall


def test_native_or_slotted_refuses_what_it_cannot_serve() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class Slotted:
        value: int

    class Plain:
        value: int

    for cls in (Slotted, Plain):
        with pytest.raises(TypeError, match="native_or_slotted"):
            native_or_slotted({}, cls)

    @dataclasses.dataclass(frozen=True)
    class Record:
        value: int
        items: list[int] = dataclasses.field(default_factory=list)

    namespace: dict[str, object] = {}
    native_or_slotted(namespace, Record)
    made = namespace["Record"]
    assert made is not Record and made.__slots__ == ("value", "items")  # type: ignore[attr-defined]
    assert fast_init(made) is made  # type: ignore[arg-type]
    assert made(1) == made(1) and made(1).items is not made(1).items  # type: ignore[operator]


def test_the_pxd_files_exist_where_the_build_reads_them() -> None:
    for pxd in NATIVE:
        assert (PXD / pxd).is_file()
        assert Path(PXD / pxd).read_text().count("cdef class") >= len(NATIVE[pxd][1])
