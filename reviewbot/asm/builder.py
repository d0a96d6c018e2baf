"""Build the AST of :mod:`reviewbot.asm.ast` from ``grammars/arm64.lark``.

:class:`Callbacks` is the transformer :mod:`reviewbot.asm.parser` hands to Lark's
LALR parser (``transformer=``), so no parse tree is ever built: each rule's
callback gets its children and returns a light :class:`Part` (operands and
expressions, which need the instruction's mnemonic before they can be
classified) or a :class:`Pending` statement.  An :class:`AstBuilder`, made
for one parse with the text, column and line it reads, turns those into
the AST.

Operand classification, in one place:

* registers by name (``x0``, ``w3`` -> ``x3``, ``lr`` -> ``x30``, ``q0``/``d0``
  -> ``v0``, ``z0.d`` -> ``z0``, ``p0/z`` -> ``p0``, ``za0h.s[w12, 0]``);
* system registers by shape (``*_elN``, ``s3_4_c13_c0_2``, ``SYS_*``), and any
  other name in the system-register slot of ``msr``/``mrs``/``msr_s``/
  ``mrs_s``/``msrr``/``mrrs`` (``daifset``, ``nzcv``, ``currentel``).  The
  ``*_elN`` shape is not applied to branch and address operands
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

from reviewbot.asm.ast import (
    CMacroCall, Directive, Ellipsis, Expression, Immediate, Instruction, Label,
    Literal, MacroArg, Memory, MetaVar, Register, RegList,
    Shift, Symbol, SysReg,
)
from reviewbot.asm.scanner import directive_node, split_args


class Invalid(Exception):
    """A statement the grammar accepts but that makes no sense (``[x0, x1, x2]``)."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.pos = pos


class Part:
    """An operand or expression not yet classified: ``kind``, its span in the
    statement text and kind-specific ``data``."""

    __slots__ = ("kind", "start", "end", "data")

    def __init__(self, kind: str, start: int, end: int, data: object) -> None:
        self.kind = kind
        self.start = start
        self.end = end
        self.data = data


def _start(x) -> int:
    return x.start if type(x) is Part else x.start_pos


def _end(x) -> int:
    return x.end if type(x) is Part else x.end_pos


# --- register and keyword tables ---------------------------------------------

def _register_table() -> dict[str, tuple[str, str]]:
    table: dict[str, tuple[str, str]] = {}
    for n in range(31):
        table[f"x{n}"] = (f"x{n}", "gpr64")
        table[f"w{n}"] = (f"x{n}", "gpr32")
    table.update({
        "sp": ("sp", "sp"), "wsp": ("sp", "sp"), "xzr": ("xzr", "zr"), "wzr": ("xzr", "zr"),
        "lr": ("x30", "gpr64"), "fp": ("x29", "gpr64"), "ip0": ("x16", "gpr64"),
        "ip1": ("x17", "gpr64"), "za": ("za", "za"), "zt0": ("zt0", "za"),
    })
    for n in range(32):
        table[f"v{n}"] = (f"v{n}", "vector")
        for prefix in "qdshb":
            table[f"{prefix}{n}"] = (f"v{n}", "fp")
        table[f"z{n}"] = (f"z{n}", "sve")
    for n in range(16):
        table[f"p{n}"] = (f"p{n}", "pred")
        table[f"pn{n}"] = (f"p{n}", "pred")
    return table


REGISTERS = _register_table()
_VECTOR_BASES = {name: value for name, value in REGISTERS.items()
                 if value[1] in ("vector", "sve", "pred")}
_ARRANGEMENT = re.compile(r"[0-9]*[bhsdq]$")
_ZA_TILE = re.compile(r"za([0-9]+)?([hv])?(?:\.([bhsdq]))?$")
_SYSREG_SHAPE = re.compile(
    r"[a-z][a-z0-9_]*_el(?:[0-3]|12|02)$|s[0-3]_[0-7]_c[0-9]+_c[0-9]+_[0-7]$")
_MACRO_NAME = re.compile(r"\\([A-Za-z_][A-Za-z0-9_]*)")

#: Mnemonic -> index of its system-register operand.
SYSREG_SLOT = {"msr": 0, "msr_s": 0, "msrr": 0, "mrs": 1, "mrs_s": 1, "mrrs": 2}
#: Branch and address instructions: ``foo_el2`` there is a symbol.
ADDRESS_MNEMONICS = frozenset({
    "b", "bl", "br", "blr", "cbz", "cbnz", "tbz", "tbnz", "adr", "adrp", "adr_l",
    "ldr_l", "str_l", "adr_this_cpu", "ldr_this_cpu", "str_this_cpu", "ldr_sym",
    "adr_sym", "bl_sym", "b_sym",
})
CONDITIONS = frozenset(
    "eq ne cs hs cc lo mi pl vs vc hi ls ge lt gt le al nv".split())
COND_MNEMONICS = frozenset(
    "csel csinc csinv csneg cset csetm cinc cinv cneg ccmp ccmn fcsel fccmp fccmpe".split())
#: Mnemonics whose first operand, when a bare name, is an option keyword.
OPTION_MNEMONICS = frozenset(
    "dsb dmb isb tlbi tlbip dc ic at prfm prfum bti psb tsb smstart smstop brb "
    "gcsb cosp cpp dvp cfp hint clrex".split())
SYS_MNEMONICS = frozenset({"sys", "sysl", "sysp"})
_CREG = re.compile(r"c[0-9]+$")
EXTENDS = frozenset(
    "uxtb uxth uxtw uxtx sxtb sxth sxtw sxtx lsl lsr asr ror msl".split())


_ESCAPES = {"n": 10, "r": 13, "t": 9, "0": 0, "b": 8, "f": 12, "v": 11, "a": 7, "e": 27}


def char_value(text: str) -> int | None:
    """The value of a character constant: ``'a'``, ``'\\n'``, gas's ``'a``."""
    body = text[1:-1] if len(text) > 2 and text.endswith("'") else text[1:]
    if len(body) == 1:
        return ord(body)
    if len(body) == 2 and body[0] == "\\":
        return _ESCAPES.get(body[1], ord(body[1]))
    return None


def number(text: str) -> int | None:
    """The value of a gas number (``0x10``, ``0b101``, ``010`` octal, ``16``);
    None for a float."""
    t = text.lower()
    if t.startswith("0x"):
        return int(t, 16)
    if t.startswith("0b"):
        return int(t[2:], 2)
    if "." in t or "e" in t:
        return None
    if len(t) > 1 and t[0] == "0":
        return int(t, 8) if all(c in "01234567" for c in t) else None
    return int(t)


# gas's binary operator precedence (as/doc "Infix Operators"), higher binds tighter.
_PRECEDENCE = {
    "*": 4, "/": 4, "%": 4, "<<": 4, ">>": 4,
    "|": 3, "&": 3, "^": 3, "!": 3,
    "+": 2, "-": 2,
}


def const_value(items: list) -> int | None:
    """Evaluate the children of an ``expr`` made of numbers only (gas's
    precedence); None when it holds anything else."""
    pos = 0

    def unary() -> int:
        nonlocal pos
        item = items[pos]
        pos += 1
        if type(item) is Part:
            value = const_value(item.data.data) if item.kind == "paren" else None
        elif item.type == "UNOP":
            operand = unary()
            value = {"-": -operand, "+": operand, "~": ~operand, "!": int(not operand)}[str(item)]
        elif item.type == "NUMBER":
            value = number(item)
        elif item.type == "CHAR":
            value = char_value(item)
        else:
            value = None
        if value is None:
            raise ValueError
        return value

    def binary(level: int) -> int:
        nonlocal pos
        left = unary() if level == 4 else binary(level + 1)
        while pos < len(items) and _PRECEDENCE.get(str(items[pos])) == level:
            op = str(items[pos])
            pos += 1
            right = unary() if level == 4 else binary(level + 1)
            left = _apply(op, left, right)
        return left

    try:
        value = binary(2)
    except (ValueError, IndexError, ZeroDivisionError, OverflowError):
        return None
    return value if pos == len(items) else None


def _apply(op: str, a: int, b: int) -> int:
    if op == "*":
        return a * b
    if op == "/":
        return int(a / b) if abs(a) < 2**52 and abs(b) < 2**52 else a // b
    if op == "%":
        return a % b
    if op == "<<":
        if b > 64 or b < 0:
            raise ValueError
        return a << b
    if op == ">>":
        return a >> b
    if op == "|":
        return a | b
    if op == "&":
        return a & b
    if op == "^":
        return a ^ b
    if op == "!":
        return a | ~b
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    raise ValueError


# --- the transformer -----------------------------------------------------------


class Pending:
    """A statement the grammar read, before it is built: the rule's name and
    its children (tokens and :class:`Part` s, positions relative to the
    statement text).  :meth:`AstBuilder.statement` makes it a node."""

    __slots__ = ("rule", "children")

    def __init__(self, rule: str, children: list) -> None:
        self.rule = rule
        self.children = children


class Callbacks:
    """Lark callbacks, one per rule of ``arm64.lark``, handed to the LALR
    parser as its transformer so no parse tree is built.  Stateless: they
    see only tokens and their positions, and return :class:`Part` s
    (operands) or :class:`Pending` statements, which an :class:`AstBuilder`
    made for that one parse turns into nodes.  So one parser serves every
    caller at once, without a lock."""

    def start(self, children):
        return children[0]

    def statement(self, children):
        return children

    def label(self, children):
        return Pending("label", children)

    def directive(self, children):
        return Pending("directive", children)

    def cmacro_call(self, children):
        return Pending("cmacro_call", children)

    def assignment(self, children):
        return Pending("assignment", children)

    def register_alias(self, children):
        return Pending("register_alias", children)

    def instruction(self, children):
        return Pending("instruction", children)

    def operands(self, children):
        if len(children) == 1:
            return children
        children[0].append(children[1])
        return children[0]

    def macro_call(self, children):
        return children

    def macro_argument(self, children):
        return children[0]

    # operand parts ----------------------------------------------------------------

    def expr(self, children):
        return Part("expr", _start(children[0]), _end(children[-1]), children)

    def immediate(self, children):
        return Part("immediate", children[0].start_pos, _end(children[-1]), children[1])

    def literal(self, children):
        return Part("literal", children[0].start_pos, _end(children[-1]), children[1])

    def reloc(self, children):
        tok, expr = children
        return Part("reloc", tok.start_pos, expr.end, (tok[1:-1].lower(), expr))

    def pred_reg(self, children):
        tok = children[0]
        return Part("pred", tok.start_pos, tok.end_pos, tok)

    def objdump_target(self, children):
        tok = children[0]
        return Part("objdump", tok.start_pos, tok.end_pos, tok)

    def ellipsis(self, children):
        tok = children[0]  # allowed in rule patterns only: AstBuilder checks
        return Part("ellipsis", tok.start_pos, tok.end_pos, tok)

    def memory(self, children):
        items = [c for c in children if type(c) is Part]
        writeback = children[-1] == "!"
        return Part("memory", children[0].start_pos, children[-1].end_pos, (items, writeback))

    def reg_list(self, children):
        ranges = [c for c in children if type(c) is Part and c.kind == "range"]
        return Part("reglist", children[0].start_pos, children[-1].end_pos, ranges)

    def reg_range(self, children):
        return Part("range", _start(children[0]), _end(children[-1]), children)

    def shift(self, children):
        op = children[0]
        amount = children[-1] if len(children) > 1 else None
        return Part("shift", op.start_pos, _end(children[-1]), (op, amount))

    def paren(self, children):
        return Part("paren", children[0].start_pos, children[-1].end_pos, children[1])

    def call(self, children):
        return Part("call", children[0].start_pos, children[-1].end_pos, children)

    def indexed(self, children):
        return Part("indexed", children[0].start_pos, children[-1].end_pos, children[0])



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

    def statements(self, pending: list) -> tuple:
        """The nodes of the grammar's ``start`` rule result."""
        return tuple(self.statement(p) for p in pending)

    def statement(self, pending: Pending):
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

    def _instruction(self, children):
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

    def classify(self, mnemonic: str, parts: list, whole: tuple[str, int]) -> tuple:
        """The operands of ``mnemonic`` from ``(part, text, col0)`` triples: each
        part was parsed from ``text``, which starts at 0-based column ``col0``
        of the line; ``whole`` is ``(text, col0)`` of the whole statement.
        Raises :class:`Invalid` for a part that makes no sense."""
        operands = []
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

    def _text(self, part) -> str:
        return self.text[_start(part):_end(part)]

    def _col(self, part) -> int:
        return self.col0 + _start(part) + 1

    def operand(self, part: Part, mnemonic: str, index: int):
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
            if "\\" in base:
                return MacroArg(text, _MACRO_NAME.search(base).group(1), self._col(part))
            return Register(text, "p" + base[1:].lstrip("nN"), "pred", self._col(part))
        if kind == "objdump":
            text = str(part.data)
            return Symbol(text, text[text.index("<") + 1:-1], None, self._col(part))
        if kind == "ellipsis":
            if not self.pattern:
                raise Invalid("'...' is only allowed in a rule pattern", part.start)
            return Ellipsis("...", self._col(part))
        raise Invalid(f"unexpected operand {self._text(part)!r}", part.start)  # pragma: no cover

    def _cls_atom(self, item, mnemonic: str, index: int):
        if type(item) is Part:
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

    def _metavar(self, tok):
        col = self.col0 + tok.start_pos + 1
        if self.pattern:
            if tok.startswith("$..."):
                return MetaVar(tok[4:], True, str(tok), col)
            return MetaVar(tok[1:], False, str(tok), col)
        if tok.startswith("$..."):
            raise Invalid(f"{tok!s} is only allowed in a rule pattern", tok.start_pos)
        return Symbol(str(tok), str(tok), None, col)

    def _word(self, tok, mnemonic: str, index: int):
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
            reg = _VECTOR_BASES.get(base)
            if reg is not None and _ARRANGEMENT.match(suffix):
                return Register(text, reg[0], reg[1], col)
            if base.startswith("za"):
                m = _ZA_TILE.match(lower)
                if m:
                    canon = "za" if m.group(1) is None else f"za{m.group(1)}.{m.group(3) or ''}".rstrip(".")
                    return Register(text, canon, "za", col)
        elif lower.startswith("za"):
            m = _ZA_TILE.match(lower)
            if m and m.group(1) is not None:
                return Register(text, f"za{m.group(1)}", "za", col)
        if text.startswith("SYS_"):
            return SysReg(text, text, col)
        if SYSREG_SLOT.get(mnemonic) == index:
            return SysReg(text, lower, col)
        if _SYSREG_SHAPE.match(lower) and mnemonic not in ADDRESS_MNEMONICS:
            return SysReg(text, lower, col)
        if lower in EXTENDS:
            return Shift(text, lower, None, col)
        if index == 0 and mnemonic in OPTION_MNEMONICS:
            return Expression(text, col)
        if lower in CONDITIONS and mnemonic in COND_MNEMONICS:
            return Expression(text, col)
        if mnemonic in SYS_MNEMONICS and _CREG.match(lower):
            return Expression(text, col)
        return Symbol(text, text, None, col)

    def _literal(self, part: Part):
        text = self._text(part)
        col = self._col(part)
        items = part.data.data
        if len(items) == 1 and type(items[0]) is not Part:
            tok = items[0]
            if tok.type in ("WORD", "LABELREF") and "\\" not in tok:
                return Literal(text, str(tok), None, col)
            if tok.type == "METAVAR":
                return Literal(text, str(tok), None, col)
        return Literal(text, None, const_value(items), col)

    def _memory(self, part: Part, mnemonic: str):
        items, pre = part.data
        base = self.operand(items[0], mnemonic, -1)
        if type(base) not in (Register, MacroArg, MetaVar, Expression):
            base = Expression(base.text, base.column)
        offset = index = shift = None
        for item in items[1:]:
            node = self.operand(item, mnemonic, -1)
            kind = type(node)
            if kind is Shift:
                if shift is not None:
                    raise Invalid("two shifts in a memory operand", item.start)
                shift = node
            elif shift is not None:
                raise Invalid(f"{node.text!r} after the shift in a memory operand", item.start)
            elif offset is None and index is None:
                if kind is Register or (kind is MacroArg and "#" not in node.text):
                    index = node
                else:
                    offset = node
            else:
                raise Invalid(f"unexpected {node.text!r} in a memory operand", item.start)
        return Memory(self._text(part), base, offset, index, shift,
                      "pre" if pre else None, self._col(part))

    def _reg_list(self, part: Part):
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

    def _cls_list_item(self, item):
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

