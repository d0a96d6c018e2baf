"""Structural patterns over the assembly AST, and the formulas that combine them
(compiled from YAML by :mod:`reviewbot.match.formulas`).

A pattern is one statement in assembly syntax with metavariables
(``ldr $R, =$SYM``, ``$OP ..., [$R, ...]``).  A formula combines patterns
with ``all``, ``any``, ``not``, ``inside``, ``follows``, ``precedes`` and
``where`` constraints (docs/rules.md, "match").  Evaluation is pure: a formula
and a region of statements in, matches with their bindings out.

Why this module is long: the formula language's evaluator is one recursive
match over the AST (patterns, relations, ``where``, metavariable binding);
its compiler is formulas.py and instruction semantics are semantics.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from reviewbot.asm.ast import (
    CMacroCall, Directive, Ellipsis, Expression, Immediate, Instruction, Label, Literal,
    MacroArg, MacroDef, MacroEnd, Memory, MetaVar, Preprocessor, Register, RegList, Shift, SysReg, Symbol,
)
from reviewbot.analysis.context import StatementContext
from reviewbot.records import field, record
from reviewbot.match.semantics import effects, is_instruction
from reviewbot.match.sysreg_where import SysregTest, certain_features

Bindings = Mapping[str, Any]

STOP_KINDS = ("label", "branch", "call", "return", "macro-boundary", "section-change", "function-boundary")
KINDS = ("gpr", "gpr64", "gpr32", "sp", "zr", "vector", "fp", "sve", "pred", "za", "reg",
         "sysreg", "immediate", "literal", "literal-symbol", "literal-constant", "macro-arg",
         "symbol", "label", "memory", "shift", "reglist", "expression", "mnemonic", "macro")


@record
class Match:
    """A statement (by index in the region) and the metavariables bound there."""

    index: int
    bindings: Bindings
    steps: tuple[int, ...] = ()  # other statements the match relied on (follows/precedes)


@record
class Region:
    """The statements a formula runs over, with their contexts."""

    statements: tuple
    contexts: tuple[StatementContext, ...]


# --- operands ---------------------------------------------------------------------


def operand_kinds(op: Any) -> frozenset[str]:
    """The ``kind`` names a ``where`` constraint can ask of a bound value."""
    if isinstance(op, str):
        return frozenset({"mnemonic"} if is_instruction(op) else {"mnemonic", "macro"})
    if isinstance(op, Register):
        kinds = {"reg", op.kind}
        if op.kind in ("gpr64", "gpr32"):
            kinds.add("gpr")
        return frozenset(kinds)
    if isinstance(op, SysReg):
        return frozenset({"sysreg"})
    if isinstance(op, Immediate):
        return frozenset({"immediate"})
    if isinstance(op, Literal):
        return frozenset({"literal", "literal-symbol" if op.symbol else "literal-constant"})
    if isinstance(op, MacroArg):
        return frozenset({"macro-arg"})
    if isinstance(op, Symbol):
        name = op.name
        is_label = bool(re.match(r"^(\d+[bf]|\.L)", name))
        return frozenset({"symbol", "label"} if is_label else {"symbol"})
    if isinstance(op, Memory):
        return frozenset({"memory"})
    if isinstance(op, Shift):
        return frozenset({"shift"})
    if isinstance(op, RegList):
        return frozenset({"reglist"})
    return frozenset({"expression"})


def value_key(op: Any) -> str:
    """What makes two bound values "the same": the canonical register, the
    macro argument's name, the symbol, the number, else the folded text."""
    if isinstance(op, str):
        return op.lower()
    if isinstance(op, Register):
        return "reg:" + op.canon
    if isinstance(op, MacroArg):
        return "arg:" + op.name
    if isinstance(op, SysReg):
        return "sys:" + op.canon.lower()
    if isinstance(op, Symbol):
        return "sym:" + op.name
    if isinstance(op, Immediate) and op.value is not None:
        return f"imm:{op.value}"
    text = getattr(op, "text", str(op))
    return "txt:" + re.sub(r"\s+", "", text).lower()


def value_text(op: Any) -> str:
    """How a bound value is written in a message."""
    if isinstance(op, str):
        return op
    if isinstance(op, Symbol):
        return op.name
    return getattr(op, "text", str(op))


def _bind(bindings: Bindings, name: str, value: Any) -> Bindings | None:
    if name == "_":
        return bindings
    if name in bindings:
        return bindings if value_key(bindings[name]) == value_key(value) else None
    new = dict(bindings)
    new[name] = value
    return new


def match_operand(pat: Any, op: Any, bindings: Bindings) -> Bindings | None:
    """Match one pattern operand against one operand."""
    if isinstance(pat, MetaVar):
        return _bind(bindings, pat.name, op)
    if isinstance(pat, Literal):
        if not isinstance(op, Literal):
            return None
        if pat.symbol and pat.symbol.startswith("$"):
            value: Any = Symbol(text=op.symbol, name=op.symbol, column=op.column) if op.symbol else \
                Immediate(text=op.text[1:], value=op.value, column=op.column)
            return _bind(bindings, pat.symbol[1:], value)
        return bindings if value_key(pat) == value_key(op) or pat.symbol == op.symbol else None
    if isinstance(pat, Memory):
        return _match_memory(pat, op, bindings)
    if isinstance(pat, Register) and isinstance(op, Register):
        return bindings if pat.canon == op.canon else None
    if isinstance(pat, SysReg) and isinstance(op, SysReg):
        return bindings if pat.canon.lower() == op.canon.lower() else None
    if isinstance(pat, Immediate) and isinstance(op, Immediate):
        if pat.value is not None and op.value is not None:
            return bindings if pat.value == op.value else None
    if isinstance(pat, (Symbol, Expression)) and isinstance(op, SysReg):
        return bindings if pat.text.lower() == op.canon.lower() else None
    return bindings if value_key(pat) == value_key(op) else None


def _match_memory(pat: Memory, op: Any, bindings: Bindings) -> Bindings | None:
    if not isinstance(op, Memory):
        return None
    result = match_operand(pat.base, op.base, bindings)
    if result is None:
        return None
    if isinstance(pat.offset, Ellipsis):  # [$R, ...]: any addressing mode
        return result
    # "[$B, $R]" in a pattern names the second element, an offset or an index register
    pat_second = pat.offset if pat.offset is not None else pat.index
    op_second = op.offset if op.offset is not None else op.index
    for pat_part, op_part in ((pat_second, op_second), (pat.shift, op.shift)):
        if pat_part is None and op_part is None:
            continue
        if pat_part is None or op_part is None:
            return None
        result = match_operand(pat_part, op_part, result)
        if result is None:
            return None
    return result if (pat.writeback or None) == (op.writeback or None) else None


def match_operands(pats: tuple, ops: tuple, bindings: Bindings) -> Bindings | None:
    """Match operand lists; ``...`` and ``$...X`` take zero or more operands."""
    if not pats:
        return bindings if not ops else None
    head, rest = pats[0], pats[1:]
    if _variadic(head):
        takes = range(len(ops) + 1)
        if not any(_variadic(p) for p in rest):  # the rest takes one operand each: one split can match
            fixed = len(ops) - len(rest)
            takes = range(fixed, fixed + 1) if fixed >= 0 else range(0)
        for take in takes:
            b = bindings
            if isinstance(head, MetaVar):
                b = _bind(bindings, head.name, Expression(text=", ".join(value_text(o) for o in ops[:take])))
                if b is None:
                    continue
            found = match_operands(rest, ops[take:], b)
            if found is not None:
                return found
        return None
    if not ops:
        return None
    first = match_operand(head, ops[0], bindings)
    if first is None:
        return None
    return match_operands(rest, ops[1:], first)


def _variadic(pat: Any) -> bool:
    """Does a pattern operand take any number of operands?"""
    return isinstance(pat, Ellipsis) or (isinstance(pat, MetaVar) and pat.ellipsis)


def match_instruction(pat: Instruction, stmt: Any, bindings: Bindings) -> Bindings | None:
    """Match an instruction pattern against a statement."""
    if not isinstance(stmt, Instruction):
        return None
    if pat.mnemonic.startswith("$"):
        bindings = _bind(bindings, pat.mnemonic[1:], stmt.mnemonic)
        if bindings is None:
            return None
    elif pat.mnemonic.lower() != stmt.mnemonic.lower():
        return None
    return match_operands(pat.operands, stmt.operands, bindings)


_NUMBER = re.compile(r"^[-+]?(0x[0-9a-f]+|0b[01]+|\d+)$", re.IGNORECASE)
_IDENT = re.compile(r"^[A-Za-z_.$][\w.$]*$")


def directive_arg(text: str, column: int = 0) -> Any:
    """A directive argument as an operand: a number, a symbol or an expression."""
    text = text.strip()
    if _NUMBER.match(text):
        return Immediate(text=text, value=int(text, 0), column=column)
    if _IDENT.match(text):
        return Symbol(text=text, name=text, column=column)
    return Expression(text=text, column=column)


def match_directive(pattern: tuple[str, tuple[str, ...]], stmt: Any, bindings: Bindings) -> Bindings | None:
    """Match ``.quad $SYM`` style patterns against a Directive statement."""
    if not isinstance(stmt, Directive) or stmt.name.lower() != pattern[0].lower():
        return None
    pats = tuple(Ellipsis() if p == "..." else MetaVar(p[1:]) if p.startswith("$") else directive_arg(p)
                 for p in pattern[1])
    return match_operands(pats, tuple(directive_arg(a, stmt.column) for a in stmt.args), bindings)


# --- formulas ------------------------------------------------------------------------


@record
class Where:
    """A constraint on a bound metavariable."""

    metavariable: str
    kinds: tuple[str, ...] = ()
    regex: re.Pattern[str] | None = None
    not_regex: re.Pattern[str] | None = None
    values: frozenset[str] | None = None
    sysreg: SysregTest | None = None  # facts of the register-table entry

    def holds(self, bindings: Bindings, statements: tuple = ()) -> bool:
        """True when the bound value satisfies every part of the constraint
        (``statements``: the region, for names it defines itself)."""
        if self.metavariable not in bindings:
            return False
        value = bindings[self.metavariable]
        if self.kinds and not (operand_kinds(value) & set(self.kinds)):
            return False
        text = _constraint_text(value)
        if self.regex is not None and not self.regex.match(text):
            return False
        if self.not_regex is not None and self.not_regex.match(text):
            return False
        if self.values is not None and text.lower() not in self.values:
            return False
        if self.sysreg is not None and not self.sysreg.holds(value, statements):
            return False
        return True


def _constraint_text(value: Any) -> str:
    if isinstance(value, (Register, SysReg)):
        return value.canon if isinstance(value, SysReg) else value.text
    return value_text(value)


@record
class Node:
    """A compiled formula node."""

    op: str  # pattern | all | any | not | follows | precedes | inside | where
    pattern: Instruction | None = None
    children: tuple["Node", ...] = ()
    where: tuple[Where, ...] = ()
    within: int | None = None
    stop_at: tuple[str, ...] = ()
    when_not: tuple[Any, ...] = ()  # Node or ("reads"|"writes", metavariable)
    inside: Mapping[str, Any] = field(default_factory=dict)
    focus: str | None = None
    let: tuple[tuple[str, str], ...] = ()  # extra bindings rendered from templates
    directive: tuple[str, tuple[str, ...]] | None = None  # (".quad", ("$SYM",)) for directive patterns
    metavariable: str | None = None  # for reads / writes


def render_template(template: str, bindings: Mapping[str, Any], extra: Mapping[str, str] | None = None) -> str:
    """Fill ``$NAME``, ``${NAME}`` and ``${NAME.attr}`` from bindings (values
    written as the author wrote them) and ``extra`` (``FILE``, ``SOURCE.line``...)."""
    extra = extra or {}

    def sub(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        attr = match.group(2)
        key = f"{name}.{attr}" if attr else name
        if key in extra:
            return extra[key]
        if name in bindings and attr in (None, "text"):
            return value_text(bindings[name])
        if name in bindings and attr == "feature":  # what gates the register, where certain
            return " or ".join(certain_features(value_text(bindings[name]))) or match.group(0)
        return match.group(0)
    return _TEMPLATE_VAR.sub(sub, template)


_TEMPLATE_VAR = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)(?:\.([a-z]+))?\}|\$([A-Z_][A-Z0-9_]*)")


def _apply_let(node: Node, bindings: Bindings) -> Bindings:
    if not node.let:
        return bindings
    new = dict(bindings)
    for name, template in node.let:
        new[name] = render_template(template, bindings)
    return new


def metavariables(node: Node) -> set[str]:
    """Metavariables a formula binds positively (what a message may use)."""
    names: set[str] = set()
    names |= {name for name, _ in node.let}
    if node.op == "directive" and node.directive is not None:
        names |= {a[1:] for a in node.directive[1] if a.startswith("$")}
    if node.op == "pattern" and node.pattern is not None:
        if node.pattern.mnemonic.startswith("$"):
            names.add(node.pattern.mnemonic[1:])
        names |= _pattern_vars(node.pattern.operands)
    if node.op != "not":
        for child in node.children:
            names |= metavariables(child)
    return names


def _pattern_vars(operands: tuple) -> set[str]:
    names = set()
    for op in operands:
        if isinstance(op, MetaVar):
            names.add(op.name)
        elif isinstance(op, Literal) and op.symbol and op.symbol.startswith("$"):
            names.add(op.symbol[1:])
        elif isinstance(op, Memory):
            names |= _pattern_vars(tuple(p for p in (op.base, op.offset, op.index) if p is not None))
    return names


def find(node: Node, region: Region, starts: list[int] | None = None) -> list[Match]:
    """Every statement where a positive formula matches (only at the
    indices ``starts``, in order, when given: the rest of the region is
    still there for relations and constraints to look at)."""
    indices = range(len(region.statements)) if starts is None else starts
    if node.op == "pattern":
        out = []
        for index in indices:
            stmt = region.statements[index]
            if isinstance(stmt, Instruction):
                b = match_instruction(node.pattern, stmt, {})  # type: ignore[arg-type]
                if b is not None and all(w.holds(b, region.statements) for w in node.where):
                    out.append(Match(index, _apply_let(node, b)))
        return out
    if node.op == "directive":
        return [Match(i, _apply_let(node, b)) for i in indices
                if (b := match_directive(node.directive, region.statements[i], {})) is not None  # type: ignore[arg-type]
                and all(w.holds(b, region.statements) for w in node.where)]
    if node.op == "any":
        found: list[Match] = []
        for child in node.children:
            found.extend(find(child, region, starts))
        return found
    if node.op == "all":
        positives = [c for c in node.children if c.op in ("pattern", "directive", "all", "any")]
        if not positives:
            raise ValueError("'all' needs at least one positive pattern")
        candidates = find(positives[0], region, starts)
        for child in node.children:
            if child is positives[0]:
                continue
            candidates = [ext for m in candidates for ext in test(child, region, m)]
        return [Match(m.index, _apply_let(node, m.bindings), m.steps)
                for m in candidates if all(w.holds(m.bindings, region.statements) for w in node.where)]
    raise ValueError(f"'{node.op}' cannot stand alone; put it inside 'all' with a pattern")


def test(node: Node, region: Region, m: Match) -> list[Match]:
    """Does ``node`` hold at match ``m``?  Returns ``m`` extended with new
    bindings (one per way it holds), or nothing."""
    if node.op == "pattern":
        b = match_instruction(node.pattern, region.statements[m.index], m.bindings)  # type: ignore[arg-type]
        if b is None or not all(w.holds(b, region.statements) for w in node.where):
            return []
        return [Match(m.index, _apply_let(node, b), m.steps)]
    if node.op == "directive":
        b = match_directive(node.directive, region.statements[m.index], m.bindings)  # type: ignore[arg-type]
        if b is None or not all(w.holds(b, region.statements) for w in node.where):
            return []
        return [Match(m.index, _apply_let(node, b), m.steps)]
    if node.op in ("reads", "writes"):
        stmt = region.statements[m.index]
        if not isinstance(stmt, Instruction) or node.metavariable not in m.bindings:
            return []
        eff = effects(stmt)
        regs = eff.reads if node.op == "reads" else eff.writes
        key = value_key(m.bindings[node.metavariable])
        return [m] if any(_reg_value_key(r) == key for r in regs) else []
    if node.op == "all":
        current = [m]
        for child in node.children:
            current = [ext for c in current for ext in test(child, region, c)]
        return [c for c in current if all(w.holds(c.bindings, region.statements) for w in node.where)]
    if node.op == "any":
        return [ext for child in node.children for ext in test(child, region, m)]
    if node.op == "not":
        return [] if test(node.children[0], region, m) else [m]
    if node.op == "where":
        return [m] if all(w.holds(m.bindings, region.statements) for w in node.where) else []
    if node.op == "inside":
        return [m] if _inside(node.inside, region.contexts[m.index], region, m.index) else []
    if node.op in ("follows", "precedes"):
        return _relational(node, region, m)
    raise ValueError(f"unknown formula operator {node.op!r}")


def _inside(spec: Mapping[str, Any], ctx: StatementContext, region: Region, index: int) -> bool:
    if "macro" in spec:
        names = spec["macro"]
        if ctx.macro is None or (names not in (True, "*") and ctx.macro not in names):
            return False
    if "function" in spec:
        if ctx.function is None or not re.match(spec["function"], ctx.function):
            return False
    if "section" in spec:
        if ctx.section is None or not any(ctx.section.startswith(s) for s in spec["section"]):
            return False
    return True


def _stops(stmt: Any, stop_at: tuple[str, ...]) -> bool:
    if isinstance(stmt, Preprocessor) and stmt.directive in ("if", "ifdef", "ifndef", "elif", "else", "endif"):
        return "label" in stop_at or "branch" in stop_at  # another arm of the code starts here
    if isinstance(stmt, Label):
        return "label" in stop_at
    if isinstance(stmt, (MacroDef, MacroEnd)):
        return "macro-boundary" in stop_at
    if isinstance(stmt, Directive) and stmt.name in (".pushsection", ".popsection", ".section", ".text"):
        return "section-change" in stop_at
    if isinstance(stmt, CMacroCall) and re.match(r"^(SYM_\w+_(START|END)|ENTRY|END|ENDPROC)", stmt.name):
        return "function-boundary" in stop_at or "label" in stop_at
    if isinstance(stmt, Instruction):
        flow = effects(stmt).flow
        return flow in stop_at
    return False


def _relational(node: Node, region: Region, m: Match) -> list[Match]:
    step = -1 if node.op == "follows" else 1
    index = m.index + step
    seen = 0
    passed: list[int] = []
    inner = node.children[0]
    while 0 <= index < len(region.statements):
        stmt = region.statements[index]
        if isinstance(stmt, Instruction):
            for ext in test(inner, region, Match(index, m.bindings)):
                if _clean_between(node.when_not, region, passed, ext.bindings):
                    return [Match(m.index, ext.bindings, m.steps + (index,))]
            seen += 1
            if node.within is not None and seen >= node.within:
                return []
        if _stops(stmt, node.stop_at):
            return []
        passed.append(index)
        index += step
    return []


def _clean_between(when_not: tuple[Any, ...], region: Region, between: list[int], bindings: Bindings) -> bool:
    for index in between:
        stmt = region.statements[index]
        if not isinstance(stmt, Instruction):
            continue
        for cond in when_not:
            if isinstance(cond, Node):
                if test(cond, region, Match(index, bindings)):
                    return False
                continue
            verb, name = cond
            if name not in bindings:
                continue
            key = value_key(bindings[name])
            eff = effects(stmt)
            regs = eff.reads if verb == "reads" else eff.writes
            if any(_reg_value_key(r) == key for r in regs):
                return False
    return True


def _reg_value_key(reg: str) -> str:
    if reg.startswith("\\"):
        return "arg:" + reg[1:]
    return "reg:" + reg
