"""What a statement is made of before :mod:`reviewbot.asm.builder` turns it
into nodes: :class:`Part` s (operands and expressions, which need the
instruction's mnemonic before they can be classified) and :class:`Pending`
statements, made alike by the grammar's callbacks (:class:`Callbacks`, the
transformer Lark's LALR parser runs, so no parse tree is ever built) and by
the hand-written operand reader (:mod:`reviewbot.asm.operands`); and
:class:`Invalid`, a statement that reads but makes no sense."""

from __future__ import annotations

from typing import Any, Generic, TypeVar, Union


class Invalid(Exception):
    """A statement the grammar accepts but that makes no sense (``[x0, x1, x2]``)."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.pos = pos


class Tok(str):
    """A token: the attributes of ``lark.Token`` that the builder reads.  The
    hand-written reader makes these; the grammar's tokens are ``lark.Token`` s,
    which have the same attributes, and are typed as ``Tok`` here."""

    __slots__ = ("type", "start_pos", "end_pos")
    type: str
    start_pos: int
    end_pos: int

    @property
    def value(self) -> str:
        return str(self)

    def __repr__(self) -> str:
        return f"Tok({self.type}, {str(self)!r}, {self.start_pos})"


D = TypeVar("D")


class Part(Generic[D]):
    """An operand or expression not yet classified: ``kind``, its span in the
    statement text and ``data``, whose type its kind decides:

    * ``expr``, ``call``, ``range``: the children, tokens and parts (:data:`Children`);
    * ``immediate``, ``literal``, ``paren``: the part inside (an ``expr``; an
      immediate's may be a ``reloc``);
    * ``reloc``: :data:`RelocData`; ``memory``: :data:`MemoryData`;
      ``shift``: :data:`ShiftData`; ``reglist``: its ``range`` parts;
    * ``pred``, ``objdump``, ``ellipsis``, ``indexed``: a token (an
      indexed name's name).
    """

    __slots__ = ("kind", "start", "end", "data")

    def __init__(self, kind: str, start: int, end: int, data: D) -> None:
        self.kind = kind
        self.start = start
        self.end = end
        self.data = data


#: A child of an expression, a call or a register range.
Child = Union[Tok, Part[Any]]
Children = list[Child]
#: (relocation name, lower case; the expression) of ``:lo12:sym``.
RelocData = tuple[str, Part[Children]]
#: (the items between the brackets; True for a ``!`` after them).
MemoryData = tuple[list[Part[Any]], bool]
#: (the operator or ``mul``; the amount -- a token, an expression or none).
ShiftData = tuple[Tok, Union[Tok, Part[Children], None]]


def start_of(x: Child) -> int:
    """Where a part or token starts in its text."""
    return x.start if isinstance(x, Part) else x.start_pos


def end_of(x: Child) -> int:
    """Where a part or token ends in its text."""
    return x.end if isinstance(x, Part) else x.end_pos


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
        return Part("expr", start_of(children[0]), end_of(children[-1]), children)

    def immediate(self, children):
        return Part("immediate", children[0].start_pos, end_of(children[-1]), children[1])

    def literal(self, children):
        return Part("literal", children[0].start_pos, end_of(children[-1]), children[1])

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
        return Part("range", start_of(children[0]), end_of(children[-1]), children)

    def shift(self, children):
        op = children[0]
        amount = children[-1] if len(children) > 1 else None
        return Part("shift", op.start_pos, end_of(children[-1]), (op, amount))

    def paren(self, children):
        return Part("paren", children[0].start_pos, children[-1].end_pos, children[1])

    def call(self, children):
        return Part("call", children[0].start_pos, children[-1].end_pos, children)

    def indexed(self, children):
        return Part("indexed", children[0].start_pos, children[-1].end_pos, children[0])
