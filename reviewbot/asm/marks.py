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
    known = _MARKS.get(id(statements))
    if known is not None and known[0] is statements:
        return known[1]
    found = tuple(i for i, stmt in enumerate(statements)
                  if (type(stmt) in MARKED or type(stmt) is Comment) and is_marked(stmt))
    keep(statements, found)
    return found


def is_marked(stmt: object) -> bool:
    """Is the statement one of a file's structure?"""
    kind = type(stmt)
    if kind is MacroDef or kind is MacroEnd:
        return True
    if kind is CMacroCall:
        return _MARKER.match(stmt.name) is not None  # type: ignore[attr-defined]
    if kind is Preprocessor:
        return stmt.directive in _IF_LINES  # type: ignore[attr-defined]
    if kind is Directive:
        return stmt.name in _SECTIONS  # type: ignore[attr-defined]
    return kind is Comment and stmt.end_line > stmt.line  # type: ignore[attr-defined]


def keep(statements: tuple, found: tuple[int, ...], origin: tuple | None = None) -> None:
    """Remember ``found`` as the marks of ``statements`` (known another way),
    and what they were made from (:func:`made_from`), the oldest going
    while the statements kept pass :data:`KEPT_STATEMENTS`."""
    global _kept
    while _MARKS and _kept + len(statements) > KEPT_STATEMENTS:
        try:
            _kept -= len(_MARKS.pop(next(iter(_MARKS)))[0])
        except (RuntimeError, StopIteration, KeyError):  # another thread changed it: it is small enough
            break
    old = _MARKS.pop(id(statements), None)
    if old is not None:
        _kept -= len(old[0])
    _MARKS[id(statements)] = (statements, found, origin)  # the statements kept, so that the id stays theirs
    _kept += len(statements)


def made_from(statements: tuple) -> tuple | None:
    """``(old, regions)`` when an outline edit made ``statements`` from the
    outline ``old``: each region ``(old_start, old_end, new_start, new_end)``
    (indices) was scanned again, the statements between them are old's,
    moved; None when not known."""
    known = _MARKS.get(id(statements))
    return known[2] if known is not None and known[0] is statements else None


#: How many statements the remembered tuples may hold together.  A series'
#: files are all outlined and read before any rule runs, and the taint
#: rule asks for the marks of every read file again (some 250 files of
#: 1,000 statements: the tuples, not the statements, which the review holds).
KEPT_STATEMENTS = 250_000
_MARKS: dict[int, tuple[tuple, tuple[int, ...], tuple | None]] = {}
_kept = 0


def clear() -> None:
    """Forget the marks remembered (for tests and benchmarks)."""
    global _kept
    _MARKS.clear()
    _kept = 0
