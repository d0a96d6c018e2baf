"""The blocks of code comments annotate, for the ``comment:`` matcher
(match/comments.py): which comments of a unit a patch can concern, found
from the lines it changes rather than by walking every comment of a whole
file, and what a block holds, read once for all of a comment's mentions.
Pure.

Tree-aware review gives each changed file as one unit, the whole file.  The
``comment:`` matcher (match/comments.py) can only report a comment whose
own lines the patch adds, or whose annotated code (``annotated``: the
statements after it up to a blank line, a label, another comment, the end
of the macro; the whole function below ``SYM_FUNC_START``; the whole body
below ``.macro``) holds an added line or a deletion.  From each changed
line, :func:`concerned_comments` walks up the statements only as far as
one of those blocks can reach, so ``annotated`` runs on a few comments.

A unit's statements are in source order (by ``line``): that is what lets a
line be found by bisection.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from operator import attrgetter
from typing import Any

from reviewbot.analysis.views import FileRows
from reviewbot.asm.ast import CMacroCall, Comment, Label, MacroDef, MacroEnd
from reviewbot.memo import remember


def changed_lines(view: Any) -> tuple[int, ...]:
    """The 1-based view lines the patch added or deleted (a ``+`` or ``-``
    row), and the first kept line after a deletion (its old line jumps),
    in order; remembered per view (every rule of a patch asks the same)."""
    known = _CHANGED.get(id(view))
    if known is not None and known[0] is view:
        return known[1]
    rows = view.rows
    if type(rows) is FileRows:  # a whole file: from its hunks
        lines = tuple(sorted(rows.changed()))
        remember(_CHANGED, id(view), (view, lines))
        return lines
    edited = [m.start() for m in _EDITED.finditer("".join(map(_KIND, rows)))]
    found = set(edited)
    start = 0
    for stop in edited + [len(rows)]:
        if start < stop:  # rows[start:stop] are kept rows
            at = start - 1  # the row before with an old line (an added row has none)
            while at >= 0 and rows[at].old_line is None:
                at -= 1
            _kept_jumps(rows, start, stop - 1, rows[at].old_line if at >= 0 else None, found)
        start = stop + 1
    lines = tuple(i + 1 for i in sorted(found))
    remember(_CHANGED, id(view), (view, lines))
    return lines


_KIND = attrgetter("kind")
_EDITED = re.compile(r"[^ ]")


def _kept_jumps(rows: Any, low: int, high: int, before: int | None, found: set[int]) -> None:
    """Add to ``found`` the rows of the kept run ``rows[low:high + 1]``
    whose old line is not one more than that of the row with an old line
    before it (``before``: the one before the run)."""
    if rows[low].old_line is None or rows[high].old_line is None:  # not a run of old lines: row by row
        for i in range(low, high + 1):
            old = rows[i].old_line
            if old is not None:
                if before is not None and old != before + 1:
                    found.add(i)
                before = old
        return
    if before is not None and rows[low].old_line != before + 1:
        found.add(low)
    _jumps(rows, low, high, found)


def _jumps(rows: Any, low: int, high: int, found: set[int]) -> None:
    """``_kept_jumps`` inside the run, by halving: kept rows' old lines
    rise, so a run without a gap spans as many old lines as rows."""
    if high <= low:
        return
    first, last = rows[low].old_line, rows[high].old_line
    if last - first != high - low:
        if high == low + 1:
            found.add(high)
        else:
            middle = (low + high) // 2
            _jumps(rows, low, middle, found)
            _jumps(rows, middle, high, found)


def rows_of_kind(view: Any, kind: str) -> list[int]:
    """The 1-based view lines whose row is of ``kind`` (``+`` or ``-``)."""
    rows = view.rows
    return [n for n in changed_lines(view) if rows[n - 1].kind == kind]


def _line(stmt: Any) -> int:
    return stmt.line


def on_line(statements: tuple, line: int) -> range:
    """The indices of the statements that start on ``line``."""
    return range(bisect_left(statements, line, key=_line), bisect_right(statements, line, key=_line))


#: The kernel's function markers (a comment above a start describes the function).
FUNC_START = re.compile(r"^(SYM_(FUNC|CODE)_START\w*|ENTRY|SYM_TYPED_FUNC_START)$")
FUNC_END = re.compile(r"^(SYM_(FUNC|CODE)_END\w*|END|ENDPROC)$")


def starts_function(stmt: Any) -> bool:
    return isinstance(stmt, CMacroCall) and bool(FUNC_START.match(stmt.name))


def concerned_comments(statements: tuple, lines: tuple[int, ...], contexts: tuple = ()) -> list[int]:
    """The indices, in order, of the comments that sit on one of ``lines``
    (sorted) or whose annotated block may hold a statement on or after one
    of them while starting before it: a superset of the comments the
    ``comment:`` matcher can report.  ``contexts``, the statements' own
    (analysis/context.py), tell where no macro is open any more."""
    if len(contexts) != len(statements):
        contexts = ()
    found: set[int] = set()
    floor = 0  # comments below it were looked at from an earlier line
    for line in lines:
        first = bisect_left(statements, line, key=_line)
        found.update(i for i in range(first, bisect_right(statements, line, key=_line))
                     if isinstance(statements[i], Comment))
        _walk_up(statements, contexts, first, floor, found)
        floor = max(floor, first)
    return sorted(found)


def _walk_up(statements: tuple, contexts: tuple, first: int, floor: int, found: set[int]) -> None:
    """Add to ``found`` the comments above index ``first`` (down to
    ``floor``) whose block can reach it.  A plain block stops at a blank
    line, a label or a comment on a line of its own once it holds code, and
    at the end of a macro; the body under a ``.macro`` line stops at the end
    of the macro; the body of a function at its end marker.  A comment that
    reaches ``first`` from further up than ``floor`` reaches the earlier line
    ``floor`` was set from too (a block is a run of statements).  Where a
    statement's context has no macro, every ``.macro`` above it was ended
    before it: no macro's opening comment above reaches further."""
    plain = macro = function = True
    barrier = False  # a label or a comment of its own line between here and ``first``
    below: Any = None  # the nearest statement below that is not a comment
    if first < len(statements):
        stmt = statements[first]
        if isinstance(stmt, Comment):
            barrier = not stmt.trailing
        else:
            below = stmt
            barrier = isinstance(stmt, Label | MacroEnd)
            macro = not isinstance(stmt, MacroEnd)
        macro = macro and not (contexts and contexts[first].macro is None)
    for index in range(first - 1, floor - 1, -1):
        stmt = statements[index]
        if isinstance(stmt, Comment):
            if plain or (function and starts_function(below)) \
                    or (macro and index > 0 and isinstance(statements[index - 1], MacroDef)):
                found.add(index)
            barrier = barrier or not stmt.trailing
            continue
        if plain and (barrier or (below is not None and below.line > stmt.line + 1)):
            plain = False  # a block holding this statement stops before ``first``
        if isinstance(stmt, MacroEnd):
            plain = macro = False
        elif isinstance(stmt, CMacroCall) and FUNC_END.match(stmt.name):
            function = False
        if macro and contexts and contexts[index].macro is None:
            macro = False  # every .macro above was ended before this statement
        if not (plain or macro or function):
            return
        barrier = barrier or isinstance(stmt, Label)
        below = stmt


class BlockFacts:
    """What the mentions of a comment ask of one block, each read once: a
    comment names several things, and a function's body is long."""

    def __init__(self, block: list[Any]) -> None:
        self.block = block
        self._code: str | None = None
        self._folded: str | None = None
        self._registers: set[str] | None = None

    @property
    def code(self) -> str:
        """The statements' text, joined by spaces."""
        if self._code is None:
            self._code = " ".join(s.text for s in self.block)
        return self._code

    @property
    def folded(self) -> str:
        """``code`` without white space, in lower case."""
        if self._folded is None:
            self._folded = re.sub(r"\s+", "", self.code).lower()
        return self._folded

    @property
    def registers(self) -> set[str]:
        """The canonical names of the registers the block's operands use."""
        if self._registers is None:
            self._registers = {getattr(part, "canon", "").lower() for stmt in self.block
                               for op in getattr(stmt, "operands", ())
                               for part in (op, getattr(op, "base", None), getattr(op, "index", None))
                               if part is not None}
        return self._registers


_FACTS: list[BlockFacts] = []


def block_facts(block: list[Any]) -> BlockFacts:
    """The facts of a block, remembered for the last few blocks (a comment's
    mentions are checked against its old block and its new one in turn)."""
    for known in _FACTS:
        if known.block is block:
            return known
    facts = BlockFacts(block)
    _FACTS[:] = _FACTS[-3:] + [facts]
    return facts


_CHANGED: dict[int, tuple[Any, tuple[int, ...]]] = {}
