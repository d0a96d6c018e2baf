"""``whole_file._spans_near`` looks only at the spans that can hold a near
line (bisected), with the answer of trying every span: checked against that
plain loop on made-up files with functions, macros, comments over several
lines, statements after a function's end on its line, and random near lines
(and lines near a change among them, whose comments have the code below read)."""

from __future__ import annotations

import random
from bisect import bisect_left

from reviewbot.asm.ast import Comment
from reviewbot.asm.parser import outline
from reviewbot.match import whole_file
from reviewbot.match.spans import spans_of

PIECES = [
    "SYM_FUNC_START(f{n})\n\tldr\tx0, [x1]\n\tret\nSYM_FUNC_END(f{n})\n",
    ".macro m{n} reg\n\tadd\t\\reg, \\reg, #1\n.endm\n",
    "/*\n * about what follows\n * over lines\n */\n",
    "\tnop\t// a trailing comment\n",
    "ENTRY(e{n})\n\tb\t1f\n1:\tret\nENDPROC(e{n}); nop\n",
    "\n\n",
    "\t.pushsection .hyp.text, \"ax\"\n\tmov\tx0, x1\n\t.popsection\n",
]


def _every_span(shape: tuple, near: set[int], notes: set[int]) -> tuple[list, list]:
    """The plain loop: every span tried."""
    wanted, covered = [], []
    lines = sorted(near)
    follow = False
    for (start, end), (first, last) in zip(spans_of(shape), whole_file._span_lines(shape)[0]):
        at = bisect_left(lines, first)
        hit = at < len(lines) and lines[at] <= last
        if hit or follow:
            wanted.append((start, end))
            covered.append((first, last))
        follow = hit and any(type(shape[i]) is Comment and whole_file._near(shape[i], notes)
                             for i in range(start, end))
    return wanted, covered


def test_the_spans_near_a_change_are_those_of_trying_every_span() -> None:
    rnd = random.Random(13)
    tried = found = 0
    for _ in range(300):
        text = "".join(rnd.choice(PIECES).format(n=n) for n in range(rnd.randint(1, 12)))
        shape = outline(text)
        top = text.count("\n") + 2
        for _ in range(8):
            near: set[int] = set()
            for _ in range(rnd.randint(0, 3)):
                at = rnd.randint(-3, top + 3)
                near |= set(range(at - 3, at + 4))
            got = whole_file._spans_near(shape, near)
            assert got == _every_span(shape, near, near), (text, sorted(near))
            # the comments whose code below is read: those near a change only
            notes = {n for n in near if rnd.random() < 0.5}
            assert whole_file._spans_near(shape, near, notes) == _every_span(shape, near, notes)
            tried += 1
            found += bool(got[0])
    assert tried == 2400 and found > 1000
