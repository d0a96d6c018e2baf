"""The ``comment:`` matcher judges only the comments a change can concern
(match/comment_blocks.py) and finds what judging every comment of a whole
file finds: a comment above ``SYM_FUNC_START`` or just inside a ``.macro``
describes the whole body, however far below, past labels and blank lines,
the change is; a deletion with nothing added is a change."""

from __future__ import annotations

import difflib
import random
from pathlib import Path

import pytest

from reviewbot import engine
from reviewbot.analysis.kernels import Era, KernelVersion
from reviewbot.analysis.views import full_views, hunk_views
from reviewbot.asm.ast import Comment
from reviewbot.config import load_config
from reviewbot.mail.diff import parse_patch
from reviewbot.match import comments
from reviewbot.match.comment_blocks import changed_lines
from reviewbot.match.file_units import attach_removed_comments, build_units

PATH = "arch/arm64/kvm/hyp/nvhe/blocks.S"

BASE = """\
#include <linux/linkage.h>

.macro save_regs
\t/* save_regs uses x1 and calls stash_one() */
\tmov\tx0, x1

1:\tstp\tx2, x3, [x0]

\tbl\tstash_one
\tstr\tx1, [x0, #16]
.endm

\t.text
/*
 * The host's context: x3 holds it, and hyp_panic() is called
 * when it is not there.
 */
SYM_FUNC_START(__blocks_enter)
\tmov\tx3, x0
\tcbz\tx3, 2f

\tsave_regs
\tldr\tx4, [x3]
1:
\tadd\tx4, x4, #1

\tstr\tx4, [x3]
\tret
2:
\tbl\thyp_panic
SYM_FUNC_END(__blocks_enter)

\t// load 'ldr x5, =kvm_host_data' then use it
\tmov\tx8, x9
\tldr\tx5, =kvm_host_data
\tldr\tx6, [x5]
\tmov\tx7, x6
"""


def _units(old: str, new: str, near: int | None = engine.NEAR):
    diff = "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                        f"a/{PATH}", f"b/{PATH}", n=3))
    (change,) = parse_patch(f"diff --git a/{PATH} b/{PATH}\n" + diff)
    units = build_units(change, load_config(), Era(KernelVersion(5, 10)), old_text=old, near=near)
    attach_removed_comments([units])
    return units


def _stale(units) -> list[tuple[int, str, str]]:
    matcher = comments.compile_comment({"mentions": ["call", "quoted", "pool", "width"]}, "x")
    return [(hit.line, hit.extra["HOW"], hit.bindings["STALE"]) for unit in units.new_asm for hit in matcher.run(unit)]


def _line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.split("\n"), start=1) if fragment in line)


def test_a_comment_above_a_function_is_judged_on_a_change_far_down_its_body():
    new = BASE.replace("\tbl\thyp_panic\n", "\tbrk\t#0\n")
    assert _stale(_units(BASE, new)) == [(_line_of(new, "The host's context") - 1, "code changed", "hyp_panic()")]


def test_a_macro_s_opening_comment_is_judged_on_a_change_past_its_labels_and_blank_lines():
    new = BASE.replace("\tbl\tstash_one\n", "\tnop\n")
    assert _stale(_units(BASE, new)) == [(_line_of(new, "save_regs uses"), "code changed", "stash_one()")]


def test_a_deletion_alone_is_a_change_under_a_comment():
    new = BASE.replace("\tldr\tx5, =kvm_host_data\n", "")
    assert _stale(_units(BASE, new)) == [(_line_of(new, "load 'ldr x5"), "code changed", "'ldr x5, =kvm_host_data'")]


def _edit(rng: random.Random, text: str) -> str:
    lines = text.splitlines(True)
    snippets = ["\tnop\n", "\n", "3:\n", "/* calls stash_one() */\n", "\tmov\tx1, x2\t// keeps 'ldr x5, =x'\n",
                "SYM_FUNC_END(__blocks_enter)\n", ".endm\n", "\tbl\thyp_panic\n"]
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(lines))
        if rng.random() < 0.5:
            del lines[at:at + rng.randint(1, 3)]
        else:
            lines[at:at] = [rng.choice(snippets)]
    return "".join(lines)


@pytest.mark.parametrize("seed", range(40))
def test_the_comments_judged_give_what_judging_every_comment_gives(seed, monkeypatch):
    new = _edit(random.Random(seed), BASE)
    if new == BASE:
        return
    for near in (engine.NEAR, None):
        units = _units(BASE, new, near)
        found = _stale(units)
        monkeypatch.setattr(comments, "concerned_comments", lambda statements, lines, contexts=(): [
            i for i, stmt in enumerate(statements) if isinstance(stmt, Comment)])
        assert _stale(units) == found
        monkeypatch.undo()


def _linear(view) -> tuple[int, ...]:
    """changed_lines as a row-by-row walk says it."""
    found, previous = [], None
    for number, row in enumerate(view.rows, start=1):
        if row.kind != " " or (row.old_line is not None and previous is not None and row.old_line != previous + 1):
            found.append(number)
        if row.old_line is not None:
            previous = row.old_line
    return tuple(found)


@pytest.mark.parametrize("new", [
    BASE.replace("\tmov\tx7, x6\n", ""),                                 # a deletion at the end
    BASE.replace("\tldr\tx4, [x3]\n", "\tldr\tx9, [x3]\n"),              # as many lines added as deleted
    BASE.replace("\tret\n", "").replace("#include", "#include\n"),       # a deletion after an addition
    "\n" + BASE.replace("2:\n", "2:\n\tnop\n\tnop\n").replace(".endm\n", ""),
])
def test_changed_lines_are_the_added_and_deleted_rows_and_the_rows_after_a_deletion(new):
    diff = "".join(difflib.unified_diff(BASE.splitlines(True), new.splitlines(True), f"a/{PATH}", f"b/{PATH}", n=2))
    (change,) = parse_patch(f"diff --git a/{PATH} b/{PATH}\n" + diff)
    views = [*full_views(change, BASE), *hunk_views(change, "new"), *hunk_views(change, "old")]
    for view in views:
        assert changed_lines(view) == _linear(view)
    assert any(changed_lines(view) for view in views)


def _action_hits(old: str, new: str) -> list[tuple[int, str]]:
    import yaml

    from reviewbot.match.comment_action import compile_comment_action
    from reviewbot.match.units import TextUnit

    rule = Path(__file__).resolve().parent.parent / "rules/arm64-comment/arm64.comment.action-removed.yaml"
    spec = yaml.safe_load(rule.read_text())["comment-action"]
    diff = "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), "a/x.S", "b/x.S", n=3))
    (change,) = parse_patch("diff --git a/x.S b/x.S\n" + diff)
    old_view, new_view = full_views(change, old)
    unit = TextUnit("c", tuple(r.text for r in new_view.rows), new_view, None, old_view=old_view)
    return [(hit.line, hit.bindings["COMMENT"]) for hit in compile_comment_action(spec, "x").run(unit)]


@pytest.mark.parametrize("above, comment, said", [
    ("", "/* Flush the\n/* dcache */\n", "Flush the dcache"),
    ("\tnop\n/* other */\n", "/* Flush the\n/* dcache */\n", "Flush the dcache"),
    ("\tnop\n", "// keep x */\n// Flush the dcache\n", "keep x Flush the dcache"),
])
def test_a_comment_s_action_is_judged_from_where_its_comment_starts(above, comment, said):
    # a comment whose last line could be read as one of its own
    old = above + comment + "foo:\n\tmov\tx0, x1\n\tdc\tcivac, x0\n\tnop\n"
    new = old.replace("\tdc\tcivac, x0\n", "")
    assert _action_hits(old, new) == [(len(above.splitlines()) + 1, said)]


def _c_hits(old: str, new: str) -> list[tuple[int, str]]:
    from reviewbot.match.c_comment_facts import attach_c_facts
    from reviewbot.match.c_comments import CCommentMatcher

    path = "arch/arm64/kvm/blocks.c"
    diff = "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"a/{path}", f"b/{path}", n=3))
    (change,) = parse_patch(f"diff --git a/{path} b/{path}\n" + diff)
    units = build_units(change, load_config(), Era(KernelVersion(5, 10)), old_text=old)
    attach_c_facts([units])
    matcher = CCommentMatcher(kinds=("removed-term",))
    return [(hit.line, hit.bindings["COMMENT"]) for unit in units.new_c for hit in matcher.run(unit)]


@pytest.mark.parametrize("above, judged", [
    ("", True), ("\tx = 0; /* done */\n", True), ("\t// x */ y\n", True),
    ("\tp = \"*/\";\n\t/* an open\n\t * one */\n", True),
    ("\tx = 0; /* done */ /* and open\n", False),  # the comment starts there, after code: not judged
])
def test_a_c_comment_is_read_from_where_it_starts(above, judged):
    # its last line reads as a comment of its own; what comes above must not end it early
    old = "int f(int n)\n{\n" + above + "\t/* room for one extra\n\t/* page */\n\tsize = n + 1;\n\treturn size;\n}\n"
    new = old.replace("n + 1", "n")
    assert _c_hits(old, new) == ([(3 + len(above.splitlines()), "room for one extra page")] if judged else [])


def _slot_hits(old: str, new: str) -> list[int]:
    from reviewbot.match.comment_slots import CommentSlotsMatcher
    from reviewbot.match.units import TextUnit

    diff = "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), "a/x.c", "b/x.c", n=3))
    (change,) = parse_patch("diff --git a/x.c b/x.c\n" + diff)
    view = full_views(change, old)[1]
    unit = TextUnit("c", tuple(r.text for r in view.rows), view, None)
    return [hit.line for hit in CommentSlotsMatcher().run(unit)]


@pytest.mark.parametrize("under", ["", "case HVC_CALL:\n"])
def test_a_slot_comment_is_judged_on_an_added_line_past_inner_blocks(under):
    old = ("int g(void)\n{\n}\n/*\n * reg0 stores the high half;\n * reg1 holds the low half\n */\n" + under +
           "\tregs[0] = a;\n\tif (b) {\n\t\tb--;\n\t}\n\n\tregs[1] = b;\n\treturn 0;\n}\n")
    new = old.replace("\treturn 0;\n", "\tregs[2] = c;\n\treturn 0;\n")
    assert _slot_hits(old, new) == [4]


def test_an_added_line_inside_a_slot_comment_read_from_its_start():
    from reviewbot.match.comment_slots import CommentSlotsMatcher
    from reviewbot.match.units import TextUnit
    from reviewbot.records import replace

    old = "int f(void)\n{\n/*\n * reg0 stores a;\n */\n\tregs[0] = a;\n\treturn 0;\n}\n"
    new = old.replace(" * reg0 stores a;\n", " * reg0 stores a;\n * reg1 stores b;\n/* reg2 stores c;\n * reg3 stores d;\n")
    new = new.replace("\treturn 0;\n", "\tregs[3] = d;\n\treturn 0;\n")
    diff = "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), "a/x.c", "b/x.c", n=3))
    (change,) = parse_patch("diff --git a/x.c b/x.c\n" + diff)
    view = full_views(change, old)[1]

    def hits(view):
        unit = TextUnit("c", tuple(r.text for r in view.rows), view, None)
        return [(hit.line, hit.bindings["SAID"]) for hit in CommentSlotsMatcher().run(unit)]

    assert hits(view) == hits(replace(view, whole_file=False)) == [(3, "reg0, reg1, reg2, reg3")]
