"""Where in a unit a rule's hits can count, so that its matcher runs there
and not over the whole file.  Pure.

Tree-aware review gives each changed file as one unit, the whole file, of
which a patch touches a few lines.  Which hits count is the engine's
(``engine._allowed``): in the ``added`` and ``context`` modes, a hit counts
when one of its anchors sits on an allowed line (an added line, or one
within ``context`` lines of a change).  This module narrows where a matcher
looks without changing which hits pass that filter:

- a structural formula's anchor is its own statement, so the formula is
  tried only at statements on allowed lines (relations such as ``follows``
  and constraints still see the whole region);
- a taint hit's anchors are its trace, and a trace never leaves the span it
  was found in (a macro body, a function, a run of other statements), so
  only the spans with a statement on an allowed line are analysed.

``new`` mode compares with the pre-image wherever a hit is, and ``file``
mode and whole files checked as added take every hit: there the matcher
runs whole, but in ``new`` mode on the pre-image only when it could give a
hit with the key of one the post-image gave.  A taint run over a whole unit is remembered: in a series, a
patch's pre-image is often the post-image of the patch before, parsed once
(match/whole_file.py), and its analysis need not be done twice either.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Set as AbstractSet
from operator import attrgetter
from typing import Any

from reviewbot.analysis.context import StatementContext
from reviewbot.analysis.views import FileRows, View
from reviewbot.asm.ast import Instruction, MacroEnd
from reviewbot.match.comment_blocks import rows_of_kind
from reviewbot.memo import remember
from reviewbot.match.patterns import Region
from reviewbot.match.structural import FormulaMatcher
from reviewbot.match.taint import TaintMatcher
from reviewbot.match.units import AsmUnit, Hit


def changed_rows(view: View) -> AbstractSet[int]:
    """1-based view lines that the patch added, or right after a deletion."""
    if type(view.rows) is FileRows:
        return view.rows.changed()
    changed = set()
    previous_old = None
    for number, row in enumerate(view.rows, start=1):
        if row.kind != " ":
            changed.add(number)
        elif view.side == "new" and previous_old is not None and row.old_line is not None \
                and row.old_line != previous_old + 1:
            changed.add(number)
        if row.old_line is not None:
            previous_old = row.old_line
    return changed


def anchor_lines(mode: str, context: int, view: View | None) -> frozenset[int] | None:
    """The unit lines one of a hit's anchors must sit on for the hit to
    count (what ``engine._allowed`` asks), or None: anywhere."""
    if view is None or mode not in ("added", "context") or view.all_added:
        return None
    key = (id(view), mode, context if mode == "context" else 0)
    if (known := _LINES.get(key)) is not None and known[0] is view:
        return known[1]
    if mode == "added":
        lines = frozenset(rows_of_kind(view, "+"))
    else:
        lines = frozenset(line for c in changed_rows(view) for line in range(c - context, c + context + 1))
    remember(_LINES, key, (view, lines))
    return lines


def focused_hits(matcher: Any, unit: AsmUnit, lines: frozenset[int] | None) -> Iterator[Hit]:
    """The matcher's hits on the unit that can have an anchor on ``lines``
    (and perhaps others), or all of them when ``lines`` is None."""
    statements = unit.region.statements
    if isinstance(matcher, TaintMatcher):
        if lines is None:
            return iter(_whole_taint(matcher, unit))
        return matcher.run(unit, [(start, end) for start, end in matcher.segments(unit)
                                  if any(statements[i].line in lines for i in range(start, end))])
    if isinstance(matcher, FormulaMatcher) and lines is not None:
        return matcher.run(unit, _indices_on(statements, lines))
    return matcher.run(unit)


def could_repeat(matcher: Any, units: list[AsmUnit], keys: set[str]) -> bool:
    """Could the matcher give, on these units, a hit with one of these
    keys?  False only when it surely cannot: no keys, or a taint matcher
    and no unit with one statement whose words begin a key and one whose
    words end it (a taint key is the folded text of its source, ``->``,
    and that of its sink, an instruction or a macro's end)."""
    if not keys:
        return False
    if not isinstance(matcher, TaintMatcher):
        return True
    split = [key.split(" ") for key in keys]
    firsts = {words[0] for words in split}
    lasts = {words[-1] for words in split}
    for unit in units:
        begun: set[int] = set()
        ended: set[int] = set()
        for words, instruction in _folded_words(unit.region.statements):
            if not words:
                return True  # folds to nothing: it could begin or end anything
            if words[0] in firsts and instruction:
                begun.update(n for n, key in enumerate(split) if key[:len(words)] == words)
            if words[-1] in lasts:
                ended.update(n for n, key in enumerate(split) if key[-len(words):] == words)
            if begun & ended:
                return True
    return False


def _folded_words(statements: tuple) -> list[tuple[list[str], bool]]:
    """The folded words of each instruction and macro end of the statements,
    and whether it is an instruction."""
    return [(stmt.text.lower().split(), kind is Instruction)
            for stmt in statements if (kind := type(stmt)) is Instruction or kind is MacroEnd]


#: What the rules of one patch ask again and again of the same view and
#: statements (every rule of a mode asks the same), by object identity;
#: each entry keeps its object so that the identity stays its own.
_LINES: dict[tuple, tuple[View, frozenset[int]]] = {}
_INDICES: dict[tuple[int, int], tuple[tuple, frozenset[int], list[int]]] = {}


def _indices_on(statements: tuple, lines: frozenset[int]) -> list[int]:
    """The indices of the statements that start on ``lines``."""
    key = (id(statements), id(lines))
    if (known := _INDICES.get(key)) is not None and known[0] is statements and known[1] is lines:
        return known[2]
    # a region's statements are in line order (context_at): a run of lines
    # is a run of statements
    found: list[int] = []
    lo = 0
    for first, last in runs_of(sorted(lines)):
        lo = bisect_left(statements, first, lo=lo, key=_line)
        hi = bisect_right(statements, last, lo=lo, key=_line)
        found.extend(range(lo, hi))
        lo = hi
    remember(_INDICES, key, (statements, lines, found))
    return found


def runs_of(lines: list[int]) -> Iterator[tuple[int, int]]:
    """The runs of consecutive numbers in sorted ``lines``: (first, last)."""
    start = None
    for previous, line in zip([None, *lines], lines):
        if previous is None or line != previous + 1:
            if start is not None:
                yield start, previous
            start = line
    if start is not None:
        yield start, lines[-1]


def context_at(region: Region, line: int) -> StatementContext | None:
    """The context of the first statement of the region on this line (a
    region's statements are in line order, as the scanner meets them)."""
    statements = region.statements
    i = bisect_left(statements, line, key=_line)
    if i < len(region.contexts) and statements[i].line == line:
        return region.contexts[i]
    return None


_line = attrgetter("line")


#: The last few whole-unit taint runs, by (matcher, statements): the
#: statements of a whole file are shared by every unit parsed from its text.
_RECENT: dict[tuple[int, int], tuple[AsmUnit, list[Hit]]] = {}


def _whole_taint(matcher: TaintMatcher, unit: AsmUnit) -> list[Hit]:
    """``matcher.run(unit)``, remembered.  The analysis reads the unit's
    statements, their contexts and its era, nothing else."""
    key = (id(matcher), id(unit.region.statements))
    if (known := _RECENT.get(key)) is not None:
        seen, hits = known
        if seen.region.statements is unit.region.statements and seen.region.contexts == unit.region.contexts \
                and seen.file.era == unit.file.era:
            return hits
    hits = list(matcher.run(unit))
    remember(_RECENT, key, (unit, hits), size=4)
    return hits
