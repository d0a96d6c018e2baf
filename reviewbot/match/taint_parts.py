"""The parts of a taint span that can be analysed apart.  Pure.

``taint`` analyses each span of a unit (a macro body, a function, a run of
other statements) as one control-flow graph.  Statements that no edge joins
(code after a ``ret`` that no branch reaches from the code before it: the
next function, where a file's functions are not marked the kernel's way)
form separate components, and the analysis of one never reaches another:
a component's states, hits and traces come only from its own statements.
Run from the entries of some components only, the analysis visits their
statements in the same order as the whole run does (its worklist is a
stack: another component's items are pushed and popped above theirs without
reordering them), so it finds the same hits in the same order.

One thing is shared: the budget of visits of the span.  A statement is
visited at most once more than the number of registers that can be tainted
in its component, so when that bound, summed over the span, stays within
the budget, the whole run never runs out and running a part of it is exact;
otherwise :func:`parts` says so and the span is analysed whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reviewbot.asm.ast import Instruction, Memory, RegList
from reviewbot.match.semantics import effects, reg_key
from reviewbot.match.taint import TaintMatcher, _successors, segment_labels, visit_budget
from reviewbot.match.units import AsmUnit
from reviewbot.records import record


@record
class Component:
    """Statements of a span that edges join, by index, in order; which of
    them are entries (as positions in ``indices``); and each one's
    successors (positions too)."""

    indices: tuple[int, ...]
    entries: tuple[int, ...]
    successors: tuple[tuple[int, ...], ...]


@record
class SpanParts:
    """A span (start, end) of a unit and its components, in order of their first statement."""

    start: int
    end: int
    components: tuple[Component, ...]


def parts(matcher: TaintMatcher, unit: AsmUnit, start: int, end: int) -> SpanParts | None:
    """The components of one span, or None when running a part of it could
    differ from the whole run (the visit budget might bind)."""
    statements = unit.region.statements
    labels = segment_labels(statements, start, end)
    parent = list(range(end - start))
    succs: list[list[int]] = []
    regs: list[set[str]] = []
    defines = {r for source in matcher.sources for r in source.defines}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for index in range(start, end):
        stmt = statements[index]
        eff = effects(stmt) if isinstance(stmt, Instruction) else None
        following = _successors(statements, index, end, labels, eff)
        succs.append(following)
        regs.append(_registers(stmt, eff))
        for succ in following:
            a, b = root(index - start), root(succ - start)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    for offset in range(end - start):
        groups.setdefault(root(offset), []).append(offset)
    entries = {start} | {i for positions in labels.values() for i in positions}
    visits = 0
    components = []
    for members in groups.values():  # in order of their first statement (a root is its smallest member)
        tainted = defines.union(*(regs[m] for m in members))
        visits += len(members) * (1 + len(tainted))
        indices = tuple(start + m for m in members)
        position = {i: n for n, i in enumerate(indices)}
        components.append(Component(
            indices=indices,
            entries=tuple(n for n, i in enumerate(indices) if i in entries),
            successors=tuple(tuple(position[s] for s in succs[m]) for m in members),
        ))
    if visits > visit_budget(start, end):
        return None
    return SpanParts(start, end, tuple(components))


def _registers(stmt: Any, eff: Any) -> set[str]:
    """Every register key the statement could put a label on: its operands
    (and their base, offset and index) and what it writes."""
    found = set(eff.writes) if eff is not None else set()
    for op in getattr(stmt, "operands", ()):
        parts: Iterable[Any] = (op,)
        if isinstance(op, Memory):
            parts = (op.base, op.offset, op.index)
        elif isinstance(op, RegList):
            parts = op.registers
        found.update(k for p in parts if p is not None and (k := reg_key(p)) is not None)
    return found


def span_of(span: SpanParts, chosen: Iterable[Component]) -> tuple[int, int, tuple[int, ...]]:
    """What ``TaintMatcher.run`` takes to analyse only these components of the span."""
    return span.start, span.end, tuple(sorted(c.indices[e] for c in chosen for e in c.entries))


def signature(unit: AsmUnit, component: Component) -> tuple:
    """What a component's hits depend on besides the rule and the era: its
    statements' kinds, texts and contexts, its edges and its entries
    (statements parse the same from the same text)."""
    statements, contexts = unit.region.statements, unit.region.contexts
    return (tuple((type(statements[i]).__name__, statements[i].text, contexts[i]) for i in component.indices),
            component.successors, component.entries)
