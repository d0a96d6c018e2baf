"""The mapping a rule file's YAML is read into."""

from __future__ import annotations


class LineDict(dict):
    """A dict that knows the 1-based line of each of its keys (``lines``)."""

    __slots__ = ("lines", "line")
    lines: dict[object, int]
    line: int
