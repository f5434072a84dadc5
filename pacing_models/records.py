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
      instance's class is a *builder twin*, a plain class with the very same slots, so
      each field is one ordinary slot store (no call at all); the class is then set back.
      Two class switches cost about as much as six descriptor calls, so this pays from
      about eight fields on (``AttemptFinished``, 31 fields, is built three times faster).
      Python allows the switch because both classes have the same layout (same slots,
      same base); an instance of a subclass takes the descriptor path.

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
        namespace["_builder"] = type(f"{cls.__name__}Builder", (), {"__slots__": cls.__slots__})
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


def builder(cls: Callable[..., _Built]) -> Callable[..., _Built]:
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
    """
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if (
        hasattr(cls, "__post_init__")
        or any(not f.init or f.kw_only for f in fields)
        or "__slots__" not in cls.__dict__
        or len(fields) != len(getattr(cls, "__dataclass_fields__", {}))
        or cls.__bases__ != (object,)  # a base's slots: the twin's layout would differ
    ):
        return cls
    name = cls.__name__  # type: ignore[attr-defined]
    namespace: dict[str, object] = {
        "_cls": cls, "_builder": type(f"{name}Builder", (), {"__slots__": cls.__slots__}),
    }
    names = [f.name for f in fields]
    # The twin has neither ``__new__`` nor ``__init__``: calling it makes the bare
    # instance, a third cheaper than ``object.__new__(twin)`` (no argument tuple to check).
    source = (f"def build_{name}({', '.join(names)}):\n    self = _builder()\n"
              + "".join(f"    self.{n} = {n}\n" for n in names)
              + "    self.__class__ = _cls\n    return self\n")
    exec(source, namespace)  # code built from the class's own field names only
    build: Callable[..., _Built] = namespace[f"build_{name}"]  # type: ignore[assignment]
    build.__qualname__ = build.__name__
    return build


class _FactoryDefault:
    """Marks a parameter left out whose field has a default factory."""

    def __repr__(self) -> str:
        return "<factory default>"


_FACTORY = _FactoryDefault()
