"""Fast construction of the frozen, slotted dataclasses that cross module boundaries.

Lives here, in the package that imports nothing of ours, so that both ``pacing_models``
(``PacingState``, ``PacingDecision``: one of each per pacing decision) and the dialer's
contract records (``dialer.ports``, ``dialer.commands``, ``dialer.events``) can use it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TypeVar

_Record = TypeVar("_Record", bound=type)
_Built = TypeVar("_Built")


_HEAP_TYPE = 1 << 9
"""``Py_TPFLAGS_HEAPTYPE``: set on every class a ``class`` statement makes in Python, clear
on a native class (a ``cdef class`` of the compiled engine)."""

BUILDER_FIELDS = 8
"""From this many fields on, ``fast_init`` fills the slots through a builder twin."""


def fast_init(cls: _Record) -> _Record:
    """Give a frozen, slotted dataclass a faster ``__init__`` with the same signature.

    The contract types (events, commands, dial targets, pacing states) are built tens of
    thousands of times per second under simulation. A frozen dataclass's generated
    ``__init__`` stores each field with ``object.__setattr__(self, name, value)``, a name
    lookup and a slow call per field. This one does either of two things:

    * small records: it calls each slot's own descriptor setter, bound once here (about
      twice as fast as the dataclass's);
    * records of ``BUILDER_FIELDS`` fields or more: for the time of ``__init__`` the new
      instance's class is a *builder twin* (``_twin``), a subclass adding no slot and
      none of the frozen class's ``__setattr__``, so each field is one ordinary slot store
      (no call at all); the class is then set back. Two class switches cost about as much
      as six descriptor calls, so this pays from about eight fields on
      (``AttemptFinished``, 32 fields, is built three times faster). Python allows the
      switch because both classes have the same layout; an instance of a subclass of the
      record takes the descriptor path.

    Everything else (fields, defaults and default factories, ``__eq__``, ``__hash__``,
    ``__repr__``, ``dataclasses.replace``, pickling, immutability) stays the dataclass's
    own. Classes using ``__post_init__``, ``InitVar``, keyword-only or non-init fields keep
    the generated ``__init__``.
    """
    fields = dataclasses.fields(cls)
    if (
        hasattr(cls, "__post_init__")
        or any(not f.init or f.kw_only for f in fields)
        or "__slots__" not in cls.__dict__
        or len(fields) != len(getattr(cls, "__dataclass_fields__", {}))
    ):
        return cls
    namespace: dict[str, object] = {"_FACTORY": _FACTORY, "_cls": cls}
    params: list[str] = []
    factories: list[str] = []
    setters: list[str] = []
    for i, f in enumerate(fields):
        namespace[f"_set{i}"] = cls.__dict__[f.name].__set__
        if f.default is not dataclasses.MISSING:
            namespace[f"_default{i}"] = f.default
            params.append(f"{f.name}=_default{i}")
        elif f.default_factory is not dataclasses.MISSING:
            namespace[f"_factory{i}"] = f.default_factory
            params.append(f"{f.name}=_FACTORY")
            factories.append(f"    if {f.name} is _FACTORY: {f.name} = _factory{i}()")
        else:
            params.append(f.name)
        setters.append(f"_set{i}(self, {f.name})")
    body = factories
    if len(fields) >= BUILDER_FIELDS and cls.__bases__ == (object,):
        namespace["_builder"] = _twin(cls)
        namespace["_become"] = object.__setattr__  # the frozen class's own would refuse
        body += ["    if type(self) is _cls:",
                 "        _become(self, '__class__', _builder)",
                 *(f"        self.{f.name} = {f.name}" for f in fields),
                 "        self.__class__ = _cls",
                 "    else:",
                 *(f"        {setter}" for setter in setters)]
    else:
        body += [f"    {setter}" for setter in setters]
    source = f"def __init__(self, {', '.join(params)}):\n" + "\n".join(body) + "\n"
    exec(source, namespace)  # code built from the class's own field names only
    init: Callable[..., None] = namespace["__init__"]  # type: ignore[assignment]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    cls.__init__ = init  # type: ignore[misc]
    return cls


def is_native(cls: type) -> bool:
    """Whether ``cls`` is a native class (compiled by ``dialer accel build`` from a
    ``.pxd`` declaring it), not one a ``class`` statement made."""
    return not cls.__flags__ & _HEAP_TYPE


def native_or_slotted(namespace: dict[str, object], *classes: type) -> None:
    """Records declared ``@dataclass(frozen=True)`` (or ``@dataclass``) so that the compiled
    engine can make them native classes (Cython accepts no ``slots=True`` and no other
    decorator on a native class): in pure Python each becomes what ``@fast_init`` over
    ``@dataclass(frozen=True, slots=True)`` makes, the very class the other records are
    (``dataclasses._add_slots``, which ``slots=True`` runs, then ``fast_init``; a record
    not frozen gets its slots only), rebound in
    ``namespace`` (the module's globals); a native class is left as it is (Cython made its
    fields, ``__init__``, equality, ``repr``, hash, immutability and pickling from the same
    dataclass declaration). Call it before anything else in the module names them."""
    for cls in classes:
        if is_native(cls):
            continue
        params = getattr(cls, "__dataclass_params__", None)
        if params is None or "__slots__" in cls.__dict__:
            raise TypeError(f"{cls.__name__}: native_or_slotted takes dataclasses declared "
                            "without slots")
        slotted = _add_slots(cls, params.frozen)
        namespace[cls.__name__] = fast_init(slotted) if params.frozen else slotted


def _add_slots(cls: type, frozen: bool) -> type:
    # What ``@dataclass(slots=True)`` runs after the dataclass is made (CPython 3.11 to
    # 3.13: (cls, is_frozen, weakref_slot); 3.14 adds defined_fields).
    add = dataclasses._add_slots  # type: ignore[attr-defined]
    if add.__code__.co_argcount == 3:
        return add(cls, frozen, False)  # type: ignore[no-any-return]
    return add(cls, frozen, False, None)  # type: ignore[no-any-return]


def builder(cls: Callable[..., _Built], **fixed: object) -> Callable[..., _Built]:
    """A function building ``cls`` from every one of its fields, positionally: the same
    instance as ``cls(*fields)``, about a third faster for a record of many fields.

    For the few records built once per dial attempt on the engine's and the simulator's
    hottest paths (a lead's ``DialTarget``, the ``JournalAttempt``, ``Originate`` and
    ``AttemptFinished`` of each call). Calling the class runs ``type.__call__``, then the
    ``__init__`` of ``fast_init``, which switches the new instance's class twice; this
    function makes the instance as the builder twin itself, fills its slots and switches
    its class once, to ``cls``. A class that ``fast_init`` left with its generated
    ``__init__`` (a ``__post_init__``, keyword-only or non-init fields, no slots) gets
    ``cls`` itself, which takes the same positional arguments.

    ``fixed``: fields every record of a call site has at the same value (an outbound
    attempt's empty inbound fields), stored from constants and left out of the arguments,
    which are the other fields in their order. A call of more than 30 positional arguments
    is compiled to ``f(*args)`` (CPython 3.11: a tuple and a second evaluation loop), so
    ``AttemptFinished``'s 32 fields need some fixed to be built by an ordinary call. Such a
    builder needs the builder twin: a class it cannot serve raises ``TypeError``.
    """
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    unknown = set(fixed) - {f.name for f in fields}
    if unknown:
        raise TypeError(f"{cls.__name__} has no field {sorted(unknown)}")  # type: ignore[attr-defined]
    if is_native(cls):  # type: ignore[arg-type]
        return _native_builder(cls, fields, fixed)
    if (
        hasattr(cls, "__post_init__")
        or any(not f.init or f.kw_only for f in fields)
        or "__slots__" not in cls.__dict__
        or len(fields) != len(getattr(cls, "__dataclass_fields__", {}))
        or cls.__bases__ != (object,)  # a base's slots: the twin's layout would differ
    ):
        if fixed:
            raise TypeError(f"no builder twin for {cls.__name__}: no fixed fields")  # type: ignore[attr-defined]
        return cls
    name = cls.__name__  # type: ignore[attr-defined]
    namespace: dict[str, object] = {
        "_cls": cls, "_builder": _twin(cls),
    }
    names = [f.name for f in fields if f.name not in fixed]
    for field_name, value in fixed.items():
        namespace[f"_fixed_{field_name}"] = value
    # The twin has neither ``__new__`` nor ``__init__``: calling it makes the bare
    # instance, a third cheaper than ``object.__new__(twin)`` (no argument tuple to check).
    source = (f"def build_{name}({', '.join(names)}):\n    self = _builder()\n"
              + "".join(f"    self.{f.name} = "
                        f"{'_fixed_' + f.name if f.name in fixed else f.name}\n"
                        for f in fields)
              + "    self.__class__ = _cls\n    return self\n")
    exec(source, namespace)  # code built from the class's own field names only
    build: Callable[..., _Built] = namespace[f"build_{name}"]  # type: ignore[assignment]
    build.__qualname__ = build.__name__
    return build


def _native_builder(cls: Callable[..., _Built], fields: tuple[dataclasses.Field[object], ...],
                    fixed: dict[str, object]) -> Callable[..., _Built]:
    """A native record's builder: the class itself (its compiled ``__init__`` takes the
    fields positionally, faster than any builder in Python), or with ``fixed`` fields a
    function passing them from constants."""
    if not fixed:
        return cls
    names = [f.name for f in fields if f.name not in fixed]
    namespace: dict[str, object] = {"_cls": cls}
    namespace.update({f"_fixed_{name}": value for name, value in fixed.items()})
    source = (f"def build_{cls.__name__}({', '.join(names)}):\n    return _cls("  # type: ignore[attr-defined]
              + ", ".join(f"_fixed_{f.name}" if f.name in fixed else f.name for f in fields)
              + ")\n")
    exec(source, namespace)  # code built from the class's own field names only
    return namespace[f"build_{cls.__name__}"]  # type: ignore[return-value]


def _twin(cls: type) -> type:
    """The builder twin of a frozen, slotted dataclass: a subclass adding no slot, whose
    instances take ordinary slot stores (``object``'s own ``__setattr__`` and
    ``__delattr__``, not the frozen class's) and whose call makes a bare instance
    (``object``'s ``__init__``, not the record's).

    A subclass rather than a plain class with the same slots: switching an instance's
    class between a class and its subclass of the same layout is checked at once, where
    two unrelated classes have their slot names compared one by one at every switch
    (CPython's ``compatible_for_assignment``), some 300 instructions per record."""
    return type(f"{cls.__name__}Builder", (cls,), {
        "__slots__": (), "__init__": object.__init__, "__setattr__": object.__setattr__,
        "__delattr__": object.__delattr__, "__module__": cls.__module__})


class _FactoryDefault:
    """Marks a parameter left out whose field has a default factory."""

    def __repr__(self) -> str:
        return "<factory default>"


_FACTORY = _FactoryDefault()
