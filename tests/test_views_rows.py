"""A whole file's rows are made when asked for (``analysis.views.FileRows``):
they must be, row for row, what building every row gives, and what the
engine asks of all of them (changed lines, the other side's lines, the
text) must be what walking every row gives, on random edits."""

from __future__ import annotations

import difflib
import pickle
import random

import pytest

from reviewbot.analysis.tree import post_image
from reviewbot.analysis.views import FileRows, View, full_views
from reviewbot.errors import DiffParseError
from reviewbot.mail.diff import parse_patch
from reviewbot.match.whole_file import other_side
from reviewbot.match.comment_blocks import changed_lines
from reviewbot.match.focus import anchor_lines, changed_rows
from reviewbot.model import DiffLine, FileChange

PATH = "arch/arm64/kvm/hyp/rows.S"
WORDS = ["\tmov\tx0, x1", "\tret", "label:", "", "/* a comment */", "\tldr\tx1, [x2]", "\tnop", "#ifdef X"]


def _every_row(change: FileChange, old_text: str) -> tuple[list[DiffLine], list[DiffLine]]:
    """Each side's rows, one object a row, as a plain walk builds them."""
    old_lines = old_text.split("\n")
    if old_lines[-1] == "" and (old_text.endswith("\n") or not old_text):  # an empty file has no line
        old_lines.pop()
    old_rows: list[DiffLine] = []
    new_rows: list[DiffLine] = []
    old_at = new_at = 1

    def copy() -> None:
        line = DiffLine(" ", old_lines[old_at - 1] if old_at <= len(old_lines) else "", old_at, new_at)
        old_rows.append(line)
        new_rows.append(line)

    for hunk in change.hunks:
        start = hunk.old_start if hunk.old_count else hunk.old_start + 1
        while old_at < start:
            copy()
            old_at, new_at = old_at + 1, new_at + 1
        for line in hunk.lines:
            if line.kind in (" ", "-"):
                old_rows.append(line)
                old_at += 1
            if line.kind in (" ", "+"):
                new_rows.append(line)
                new_at += 1
    while old_at <= len(old_lines):
        copy()
        old_at, new_at = old_at + 1, new_at + 1
    return old_rows, new_rows


def _changed_by_walk(rows: list[DiffLine], side: str) -> set[int]:
    changed, previous = set(), None
    for number, row in enumerate(rows, start=1):
        if row.kind != " " or (side == "new" and previous is not None and row.old_line is not None
                               and row.old_line != previous + 1):
            changed.add(number)
        if row.old_line is not None:
            previous = row.old_line
    return changed


def _random_edit(rng: random.Random) -> tuple[str, str, FileChange]:
    old = [rng.choice(WORDS) + f" {i}" * rng.randint(0, 1) for i in range(rng.randint(0, 60))]
    new = list(old)
    for _ in range(rng.randint(1, 4)):
        at = rng.randint(0, len(new))
        if rng.random() < 0.5 and at < len(new):
            del new[at:at + rng.randint(1, 3)]
        else:
            new[at:at] = [rng.choice(WORDS) + " +" for _ in range(rng.randint(1, 3))]
    old_text = "".join(line + "\n" for line in old)
    new_text = "".join(line + "\n" for line in new)
    diff = "".join(difflib.unified_diff(old_text.splitlines(True), new_text.splitlines(True),
                                        f"a/{PATH}", f"b/{PATH}", n=rng.randint(0, 3)))
    changes = parse_patch(f"diff --git a/{PATH} b/{PATH}\n{diff}") if diff else ()
    return old_text, new_text, changes[0] if changes else FileChange(PATH, PATH, ())


@pytest.mark.parametrize("seed", range(300))
def test_lazy_rows_are_every_row(seed: int) -> None:
    old_text, new_text, change = _random_edit(random.Random(seed))
    old_view, new_view = full_views(change, old_text)
    old_rows, new_rows = _every_row(change, old_text)
    for view, rows in ((old_view, old_rows), (new_view, new_rows)):
        lazy = view.rows
        assert type(lazy) is FileRows
        # asked one at a time, out of order, before anything walked them all
        order = list(range(len(rows)))
        random.Random(seed).shuffle(order)
        assert [lazy[i] for i in order] == [rows[i] for i in order]
        assert len(lazy) == len(rows)
        assert view.text == "\n".join(r.text for r in rows)
        assert lazy.lines() == view.text.split("\n")
        assert changed_rows(view) == _changed_by_walk(rows, view.side)
        plain_view = View(view.path, view.side, tuple(rows), whole_file=True)
        assert changed_lines(view) == changed_lines(plain_view) == tuple(sorted(_changed_by_walk(rows, view.side)))
        plain = View(view.path, view.side, tuple(rows), whole_file=True)
        assert anchor_lines("added", 0, view) == anchor_lines("added", 0, plain)
        spans = [(1, len(rows))] + [(a, a + 4) for a in range(1, len(rows) + 1, 7)]
        for side in ("old_line", "new_line"):
            assert other_side(lazy, spans, side) == other_side(tuple(rows), spans, side)
        assert list(lazy) == rows and lazy[1:5] == tuple(rows[1:5]) and lazy == tuple(rows)
        assert pickle.loads(pickle.dumps(lazy)) == tuple(rows)
    assert post_image(change, old_text) == new_text
    # a row both sides have is one object (the hunk pairing in file_units relies on it)
    for row in new_view.rows:
        if row.kind == " ":
            assert old_view.rows[row.old_line - 1] is row


def test_a_patch_that_does_not_apply_still_says_so() -> None:
    _, _, change = _random_edit(random.Random(7))
    with pytest.raises(DiffParseError):
        full_views(change, "something else\n" * 3)
    assert post_image(change, "something else\n" * 3) is None
