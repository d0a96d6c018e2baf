"""``match:`` — structural patterns and formulas over the assembly AST."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reviewbot.match.formulas import compile_formula
from reviewbot.match.patterns import Node, find, metavariables, value_text
from reviewbot.match.units import AsmUnit, Hit, normalise
from reviewbot.records import record


@record
class FormulaMatcher:
    """``match:`` — a formula over the assembly AST."""

    formula: Node
    languages: tuple[str, ...] = ("arm64-asm",)

    def bound(self) -> set[str]:
        """Metavariables a message may use."""
        return metavariables(self.formula)

    def run(self, unit: AsmUnit, starts: list[int] | None = None) -> Iterator[Hit]:
        """Every statement of the unit where the formula holds (of the
        statements ``starts``, when given: a hit's anchor is its statement)."""
        statements = unit.region.statements
        for m in find(self.formula, unit.region, starts):
            stmt = statements[m.index]
            focus = _focus(self.formula)
            column = stmt.column
            if focus and focus in m.bindings:
                column = getattr(m.bindings[focus], "column", 0) or column
            trace = tuple(("step", statements[i].line, statements[i].text) for i in m.steps)
            extra = {}
            if m.steps:
                first = statements[m.steps[0]]
                extra = {"STEP.line": str(first.line), "STEP.text": " ".join(first.text.split())}
            yield Hit(
                line=stmt.line,
                column=column,
                bindings={k: value_text(v) for k, v in m.bindings.items()},
                key=normalise(stmt.text),
                trace=trace,
                anchors=(stmt.line,),
                extra=extra,
            )


def _focus(node: Node) -> str | None:
    if node.focus:
        return node.focus
    for child in node.children:
        if child.op in ("pattern", "directive", "all", "any") and (f := _focus(child)):
            return f
    return None



def compile_match(spec: Any, path: str) -> FormulaMatcher:
    return FormulaMatcher(compile_formula(spec))
