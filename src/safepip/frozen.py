"""Frozen records without :mod:`dataclasses`.

``dataclass(frozen=True)`` imports dataclasses, and with it inspect, re, copy and typing: about
10 ms, more than the rest of the no-op check after a change (docs/performance.md). The records
that check reads (a scanned pip call, an interpreter's probe, a requirement file's line, a pip
setting) are :class:`Frozen` instead: compared, hashed and shown by their fields, immutable,
copied with changes by :meth:`Frozen.replace_`. Every record is declared as dataclasses are,
with :func:`record` (and :func:`field`) in place of ``dataclass(frozen=True)`` (``slots=True``
for the many small ones): the full path then costs no more than it reads.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Any, Callable, TypeVar, overload

    from typing_extensions import dataclass_transform

    Self = TypeVar("Self", bound="Frozen")
    Record = TypeVar("Record", bound="type[Frozen]")
else:

    def dataclass_transform(**_: object) -> Callable[[Any], Any]:
        """The type checker's marker (PEP 681): nothing at run time."""
        return lambda decorated: decorated


class Frozen:
    """A record whose fields are ``_fields`` (in order), declared with :func:`record`, whose
    ``__init__`` sets them (assignment is refused afterwards, as a frozen dataclass refuses it).
    """

    __slots__: tuple[str, ...] = ()
    _fields: tuple[str, ...] = ()
    #: The fields compared and hashed (a :func:`record`'s ``field(compare=False)`` is not).
    _compared: tuple[str, ...] | None = None

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def _key(self) -> tuple[Any, ...]:
        names = self._fields if self._compared is None else self._compared
        return tuple(getattr(self, name) for name in names)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Frozen)
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({shown})"

    def __reduce__(self) -> tuple[Any, ...]:
        # copy and pickle set fields through setattr, which a frozen record refuses
        return (_made, (type(self), self._values()))

    def replace_(self: Self, **changes: object) -> Self:
        """A copy with ``changes`` (what dataclasses.replace gives)."""
        unknown = set(changes) - set(self._fields)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {sorted(unknown)[0]!r}")
        new = object.__new__(type(self))
        for name in self._fields:
            object.__setattr__(new, name, changes.get(name, getattr(self, name)))
        return new


def _made(cls: type[Frozen], values: tuple[Any, ...]) -> Frozen:
    """A record of ``cls`` with ``values`` (what :meth:`Frozen.__reduce__` gives back)."""
    new = object.__new__(cls)
    for name, value in zip(cls._fields, values):
        object.__setattr__(new, name, value)
    return new


class _Field:
    """A :func:`field`: its default (or what makes it) and whether it is compared."""

    __slots__ = ("compare", "default", "factory")

    def __init__(self, default: object, factory: Callable[[], object] | None, compare: bool) -> None:
        self.default, self.factory, self.compare = default, factory, compare


_MISSING: Any = object()  # no default: the field must be given

#: ``types.FunctionType``, without importing types (a cold call's share of a ms).
_FunctionType: Any = type(_made)


def field(*, default: Any = _MISSING, default_factory: Callable[[], Any] | None = None, compare: bool = True) -> Any:
    """A field of a :func:`record` as ``dataclasses.field`` declares one: its ``default``, or
    ``default_factory`` called for each record, and whether it is ``compare``-d (and hashed).
    """
    return _Field(default, default_factory, compare)


if TYPE_CHECKING:

    @overload
    def record(cls: Record, /) -> Record: ...  # the type checker's view of the one below

    @overload
    def record(*, slots: bool = False) -> Callable[[Record], Record]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: Record | None = None, /, *, slots: bool = False) -> Record | Callable[[Record], Record]:
    """``cls`` (a :class:`Frozen` subclass declaring its fields as a dataclass does) made a
    frozen record: ``__init__`` takes the fields in order or by name, with their defaults;
    compared, hashed and shown by its fields, as ``dataclass(frozen=True)`` makes it, without
    dataclasses' imports and its generated code. ``record(slots=True)``: its fields are its
    ``__slots__`` (no ``__dict__``; the defaults are not class attributes), as with
    ``dataclass(frozen=True, slots=True)``.
    """
    if cls is None:
        return lambda declared: _recorded(declared, slots)
    return _recorded(cls, slots)


def _slotted(cls: Record, names: tuple[str, ...]) -> Record:
    """A new class whose slots are the fields ``names``, as dataclasses makes one."""
    body = {key: value for key, value in cls.__dict__.items() if key not in (*names, "__dict__", "__weakref__")}
    body["__slots__"] = names
    maker: Any = type(cls)
    slotted: Any = maker(cls.__name__, cls.__bases__, body)
    slotted.__qualname__ = cls.__qualname__
    return slotted  # type: ignore[no-any-return]


def _recorded(cls: Record, slots: bool) -> Record:
    """:func:`record` on ``cls``."""
    # The class's own annotations, in order (not its bases'; Python 3.9 has no inspect.get_annotations).
    names = tuple(cls.__dict__.get("__annotations__", {}))  # noqa: RUF063
    # One pass over the fields (the records on a cold call's path are declared as it imports them).
    specs: dict[str, _Field] = {}
    required: list[str] = []  # the fields without a default, which come first
    compared: list[str] = []
    for name in names:
        value = cls.__dict__.get(name, _MISSING)
        spec = specs[name] = value if isinstance(value, _Field) else _Field(value, None, True)
        if spec.factory is None and spec.default is _MISSING:
            if len(required) < len(specs) - 1:
                raise TypeError(f"{cls.__name__}: a field without a default follows one with a default")
            required.append(name)
        if spec.compare:
            compared.append(name)
        if spec is not value or slots:
            # A plain default stays a class attribute, as a dataclass's does; a slotted class is
            # made again below without its fields' attributes (this one is left as it is).
            continue
        if value.default is _MISSING:
            delattr(cls, name)
        else:  # one change of the class, not two
            setattr(cls, name, value.default)
    if slots:
        cls = _slotted(cls, names)
    setter = object.__setattr__

    def init(self: Frozen, *args: object, **kwargs: object) -> None:
        if len(args) > len(names):
            raise TypeError(f"{cls.__name__}() takes {len(names)} arguments, {len(args)} were given")
        values = dict(zip(names, args))
        for name, value in kwargs.items():
            if name not in specs or name in values:
                raise TypeError(f"{cls.__name__}() got an unexpected or repeated argument {name!r}")
            values[name] = value
        if len(values) < len(names):  # the fields without a default come first
            for name in required:
                if name not in values:
                    raise TypeError(f"{cls.__name__}() missing argument {name!r}")
        for name in names:  # one pass (a call makes some thirty records)
            if name in values:
                setter(self, name, values[name])
            else:
                spec = specs[name]
                setter(self, name, spec.factory() if spec.factory is not None else spec.default)

    # Made in the class's module, as dataclasses makes its __init__: its code is the class's own.
    import sys

    where = sys.modules[cls.__module__].__dict__
    made = _FunctionType(init.__code__, where, "__init__", None, init.__closure__)
    made.__qualname__ = f"{cls.__qualname__}.__init__"
    copies = _FunctionType(Frozen.replace_.__code__, where, "replace_")
    copies.__qualname__ = f"{cls.__qualname__}.replace_"
    cls.__init__ = made  # type: ignore[method-assign]
    cls.replace_ = copies  # type: ignore[method-assign]
    cls._fields = names
    cls._compared = None if len(compared) == len(names) else tuple(compared)
    return cls

