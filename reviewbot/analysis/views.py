"""The text a rule sees: regions of a file, old or new side, each line tied
back to the diff line it came from.

Without a tree, a file change gives one region per hunk (context plus added
lines for the new side, context plus removed lines for the old side): code
between two hunks is unknown, so no rule may reason across the gap.  With
the full old file at hand (tree-aware mode) the hunks are applied to it and
the whole new file is one region; lines the patch did not touch are context.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence

from reviewbot.errors import DiffParseError
from reviewbot.model import DiffLine, FileChange, Hunk
from reviewbot.records import record


@record
class View:
    """A contiguous region of one side of a file.  ``rows[i]`` is the diff
    line of the region's line ``i + 1``; its ``new_line`` (or ``old_line``)
    is the line in the real file."""

    path: str
    side: str  # "new" or "old"
    rows: Sequence[DiffLine]  # a tuple, or FileRows for a whole file
    whole_file: bool = False
    all_added: bool = False  # a whole source file checked as if every line were new

    @property
    def text(self) -> str:
        """The region's source text, one row a line."""
        if type(self.rows) is FileRows:
            return self.rows.text
        return "\n".join(row.text for row in self.rows)

    def file_line(self, row: int) -> int | None:
        """The line in the real file of the region's 1-based line ``row``."""
        line = self.rows[row - 1]
        return line.new_line if self.side == "new" else line.old_line


def hunk_views(change: FileChange, side: str = "new") -> list[View]:
    """One view per hunk: context and added lines (new side) or context and
    removed lines (old side)."""
    keep = "+" if side == "new" else "-"
    views = []
    for hunk in change.hunks:
        rows = tuple([line for line in hunk.lines if line.kind == keep or line.kind == " "])
        if rows:
            path = change.new_path if side == "new" else change.old_path
            views.append(View(path=path or change.path, side=side, rows=rows))
    return views


def file_view(path: str, text: str) -> View:
    """A whole source file where every line counts as added (``check --file``)."""
    rows = tuple(
        DiffLine(kind="+", text=line, old_line=None, new_line=number)
        for number, line in enumerate(text.split("\n"), start=1)
    )
    if rows and rows[-1].text == "" and text.endswith("\n"):
        rows = rows[:-1]
    return View(path=path, side="new", rows=rows, whole_file=True, all_added=True)


def full_views(change: FileChange, old_text: str) -> tuple[View, View]:
    """The whole old and new file, from the full pre-image and the hunks.
    Raises DiffParseError when a hunk's context does not match the old file.
    The rows are made when asked for (:class:`FileRows`): a rule reads the
    few near a change, and a context row is one object on both sides.
    Remembered for the last few changes: the review of a patch and the
    next patch's pre-image (its post-image) ask for the same."""
    for known_change, known_text, views in _FULL:
        if known_change is change and known_text is old_text:
            return views
    views = _full_views(change, old_text)
    _FULL[:] = _FULL[-3:] + [(change, old_text, views)]
    return views


_FULL: list[tuple[FileChange, str, tuple[View, View]]] = []


def _full_views(change: FileChange, old_text: str) -> tuple[View, View]:
    old_lines = old_text.split("\n")
    if old_lines[-1] == "" and (old_text.endswith("\n") or not old_text):  # an empty file has no line
        old_lines.pop()
    shared: dict[int, DiffLine] = {}
    old_side = FileRows(old_lines, "old", shared)
    new_side = FileRows(old_lines, "new", shared)
    old_at = 1  # next old line to copy
    new_at = 1
    for hunk in change.hunks:
        start = hunk.old_start if hunk.old_count else hunk.old_start + 1
        if old_at < start:
            old_side.add_gap(old_at, new_at, start - old_at)
            new_side.add_gap(old_at, new_at, start - old_at)
            new_at += start - old_at
            old_at = start
        _check_context(hunk, old_lines, change.path)
        old_rows = tuple(line for line in hunk.lines if line.kind in (" ", "-"))
        new_rows = tuple(line for line in hunk.lines if line.kind in (" ", "+"))
        old_side.add_rows(old_rows)
        new_side.add_rows(new_rows)
        old_at += len(old_rows)
        new_at += len(new_rows)
    if old_at <= len(old_lines):
        old_side.add_gap(old_at, new_at, len(old_lines) - old_at + 1)
        new_side.add_gap(old_at, new_at, len(old_lines) - old_at + 1)
    old_path = change.old_path or change.path
    return (View(old_path, "old", old_side, whole_file=True),
            View(change.path, "new", new_side, whole_file=True))


def apply_hunks(change: FileChange, old_text: str) -> str:
    """The text of the file after ``change`` (each line ending in a newline),
    from its full pre-image.  Raises DiffParseError as :func:`full_views`."""
    rows = full_views(change, old_text)[1].rows
    return rows.text + "\n" if len(rows) else ""  # type: ignore[attr-defined]


class FileRows(Sequence[DiffLine]):
    """The rows of one side of a whole file: runs of lines the patch left
    alone (a :class:`DiffLine` of kind `` `` made on first use, shared by
    both sides) and the hunks' own rows.  A sequence like the tuple it
    stands for, and it answers what the engine asks of every row (changed
    lines, line maps) from the hunks alone."""

    __slots__ = ("_lines", "side", "_shared", "_starts", "_runs", "_length", "_text", "_line_texts", "_all",
                 "_changed")

    def __init__(self, old_lines: list[str], side: str, shared: dict[int, DiffLine]) -> None:
        self._lines = old_lines
        self.side = side
        self._shared = shared
        self._starts: list[int] = []  # 0-based row where each run begins
        # a run: (old line, new line, count) of untouched lines, or the hunk's rows
        self._runs: list[tuple[int, int, int] | tuple[DiffLine, ...]] = []
        self._length = 0
        self._text: str | None = None
        self._line_texts: list[str] | None = None
        self._all: tuple[DiffLine, ...] | None = None  # every row, once something walked them all
        self._changed: frozenset[int] | None = None

    def add_gap(self, old_line: int, new_line: int, count: int) -> None:
        self._starts.append(self._length)
        self._runs.append((old_line, new_line, count))
        self._length += count

    def add_rows(self, rows: tuple[DiffLine, ...]) -> None:
        if rows:
            self._starts.append(self._length)
            self._runs.append(rows)
            self._length += len(rows)

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index):  # type: ignore[no-untyped-def, override]
        if self._all is not None:
            return self._all[index]
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(self._length)))
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError("row index out of range")
        at = bisect_right(self._starts, index) - 1
        run = self._runs[at]
        offset = index - self._starts[at]
        if type(run[0]) is int:
            return self._context(run[0] + offset, run[1] + offset)  # type: ignore[operator]
        return run[offset]

    def __iter__(self) -> Iterator[DiffLine]:
        if self._all is None:
            every: list[DiffLine] = []
            for run in self._runs:
                if type(run[0]) is int:
                    old_line, new_line, count = run  # type: ignore[misc]
                    every.extend(self._context(old_line + offset, new_line + offset) for offset in range(count))
                else:
                    every.extend(run)  # type: ignore[arg-type]
            self._all = tuple(every)
        return iter(self._all)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FileRows | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return tuple, (tuple(self),)  # pickled as the tuple it stands for

    def _context(self, old_line: int, new_line: int) -> DiffLine:
        line = self._shared.get(old_line)
        if line is None:
            text = self._lines[old_line - 1] if old_line <= len(self._lines) else ""  # past the end: blank
            line = DiffLine(kind=" ", text=text, old_line=old_line, new_line=new_line)
            self._shared[old_line] = line
        return line

    @property
    def text(self) -> str:
        """The side's text, one row a line (no final newline)."""
        if self._text is None:
            self._text = "\n".join(self.lines())
        return self._text

    def lines(self) -> list[str]:
        """``text.split("\\n")``, without the text (not to be changed)."""
        if self._line_texts is None:
            parts: list[str] = []
            for run in self._runs:
                if type(run[0]) is int:
                    old_line, _, count = run  # type: ignore[misc]
                    got = self._lines[old_line - 1: old_line - 1 + count]
                    parts.extend(got)
                    parts.extend([""] * (count - len(got)))  # a hunk placed past the end
                else:
                    parts.extend(row.text for row in run)  # type: ignore[union-attr]
            self._line_texts = parts or [""]  # as ``text.split("\n")`` gives it
        return self._line_texts

    def hunk_rows(self) -> Iterator[tuple[int, DiffLine]]:
        """(1-based row, row) of the rows that come from hunks, in order:
        the only rows that are not untouched context."""
        for start, run in zip(self._starts, self._runs):
            if type(run[0]) is not int:
                yield from enumerate(run, start=start + 1)  # type: ignore[misc, arg-type]

    def gaps(self) -> Iterator[tuple[int, int, int, int]]:
        """(1-based first row, old line, new line, count) of each run of
        untouched lines."""
        for start, run in zip(self._starts, self._runs):
            if type(run[0]) is int:
                old_line, new_line, count = run  # type: ignore[misc]
                yield start + 1, old_line, new_line, count

    def changed(self) -> frozenset[int]:
        """The 1-based rows the patch added or deleted, and on the new side
        a kept row right after a deletion (its old line jumps): from the
        hunks, since between them old lines follow one another and only a
        run's first row can come right after a deletion.  Made once."""
        if self._changed is None:
            self._changed = frozenset(self._changed_rows())
        return self._changed

    def _changed_rows(self) -> set[int]:
        side = self.side
        changed = set()
        previous_old: int | None = None
        gaps = self.gaps()
        gap = next(gaps, None)

        def run_first(first: int, old_line: int, count: int) -> int:
            if side == "new" and previous_old is not None and old_line != previous_old + 1:
                changed.add(first)
            return old_line + count - 1

        for number, row in self.hunk_rows():
            while gap is not None and gap[0] < number:
                previous_old = run_first(gap[0], gap[1], gap[3])
                gap = next(gaps, None)
            if row.kind != " " or (side == "new" and previous_old is not None and row.old_line is not None
                                   and row.old_line != previous_old + 1):
                changed.add(number)
            if row.old_line is not None:
                previous_old = row.old_line
        while gap is not None:  # the runs after the last hunk's rows
            previous_old = run_first(gap[0], gap[1], gap[3])
            gap = next(gaps, None)
        return changed

    def other_side(self, first: int, last: int, side: str) -> list[Iterable[int]]:
        """The ``side`` lines (``old_line`` or ``new_line``) of the 1-based
        rows ``first`` to ``last`` that have one, in pieces (ranges for the
        untouched runs)."""
        pieces: list[Iterable[int]] = []
        at = max(0, bisect_right(self._starts, first - 1) - 1)
        for start, run in zip(self._starts[at:], self._runs[at:]):
            if start >= last:
                break
            gap = type(run[0]) is int
            low, high = max(first, start + 1), min(last, start + (run[2] if gap else len(run)))  # type: ignore[misc]
            if gap:
                base = run[0] if side == "old_line" else run[1]
                pieces.append(range(base + low - start - 1, base + high - start))  # type: ignore[operator]
            else:
                pieces.append([line for row in run[low - start - 1: high - start]  # type: ignore[misc]
                               if (line := getattr(row, side)) is not None])
        return pieces


def _check_context(hunk: Hunk, old_lines: list[str], path: str) -> None:
    for line in hunk.lines:
        if line.kind == "+" or line.old_line is None:
            continue
        actual = old_lines[line.old_line - 1] if line.old_line - 1 < len(old_lines) else None
        if actual is None or actual.rstrip() != line.text.rstrip():
            raise DiffParseError(path, f"the patch does not apply to the tree's file at line {line.old_line}")
