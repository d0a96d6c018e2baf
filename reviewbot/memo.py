"""Small memos kept by the identity of the objects their values were made
of: :func:`remember` for what the rules of one patch ask again and again
of the same object (a view, a region), :class:`Budgeted` for what is made
of a whole file and kept while a series may come back to it.  Pure."""

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


#: The budget of what is kept of whole files (statements): a series' files
#: are all outlined and read before any rule runs, the rules ask again for
#: each, and a later patch may come back to a file long after an earlier
#: one (some 250 files of 1,000 statements; the review holds the
#: statements themselves anyway).
WHOLE_FILE_STATEMENTS = 250_000


class Budgeted:
    """Values kept by the identity of the objects they were made of (each
    object kept with them, so that its id stays its own), the oldest going
    while their sizes together pass ``budget``: what is made of a whole
    file, kept for as long as a series may come back to the file."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._items: dict[tuple[int, ...], tuple[tuple, Any, int]] = {}
        self._size = 0

    def get(self, *objects: Any) -> Any:
        """The value kept for these very objects, or None."""
        known = self._items.get(tuple(map(id, objects)))
        if known is not None and all(a is b for a, b in zip(known[0], objects)):
            return known[1]
        return None

    def put(self, objects: tuple, value: Any, size: int) -> None:
        """Keep ``value`` for ``objects``; ``size``: what it counts against the budget."""
        key = tuple(map(id, objects))
        if (old := self._items.pop(key, None)) is not None:
            self._size -= old[2]
        while self._items and self._size + size > self.budget:
            try:
                self._size -= self._items.pop(next(iter(self._items)))[2]
            except (RuntimeError, StopIteration, KeyError):  # another thread changed it: it is small enough
                break
        self._items[key] = (objects, value, size)
        self._size += size

    def clear(self) -> None:
        self._items.clear()
        self._size = 0
