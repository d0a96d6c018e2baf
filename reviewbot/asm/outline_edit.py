"""The outline of a file after a patch, made from its outline before the
patch: only the lines around each hunk are scanned again, the statements
elsewhere are those of the old outline, moved by the lines the hunks
before them added or removed.  Pure.

Tree-aware review outlines each changed file before and after the patch
(:func:`reviewbot.asm.parser.outline`); the two differ in a few lines, and
scanning is most of what an outline costs.  The result is exactly
``outline(new_text)``, or None when that cannot be promised cheaply: a
region that ends inside a comment or a continued line, or changes the
``#if`` depth of what follows (the caller then outlines the new text).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from operator import attrgetter

from reviewbot.asm.ast import Comment, Preprocessor, Statement, Unread
from reviewbot.asm.marks import is_marked, keep, marks
from reviewbot.asm.parser import OUTLINER, outline
from reviewbot.asm.scanner import Scanner, depth_after
from reviewbot.records import fields

_line = attrgetter("line")

#: Line ends after which a line of code or a directive may go on over the next.
_GOES_ON = ("\\", ",", "(")


def edited(old: tuple[Statement, ...], old_text: str, new_text: str,
           hunks: list[tuple[int, int, int, int]], lines: tuple[list[str], list[str]] | None = None
           ) -> tuple[Statement, ...]:
    """``outline(new_text)``, made from ``old`` (the outline of
    ``old_text``) and the patch's ``hunks`` between them where that can
    be done exactly (:func:`edited_outline`), else outlined.
    ``lines``: the two texts split at newlines, when the caller has them."""
    old_lines, new_lines = lines or (old_text.split("\n"), new_text.split("\n"))
    made = edited_outline(OUTLINER, old, old_lines, new_lines, hunks)
    return made if made is not None else outline(new_text)


def edited_outline(scanner: Scanner, old: tuple[Statement, ...], old_lines: Sequence[str],
                   new_lines: Sequence[str],
                   hunks: Sequence[tuple[int, int, int, int]]) -> tuple[Statement, ...] | None:
    """``old`` is the outline of ``old_lines``; ``hunks`` are the patch's
    ``(old_start, old_count, new_start, new_count)`` taking them to
    ``new_lines`` (unified diff numbers: with a count of 0 the start is
    the line before).  ``scanner`` is the outliner."""
    old_marks = marks(old)
    regions = _regions(old, old_marks, old_lines, hunks)
    if regions is None:
        return None
    out: list[Statement] = []
    new_marks: list[int] = []  # the marks of ``out``, made as it grows (asm/marks.py)
    scanned_again: list[tuple[int, int, int, int]] = []  # (old start, old end, new start, new end)
    depth = 0  # the #if depth so far, the same on both sides between the regions
    at = 0  # next statement of ``old``
    m = 0  # next of ``old_marks``
    for first, last, before, after in regions:
        upto = bisect_left(old, first, lo=at, key=_line)  # the statements before the region, kept
        kept = old[at:upto]
        step = len(out) - at
        out.extend(kept if not before else _all_moved(kept, before))
        end = bisect_left(old_marks, upto, lo=m)
        new_marks.extend(i + step for i in old_marks[m:end])
        depth = depth_after(_directives(old, old_marks[m:end]), depth)
        at, m = upto, end
        scanned = scanner.scan_region(list(new_lines[first + before - 1: last + after]), first + before, depth)
        if scanned is None:
            return None
        statements, new_depth = scanned
        upto = bisect_right(old, last, lo=at, key=_line)  # the region's old statements, dropped
        scanned_again.append((at, upto, len(out), len(out) + len(statements)))
        end = bisect_left(old_marks, upto, lo=m)
        depth = depth_after(_directives(old, old_marks[m:end]), depth)
        at, m = upto, end
        if new_depth != depth:
            return None  # the #if nesting of what follows changed
        new_marks.extend(len(out) + i for i, stmt in enumerate(statements) if is_marked(stmt))
        out.extend(statements)
    shift = regions[-1][3] if regions else 0
    step = len(out) - at
    out.extend(_all_moved(old[at:], shift))
    new_marks.extend(i + step for i in old_marks[m:])
    made = tuple(out)
    keep(made, tuple(new_marks), (old, tuple(scanned_again)))
    return made


def _regions(old: tuple[Statement, ...], old_marks: tuple[int, ...], old_lines: Sequence[str],
             hunks: Sequence[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]] | None:
    """(first, last) old lines to scan again for each hunk, widened to whole
    statements and merged, with the line shift before and after each."""
    comments = [(stmt.line, stmt.end_line) for i in old_marks if type(stmt := old[i]) is Comment]
    regions: list[tuple[int, int, int, int]] = []
    shift = 0
    for old_start, old_count, new_start, new_count in hunks:
        first = (old_start if old_count else old_start + 1) - 1
        last = (old_start + old_count - 1 if old_count else old_start) + 1
        if old_count and new_count and new_start - old_start != shift:
            return None  # hunks that do not follow one another
        first, last = _widened(max(1, first), min(len(old_lines), last), old_lines, comments)
        after = shift + new_count - old_count
        if regions and first <= regions[-1][1] + 1:
            previous = regions.pop()
            first, before = previous[0], previous[2]
        else:
            before = shift
        regions.append((first, last, before, after))
        shift = after
    return regions


def _widened(first: int, last: int, lines: Sequence[str],
             comments: list[tuple[int, int]]) -> tuple[int, int]:
    """The region grown until it starts and ends between statements."""
    while True:
        was = (first, last)
        while first > 1 and lines[first - 2].rstrip().endswith(_GOES_ON):
            first -= 1
        while last < len(lines) and lines[last - 1].rstrip().endswith(_GOES_ON):
            last += 1
        for start, end in comments:
            if start < first <= end:
                first = start
            if start <= last < end:
                last = end
        if (first, last) == was:
            return first, last


def _directives(statements: Sequence[Statement], indices: Sequence[int]) -> list[str]:
    """The directives (``if``, ``endif``...) of the preprocessor lines among ``statements[i]``."""
    return [stmt.directive for i in indices if type(stmt := statements[i]) is Preprocessor]


def _all_moved(statements: Sequence[Statement], by: int) -> Sequence[Statement]:
    """``statements`` ``by`` lines further down (most are unread
    instructions: made here, the rest by :func:`_moved`)."""
    if not by:
        return statements
    return [Unread(s.text, s.line + by, s.column) if type(s) is Unread else _moved(s, by) for s in statements]


def _moved(stmt: Statement, by: int) -> Statement:
    """``stmt`` (not an unread one: :func:`_all_moved` makes those) ``by`` lines further down."""
    if type(stmt) is Comment:
        return Comment(stmt.text, stmt.line + by, stmt.column, stmt.end_line + by, stmt.trailing)
    kind = type(stmt)
    at = _LINE_AT.get(kind)
    if at is None:
        at = _LINE_AT[kind] = [f.name for f in fields(kind)].index("line")
    values = list(stmt.__record_values__(stmt))  # type: ignore[union-attr]
    values[at] += by
    return kind(*values)


#: Where ``line`` is among each statement class's fields (in the order
#: its constructor takes them).
_LINE_AT: dict[type, int] = {}
