"""The line scanner (reviewbot/asm/scanner.py) on text made up of the pieces
that change its state: comments opened and closed over lines, preprocessor
lines continued with ``\\``, C macro calls whose arguments go on over lines,
``;``, strings, objdump lines and stray ``\\r``."""

from hypothesis import given, settings
from hypothesis import strategies as st

from reviewbot.asm import parser as asm
from reviewbot.asm.ast import Comment, Preprocessor
from reviewbot.records import replace

PIECES = [
    "\tmov x0, x1", "/*", "*/", " * text", "// c", ";", "\\", "#if X", "#ifdef A", "#else",
    "#endif", "#define F(a) \\", '# 12 "f.S"', "SYM_FUNC_START(", "foo,", "bar)", "(", ")",
    ",", '"s;/*"', "'a", "'", "1:", "label:", ".macro m a, b", ".endm", "x = 3",
    "r .req x1", "\f#define Y", "\v#if Z", "  ffff0000:\t12345678 \tmov x0, x1 ; c",
    "0000000000000000 <fn>:", "ldr x0, =sym", " ", "\t", "abc", "*", "#", "  *  /* x */",
    "ALTERNATIVE(", "b 1f", "msr tpidr_el2, x0", "\tstp x29, x30, [sp, #-16]!",
]
lines = st.lists(st.lists(st.sampled_from(PIECES), max_size=4).map("".join), min_size=1, max_size=8)


def _moved(nodes, by):
    out = []
    for node in nodes:
        node = replace(node, line=node.line + by)
        if type(node) is Comment:
            node = replace(node, end_line=node.end_line + by)
        out.append(node)
    return tuple(out)


@settings(max_examples=300, deadline=None)
@given(lines, st.integers(min_value=1, max_value=50))
def test_any_mix_of_lines_scans_without_raising_and_in_order(texts, first_line):
    text = "\n".join(texts)
    nodes = asm.parse(text, first_line=first_line)
    last = first_line + len(texts) - 1
    assert all(first_line <= n.line <= last for n in nodes)
    assert [n.line for n in nodes] == sorted(n.line for n in nodes)
    # numbering from another line moves every node and changes nothing else
    assert _moved(asm.parse(text), first_line - 1) == nodes


@settings(max_examples=200, deadline=None)
@given(lines)
def test_crlf_line_ends_scan_as_lf_ones(texts):
    text = "\n".join(texts)
    assert asm.parse(text.replace("\n", "\r\n") + "\r") == asm.parse(text)


def test_a_preprocessor_line_may_start_with_a_form_feed_or_vertical_tab():
    # Python's lstrip() takes these (cpp does too); the scanner used to raise here
    nodes = asm.parse("\f#define X 1\n\v#if X\n\t#endif")
    assert [(type(n), n.directive, n.args, n.line, n.column, n.depth) for n in nodes] == [
        (Preprocessor, "define", "X 1", 1, 2, 0),
        (Preprocessor, "if", "X", 2, 2, 0),
        (Preprocessor, "endif", "", 3, 2, 0),
    ]


@settings(max_examples=400, deadline=None)
@given(lines)
def test_the_outliners_plain_line_path_outlines_as_the_general_one(texts):
    """An outline takes a line that is one instruction alone by a shortcut
    (``scanner._PLAIN``); without it every line goes the general way."""
    from reviewbot.asm.scanner import Scanner

    text = "\n".join(texts)
    general = Scanner(asm.OUTLINER.parse_body)  # no ``plain``: the general path only
    assert asm.outline(text) == tuple(general.scan(text))
    assert asm.outline(text.replace("\n", "\r\n")) == tuple(general.scan(text.replace("\n", "\r\n")))
