"""``outline`` leaves instructions unread and ``read_unread`` reads them as
``parse`` would (tree-aware review reads only the functions near a change)."""

from __future__ import annotations

from reviewbot.asm.ast import CMacroCall, Comment, Directive, Instruction, Label, MacroDef, Preprocessor, Unparsed, Unread
from reviewbot.asm.marks import is_marked, marks
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


def _hunks(old: list[str], new: list[str]) -> list[tuple[int, int, int, int]]:
    import difflib

    found = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag != "equal":
            found.append((i1 + (1 if i2 > i1 else 0), i2 - i1, j1 + (1 if j2 > j1 else 0), j2 - j1))
    return found


SNIPPETS = ["\tldr\tx1, =sym\n", "/* opened\n", " */\n", "#if FOO\n", "#endif\n", "#else\n",
            "\tmov x0, \\\n", "\t\tx1\n", "// note\n", "\n", "label:\n", "SYM_FUNC_START(f)\n",
            "/* a */ mov x0, x1\n", " * star\n", "\tSYM_CODE(a,\n", "\t\tb)\n", "#define X(a) \\\n"]


def test_an_outline_made_from_the_old_one_is_the_outline_of_the_new_text() -> None:
    import random

    from reviewbot.asm import parser
    from reviewbot.asm.outline_edit import edited, edited_outline

    from reviewbot.analysis.context import file_context, statement_contexts
    from reviewbot.analysis.kernels import Era, KernelVersion
    from reviewbot.config import load_config
    from reviewbot.match import whole_file

    config = load_config()
    ctx = file_context("arch/arm64/kvm/hyp/nvhe/x.S", config.context, Era(KernelVersion(5, 10)))
    rng = random.Random(13)
    base = TEXT.splitlines(True) * 3
    made = fell = 0
    for _ in range(600):
        old = list(base) if rng.random() < 0.5 else [rng.choice(SNIPPETS + base) for _ in range(40)]
        new = list(old)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(new) + 1)
            if rng.random() < 0.3 and new:
                del new[min(at, len(new) - 1): min(at, len(new) - 1) + rng.randint(1, 3)]
            else:
                new[at:at] = [rng.choice(SNIPPETS)]
        old_text, new_text = "".join(old), "".join(new)
        hunks = _hunks(old, new)
        shape = edited_outline(parser.OUTLINER, outline(old_text), old_text.split("\n"), new_text.split("\n"), hunks)
        if shape is None:
            fell += 1
        else:
            made += 1
            assert shape == outline(new_text), (old_text, new_text)
            # the marks it hands on are those a walk of the new outline finds
            assert marks(shape) == _walked_marks(shape), (old_text, new_text)
            # the contexts spliced from the old outline's are those of a walk
            assert whole_file._whole_file_contexts(shape, ctx, config) == \
                statement_contexts(shape, ctx, config.context), (old_text, new_text)
            spans = spans_of(shape)
            read = read_unread(shape, rng.sample(spans, rng.randint(0, len(spans))))
            assert marks(read) == _walked_marks(read), (old_text, new_text)
        assert edited(outline(old_text), old_text, new_text, hunks) == outline(new_text)
    assert made > 300 and fell > 0  # both ways taken


def _walked_marks(statements: tuple) -> tuple[int, ...]:
    return tuple(i for i, stmt in enumerate(statements) if is_marked(stmt))


def test_marks_are_where_the_structure_is() -> None:
    shape = outline(TEXT + "/* one\n   two */\n#ifdef X\n\tnop\n#endif\n")
    kinds = [type(shape[i]).__name__ for i in marks(shape)]
    # not the #include: it changes neither the #if nesting nor the context
    assert kinds == ["Directive", "MacroDef", "MacroEnd", "CMacroCall", "CMacroCall",
                     "CMacroCall", "CMacroCall", "Directive", "Comment", "Preprocessor", "Preprocessor"]
    assert marks(shape) == _walked_marks(shape)
    # a read that is not one plain statement for each unread one hands on nothing
    for body in ("foo: bar", ".word 1", "ALTERNATIVE(nop, nop, 1)", ""):
        unread = (Unread("nop", 1, 1), Unread(body, 2, 1), Directive(".text", (), 3, 1, ".text"))
        marks(unread)
        read = read_unread(unread, [(0, 3)])
        assert marks(read) == _walked_marks(read), body


def test_everything_a_walk_of_the_structure_acts_on_is_marked() -> None:
    from reviewbot.analysis.context import changes_context
    from reviewbot.asm.scanner import depth_after
    from reviewbot.match.spans import _BOUNDARIES, _FUNC_END, _FUNC_START

    lines = [f"{name}(f)" for name in ("SYM_FUNC_START", "SYM_FUNC_START_LOCAL", "SYM_CODE_START", "SYM_CODE_END",
                                       "SYM_INNER_LABEL", "SYM_TYPED_FUNC_START", "ENTRY", "ENTRY_ALIGN",
                                       "__HYP_FUNC", "END", "ENDPROC", "SYM_FUNC_END", "ALTERNATIVE", "ASM_BUG")]
    lines += [f"#{d} X" for d in ("if", "ifdef", "ifndef", "elif", "else", "elifdef", "elifndef", "endif",
                                  "include", "define", "undef", "error")]
    lines += [f"\t{d} x" for d in (".pushsection", ".section", ".popsection", ".text", ".data", ".bss",
                                   ".rodata", ".align", ".globl", ".type", ".previous", ".quad")]
    lines += [".macro m", ".endm", "/* one */", "/* two\n lines */", "\tnop"]
    for stmt in outline("\n".join(lines) + "\n"):
        spans_act = type(stmt) in _BOUNDARIES and (
            type(stmt) is not CMacroCall or _FUNC_START.match(stmt.name) or _FUNC_END.match(stmt.name))
        depth_acts = type(stmt) is Preprocessor and depth_after([stmt.directive], 1) != 1 or \
            type(stmt) is Preprocessor and stmt.directive in ("elif", "else", "elifdef", "elifndef")
        lines_act = type(stmt) is Comment and stmt.end_line > stmt.line
        if spans_act or changes_context(stmt) or depth_acts or lines_act:
            assert is_marked(stmt), stmt


def test_an_edit_that_opens_a_comment_is_outlined_again() -> None:
    from reviewbot.asm import parser
    from reviewbot.asm.outline_edit import edited, edited_outline

    old = TEXT.splitlines(True)
    new = old[:9] + ["/* not closed here\n"] + old[9:]
    old_text, new_text = "".join(old), "".join(new)
    assert edited_outline(parser.OUTLINER, outline(old_text), old_text.split("\n"), new_text.split("\n"),
                          _hunks(old, new)) is None
    assert edited(outline(old_text), old_text, new_text, _hunks(old, new)) == outline(new_text)
