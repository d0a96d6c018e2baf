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
from reviewbot.asm.scanner import Scanner
from reviewbot.records import fields

_line = attrgetter("line")

#: Line ends after which a line of code or a directive may go on over the next.
_GOES_ON = ("\\", ",", "(")


def edited_outline(scanner: Scanner, old: tuple[Statement, ...], old_lines: Sequence[str],
                   new_lines: Sequence[str],
                   hunks: Sequence[tuple[int, int, int, int]]) -> tuple[Statement, ...] | None:
    """``old`` is the outline of ``old_lines``; ``hunks`` are the patch's
    ``(old_start, old_count, new_start, new_count)`` taking them to
    ``new_lines`` (unified diff numbers: with a count of 0 the start is
    the line before).  ``scanner`` is the outliner."""
    regions = _regions(old, old_lines, hunks)
    if regions is None:
        return None
    out: list[Statement] = []
    new_directives: list[str] = []  # of the preprocessor lines so far, new side and old
    old_directives: list[str] = []
    at = 0  # next statement of ``old``
    for first, last, before, after in regions:
        upto = bisect_left(old, first, lo=at, key=_line)  # the statements before the region, kept
        kept = old[at:upto]
        out.extend(kept if not before else [_moved(stmt, before) for stmt in kept])
        directives = [stmt.directive for stmt in kept if isinstance(stmt, Preprocessor)]
        new_directives.extend(directives)
        old_directives.extend(directives)
        at = upto
        scanned = scanner.scan_region(list(new_lines[first + before - 1: last + after]), first + before,
                                      new_directives)
        if scanned is None:
            return None
        statements, depth = scanned
        upto = bisect_right(old, last, lo=at, key=_line)  # the region's old statements, dropped
        old_directives.extend(stmt.directive for stmt in old[at:upto] if isinstance(stmt, Preprocessor))
        at = upto
        if depth != _depth_after(scanner, old_directives):
            return None  # the #if nesting of what follows changed
        out.extend(statements)
        new_directives.extend(s.directive for s in statements if isinstance(s, Preprocessor))
    shift = regions[-1][3] if regions else 0
    out.extend(_moved(s, shift) for s in old[at:])
    return tuple(out)


def _regions(old: tuple[Statement, ...], old_lines: Sequence[str],
             hunks: Sequence[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]] | None:
    """(first, last) old lines to scan again for each hunk, widened to whole
    statements and merged, with the line shift before and after each."""
    comments = [(s.line, s.end_line) for s in old if type(s) is Comment and s.end_line > s.line]
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


def _depth_after(scanner: Scanner, directives: list[str]) -> int:
    scanned = scanner.scan_region([], 1, directives)
    assert scanned is not None
    return scanned[1]


def _moved(stmt: Statement, by: int) -> Statement:
    """``stmt`` ``by`` lines further down."""
    if not by:
        return stmt
    if type(stmt) is Unread:
        return Unread(stmt.text, stmt.line + by, stmt.column)
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
