"""Where in a unit a rule's hits can count, so that its matcher runs there
and not over the whole file.  Pure.

Tree-aware review gives each changed file as one unit, the whole file, of
which a patch touches a few lines.  Which hits count is the engine's
(``engine._allowed`` and ``engine._new_only``); this module narrows where a
matcher looks without changing which hits come out of that filter:

- ``added`` and ``context`` modes: a hit counts when one of its anchors sits
  on an allowed line (an added line, or one within ``context`` lines of a
  change).  A structural formula's anchor is its own statement, so the
  formula is tried only at statements on allowed lines (relations such as
  ``follows`` still see the whole region).  A taint hit's anchors are its
  trace, and a trace never leaves the span it was found in (a macro body,
  a function, a run of other statements), so only spans with a statement on
  an allowed line are analysed.
- ``new`` mode keeps the post-image hits whose key the pre-image does not
  have as often.  A span whose statements, texts and contexts are the same
  on both sides gives the same keys on both sides (when the matcher's
  formulas look at nothing outside the statement they test), so the spans
  that match one to one cancel out and only the changed spans need running,
  plus, on both sides, the unchanged spans that could end a hit with a key
  the changed spans give (so that which instance of a repeated key is kept,
  the first ones being dropped, comes out as over the whole file).

Other matchers, ``file`` mode and whole files checked as added run as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reviewbot.analysis.views import View
from reviewbot.asm.ast import Instruction, MacroEnd
from reviewbot.match.patterns import Node
from reviewbot.match.structural import FormulaMatcher
from reviewbot.match.taint import TaintMatcher
from reviewbot.match.taint_parts import Component, SpanParts, parts, signature, span_of
from reviewbot.match.units import AsmUnit, Hit
from reviewbot.records import record


def changed_rows(view: View) -> set[int]:
    """1-based view lines that the patch added, or right after a deletion."""
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
    if mode == "added":
        return frozenset(n for n, row in enumerate(view.rows, start=1) if row.kind == "+")
    return frozenset(line for c in changed_rows(view) for line in range(c - context, c + context + 1))


def focused_hits(matcher: Any, unit: AsmUnit, lines: frozenset[int] | None) -> Iterator[Hit]:
    """The matcher's hits on the unit that can have an anchor on ``lines``
    (and perhaps others), or all of them when ``lines`` is None."""
    if lines is None:
        return matcher.run(unit)
    statements = unit.region.statements
    if isinstance(matcher, TaintMatcher):
        chosen = [p for p in _pieces(matcher, unit, signed=False)
                  if any(statements[i].line in lines for i in p.indices)]
        return iter(_run_pieces(matcher, unit, chosen))
    if isinstance(matcher, FormulaMatcher):
        return matcher.run(unit, [i for i, stmt in enumerate(statements) if stmt.line in lines])
    return matcher.run(unit)


def new_mode_hits(matcher: Any, new_units: list[AsmUnit], old_units: list[AsmUnit]) -> dict[int, list[Hit]] | None:
    """Hits of the post-image and the pre-image of one whole file (by unit
    ``id``), fewer than the matcher gives on each but leaving
    ``engine._new_only`` the same answer; None when this matcher or these
    units cannot be narrowed (run it whole)."""
    if len(new_units) != 1 or len(old_units) != 1:
        return None
    new, old = new_units[0], old_units[0]
    if not (isinstance(matcher, TaintMatcher) and _local(matcher) and new.view.whole_file and old.view.whole_file):
        return None
    new_pieces, old_pieces = _pieces(matcher, new), _pieces(matcher, old)
    changed_new, changed_old = _unmatched(new, new_pieces, old, old_pieces)
    first = _run_pieces(matcher, new, changed_new)
    keys = {hit.key for hit in first}
    more_new = [p for p in new_pieces if p not in changed_new and _may_end(new, p, keys)]
    more_old = [p for p in old_pieces if p not in changed_old and _may_end(old, p, keys)]
    new_hits = _run_pieces(matcher, new, changed_new + more_new) if more_new else first
    return {id(new): new_hits, id(old): _run_pieces(matcher, old, changed_old + more_old)}


@record
class _Piece:
    """What is analysed apart: a component of a span, or a whole span
    (``component`` None), with what its hits depend on."""

    span: tuple[int, int]
    parts: SpanParts | None
    component: Component | None
    indices: tuple[int, ...] | range
    signature: tuple = ()


#: The pieces of the last few units, by (matcher, statements): in a series,
#: a patch's pre-image is often the post-image of the patch before.
_RECENT: dict[tuple[int, int, bool], tuple[AsmUnit, list[_Piece]]] = {}


def _pieces(matcher: TaintMatcher, unit: AsmUnit, signed: bool = True) -> list[_Piece]:
    key = (id(matcher), id(unit.region.statements), signed)
    if (known := _RECENT.get(key)) is not None:
        seen, pieces = known
        if seen.region.statements is unit.region.statements and seen.region.contexts == unit.region.contexts \
                and seen.file.era == unit.file.era:
            return pieces
    pieces = _cut(matcher, unit, signed)
    while len(_RECENT) >= 4:
        del _RECENT[next(iter(_RECENT))]
    _RECENT[key] = (unit, pieces)
    return pieces


def _cut(matcher: TaintMatcher, unit: AsmUnit, signed: bool) -> list[_Piece]:
    out = []
    for start, end in matcher.segments(unit):
        span_parts = parts(matcher, unit, start, end)
        if span_parts is None:
            sig = _span_signature(unit, start, end) if signed else ()
            out.append(_Piece((start, end), None, None, range(start, end), sig))
            continue
        for component in span_parts.components:
            sig = signature(unit, component) if signed else ()
            out.append(_Piece((start, end), span_parts, component, component.indices, sig))
    return out


def _run_pieces(matcher: TaintMatcher, unit: AsmUnit, pieces: list[_Piece]) -> list[Hit]:
    """Hits of these pieces, in the order and with the repeats the whole
    run has (the pieces of one span run together)."""
    by_span: dict[tuple[int, int], list[_Piece]] = {}
    for piece in pieces:
        by_span.setdefault(piece.span, []).append(piece)
    spans: list[tuple] = []
    for span in sorted(by_span):
        group = by_span[span]
        if group[0].parts is None:
            spans.append(span)
        else:
            spans.append(span_of(group[0].parts, [p.component for p in group if p.component is not None]))
    return list(matcher.run(unit, spans))


def _span_signature(unit: AsmUnit, start: int, end: int) -> tuple:
    """What a whole span's hits depend on: its statements' kinds, texts and
    contexts (statements parse the same from the same text)."""
    statements, contexts = unit.region.statements, unit.region.contexts
    return ("span",) + tuple((type(statements[i]).__name__, statements[i].text, contexts[i]) for i in range(start, end))


def _unmatched(new: AsmUnit, new_pieces: list[_Piece], old: AsmUnit,
               old_pieces: list[_Piece]) -> tuple[list[_Piece], list[_Piece]]:
    """The pieces of each side with no twin on the other (equal
    signatures, matched one to one).  A piece's twin, if any, is the old
    piece holding the old line its first statement was (the views share
    the rows of unchanged lines); a piece it is not is counted changed."""
    old_at = {}  # old file line -> the piece of the first statement there
    for piece in old_pieces:
        for i in piece.indices:
            old_at.setdefault(old.region.statements[i].line, piece)
    twins: set[int] = set()
    changed_new = []
    for piece in new_pieces:
        row = new.view.rows[new.region.statements[piece.indices[0]].line - 1]
        twin = old_at.get(row.old_line) if row.kind == " " and row.old_line is not None else None
        if twin is not None and id(twin) not in twins and twin.signature == piece.signature:
            twins.add(id(twin))
        else:
            changed_new.append(piece)
    return changed_new, [p for p in old_pieces if id(p) not in twins]


def _may_end(unit: AsmUnit, piece: _Piece, keys: set[str]) -> bool:
    """Could a hit in the piece have one of these keys?  A taint key is
    the folded text of its source, ``->`` and that of its sink (an
    instruction or a macro's end), both statements of the piece: one
    statement's words must begin the key's words and one's end them."""
    if not keys:
        return False
    split = [key.split(" ") for key in keys]
    firsts = {words[0] for words in split}
    lasts = {words[-1] for words in split}
    begun: set[int] = set()
    ended: set[int] = set()
    statements = unit.region.statements
    for i in piece.indices:
        stmt = statements[i]
        if not isinstance(stmt, (Instruction, MacroEnd)):
            continue
        words = stmt.text.lower().split()
        if not words:
            return True  # folds to nothing: it could be anything's source or sink
        if words[0] in firsts and isinstance(stmt, Instruction):
            begun.update(n for n, key in enumerate(split) if key[:len(words)] == words)
        if words[-1] in lasts:
            ended.update(n for n, key in enumerate(split) if key[-len(words):] == words)
        if begun & ended:
            return True
    return False


def _local(matcher: TaintMatcher) -> bool:
    """Do the matcher's formulas look only at the statement they test (no
    ``follows``/``precedes``, no constraint that reads the region)?"""
    return all(_local_node(e.formula) for e in (*matcher.sources, *matcher.sanitizers, *matcher.sinks))


def _local_node(node: Node) -> bool:
    if node.op in ("follows", "precedes") or any(w.sysreg is not None for w in node.where):
        return False
    return all(_local_node(child) for child in node.children) and \
        all(_local_node(cond) for cond in node.when_not if isinstance(cond, Node))
