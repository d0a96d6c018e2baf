"""arm64 assembly (GNU as, as the Linux kernel writes it) into a typed AST.

The flow, one statement at a time::

    text -> scanner      comments, preprocessor lines, continuations, ``;``,
                         labels, directives (splitting, directives)
         -> operands     the hand-written reader of the common operand forms,
            or grammar   else the Lark grammar (grammars/arm64.lark; the only
                         lark importer, loaded on first use), and macro_calls
                         for gas macro invocations
         -> builder      parts (what both readers make) classified into nodes
                         (registers, values)
         -> ast          the nodes: Instruction, Label, Directive, ...

:func:`parse`, :func:`parse_quoted` and :func:`parse_pattern` (from
:mod:`reviewbot.asm.parser`) are the entry points; the nodes are in
:mod:`reviewbot.asm.ast`.  For tree-aware review, ``parser.outline``
leaves instructions unread, ``outline_edit`` makes a post-image's outline
from the pre-image's, and ``marks`` says where a file's structure is.

The face is lazy (a module ``__getattr__``): ``import reviewbot.asm.ast``
runs this file, and importing the parser here would make every user of the
AST load the scanner, the reader and the builder too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reviewbot.asm.parser import parse, parse_pattern, parse_quoted, read_statement, unquote

__all__ = ["parse", "parse_quoted", "parse_pattern", "read_statement", "unquote"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from reviewbot.asm import parser

        return getattr(parser, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
