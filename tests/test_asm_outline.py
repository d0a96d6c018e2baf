"""``outline`` leaves instructions unread and ``read_unread`` reads them as
``parse`` would (tree-aware review reads only the functions near a change)."""

from __future__ import annotations

from reviewbot.asm.ast import Comment, Instruction, Label, MacroDef, Unparsed, Unread
from reviewbot.asm.parser import outline, parse, read_unread
from reviewbot.match.taint import spans_of

TEXT = """\
/* SPDX-License-Identifier: GPL-2.0-only */
#include <linux/linkage.h>

\t.pushsection\t.hyp.text, "ax"
.macro save_one reg, where
\tstr\t\\reg, [\\where]\t// kept
.endm

SYM_FUNC_START(__first)
1:\tmov\tx0, x1; add x2, x2, #1
\tldr\tx3, =some_symbol
\tsave_one x4, x5
\tcbz\tx0, 1b
\tret
SYM_FUNC_END(__first)

SYM_FUNC_START(__second)
\tmrs\tx0, tpidr_el2
\tmov\tx1, #(1 << 3) | \\
\t\t(1 << 4)
\tthis is not ( an instruction
\tret
SYM_FUNC_END(__second)
\t.popsection
"""


def test_an_outline_read_whole_is_the_parse() -> None:
    shape = outline(TEXT)
    assert read_unread(shape, [(0, len(shape))]) == parse(TEXT)
    assert read_unread(shape, spans_of(shape)) == parse(TEXT)


def test_an_outline_keeps_everything_but_instructions() -> None:
    shape, full = outline(TEXT), parse(TEXT)
    assert len(shape) == len(full)
    for kept, parsed in zip(shape, full):
        if isinstance(parsed, (Instruction, Unparsed)):
            assert type(kept) is Unread and (kept.line, kept.column) == (parsed.line, parsed.column)
            assert kept.text.startswith(parsed.text.split()[0])
        else:
            assert kept == parsed
    assert any(isinstance(s, Label) for s in shape) and any(isinstance(s, MacroDef) for s in shape)
    assert any(isinstance(s, Comment) for s in shape)
    assert spans_of(shape) == spans_of(full)  # functions are found without reading them


def test_only_the_spans_asked_for_are_read() -> None:
    shape = outline(TEXT)
    second = next(span for span in spans_of(shape)
                  if any(getattr(shape[i], "name", "") == "SYM_FUNC_START" for i in range(*span))
                  and any(getattr(shape[i], "args", ("",))[0] == "__second" for i in range(*span)))
    read = read_unread(shape, [second])
    full = parse(TEXT)
    start, end = second
    assert read[start:end] == full[start:end]
    assert all(type(s) is Unread for s in read[:start] if isinstance(full[read.index(s)], Instruction))
    assert read[:start] == shape[:start] and read[end:] == shape[end:]
