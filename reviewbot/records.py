"""Value classes: ``@record`` makes a class of annotated fields slotted and,
by default, frozen, with ``__init__``, ``__repr__``, ``__eq__``, ``__hash__``
and pickling; ``order=True`` adds ``<``, ``<=``, ``>``, ``>=``.

It does what ``@dataclass(frozen=True, slots=True)`` does for reviewbot, at a
tenth of the cost: a dataclass compiles five or six functions for each class
(~0.6 ms) and importing :mod:`dataclasses` imports :mod:`inspect` (~15 ms).
reviewbot defines some seventy value classes, and those two costs were half
the start-up of a one-patch ``reviewbot check``.  A record compiles only its
``__init__``, so construction is as fast as a dataclass's; the other methods
are shared and compare or hash the tuple of field values taken by one
:func:`operator.attrgetter`.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any, Callable, TypeVar, dataclass_transform

T = TypeVar("T")


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


#: A field with no default.
MISSING: Any = _Missing()


class FrozenRecordError(AttributeError):
    """Assignment to a field of a frozen record."""


class Field:
    """One field: its name, annotation (a string) and default or default factory."""

    __slots__ = ("name", "type", "default", "default_factory")

    def __init__(self, default: Any = MISSING, default_factory: Any = MISSING) -> None:
        if default is not MISSING and default_factory is not MISSING:
            raise ValueError("a field cannot have both a default and a default factory")
        self.name = ""
        self.type: Any = None
        self.default = default
        self.default_factory = default_factory

    def __repr__(self) -> str:
        return f"Field(name={self.name!r}, default={self.default!r}, default_factory={self.default_factory!r})"


def field(*, default: Any = MISSING, default_factory: Callable[[], Any] | Any = MISSING) -> Any:
    """A field's default (``default=``) or a callable that makes one per
    instance (``default_factory=list``)."""
    return Field(default, default_factory)


@dataclass_transform(frozen_default=True, field_specifiers=(field, Field))
def record(cls: type[T] | None = None, /, *, frozen: bool = True, order: bool = False) -> Any:
    """Decorate a class of annotated fields (see the module docstring)."""
    def wrap(c: type[T]) -> type[T]:
        return _build(c, frozen, order)
    return wrap if cls is None else wrap(cls)


def fields(obj: Any) -> tuple[Field, ...]:
    """The fields of a record class or instance, in order."""
    try:
        return obj.__record_fields__
    except AttributeError:
        raise TypeError(f"{obj!r} is not a record") from None


def is_record(obj: Any) -> bool:
    """Whether ``obj`` is a record class or instance."""
    return hasattr(obj, "__record_fields__")


def replace(obj: T, /, **changes: Any) -> T:
    """A copy of record ``obj`` with ``changes`` applied."""
    cls: Any = type(obj)
    try:
        values = dict(zip(cls.__slots__, cls.__record_values__(obj)))  # the fields, read in C
    except AttributeError:
        raise TypeError(f"{obj!r} is not a record") from None
    if not changes.keys() <= values.keys():
        raise TypeError(f"{cls.__name__} has no field {min(changes.keys() - values.keys())!r}")
    values.update(changes)
    return cls(**values)


# --- building the class -----------------------------------------------------------


_MADE = ("__init__", "__repr__", "__eq__", "__reduce__", "__setattr__", "__delattr__", "__lt__", "__le__",
         "__gt__", "__ge__")


def _build(cls: type, frozen: bool, order: bool) -> Any:
    own = [name for name in _MADE if name in cls.__dict__]
    if own or cls.__dict__.get("__hash__", False) not in (False, None):
        raise TypeError(f"{cls.__qualname__}: a record makes its own {(own or ['__hash__'])[0]}")
    annotations = cls.__dict__.get("__annotations__", {})
    found: list[Field] = []
    for name, annotation in annotations.items():
        if isinstance(annotation, str) and annotation.startswith(("ClassVar", "typing.ClassVar")):
            continue
        value = cls.__dict__.get(name, MISSING)
        spec = value if isinstance(value, Field) else Field(default=value)
        spec.name, spec.type = name, annotation
        found.append(spec)
    names = tuple(f.name for f in found)

    namespace = {k: v for k, v in cls.__dict__.items()
                 if k not in names and k not in ("__dict__", "__weakref__")}
    namespace["__slots__"] = names
    namespace["__record_fields__"] = tuple(found)
    namespace["__record_values__"] = staticmethod(_values_getter(names))
    namespace["__repr__"] = _repr
    namespace["__eq__"] = _eq
    namespace["__hash__"] = _hash if frozen else None
    namespace["__reduce__"] = _reduce
    if frozen:
        namespace["__setattr__"] = _frozen_setattr
        namespace["__delattr__"] = _frozen_delattr
    if order:
        namespace.update(__lt__=_lt, __le__=_le, __gt__=_gt, __ge__=_ge)
    new = type(cls)(cls.__name__, cls.__bases__, namespace)
    new.__qualname__ = cls.__qualname__
    new.__init__ = _make_init(new, found)  # type: ignore[misc]
    return new


def _values_getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The tuple of field values of an instance; one attrgetter does it in C."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        single = attrgetter(names[0])
        return lambda obj: (single(obj),)
    return lambda obj: ()


def _make_init(cls: type, found: list[Field]) -> Callable[..., None]:
    """Compile ``__init__``: positional-or-keyword parameters in field order,
    each stored through its slot's descriptor (which a frozen
    ``__setattr__`` does not stand in the way of)."""
    scope: dict[str, Any] = {"_FACTORY": _FACTORY}
    params, body = ["self"], []
    seen_default = False
    for f in found:
        setter = f"_set_{f.name}"
        scope[setter] = cls.__dict__[f.name].__set__
        if f.default is not MISSING:
            scope[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
            seen_default = True
        elif f.default_factory is not MISSING:
            scope[f"_factory_{f.name}"] = f.default_factory
            params.append(f"{f.name}=_FACTORY")
            body.append(f"if {f.name} is _FACTORY: {f.name} = _factory_{f.name}()")
            seen_default = True
        elif seen_default:
            raise TypeError(f"{cls.__qualname__}: field {f.name!r} without a default follows one with a default")
        else:
            params.append(f.name)
        body.append(f"{setter}(self, {f.name})")
    source = f"def __init__({', '.join(params)}):\n    " + "\n    ".join(body or ["pass"]) + "\n"
    exec(source, scope)  # noqa: S102 - our own text, built from field names
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    return init


_FACTORY: Any = _Missing()


def _repr(self: Any) -> str:
    parts = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in self.__record_fields__)
    return f"{type(self).__qualname__}({parts})"


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is self.__class__:
        return self.__record_values__(self) == self.__record_values__(other)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(self.__record_values__(self))


def _reduce(self: Any) -> tuple[type, tuple[Any, ...]]:
    return type(self), tuple(self.__record_values__(self))


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenRecordError(f"cannot assign to field {name!r} of frozen {type(self).__name__}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenRecordError(f"cannot delete field {name!r} of frozen {type(self).__name__}")


def _compare(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], Any]:
    def method(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return op(self.__record_values__(self), self.__record_values__(other))
        return NotImplemented
    return method


_lt = _compare(lambda a, b: a < b)
_le = _compare(lambda a, b: a <= b)
_gt = _compare(lambda a, b: a > b)
_ge = _compare(lambda a, b: a >= b)
