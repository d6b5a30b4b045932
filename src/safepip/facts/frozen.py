"""Frozen records without :mod:`dataclasses`.

``dataclass(frozen=True)`` imports dataclasses, and with it inspect, re, copy and typing: about
10 ms, more than the rest of the no-op check after a change (docs/performance.md). The records
that check reads (a scanned pip call, an interpreter's probe, a requirement file's line, a pip
setting) are :class:`Frozen` instead: compared, hashed and shown by their fields, immutable,
copied with changes by :meth:`Frozen.replace_`.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker only
    from typing import Any, TypeVar

    Self = TypeVar("Self", bound="Frozen")


class Frozen:
    """A record whose fields are ``_fields`` (in order; also its ``__slots__``); subclasses
    set them in ``__init__`` with :meth:`set_` (assignment is refused afterwards, as a frozen
    dataclass refuses it).
    """

    __slots__: tuple[str, ...] = ()
    _fields: tuple[str, ...] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Frozen)
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({shown})"

    def __reduce__(self) -> tuple[Any, ...]:
        # copy and pickle set fields through setattr, which a frozen record refuses
        return (_made, (type(self), self._values()))

    def set_(self, **values: object) -> None:
        """Set fields (for ``__init__`` alone)."""
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def replace_(self: Self, **changes: object) -> Self:
        """A copy with ``changes`` (what dataclasses.replace gives)."""
        unknown = set(changes) - set(self._fields)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {sorted(unknown)[0]!r}")
        new = object.__new__(type(self))
        new.set_(**{name: changes.get(name, getattr(self, name)) for name in self._fields})
        return new


def _made(cls: type[Frozen], values: tuple[Any, ...]) -> Frozen:
    """A record of ``cls`` with ``values`` (what :meth:`Frozen.__reduce__` gives back)."""
    new = object.__new__(cls)
    new.set_(**dict(zip(cls._fields, values)))
    return new
