"""Registers a unit's code names through ``.req`` aliases, for the
stale-comment matcher (match/comments.py): after ``ctr .req x12`` a comment
that says x12 is still right over code that only says ``ctr``.  Pure."""

from __future__ import annotations

import re
from typing import Any

from reviewbot.asm.ast import Directive
from reviewbot.asm.registers import REGISTERS


_LAST: list[tuple[tuple, dict[str, frozenset[str]]]] = []
_REQ = re.compile(r"\.req", re.IGNORECASE)


def file_aliases(unit: Any) -> dict[str, frozenset[str]]:
    """:func:`req_aliases` of every new-side region of the unit's file (the
    ``.req`` lines sit in another hunk as often as not), read once per file."""
    regions = unit.siblings or (unit,)
    if _LAST and _LAST[0][0] is regions:
        return _LAST[0][1]
    # a .req line is in the text of its view: most files have none to look for
    found = (req_aliases(tuple(s for u in regions for s in u.region.statements))
             if any(_REQ.search(u.view.text) for u in regions) else {})
    _LAST[:] = [(regions, found)]  # holds the regions: their id is not reused while cached
    return found


def req_aliases(statements: tuple) -> dict[str, frozenset[str]]:
    """Canonical register (``x12``) -> the names ``.req`` gives it in ``statements``."""
    found: dict[str, set[str]] = {}
    for stmt in statements:
        if isinstance(stmt, Directive) and stmt.name == ".req" and len(stmt.args) == 2:
            name, register = stmt.args
            found.setdefault(canonical_register(register), set()).add(name)
    return {reg: frozenset(names) for reg, names in found.items()}


def alias_used(register: str, aliases: dict[str, frozenset[str]], block: list[Any]) -> bool:
    """Does ``block`` name ``register`` through one of its aliases?"""
    names = aliases.get(canonical_register(register))
    if not names:
        return False
    code = " ".join(s.text for s in block)
    return any(re.search(rf"(?<![\w.]){re.escape(n)}(?!\w)", code) for n in names)


def canonical_register(name: str) -> str:
    """A register's canonical name as operands carry it (``w12`` -> ``x12``,
    ``lr`` -> ``x30``); any other name lower-cased (a system register)."""
    name = name.strip().lower()
    return REGISTERS.get(name, (name,))[0]
