"""Statements read as gas macro invocations (``entry hyp=1``,
``save_regs x2 x3``), in gas's looser syntax: a statement whose mnemonic is
no A64 instruction (:mod:`reviewbot.asm.mnemonics`) and that the grammar's
``start`` rule refuses.  :func:`refused` tells an operand the grammar surely
refuses, :func:`macro_tokens` gives the tokens of the grammar's
``macro_call`` rule without the grammar, and :func:`macro_call` /
:func:`fast_macro_call` build the :class:`~reviewbot.asm.ast.Instruction`
with the grammar or without it -- the same node either way."""

from __future__ import annotations

import re

from reviewbot.asm.ast import Expression, Instruction
from reviewbot.asm.builder import AstBuilder
from reviewbot.asm.grammar import get_parser, is_refusal
from reviewbot.asm.operands import read_operand
from reviewbot.asm.parts import Invalid

_MNEMONIC = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*(?![A-Za-z0-9_.$\\])")
_KEYWORD_ARG = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_ASSIGN_LHS = re.compile(r"[A-Za-z_.$][A-Za-z0-9_.$]*[ \t]*=(?!=)")  # the grammar's ASSIGN_LHS
_BLANK = " \t\f\r"  # the grammar's %ignore

# Compiled on first use (gas macro invocations are rare): a gas macro
# invocation (the grammar's macro_call rule), and the operands the grammar's
# arg rule surely refuses -- a keyword argument (``tmp=x4``: no terminal reads
# a lone "=" after a WORD), and a name followed by a blank and another name or
# number (``x2 x3``: after a WORD only VL, "#", "(", "[", an operator or the
# end may come; after SHIFT_OP an expression may).
_RARE_PATTERNS = {
    "MACRO_NAME":
        r"(?:[A-Za-z_.$]|\\(?:[A-Za-z_][A-Za-z0-9_]*(?![A-Za-z0-9_])|\(\)))"
        r"(?:[A-Za-z0-9_.$]|\\(?:[A-Za-z_][A-Za-z0-9_]*(?![A-Za-z0-9_])|@|\(\)))*(?![^\s,])",
    "MACRO_ARG":
        r'(?:[^\s,()\[\]"]|"(?:[^"\\]|\\.)*"|\((?:[^()"]|"(?:[^"\\]|\\.)*"|'
        r'\((?:[^()"]|\([^()]*\))*\))*\)|\[[^\[\]]*\])+',
    "refused":
        r"[A-Za-z_][A-Za-z0-9_]*[ \t]*=(?!=)"
        r"|(?!(?i:lsl|lsr|asr|ror|msl|[us]xt[bhwx])(?![A-Za-z0-9_.$\\]))"
        r"[A-Za-z_][A-Za-z0-9_]*[ \t]+(?![vV][lL])[A-Za-z0-9_\\]",
}
_RARE: dict[str, re.Pattern] = {}


def _rare(name: str) -> re.Pattern:
    compiled = _RARE.get(name)
    if compiled is None:
        compiled = _RARE[name] = re.compile(_RARE_PATTERNS[name])
    return compiled


def refused(text: str) -> bool:
    """True when the grammar's ``macro_argument`` rule surely refuses ``text``
    (one operand, stripped), so that a statement holding it is no instruction
    and is read as a gas macro invocation."""
    return _rare("refused").match(text) is not None


def macro_tokens(text: str) -> list[tuple[str, int]] | None:
    """``(token, start)`` of each token the grammar's ``macro_call`` rule reads
    in ``text`` (stripped): the ``MACRO_NAME``, then ``MACRO_ARG``s and
    ``","``; None when it reads no macro call there."""
    m = _rare("MACRO_NAME").match(text)
    if m is None:
        return None
    macro_arg = _rare("MACRO_ARG")
    tokens = [(m.group(), 0)]
    pos, n = m.end(), len(text)
    while True:
        while pos < n and text[pos] in _BLANK:
            pos += 1
        if pos >= n:
            return tokens
        if text[pos] == ",":
            tokens.append((",", pos))
            pos += 1
            continue
        m = macro_arg.match(text, pos)
        if m is None:
            return None
        tokens.append((m.group(), pos))
        pos = m.end()


def fast_macro_call(parser, text: str, col0: int) -> tuple | None:
    """What :func:`macro_call` gives for ``text``, read without the grammar;
    None when it needs it.  Only for a statement the grammar's ``start`` rule
    surely refuses (an operand of it is :func:`~reviewbot.asm.operands.refused`)."""
    from reviewbot.asm.mnemonics import is_instruction

    m = _MNEMONIC.match(text)
    if m is None or is_instruction(m.group().lower()):
        return None  # Unparsed, with the grammar's message
    if _ASSIGN_LHS.match(text):
        return None  # ``x = ...`` (the scanner reads it first): the grammar's
    tokens = macro_tokens(text)
    if tokens is None:
        return None
    name, name_start = tokens[0]

    def read(tok: str):
        part = read_operand(tok)
        if part is None and not refused(tok):
            raise _NeedGrammar(tok)
        return part

    try:
        return _macro_instruction(name, name_start, tokens[1:], text, col0, read)
    except _NeedGrammar:
        return None



def macro_call(text: str, col0: int) -> tuple | None:
    """``text`` read as a gas macro invocation (see ``macro_call`` in the
    grammar), or None when its mnemonic is an instruction or it does not read."""
    from reviewbot.asm.mnemonics import is_instruction

    m = _MNEMONIC.match(text)
    if m is None or is_instruction(m.group().lower()):
        return None
    parser = get_parser()
    try:
        tokens = parser.parse(text, start="macro_call")
    except Exception as exc:
        if not is_refusal(exc):
            raise
        return None
    def read(tok: str):
        try:
            return parser.parse(tok, start="macro_argument")
        except Exception as exc:
            if not is_refusal(exc):
                raise
            return None

    name = tokens[0]
    rest = [(str(tok), tok.start_pos) for tok in tokens[1:]]
    return _macro_instruction(str(name), name.start_pos, rest, text, col0, read)


class _NeedGrammar(Exception):
    """The hand-written reader cannot tell what this macro argument is."""


def _macro_instruction(name: str, name_start: int, tokens: list, text: str, col0: int, read) -> tuple:
    """The Instruction of a gas macro invocation from its argument tokens
    (``(text, 0-based start)``; ``,`` separates, an empty argument is an
    empty Expression); ``read(token)`` gives the grammar part of one
    argument, or None to keep it as text.  Shared by the grammar and the
    hand-written reader, so both build the same node."""
    mnemonic = name if "\\" in name else name.lower()
    operands: list = []
    previous_comma = True
    for tok, start in tokens:
        col = col0 + start + 1
        if tok == ",":
            if previous_comma and operands:
                operands.append(Expression("", col))
            previous_comma = True
            continue
        previous_comma = False
        if _KEYWORD_ARG.match(tok):
            operands.append(Expression(tok, col))
            continue
        part = read(tok)
        if part is None:
            operands.append(Expression(tok, col))
            continue
        try:
            operands.append(AstBuilder(tok, col - 1).operand(part, mnemonic, len(operands)))
        except Invalid:
            operands.append(Expression(tok, col))
    return (Instruction(mnemonic, tuple(operands), 0, col0 + name_start + 1, text),)
