"""Where a file's structure is: the indices of the statements that open or
close a function or macro, change the section or the ``#if`` nesting,
and of the comments over several lines.  Pure.

A whole file is thousands of statements and a few dozen of these.  What
reads the structure (the spans a taint trace stays in, the contexts, the
lines a comment covers, the outline edit's ``#if`` depth) walks the marks
instead of every statement, each keeping those it acts on: a superset of
what each of them acts on is marked, nothing it skips is.  The marks are
remembered by the statements' identity, and handed on where they are
known without a walk: the post-image an outline edit makes from the
pre-image's, and a read that turns each unread statement into one
instruction.
"""

from __future__ import annotations

import re

from reviewbot.asm.ast import CMacroCall, Comment, Directive, MacroDef, MacroEnd, Preprocessor
from reviewbot.memo import WHOLE_FILE_STATEMENTS, Budgeted

#: The kinds of statement that may be marked (with comments that end on a later line).
MARKED = frozenset((MacroDef, MacroEnd, CMacroCall, Directive, Preprocessor))

#: A function's markers, as match/spans.py and analysis/context.py know them (and more).
_MARKER = re.compile(r"^(SYM_\w+|ENTRY\w*|END|ENDPROC|__HYP_FUNC)$")
#: The ``#if`` lines, as the scanner's nesting and the contexts' guards know them.
_IF_LINES = frozenset(("if", "ifdef", "ifndef", "elif", "else", "elifdef", "elifndef", "endif"))
#: The directives that change the section (analysis/context.py).
_SECTIONS = frozenset((".pushsection", ".section", ".popsection", ".text", ".data", ".bss", ".rodata"))


def marks(statements: tuple) -> tuple[int, ...]:
    """The indices of the marked statements, in order; remembered."""
    if (known := _MARKS.get(statements)) is not None:
        return known[0]
    found = tuple(i for i, stmt in enumerate(statements)
                  if (type(stmt) in MARKED or type(stmt) is Comment) and is_marked(stmt))
    keep(statements, found)
    return found


def is_marked(stmt: object) -> bool:
    """Is the statement one of a file's structure?"""
    if type(stmt) is MacroDef or type(stmt) is MacroEnd:
        return True
    if type(stmt) is CMacroCall:
        return _MARKER.match(stmt.name) is not None
    if type(stmt) is Preprocessor:
        return stmt.directive in _IF_LINES
    if type(stmt) is Directive:
        return stmt.name in _SECTIONS
    return type(stmt) is Comment and stmt.end_line > stmt.line


def keep(statements: tuple, found: tuple[int, ...], origin: tuple | None = None) -> None:
    """Remember ``found`` as the marks of ``statements`` (known another way),
    and what they were made from (:func:`made_from`)."""
    _MARKS.put((statements,), (found, origin), len(statements))


def made_from(statements: tuple) -> tuple | None:
    """``(old, regions)`` when an outline edit made ``statements`` from the
    outline ``old``: each region ``(old_start, old_end, new_start, new_end)``
    (indices) was scanned again, the statements between them are old's,
    moved; None when not known."""
    known = _MARKS.get(statements)
    return known[1] if known is not None else None


_MARKS = Budgeted(WHOLE_FILE_STATEMENTS)


def clear() -> None:
    """Forget the marks remembered (for tests and benchmarks)."""
    _MARKS.clear()
