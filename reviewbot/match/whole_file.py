"""A whole file as tree-aware review reads it: outlined once per series
(the post-image made from the pre-image's outline), and only the spans
near a change read, on both sides alike, with the statement contexts of
the whole file.  Pure; what it remembers is keyed by text or identity."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import accumulate
from collections.abc import Callable, Iterable, Sequence
from operator import attrgetter
from typing import Any, Protocol

from reviewbot.analysis.context import FileContext, changes_context, statement_contexts
from reviewbot.analysis.views import FileRows, View
from reviewbot.asm.ast import Comment, Unread
from reviewbot.asm.marks import clear as clear_marks, made_from, marks
from reviewbot.asm.outline_edit import edited
from reviewbot.asm.parser import outline, read_unread
from reviewbot.config import Config
from reviewbot.match.focus import changed_rows, runs_of
from reviewbot.memo import WHOLE_FILE_STATEMENTS, Budgeted
from reviewbot.match.taint import spans_of
from reviewbot.model import DiffLine


_line = attrgetter("line")


class OutlineStore(Protocol):
    """Outlines kept beyond one run (:mod:`reviewbot.analysis.file_cache`)."""

    def covers(self, text: str) -> bool:
        """Whether it keeps the outlines of a file whose text is ``text``
        (the tree's files, not a series' post-images)."""

    def outline(self, text: str) -> tuple | None:
        """The outline kept for ``text``, or None."""

    def keep(self, text: str, shape: tuple) -> None:
        """Hand over the outline just made of ``text``."""


def whole_file_outline(text: str, made: Callable[[], tuple] | None = None,
                       store: OutlineStore | None = None) -> tuple:
    """``outline`` of a whole file (or what ``made`` gives for it, or the
    ``store`` holds), remembered: in a series, a patch's pre-image is often
    the post-image of an earlier patch (or the same base file).  It depends
    on the text alone and its statements are immutable, so sharing is safe."""
    shape = _OUTLINES.get(text) or _POST_IMAGES.get(text)
    if shape is None:
        if made is not None:
            shape = made()
            # a later patch of the series may change the file again: its
            # pre-image is this post-image, however many patches later
            _remember(_POST_IMAGES, text, shape, POST_IMAGE_STATEMENTS, len)
            return shape
        if store is None or (shape := store.outline(text)) is None:
            shape = outline(text)
            if store is not None:
                store.keep(text, shape)
        _remember(_OUTLINES, text, shape, 4, lambda shape: 1)  # whole files are big
    return shape


def _remember(memo: dict[str, tuple], text: str, shape: tuple, bound: int,
              size: Callable[[tuple], int]) -> None:
    """Keep ``shape`` in ``memo``, the oldest going while the sizes pass ``bound``."""
    total = size(shape) + sum(map(size, memo.values()))
    while memo and total > bound:
        try:
            total -= size(memo.pop(next(iter(memo))))
        except (RuntimeError, StopIteration, KeyError):  # another thread changed it: it is small enough
            break
    memo[text] = shape


#: How many statements the kept post-image outlines may hold together
#: (a few hundred typical files; some 20 MB).
POST_IMAGE_STATEMENTS = 200_000
_OUTLINES: dict[str, tuple] = {}
_POST_IMAGES: dict[str, tuple] = {}  # the outlines made from a pre-image's


def clear_caches() -> None:
    """Forget the outlines, reads, spans and contexts remembered (what a
    new process does not know; for tests and benchmarks)."""
    for memo in (_OUTLINES, _POST_IMAGES, _READ, _SPAN_LINES, _CONTEXTS):
        memo.clear()
    clear_marks()


def read_whole_file(text: str, wanted: list[tuple[int, int]] | None, ctx: FileContext,
                     config: Config) -> tuple[tuple, list]:
    """A whole file's statements and contexts, the instructions read in
    the ``wanted`` spans of its outline (all: None).  Contexts do not
    depend on instructions: the outline's serve when reading gave one
    node per statement."""
    shape = whole_file_outline(text)
    contexts = _whole_file_contexts(shape, ctx, config)
    if wanted is None:
        wanted = spans_of(shape)
    if not any(type(shape[i]) is Unread for start, end in wanted for i in range(start, end)):
        return shape, contexts
    statements = _read(shape, wanted)
    if len(statements) != len(shape):
        contexts = statement_contexts(statements, ctx, config.context)
    return statements, contexts


def _read(shape: tuple, wanted: list[tuple[int, int]]) -> tuple:
    """``read_unread``, remembered: a chain's pre-image is read as its
    post-image was when the same spans are wanted (and every unit of one
    text shares its statements)."""
    key = (id(shape), tuple(wanted))
    for known_key, known_shape, statements in _READ:
        if known_key == key and known_shape is shape:
            return statements
    statements = read_unread(shape, wanted)
    _READ[:] = _READ[-3:] + [(key, shape, statements)]
    return statements


_READ: list[tuple[tuple, tuple, tuple]] = []


def _spans_near(shape: tuple, near: set[int], notes: set[int] | None = None
                ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The spans of an outline (functions, macro bodies, runs between them:
    what a taint trace or a rule's relation stays in) whose lines (from its
    first statement to the end of its last) hold a ``near`` line, and the
    span after one with a comment on a ``notes`` line (what a comment is
    about comes below it; ``notes``: the lines near a change, by default
    ``near``); and the lines they cover."""
    if notes is None:
        notes = near
    wanted: list[tuple[int, int]] = []
    covered: list[tuple[int, int]] = []
    if not near:
        return wanted, covered
    lines = sorted(near)
    spans = spans_of(shape)
    span_lines, starts, reach = _span_lines(shape)
    # no span before ``j`` reaches the first near line; none from ``stop``
    # on starts before the last one
    j = bisect_left(reach, lines[0])
    stop = bisect_right(starts, lines[-1])
    follow = False
    note_runs: list[tuple[int, int]] | None = None
    while j < len(spans) and (j < stop or follow):
        (start, end), (first, last) = spans[j], span_lines[j]
        at = bisect_left(lines, first)
        hit = at < len(lines) and lines[at] <= last
        if hit or follow:
            wanted.append((start, end))
            covered.append((first, last))
        follow = False
        if hit:
            if note_runs is None:
                note_runs = list(runs_of(sorted(notes)))
            follow = _comment_near(shape, start, end, notes, note_runs)
        j += 1
    return wanted, covered


def _comment_near(shape: tuple, start: int, end: int, notes: set[int], note_runs: list[tuple[int, int]]) -> bool:
    """Is a line of a comment among ``shape[start:end]`` in ``notes``?  A
    comment on one line starts on one of them (found by its line: an
    outline is in line order), one over several lines is a mark."""
    for first, last in note_runs:
        lo = bisect_left(shape, first, start, end, key=_line)
        if any(type(shape[i]) is Comment for i in range(lo, bisect_right(shape, last, lo, end, key=_line))):
            return True
    found = marks(shape)
    return any(type(shape[i]) is Comment and _near(shape[i], notes)
               for i in found[bisect_left(found, start):bisect_left(found, end)])


def _span_lines(shape: tuple) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """The first and last line of every span of an outline, the nearest
    line each span or one after it starts on, and the furthest line each
    span or one before it reaches; remembered."""
    if (known := _SPAN_LINES.get(shape)) is not None:
        return known
    lines = []
    # the only statements that end on a later line than they start: comments over several lines
    long = [i for i in marks(shape) if type(shape[i]) is Comment]
    ends = [shape[i].end_line for i in long]
    for start, end in spans_of(shape):
        last = shape[end - 1].line  # an outline is in line order
        inside = ends[bisect_left(long, start):bisect_left(long, end)]
        lines.append((shape[start].line, max(last, *inside) if inside else last))
    # the nearest line each span or one after it starts on, the furthest
    # each span or one before it reaches: both in order, whatever the spans
    starts = list(accumulate((first for first, _ in reversed(lines)), min))[::-1]
    found = (lines, starts, list(accumulate((last for _, last in lines), max)))
    _SPAN_LINES.put((shape,), found, len(shape))
    return found


_SPAN_LINES = Budgeted(WHOLE_FILE_STATEMENTS)


def _near(stmt: Any, near: set[int]) -> bool:
    """Is a line of the statement (every line of a comment) near a change?"""
    if type(stmt) is Comment and stmt.end_line > stmt.line:
        return any(n in near for n in range(stmt.line, stmt.end_line + 1))
    return stmt.line in near


def read_pair(new: View, old: View, new_text: str, old_text: str, header: bool, lines: int,
              hunks: Iterable[Any] = (), store: OutlineStore | None = None) -> tuple[list, list]:
    """The spans to read of a whole-file pair (new, old): those within
    ``lines`` of a change, and on each side the spans holding the other
    side's read lines, until both sides read the same code (a span's
    bounds can differ between the sides when the patch moves a marker).
    ``new_text`` and ``old_text`` are the views' text (of a header, its
    assembly lines only); ``store`` keeps the pre-image's outline across runs."""
    old_shape = whole_file_outline(old_text, store=store)
    spans = [(h.old_start, h.old_count, h.new_start, h.new_count) for h in hunks]
    # the new side made from the old one, scanning only around the hunks (a
    # header's assembly lines depend on #ifdefs anywhere: it is outlined)
    new_shape = whole_file_outline(new_text, None if header or not spans else
                                    lambda: edited(old_shape, old_text, new_text, spans, _lines_of(old, new)))
    near_new = {n for c in changed_rows(new) for n in range(c - lines, c + lines + 1)}
    near_old = {n for c in changed_rows(old) for n in range(c - lines, c + lines + 1)}
    # only a comment near the change has the code below it read: the lines
    # the other side reads are not near a change, and following their
    # comments went down the file a span a turn
    notes_new, notes_old = set(near_new), set(near_old)
    old_spans: list[tuple[int, int]] = []
    read: list[tuple[int, int]] | None = None
    while True:
        new_spans, new_lines = _spans_near(new_shape, near_new, notes_new)
        if new_spans == read:
            # the same spans as the last turn: the old side would grow by
            # nothing, read the same spans and give back the same lines,
            # all of which ``near_new`` now holds
            return new_spans, old_spans
        read = new_spans
        near_old |= other_side(new.rows, new_lines, "old_line")
        old_spans, old_lines = _spans_near(old_shape, near_old, notes_old)
        back = other_side(old.rows, old_lines, "new_line")
        if back <= near_new:  # grows each turn, within the file: it ends
            return new_spans, old_spans
        near_new |= back


def _lines_of(old: View, new: View) -> tuple[list[str], list[str]] | None:
    """The lines of the two sides' text, when their rows have them split already."""
    if type(old.rows) is FileRows and type(new.rows) is FileRows:
        return old.rows.lines(), new.rows.lines()
    return None


def other_side(rows: Sequence[DiffLine], lines: list[tuple[int, int]], side: str) -> set[int]:
    """The lines of the other side (``old_line`` or ``new_line``) that the
    1-based rows ``first`` to ``last`` of each range hold, for the rows
    both sides have."""
    found: set[int] = set()
    for first, last in lines:
        if type(rows) is FileRows:
            for piece in rows.other_side(first, last, side):
                found.update(piece)
            continue
        for n in range(max(first, 1), min(last, len(rows)) + 1):
            if (line := getattr(rows[n - 1], side)) is not None:
                found.add(line)
    return found


_CONTEXTS = Budgeted(WHOLE_FILE_STATEMENTS)


def _whole_file_contexts(statements: tuple, ctx: FileContext, config: Config) -> list:
    """``statement_contexts`` of a whole file's statements, remembered with
    its parse: a chained pre-image has the contexts its post-image had."""
    known = _CONTEXTS.get(statements, config)
    if known is not None and known[0] == ctx:
        return known[1]
    contexts = _spliced_contexts(statements, ctx, config)
    if contexts is None:
        contexts = statement_contexts(statements, ctx, config.context)
    _CONTEXTS.put((statements, config), (ctx, contexts), len(statements))
    return contexts


def _spliced_contexts(statements: tuple, ctx: FileContext, config: Config) -> list | None:
    """The contexts of a post-image outline made from a pre-image's
    (asm/marks.made_from), from the pre-image's, when no region scanned
    again holds, on either side, a statement that can change a context:
    then every statement has the context its pre-image twin had, and one
    in a region the context of the statements around it.  None otherwise."""
    origin = made_from(statements)
    if origin is None:
        return None
    old, regions = origin
    old_marks, new_marks = marks(old), marks(statements)
    for old_start, old_end, new_start, new_end in regions:
        for found, side, start, end in ((old_marks, old, old_start, old_end), (new_marks, statements, new_start, new_end)):
            if any(changes_context(side[i]) for i in found[bisect_left(found, start):bisect_left(found, end)]):
                return None
    old_contexts = _whole_file_contexts(old, ctx, config)
    contexts: list = []
    done = 0  # old statements taken so far
    for old_start, old_end, new_start, new_end in regions:
        contexts.extend(old_contexts[done:old_start])
        if new_end > new_start:
            # the context of what surrounds the region: a statement of it, or
            # one beside it that cannot change a context (then it has the same)
            around = [i for i in (*range(old_start, old_end), old_start - 1, old_end)
                      if 0 <= i < len(old) and not changes_context(old[i])]
            if not around:
                return None
            contexts.extend([old_contexts[around[0]]] * (new_end - new_start))
        done = old_end
    contexts.extend(old_contexts[done:])
    return contexts
