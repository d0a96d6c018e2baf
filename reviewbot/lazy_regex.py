"""A regex that pickles as its source and compiles on first use.

Rules are cached as a pickle (:mod:`reviewbot.rule_cache`); a compiled
``re.Pattern`` would be recompiled on every load, for rules that most runs
never reach.  This compiles once when the rule is built (so a bad regex is
a load error) and, after a cache load, only when a match needs it.
"""

from __future__ import annotations

import re
from typing import Any


class LazyRegex:
    """The parts of ``re.Pattern`` the matchers use."""

    __slots__ = ("pattern", "flags", "_compiled")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags = flags
        self._compiled: re.Pattern[str] | None = re.compile(pattern, flags)

    def _regex(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(self.pattern, self.flags)
        return self._compiled

    def match(self, text: str) -> re.Match[str] | None:
        """``re.Pattern.match``."""
        return self._regex().match(text)

    def search(self, text: str) -> re.Match[str] | None:
        """``re.Pattern.search``."""
        return self._regex().search(text)

    def finditer(self, text: str) -> Any:
        """``re.Pattern.finditer``."""
        return self._regex().finditer(text)

    @property
    def groupindex(self) -> Any:
        """``re.Pattern.groupindex``."""
        return self._regex().groupindex

    def __getstate__(self) -> tuple[str, int]:
        return (self.pattern, self.flags)

    def __setstate__(self, state: tuple[str, int]) -> None:
        self.pattern, self.flags = state
        self._compiled = None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LazyRegex) and (self.pattern, self.flags) == (other.pattern, other.flags)

    def __hash__(self) -> int:
        return hash((self.pattern, self.flags))

    def __repr__(self) -> str:
        return f"LazyRegex({self.pattern!r})"
