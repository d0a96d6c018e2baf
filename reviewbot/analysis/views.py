"""The text a rule sees: regions of a file, old or new side, each line tied
back to the diff line it came from.

Without a tree, a file change gives one region per hunk (context plus added
lines for the new side, context plus removed lines for the old side): code
between two hunks is unknown, so no rule may reason across the gap.  With
the full old file at hand (tree-aware mode) the hunks are applied to it and
the whole new file is one region; lines the patch did not touch are context.
"""

from __future__ import annotations


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
    rows: tuple[DiffLine, ...]
    whole_file: bool = False
    all_added: bool = False  # a whole source file checked as if every line were new

    @property
    def text(self) -> str:
        """The region's source text, one row a line."""
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
        rows = tuple(line for line in hunk.lines if line.kind in (keep, " "))
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
    Raises DiffParseError when a hunk's context does not match the old file."""
    old_lines = old_text.split("\n")
    if old_lines and old_lines[-1] == "" and old_text.endswith("\n"):
        old_lines.pop()
    new_rows: list[DiffLine] = []
    old_rows: list[DiffLine] = []
    old_at = 1  # next old line to copy
    new_at = 1
    for hunk in change.hunks:
        start = hunk.old_start if hunk.old_count else hunk.old_start + 1
        while old_at < start:
            _copy_context(old_lines, old_at, new_at, old_rows, new_rows)
            old_at += 1
            new_at += 1
        _check_context(hunk, old_lines, change.path)
        for line in hunk.lines:
            if line.kind in (" ", "-"):
                old_rows.append(line)
                old_at += 1
            if line.kind in (" ", "+"):
                new_rows.append(line)
                new_at += 1
    while old_at <= len(old_lines):
        _copy_context(old_lines, old_at, new_at, old_rows, new_rows)
        old_at += 1
        new_at += 1
    old_path = change.old_path or change.path
    return (View(old_path, "old", tuple(old_rows), whole_file=True),
            View(change.path, "new", tuple(new_rows), whole_file=True))


def _copy_context(old_lines: list[str], old_at: int, new_at: int,
                  old_rows: list[DiffLine], new_rows: list[DiffLine]) -> None:
    text = old_lines[old_at - 1] if old_at - 1 < len(old_lines) else ""
    line = DiffLine(kind=" ", text=text, old_line=old_at, new_line=new_at)
    old_rows.append(line)
    new_rows.append(line)


def _check_context(hunk: Hunk, old_lines: list[str], path: str) -> None:
    for line in hunk.lines:
        if line.kind == "+" or line.old_line is None:
            continue
        actual = old_lines[line.old_line - 1] if line.old_line - 1 < len(old_lines) else None
        if actual is None or actual.rstrip() != line.text.rstrip():
            raise DiffParseError(path, f"the patch does not apply to the tree's file at line {line.old_line}")
