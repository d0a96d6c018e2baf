"""Build the AST of :mod:`reviewbot.asm.ast` from the :class:`~reviewbot.asm.parts.Part` s
and :class:`~reviewbot.asm.parts.Pending` statements that the grammar's
callbacks and the hand-written operand reader make.  An :class:`AstBuilder`,
made for one parse with the text, column and line it reads, turns those into
the AST.

Operand classification, in one place:

* registers by name (``x0``, ``w3`` -> ``x3``, ``lr`` -> ``x30``, ``q0``/``d0``
  -> ``v0``, ``z0.d`` -> ``z0``, ``p0/z`` -> ``p0``, ``za0h.s[w12, 0]``);
* system registers by shape (``*_elN``, ``s3_4_c13_c0_2``, ``SYS_*``), and any
  other name in the system-register slot of ``msr``/``mrs``/``msr_s``/
  ``mrs_s``/``msrr``/``mrrs`` (``daifset``, ``nzcv``, ``currentel``).  In
  the other operands of those, a name the system-register table
  (:mod:`reviewbot.analysis.sysregs`, any case) knows is a system register
  too: ``msr x0, daif`` has its operands swapped, and ``daif`` there is no
  symbol.  The ``*_elN`` shape is not applied to branch and address operands
  (``bl handle_el2`` names a function);
* condition codes, barrier/prefetch/TLBI/DC/AT/IC/BTI options and ``sys``'s
  ``cN`` operands are :class:`Expression` (they are neither registers nor
  symbols);
* ``#...`` is :class:`Immediate` (``value`` set when the expression is made of
  numbers only, evaluated with gas's operator precedence), except
  ``#:lo12:sym``, which is a :class:`Symbol` with ``reloc``;
* a name holding a macro argument (``\\reg``, ``x\\n``, ``\\reg\\().16b``) is
  a :class:`MacroArg` named after its first argument;
* a memory operand followed by exactly one more operand as the last two
  operands (``[x0], #16``, ``[x0], x2``) is one post-index :class:`Memory`;
  in ``[base, x]`` a register or bare macro argument ``x`` is the ``index``,
  anything else the ``offset``; ``lsl #3``/``mul vl`` is the ``shift``
  (``amount`` is the text after ``#``: ``"3"``, or ``"vl"``);
* :class:`RegList` ``registers`` holds the list's register items, a range
  expanded (``{v0.4s-v3.4s}`` gives v0..v3; the registers inside a range
  carry the range start's column); macro arguments in a list stay in
  ``text`` only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from reviewbot.asm.ast import (
    CMacroCall, Directive, Ellipsis, Expression, Immediate, Instruction, Label,
    Literal, MacroArg, Memory, MetaVar, Operand, Register, RegList,
    Shift, Statement, Symbol, SysReg,
)
from reviewbot.asm.directives import directive_node
from reviewbot.asm.parts import (
    Child, Children, Invalid, MemoryData, Part, Pending, Tok, end_of, start_of,
)
from reviewbot.asm.registers import (
    ADDRESS_MNEMONICS, ARRANGEMENT, COND_MNEMONICS, CONDITIONS, CREG, EXTENDS, OPTION_MNEMONICS,
    REGISTERS, SYS_MNEMONICS, SYSREG_SHAPE, SYSREG_SLOT, VECTOR_BASES, ZA_TILE,
)
from reviewbot.asm.splitting import split_args
from reviewbot.asm.values import char_value, const_value, number

_MACRO_NAME = re.compile(r"\\([A-Za-z_][A-Za-z0-9_]*)")


def _known_sysreg(name: str) -> bool:
    """Whether the system-register table knows ``name`` (lower case).  The
    table loads on the first question, so a parse that never asks one (no
    unclassified name beside ``msr``/``mrs``) never reads it."""
    from reviewbot.analysis.sysregs import lookup

    return lookup(name) is not None


class AstBuilder:
    """Builds the nodes of one parse: ``text`` is the statement (or operand)
    the positions refer to, ``col0`` its 0-based column in the source line,
    ``line`` its line, ``pattern`` True for a rule pattern (metavariables and
    ``...`` allowed).  Made per parse; the state travels in it, not in the
    shared parser."""

    __slots__ = ("text", "col0", "line", "pattern")

    def __init__(self, text: str, col0: int = 0, line: int = 0, pattern: bool = False) -> None:
        self.text = text
        self.col0 = col0
        self.line = line
        self.pattern = pattern

    # statements ----------------------------------------------------------------

    def statements(self, pending: list[Pending]) -> tuple[Statement, ...]:
        """The nodes of the grammar's ``start`` rule result."""
        return tuple(self.statement(p) for p in pending)

    def statement(self, pending: Pending) -> Statement:
        """The node of one :class:`Pending` statement."""
        children = pending.children
        tok = children[0]
        col = self.col0 + tok.start_pos + 1
        rule = pending.rule
        if rule == "instruction":
            return self._instruction(children)
        if rule == "label":
            return Label(tok[:-1], self.line, col, str(tok))
        if rule == "directive":
            rest = str(children[1]) if len(children) > 1 else ""
            return directive_node(str(tok), rest, self.line, col, self.text[tok.start_pos:].strip())
        if rule == "cmacro_call":
            name, _, inner = tok.partition("(")
            return CMacroCall(name, split_args(inner[:-1]), self.line, col, str(tok))
        if rule == "assignment":
            lhs, value = children
            return Directive("=", (lhs.rstrip("= \t"), str(value)), self.line, col,
                             self.text[lhs.start_pos:].strip())
        assert rule == "register_alias", rule
        lhs, reg = children
        return Directive(".req", (lhs.split()[0], str(reg)), self.line, col,
                         self.text[lhs.start_pos:].strip())

    def _instruction(self, children: list[Any]) -> Instruction:
        mnemonic_tok = children[0]
        if mnemonic_tok.type == "METAVAR":
            if not self.pattern or mnemonic_tok.startswith("$..."):
                raise Invalid(f"{mnemonic_tok!s} cannot be a mnemonic", mnemonic_tok.start_pos)
            mnemonic = str(mnemonic_tok)
        elif "\\" in mnemonic_tok:
            mnemonic = str(mnemonic_tok)
        else:
            mnemonic = mnemonic_tok.lower()
        parts = children[1] if len(children) > 1 else ()
        text, col0 = self.text, self.col0
        start = mnemonic_tok.start_pos
        operands = self.classify(mnemonic, [(p, text, col0) for p in parts], (text, col0))
        return Instruction(mnemonic, operands,
                           self.line, col0 + start + 1, text[start:].strip())

    def classify(self, mnemonic: str, parts: Sequence[tuple[Part[Any], str, int]],
                 whole: tuple[str, int]) -> tuple[Operand, ...]:
        """The operands of ``mnemonic`` from ``(part, text, col0)`` triples: each
        part was parsed from ``text``, which starts at 0-based column ``col0``
        of the line; ``whole`` is ``(text, col0)`` of the whole statement.
        Raises :class:`Invalid` for a part that makes no sense."""
        operands: list[Operand] = []
        last = len(parts) - 1
        for i, (part, text, col0) in enumerate(parts):
            self.text, self.col0 = text, col0
            if (i == last - 1 and part.kind == "memory" and not part.data[1]
                    and len(part.data[0]) == 1 and parts[last][0].kind in ("expr", "immediate")):
                base = self._memory(part, mnemonic).base
                column = self._col(part)
                increment, inc_text, inc_col0 = parts[last]
                self.text, self.col0 = inc_text, inc_col0
                offset = self.operand(increment, mnemonic, -1)
                source, base_col0 = whole
                mem_text = source[col0 + part.start - base_col0:inc_col0 + increment.end - base_col0]
                operands.append(Memory(mem_text, base, offset, None, None, "post", column))
                break
            operands.append(self.operand(part, mnemonic, i))
        return tuple(operands)

    # classification ----------------------------------------------------------------

    def _text(self, part: Child) -> str:
        return self.text[start_of(part):end_of(part)]

    def _col(self, part: Child) -> int:
        return self.col0 + start_of(part) + 1

    def operand(self, part: Part[Any], mnemonic: str, index: int) -> Operand:
        """The AST operand for ``part``, operand number ``index`` of ``mnemonic``."""
        kind = part.kind
        if kind == "expr":
            items = part.data
            if len(items) == 1:
                return self._cls_atom(items[0], mnemonic, index)
            if (len(items) == 2 and type(items[1]) is not Part and items[1].type == "NUMBER"
                    and items[0] in ("-", "+")):
                value = number(items[1])
                return Immediate(self._text(part), None if value is None
                                 else (-value if items[0] == "-" else value), self._col(part))
            return Expression(self._text(part), self._col(part))
        if kind == "immediate":
            inner = part.data
            if inner.kind == "reloc":
                reloc, expr = inner.data
                return Symbol(self._text(part), self._text(expr), reloc, self._col(part))
            return Immediate(self._text(part), const_value(inner.data), self._col(part))
        if kind == "memory":
            return self._memory(part, mnemonic)
        if kind == "reloc":
            reloc, expr = part.data
            return Symbol(self._text(part), self._text(expr), reloc, self._col(part))
        if kind == "literal":
            return self._literal(part)
        if kind == "reglist":
            return self._reg_list(part)
        if kind == "shift":
            op, amount = part.data
            amount_text = (None if amount is None else
                           str(amount) if type(amount) is not Part else self._text(amount))
            return Shift(self._text(part), op.lower(), amount_text, self._col(part))
        if kind == "pred":
            text = str(part.data)
            base = text[:-2]
            m = _MACRO_NAME.search(base)
            if m is not None:  # PRED_REG allows "\\" only before a macro argument's name
                return MacroArg(text, m.group(1), self._col(part))
            return Register(text, "p" + base[1:].lstrip("nN"), "pred", self._col(part))
        if kind == "objdump":
            text = str(part.data)
            return Symbol(text, text[text.index("<") + 1:-1], None, self._col(part))
        if kind == "ellipsis":
            if not self.pattern:
                raise Invalid("'...' is only allowed in a rule pattern", part.start)
            return Ellipsis("...", self._col(part))
        raise Invalid(f"unexpected operand {self._text(part)!r}", part.start)  # pragma: no cover

    def _cls_atom(self, item: Child, mnemonic: str, index: int) -> Operand:
        if isinstance(item, Part):
            if item.kind == "indexed":
                node = self._word(item.data, mnemonic, index)
                text = self._text(item)
                if type(node) is Register:
                    return Register(text, node.canon, node.kind, node.column)
                if type(node) is MacroArg:
                    return MacroArg(text, node.name, node.column)
            return Expression(self._text(item), self._col(item))
        kind = item.type
        if kind == "WORD":
            return self._word(item, mnemonic, index)
        if kind == "NUMBER":
            return Immediate(str(item), number(item), self.col0 + item.start_pos + 1)
        if kind == "LABELREF":
            return Symbol(str(item), str(item), None, self.col0 + item.start_pos + 1)
        if kind == "CHAR":
            return Immediate(str(item), char_value(item), self.col0 + item.start_pos + 1)
        if kind == "METAVAR":
            return self._metavar(item)
        return Expression(str(item), self.col0 + item.start_pos + 1)

    def _metavar(self, tok: Tok) -> MetaVar | Symbol:
        col = self.col0 + tok.start_pos + 1
        if self.pattern:
            if tok.startswith("$..."):
                return MetaVar(tok[4:], True, str(tok), col)
            return MetaVar(tok[1:], False, str(tok), col)
        if tok.startswith("$..."):
            raise Invalid(f"{tok!s} is only allowed in a rule pattern", tok.start_pos)
        return Symbol(str(tok), str(tok), None, col)

    def _word(self, tok: Tok, mnemonic: str, index: int) -> Operand:
        """Classify a bare name: register, system register, macro argument, ..."""
        text = str(tok)
        col = self.col0 + tok.start_pos + 1
        lower = text.lower()
        reg = REGISTERS.get(lower)
        if reg is not None:
            return Register(text, reg[0], reg[1], col)
        if "\\" in text:
            m = _MACRO_NAME.search(text)
            if m:
                return MacroArg(text, m.group(1), col)
            if text in ("\\@", "\\()"):
                return Expression(text, col)
            return Symbol(text, text, None, col)
        if "." in lower:
            base, _, suffix = lower.partition(".")
            reg = VECTOR_BASES.get(base)
            if reg is not None and ARRANGEMENT.match(suffix):
                return Register(text, reg[0], reg[1], col)
            if base.startswith("za"):
                m = ZA_TILE.match(lower)
                if m:
                    canon = "za" if m.group(1) is None else f"za{m.group(1)}.{m.group(3) or ''}".rstrip(".")
                    return Register(text, canon, "za", col)
        elif lower.startswith("za"):
            m = ZA_TILE.match(lower)
            if m and m.group(1) is not None:
                return Register(text, f"za{m.group(1)}", "za", col)
        if text.startswith("SYS_"):
            return SysReg(text, text, col)
        slot = SYSREG_SLOT.get(mnemonic)
        if slot == index:
            return SysReg(text, lower, col)
        if SYSREG_SHAPE.match(lower) and mnemonic not in ADDRESS_MNEMONICS:
            return SysReg(text, lower, col)
        if lower in EXTENDS:
            return Shift(text, lower, None, col)
        if index == 0 and mnemonic in OPTION_MNEMONICS:
            return Expression(text, col)
        if lower in CONDITIONS and mnemonic in COND_MNEMONICS:
            return Expression(text, col)
        if mnemonic in SYS_MNEMONICS and CREG.match(lower):
            return Expression(text, col)
        # Last, as it loads the table: only a name nothing above classified.
        if slot is not None and index >= 0 and _known_sysreg(lower):
            return SysReg(text, lower, col)
        return Symbol(text, text, None, col)

    def _literal(self, part: Part[Part[Children]]) -> Literal:
        text = self._text(part)
        col = self._col(part)
        items = part.data.data
        tok = items[0]
        if len(items) == 1 and not isinstance(tok, Part):
            if tok.type in ("WORD", "LABELREF") and "\\" not in tok:
                return Literal(text, str(tok), None, col)
            if tok.type == "METAVAR":
                return Literal(text, str(tok), None, col)
        return Literal(text, None, const_value(items), col)

    def _memory(self, part: Part[MemoryData], mnemonic: str) -> Memory:
        items, pre = part.data
        base = self.operand(items[0], mnemonic, -1)
        if not isinstance(base, (Register, MacroArg, MetaVar, Expression)):
            base = Expression(base.text, base.column)
        offset: Operand | None = None
        index: Register | MacroArg | None = None
        shift: Shift | None = None
        for item in items[1:]:
            node = self.operand(item, mnemonic, -1)
            if isinstance(node, Shift):
                if shift is not None:
                    raise Invalid("two shifts in a memory operand", item.start)
                shift = node
            elif shift is not None:
                raise Invalid(f"{node.text!r} after the shift in a memory operand", item.start)
            elif offset is None and index is None:
                if isinstance(node, Register) or (isinstance(node, MacroArg) and "#" not in node.text):
                    index = node
                else:
                    offset = node
            else:
                raise Invalid(f"unexpected {node.text!r} in a memory operand", item.start)
        return Memory(self._text(part), base, offset, index, shift,
                      "pre" if pre else None, self._col(part))

    def _reg_list(self, part: Part[list[Part[Children]]]) -> RegList:
        registers = []
        for rng in part.data:
            items = rng.data
            first = self._cls_list_item(items[0])
            if len(items) == 1:
                if first is not None:
                    registers.append(first)
                continue
            last = self._cls_list_item(items[-1])
            if first is None or last is None:
                continue
            registers.extend(_expand_range(first, last))
        return RegList(self._text(part), tuple(registers), self._col(part))

    def _cls_list_item(self, item: Child) -> Register | None:
        node = self._cls_atom(item, "", -1)
        return node if type(node) is Register else None


def _expand_range(first: Register, last: Register) -> list[Register]:
    """``v0.4s-v3.4s`` -> v0.4s, v1.4s, v2.4s, v3.4s (wrapping at 32, or 16 for p)."""
    prefix = first.canon[0]
    if (first.kind != last.kind or prefix not in "vzp" or last.canon[0] != prefix
            or not first.canon[1:].isdigit() or not last.canon[1:].isdigit()):  # {za-za}
        return [first, last]
    lo, hi = int(first.canon[1:]), int(last.canon[1:])
    size = 16 if prefix == "p" else 32
    count = (hi - lo) % size + 1
    suffix = first.text[first.text.index("."):] if "." in first.text else ""
    letter = first.text[0]
    regs = [first]
    for step in range(1, count - 1):
        n = (lo + step) % size
        regs.append(Register(f"{letter}{n}{suffix}", f"{prefix}{n}", first.kind, first.column))
    regs.append(last)
    return regs

