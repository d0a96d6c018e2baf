"""A small memo for what the rules of one patch ask again and again of the
same object (a view, a region), kept by object identity.  Pure."""

from __future__ import annotations

from typing import Any


def remember(memo: dict, key: Any, value: Any, size: int = 16) -> None:
    """Keep ``value``, forgetting the oldest entries beyond ``size``."""
    while len(memo) >= size:
        try:
            memo.pop(next(iter(memo)), None)
        except (RuntimeError, StopIteration):  # another thread changed it: it is small enough
            break
    memo[key] = value
