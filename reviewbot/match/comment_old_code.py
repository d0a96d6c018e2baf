"""Where the code a kept comment named went, for the stale-comment matcher
(match/comments.py): a mention is gone from under a comment only when the
patch removed the statements that had it, not when an insertion pushed
them further down, when the function the comment heads now starts a little
lower, or when the code is out of sight in a file the body includes."""

from __future__ import annotations

from typing import Any

from reviewbot.asm.ast import Preprocessor
from reviewbot.match.comment_blocks import starts_function


def function_start_below(statements: tuple, index: int, old_block: list[Any]) -> int | None:
    """When the comment at ``index`` headed a function before the patch
    (``old_block`` is its body) and the first function starting below the
    comment now is that function (the patch put something between them),
    the index of its start."""
    if not old_block or not starts_function(old_block[0]) or not old_block[0].args:
        return None
    start = next((i for i in range(index + 1, len(statements)) if starts_function(statements[i])), None)
    if start is None or statements[start].args[:1] != old_block[0].args[:1]:
        return None
    return start


def includes_code(block: list[Any]) -> bool:
    """Does the block ``#include`` code (a template its body is built from)?"""
    return any(isinstance(s, Preprocessor) and s.directive == "include" for s in block)


def kept_statements(unit: Any, old_block: list[Any]) -> list[Any]:
    """The statements of a pre-image block on lines the patch keeps."""
    rows = unit.old.view.rows if unit.old is not None else ()
    return [s for s in old_block if 0 < s.line <= len(rows) and rows[s.line - 1].kind != "-"]
