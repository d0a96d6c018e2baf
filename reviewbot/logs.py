"""Loggers that cost nothing until a record is kept.

Importing :mod:`logging` takes some 8 ms (it brings traceback, threading,
string, weakref), a tenth of a one-patch ``reviewbot check``, which usually
logs nothing.  ``logger(name)`` stands in for ``logging.getLogger(name)``:
a record below the level the command line asked for is dropped on the spot
while :mod:`logging` is not loaded; any other record goes to
``logging.getLogger(name)``, importing :mod:`logging` then.  Once
:mod:`logging` is loaded (by a test, by requests, by a program that uses
reviewbot as a library), every record goes to it and its levels decide.
"""

from __future__ import annotations

import sys
from typing import Any

DEBUG, INFO, WARNING, ERROR = 10, 20, 30, 40

_floor = 0  # records below this are dropped while logging is not loaded
_pending: tuple[int, str] | None = None  # the command line's basicConfig, not made yet


def configure(level: int, fmt: str) -> None:
    """``logging.basicConfig(level=level, format=fmt, stream=sys.stderr)``,
    made when the first record at or above ``level`` arrives (at once when
    :mod:`logging` is already loaded)."""
    global _floor, _pending
    _floor, _pending = level, (level, fmt)
    if "logging" in sys.modules:
        _logging()


def set_level(name: str, level: int) -> None:
    """``logging.getLogger(name).setLevel(level)``; records of ``level``
    and above are kept from now on."""
    global _floor
    _floor = min(_floor, level)
    _logging().getLogger(name).setLevel(level)


def _logging() -> Any:
    global _pending
    import logging

    if _pending is not None:
        level, fmt = _pending
        _pending = None
        logging.basicConfig(level=level, format=fmt, stream=sys.stderr)
    return logging


class Logger:
    """The methods of :class:`logging.Logger` that reviewbot uses."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def _log(self, level: int, msg: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if level < _floor and "logging" not in sys.modules:
            return
        kwargs.setdefault("stacklevel", 3)  # the caller of debug(), not this module
        _logging().getLogger(self.name).log(level, msg, *args, **kwargs)

    def debug(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self._log(DEBUG, msg, args, kwargs)

    def info(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self._log(INFO, msg, args, kwargs)

    def warning(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self._log(WARNING, msg, args, kwargs)

    def error(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self._log(ERROR, msg, args, kwargs)

    def isEnabledFor(self, level: int) -> bool:  # noqa: N802 - logging's name
        if level < _floor and "logging" not in sys.modules:
            return False
        return bool(_logging().getLogger(self.name).isEnabledFor(level))


def logger(name: str) -> Logger:
    """The logger of module ``name`` (pass ``__name__``)."""
    return Logger(name)
