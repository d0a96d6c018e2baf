"""A hand-written reader for the common operand forms, so that a typical
kernel hunk is parsed without Lark.

:func:`read_operand` reads one operand text (what ``grammars/arm64.lark``'s
``macro_argument`` start rule reads) into the very :class:`~reviewbot.asm.parts.Part`
tree that Lark and the grammar's :class:`~reviewbot.asm.parts.Callbacks` give,
with tokens carrying the same ``type``, ``start_pos`` and ``end_pos``; the
builder then classifies both alike, so the AST is the same whichever read the
operand.  It returns None whenever it is not sure, and the caller
(:mod:`reviewbot.asm.parser`) asks the grammar.

What it reads -- a subset of the grammar's ``arg``, lexed as Lark's contextual
lexer lexes it in each parser state (terminal priorities included):

* ``expr``: ``UNOP* atom (BINOP UNOP* atom)*`` where an atom is a ``NUMBER``, a
  ``CHAR`` (``'a'``, ``'\\n'``, gas's ``'a``), a
  ``LABELREF`` (``1f``), a ``WORD`` (registers, symbols, sysregs, ``\\reg``,
  ``x\\n``), a parenthesised ``expr``, a call (``MASK(x)``, ``CPU_REV(1, 0)``)
  or an indexed name (``v0.d[1]``);
* ``#expr``, ``#:reloc:expr``, ``:reloc:expr``, ``=expr``;
* a shift: ``SHIFT_OP``, ``SHIFT_OP [#] expr`` (``lsl #3``, ``LSL \\amount``),
  ``WORD vl`` (``mul vl``);
* a memory operand ``[item, ...]`` with an optional ``!``, each item one of the
  above but a literal;
* a register list of names and ranges (``{v0.16b, v1.16b}``, ``{v0.4s-v3.4s}``).

Left to the grammar: a register list with an index or an indexed item
(``{v0.b, v1.b}[3]``, ``{za0h.s[w12, 0]}``), ``index:index`` in an indexed
name, string constants, metavariables and ``...`` (``$``),
predicates (``p0/z``), objdump targets (``0 <sym>``), ``WORD # expr`` shifts,
a "-" right after an indexed name (Lark's lexer reads it as ``reg_range``'s),
and anything else.

An operand the grammar surely refuses (``tmp=x4``, ``x2 x3``) makes its
statement a gas macro invocation: see :mod:`reviewbot.asm.macro_calls`.

``tests/test_asm_fast.py`` and ``bench/bench_parse.py --verify`` check that
whatever this reads equals what the grammar reads, and pin what it assumes of
the grammar (terminals, the terminals accepted in each lexer state).
"""

from __future__ import annotations

import re
from typing import Any

from reviewbot.asm.parts import Children, MemoryData, Part, RelocData, ShiftData, Tok
from reviewbot.asm.scanner import WORD_PATTERN

__all__ = ["read_operand", "Tok"]


def _tok(kind: str, text: str, start: int) -> Tok:
    tok = Tok(text)
    tok.type = kind
    tok.start_pos = start
    tok.end_pos = start + len(text)
    return tok


# The grammar's terminals (grammars/arm64.lark), as Lark compiles them.
_WORD = re.compile(WORD_PATTERN)
_NUMBER = re.compile(r"0[xX][0-9a-fA-F]+|0[bB][01]+|[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_LABELREF = re.compile(r"[0-9]+[bBfF](?![A-Za-z0-9_.$])")
_SHIFT_OP = re.compile(r"(?:lsl|lsr|asr|ror|msl|[us]xt[bhwx])(?![A-Za-z0-9_.$\\])", re.I)
_BINOP = re.compile(r"<<|>>|&&|\|\||==|!=|<=|>=|<>|[-+*/%|&^<>!]")
_RELOC = re.compile(r":[A-Za-z_][A-Za-z0-9_]*:")
_VL = re.compile(r"vl", re.I)
# Terminals of higher priority than WORD/NUMBER at an operand's start that
# this reader leaves to the grammar (OBJDUMP_TARGET.4, PRED_REG.3), and text
# holding METAVAR/ELLIPSIS/STRING anywhere.
_OBJDUMP_TARGET = re.compile(r"[0-9a-fA-F]+[ \t]+<[^<>\s]+>")
_PRED_REG = re.compile(r"(?:[pP][0-9]+|[pP]?\\[A-Za-z_][A-Za-z0-9_]*)/[zmZM](?![A-Za-z0-9_])")
_LEAVE = re.compile(r"[$\"]|\.\.\.")
_CHAR = re.compile(r"'(?:[^'\\\n]|\\.)'?")

_BLANK = " \t\f\r"  # the grammar's %ignore
_DIGITS = "0123456789"
_UNOPS = "-+~!"


class _Fail(Exception):
    """Not for this reader: ask the grammar.  One instance is raised (no
    allocation per refusal); its traceback is dropped where it is caught."""


_FAIL = _Fail()


def read_operand(text: str) -> Part[Any] | None:
    """The ``Part`` the grammar's ``macro_argument`` rule gives for ``text``
    (one operand, stripped, positions relative to ``text``), or None when
    this reader is not sure."""
    if not text or _LEAVE.search(text) or _OBJDUMP_TARGET.match(text) or _PRED_REG.match(text):
        return None
    reader = _Reader(text)
    try:
        part = reader.arg()
        reader.blank()
    except _Fail:
        # The one instance is raised again and again, and a raise extends
        # the traceback it already has: without this it would keep every
        # frame it ever went through (and their locals) alive.
        _FAIL.__traceback__ = None
        return None
    if reader.pos != reader.n:
        return None
    return part


class _Reader:
    """Recursive descent over one operand; ``pos`` is the next character."""

    __slots__ = ("s", "n", "pos")

    def __init__(self, s: str) -> None:
        self.s = s
        self.n = len(s)
        self.pos = 0

    def blank(self) -> None:
        s, pos, n = self.s, self.pos, self.n
        while pos < n and s[pos] in _BLANK:
            pos += 1
        self.pos = pos

    def peek(self) -> str:
        """The next character after blanks ("" at the end)."""
        self.blank()
        return self.s[self.pos] if self.pos < self.n else ""

    def closes(self, close: str) -> bool:
        """Past the next character of a list: True for ``close``, False for
        a ``,``; anything else fails."""
        c = self.peek()
        self.pos += 1
        if c == close:
            return True
        if c != ",":
            raise _FAIL
        return False

    # arg: expr | immediate | literal | reloc | memory | shift (see the grammar)

    def arg(self) -> Part[Any]:
        c = self.s[0]
        if c == "#":
            return self.immediate()
        if c == "=":
            return self.literal()
        if c == "[":
            return self.memory()
        if c == ":":
            return self.reloc()
        if c == "{":
            return self.reg_list()
        return self.item(False)

    def item(self, in_memory: bool) -> Part[Any]:
        """A shift or an expression, where ``SHIFT_OP`` and ``WORD VL`` can start one."""
        m = _SHIFT_OP.match(self.s, self.pos)
        if m is not None:
            return self.shift(m, in_memory)
        start = self.pos
        part = self.expr()
        first = part.data[0]
        if type(first) is Tok and first.type == "WORD" and first.start_pos == start \
                and part.end == first.end_pos:  # one WORD alone
            # shift: WORD VL (mul vl); WORD "#" expr is left to the grammar
            self.blank()
            m = _VL.match(self.s, self.pos)
            if m is not None:
                vl = _tok("VL", m.group(), m.start())
                self.pos = m.end()
                return Part("shift", start, vl.end_pos, (first, vl))
        return part

    def shift(self, m: re.Match[str], in_memory: bool) -> Part[ShiftData]:
        op = _tok("SHIFT_OP", m.group(), m.start())
        self.pos = m.end()
        c = self.peek()
        if c == "" or (in_memory and c in ",]"):
            return Part("shift", op.start_pos, op.end_pos, (op, None))
        if c == "#":
            self.pos += 1
        amount = self.expr()
        return Part("shift", op.start_pos, amount.end, (op, amount))

    def immediate(self) -> Part[Part[Any]]:
        start = self.pos
        self.pos += 1
        inner = self.reloc() if self.peek() == ":" else self.expr()
        return Part("immediate", start, inner.end, inner)

    def literal(self) -> Part[Part[Children]]:
        start = self.pos
        self.pos += 1
        inner = self.expr()
        return Part("literal", start, inner.end, inner)

    def reloc(self) -> Part[RelocData]:
        self.blank()
        m = _RELOC.match(self.s, self.pos)
        if m is None:
            raise _FAIL
        tok = m.group()
        self.pos = m.end()
        expr = self.expr()
        return Part("reloc", m.start(), expr.end, (tok[1:-1].lower(), expr))

    def memory(self) -> Part[MemoryData]:
        start = self.pos
        self.pos += 1
        items: list[Part[Any]] = []
        while True:
            c = self.peek()
            if c == "#":
                items.append(self.immediate())
            elif c == ":":
                items.append(self.reloc())
            else:
                items.append(self.item(True))
            if self.closes("]"):
                break
        end = self.pos
        writeback = self.peek() == "!"
        if writeback:
            self.pos += 1
            end = self.pos
        return Part("memory", start, end, (items, writeback))

    def reg_list(self) -> Part[list[Part[Children]]]:
        """``"{" reg_range ("," reg_range)* "}"``, each item a ``WORD``."""
        start = self.pos
        self.pos += 1
        ranges: list[Part[Children]] = []
        while True:
            self.blank()
            first = self.list_word()
            if self.peek() == "-":
                self.pos += 1
                self.blank()
                last = self.list_word()
                pair: Children = [first, last]
                ranges.append(Part("range", first.start_pos, last.end_pos, pair))
            else:
                alone: Children = [first]
                ranges.append(Part("range", first.start_pos, first.end_pos, alone))
            if self.closes("}"):
                break
        if self.peek() == "[":  # an index after the list: the grammar's
            raise _FAIL
        return Part("reglist", start, self.pos, ranges)

    def list_word(self) -> Tok:
        m = _WORD.match(self.s, self.pos)
        if m is None:
            raise _FAIL
        self.pos = m.end()
        return _tok("WORD", m.group(), m.start())

    # expr: UNOP* atom (BINOP UNOP* atom)*

    def expr(self) -> Part[Children]:
        s, n = self.s, self.n
        children: list = []
        while True:
            c = self.peek()
            while c and c in _UNOPS:
                children.append(_tok("UNOP", c, self.pos))
                self.pos += 1
                c = self.peek()
            pos = self.pos
            if c == "(":
                self.pos += 1
                inner = self.expr()
                if self.peek() != ")":
                    raise _FAIL
                self.pos += 1
                children.append(Part("paren", pos, self.pos, inner))
            elif c == "'":
                m = _CHAR.match(s, pos)
                if m is None:
                    raise _FAIL
                children.append(_tok("CHAR", m.group(), pos))
                self.pos = m.end()
            elif c and c in _DIGITS:
                m = _LABELREF.match(s, pos)
                if m is not None:
                    children.append(_tok("LABELREF", m.group(), pos))
                else:
                    m = _NUMBER.match(s, pos)
                    assert m is not None  # NUMBER reads any digit
                    children.append(_tok("NUMBER", m.group(), pos))
                self.pos = m.end()
            else:
                m = _WORD.match(s, pos)
                if m is None:
                    raise _FAIL
                word = _tok("WORD", m.group(), pos)
                self.pos = m.end()
                c = self.peek()
                if c == "(":
                    children.append(self.call(word))
                elif c == "[":
                    children.append(self.indexed(word))
                    if self.peek() == "-":
                        # After an indexed name's "]" the lexer also accepts
                        # reg_range's "-" (LALR lookaheads), so BINOP "-" is
                        # retyped MINUS there and the grammar refuses it.
                        raise _FAIL
                else:
                    children.append(word)
            c = self.peek()
            if not c:
                break
            m = _BINOP.match(s, self.pos)
            if m is None:
                break
            children.append(_tok("BINOP", m.group(), self.pos))
            self.pos = m.end()
            if self.pos >= n:
                raise _FAIL
        first, last = children[0], children[-1]
        return Part("expr", first.start if type(first) is Part else first.start_pos,
                    last.end if type(last) is Part else last.end_pos, children)

    def call(self, word: Tok) -> Part[Children]:
        """``WORD "(" (expr ("," expr)*)? ")"``, all tokens kept."""
        children: list = [word, _tok("LPAR", "(", self.pos)]
        self.pos += 1
        if self.peek() != ")":
            while True:
                children.append(self.expr())
                c = self.peek()
                if c != ",":
                    break
                children.append(_tok("COMMA", ",", self.pos))
                self.pos += 1
        if self.peek() != ")":
            raise _FAIL
        children.append(_tok("RPAR", ")", self.pos))
        self.pos += 1
        return Part("call", word.start_pos, self.pos, children)

    def indexed(self, word: Tok) -> Part[Tok]:
        """``WORD "[" expr ("," expr)* "]"`` (``index:index`` is the grammar's;
        so is a "-" right after it, see :meth:`expr`)."""
        self.pos += 1
        while True:
            self.expr()
            if self.closes("]"):
                break
        return Part("indexed", word.start_pos, self.pos, word)
