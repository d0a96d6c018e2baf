"""The spans of a unit's statements that are analysed each on its own:
each macro body and each function (the kernel's ``SYM_FUNC_START`` ..
``SYM_FUNC_END``, ``ENTRY`` .. ``ENDPROC``), and each run of the rest.

The taint matcher analyses them one by one (a trace never leaves its
span), and tree-aware review reads the instructions of those near a change
(match/whole_file.py), so a whole file's are asked for again and again.
"""

from __future__ import annotations

import re

from reviewbot.asm.ast import CMacroCall, MacroDef, MacroEnd
from reviewbot.asm.marks import marks as structure_marks
from reviewbot.memo import WHOLE_FILE_STATEMENTS, Budgeted

_FUNC_START = re.compile(r"^(SYM_FUNC_START\w*|SYM_CODE_START\w*|ENTRY|__HYP_FUNC)$")
_FUNC_END = re.compile(r"^(SYM_FUNC_END\w*|SYM_CODE_END\w*|END|ENDPROC)$")


def spans_of(statements: tuple) -> list[tuple[int, int]]:
    """Regions to analyse, sorted (start, end) index pairs: each macro body
    and each function, and each run of the statements between them.
    Remembered for the last few statement tuples (a whole file's are asked
    for by reading, by every taint run and by the pre-image comparison)."""
    if (spans := _SPANS.get(statements)) is None:
        spans = _spans_of(statements)
        _SPANS.put((statements,), spans, len(statements))
    return spans


_SPANS = Budgeted(WHOLE_FILE_STATEMENTS)


def _spans_of(statements: tuple) -> list[tuple[int, int]]:
    # One pass: a span closes where its end is met, and the uncovered
    # statements before it (a run) are a region of their own.
    spans: list[tuple[int, int]] = []
    start = -1
    kind = None
    done = 0  # statements before this are in a span already
    marks = [i for i in structure_marks(statements) if type(statements[i]) in _BOUNDARIES]
    for i in marks:
        stmt = statements[i]
        cls = type(stmt)
        if cls is MacroDef:
            start, kind = i, "macro"
        elif cls is MacroEnd:
            if kind == "macro":
                done = _close(spans, done, start, i + 1)
                kind = None
        elif cls is CMacroCall:
            if kind is None and _FUNC_START.match(stmt.name):
                start, kind = i, "function"
            elif kind == "function" and _FUNC_END.match(stmt.name):
                done = _close(spans, done, start, i + 1)
                kind = None
    if kind is not None:
        done = _close(spans, done, start, len(statements))
    if done < len(statements):
        spans.append((done, len(statements)))
    return spans


#: The statements that can open or close a span.
_BOUNDARIES = (MacroDef, MacroEnd, CMacroCall)


def _close(spans: list[tuple[int, int]], done: int, start: int, end: int) -> int:
    """Add the run before ``start`` (if any) and the span; where the next begins."""
    if start > done:
        spans.append((done, start))
    spans.append((start, end))
    return end
