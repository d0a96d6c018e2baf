"""The short cuts of the taint matcher: the mnemonic gate (a formula is
tested only at instructions it could hold at), the spans it analyses (one
linear pass), and the analysis itself where those short cuts could bite
(case, kernel macros, ``$OP`` patterns, states shared between statements)."""

from __future__ import annotations

import random
import re
from types import SimpleNamespace

import pytest

from reviewbot.analysis.kernels import Era, KernelVersion
from reviewbot.asm.ast import CMacroCall, Comment, Instruction, Label, MacroDef, MacroEnd
from reviewbot.asm.parser import parse
from reviewbot.match.formulas import compile_formula
from reviewbot.match.mnemonic_gate import admits
from reviewbot.match.patterns import Match, Region
from reviewbot.match.patterns import test as holds_at
from reviewbot.match.taint import compile_taint, spans_of

CODE = """\
\tLDR\tx1, =kvm_host_data
\tldr\tx2, [x1, #8]
\tStr\tx2, [x3]
\tldp\tx4, x5, [sp], #16
\tmov\tx6, x1
\tMOV\tx0, x7
\tkern_hyp_va\tx1
\tKERN_HYP_VA\tx6
\trestore_x0_to_x3
\t\\op\tx1, x2
\t\\OP\tx1, [x2]
\tblr\tx6
\tbr\tx1
\tb.EQ\t1f
1:
\tret
"""

FORMULAS = [
    "LDR $R, =$SYM",
    "ldr $R, [$B, ...]",
    "restore_x0_to_x3",
    "Kern_Hyp_Va $R",
    "\\op $A, [$B]",
    {"pattern": "$OP ..., [$R, ...]", "where": [{"metavariable": "$OP", "regex": "^(ldr|ldp|str)"}]},
    {"pattern": "$OP ..., [$R, ...]", "where": [{"metavariable": "$OP", "regex": "^\\\\"}]},
    {"pattern": "$OP $R", "where": [{"metavariable": "$OP", "kind": "macro"}]},
    {"pattern": "$OP $R", "where": [{"metavariable": "$OP", "in": ["KERN_HYP_VA", "blr"]}]},
    {"pattern": "$OP $R, ...", "where": [{"metavariable": "$R", "regex": "^x"}]},
    {"any": ["blr $R", "br $R"]},
    {"all": ["mov $A, $B", {"not": {"pattern": "mov x0, $B"}}]},
    {"all": ["$OP $A, ...", {"pattern": "$OP ...", "where": [{"metavariable": "$OP", "regex": "^str"}]}]},
    {"all": [{"not": {"pattern": "ret"}}, {"pattern": "$OP ...", "where": [{"metavariable": "$OP", "regex": "^b"}]}]},
    ".quad $SYM",
]


def _region(text: str) -> Region:
    statements = tuple(parse(text))
    return Region(statements=statements, contexts=tuple(None for _ in statements))


@pytest.mark.parametrize("spec", FORMULAS, ids=str)
def test_the_gate_never_shuts_out_a_formula_that_holds(spec):
    node = compile_formula(spec)
    region = _region(CODE)
    for index, stmt in enumerate(region.statements):
        if type(stmt) is Instruction and not admits(node, stmt.mnemonic):
            assert holds_at(node, region, Match(index, {})) == [], \
                f"{spec!r} holds at {stmt.text!r} but the gate shuts it out"


def test_the_gate_compares_mnemonics_as_the_matcher_does():
    assert admits(compile_formula("LDR $R, =$SYM"), "ldr")
    assert not admits(compile_formula("ldr $R, =$SYM"), "ldp")
    assert admits(compile_formula("restore_x0_to_x3"), "restore_x0_to_x3")
    op_regex = compile_formula({"pattern": "$OP ..., [$R, ...]",
                                "where": [{"metavariable": "$OP", "regex": "^(ldr|str)"}]})
    assert admits(op_regex, "ldrb") and not admits(op_regex, "mov")
    assert admits(compile_formula("$OP ..., [$R, ...]"), "mov")  # no constraint: every mnemonic
    assert not admits(compile_formula(".quad $SYM"), "ldr")
    # a constraint on a name an earlier pattern bound says nothing of this mnemonic
    assert admits(compile_formula({"all": ["$OP $A, ...", {"pattern": "$X ...", "where": [
        {"metavariable": "$X", "regex": "^str"}]}]}), "ldr") is True


def _reference_spans(statements: tuple) -> list[tuple[int, int]]:
    """spans_of as it was first written (a set of covered indices)."""
    start_re = re.compile(r"^(SYM_FUNC_START\w*|SYM_CODE_START\w*|ENTRY|__HYP_FUNC)$")
    end_re = re.compile(r"^(SYM_FUNC_END\w*|SYM_CODE_END\w*|END|ENDPROC)$")
    spans, start, kind, covered = [], None, None, set()
    for i, stmt in enumerate(statements):
        if isinstance(stmt, MacroDef):
            start, kind = i, "macro"
        elif isinstance(stmt, MacroEnd) and kind == "macro":
            spans.append((start, i + 1))
            covered.update(range(start, i + 1))
            start = kind = None
        elif isinstance(stmt, CMacroCall) and start_re.match(stmt.name) and kind is None:
            start, kind = i, "function"
        elif isinstance(stmt, CMacroCall) and end_re.match(stmt.name) and kind == "function":
            spans.append((start, i + 1))
            covered.update(range(start, i + 1))
            start = kind = None
    if start is not None:
        spans.append((start, len(statements)))
        covered.update(range(start, len(statements)))
    run: list[int] = []
    for i in (i for i in range(len(statements)) if i not in covered):
        if run and i != run[-1] + 1:
            spans.append((run[0], run[-1] + 1))
            run = []
        run.append(i)
    if run:
        spans.append((run[0], run[-1] + 1))
    return sorted(spans)


def _random_statements(rng: random.Random, n: int) -> tuple:
    pool = [
        lambda: MacroDef(name="m", params=(), line=1, column=1, text=".macro m"),
        lambda: MacroEnd(line=1, column=1, text=".endm"),
        lambda: CMacroCall(name=rng.choice(["SYM_FUNC_START", "SYM_CODE_START_LOCAL", "ENTRY", "__HYP_FUNC",
                                            "SYM_FUNC_END", "SYM_CODE_END", "END", "ENDPROC", "ALIGN",
                                            "SYM_FUNC_START_ALIAS_END"]),
                           args=("f",), line=1, column=1, text="X(f)"),
        lambda: Instruction(mnemonic="nop", operands=(), line=1, column=1, text="nop"),
        lambda: Label(name="1", line=1, column=1, text="1:"),
        lambda: Comment(text="c", line=1, column=1, end_line=1),
    ]
    return tuple(rng.choice(pool)() for _ in range(n))


def test_spans_are_those_of_the_first_definition_on_random_outlines():
    rng = random.Random(13)
    for _ in range(3000):
        statements = _random_statements(rng, rng.randint(0, 14))
        assert spans_of(statements) == _reference_spans(statements), statements


def _hits(spec: dict, text: str, era: KernelVersion = KernelVersion(5, 4)) -> list[tuple[int, str, str]]:
    matcher = compile_taint(spec, "t.yaml")
    unit = SimpleNamespace(region=_region(text), file=SimpleNamespace(era=Era(era)))
    return sorted((h.line, h.bindings["R"], h.extra["HOW"]) for h in matcher.run(unit))


TAINT = {
    "sources": [{"pattern": "LDR $R, =$SYM", "focus": "$R", "label": "kernel VA", "kernel": "<5.12"},
                {"pattern": "restore_x0_to_x3", "defines": ["x0", "x1", "x2", "x3"], "label": "host pointer"}],
    "sanitizers": [{"pattern": "KERN_HYP_VA $R", "focus": "$R"}],
    "sinks": [{"pattern": "$OP ..., [$R, ...]", "focus": "$R",
               "where": [{"metavariable": "$OP", "regex": "^(ldr|str|ldp|stp)"}]},
              {"pattern": "blr $R", "focus": "$R"}, {"macro-exit": True}],
}


def test_sources_and_sanitizers_written_in_capitals_or_as_macros_still_count():
    text = "\tldr\tx5, =kvm_host_data\n\tkern_hyp_va\tx5\n\tldr\tx6, [x5]\n" \
           "\trestore_x0_to_x3\n\tLDR\tx7, [X2, #8]\n\tBLR\tx3\n"
    assert _hits(TAINT, text) == [(5, "x2", "is used as an address here"), (6, "x3", "is used as an address here")]
    # the literal-pool source is one on older kernels only; the macro is one on all
    assert _hits(TAINT, "\tldr\tx1, =sym\n\tldr\tx2, [x1]\n", KernelVersion(6, 1)) == []
    assert _hits(TAINT, "\tldr\tx1, =sym\n\tldr\tx2, [x1]\n") == [(2, "x1", "is used as an address here")]


def test_a_sanitizer_on_one_path_does_not_clean_the_state_another_path_shares():
    text = ("\tldr\tx1, =sym\n\tmov\tx4, x5\n\tcbz\tx0, 2f\n\tkern_hyp_va\tx1\n\tldr\tx2, [x1]\n"
            "\tret\n2:\n\tmov\tx6, x1\n\tstr\tx2, [x6]\n\tldr\tx2, [x1]\n")
    # x1 is clean after kern_hyp_va (line 5); the branch at line 3 reaches
    # line 2's label with x1 and x6 (a copy) still kernel VAs
    assert _hits(TAINT, text) == [(9, "x6", "is used as an address here"), (10, "x1", "is used as an address here")]


def test_a_loop_carries_a_label_back_and_a_macro_argument_leaves_its_macro():
    loop = "\tldr\tx1, =sym\n1:\n\tldr\tx2, [x3]\n\tmov\tx3, x1\n\tcbnz\tx2, 1b\n"
    assert _hits(TAINT, loop) == [(3, "x3", "is used as an address here")]
    macro = ".macro get_va reg\n\tldr\t\\reg, =sym\n.endm\n"
    assert _hits(TAINT, macro) == [(3, "\\reg", "leaves the macro here")]


def _reference_operands(pats: tuple, ops: tuple, bindings):
    """match_operands as it was first written (every split after a ``...``)."""
    from reviewbot.asm.ast import Ellipsis, Expression, MetaVar
    from reviewbot.match.patterns import _bind, match_operand, value_text
    if not pats:
        return bindings if not ops else None
    head, rest = pats[0], pats[1:]
    if isinstance(head, Ellipsis) or (isinstance(head, MetaVar) and head.ellipsis):
        for take in range(len(ops) + 1):
            b = bindings
            if isinstance(head, MetaVar):
                b = _bind(bindings, head.name, Expression(text=", ".join(value_text(o) for o in ops[:take])))
                if b is None:
                    continue
            found = _reference_operands(rest, ops[take:], b)
            if found is not None:
                return found
        return None
    if not ops:
        return None
    first = match_operand(head, ops[0], bindings)
    return None if first is None else _reference_operands(rest, ops[1:], first)


def test_operands_after_an_ellipsis_match_as_when_every_split_was_tried():
    from reviewbot.asm.parser import parse_pattern
    from reviewbot.match.patterns import match_operands
    patterns = ["op ..., [$R, ...]", "op $...A, $B", "op $...A, $B, $C", "op ..., $B, ...", "op $...A",
                "op $A, ..., #1", "op $...A, $...B", "op ..., x1", "op $A, $...B, [$R]", "op ..."]
    statements = [s for s in parse(CODE + "\tstp\tx1, x2, [sp, #-16]!\n\tadd\tx1, x1, #1\n\tmov\tx1, x1\n")
                  if type(s) is Instruction]
    tried = matched = 0
    for text in patterns:
        pats = parse_pattern(text).operands
        for stmt in statements:
            for bound in ({}, {"B": stmt.operands[-1]} if stmt.operands else {}):
                got = match_operands(pats, stmt.operands, bound)
                assert got == _reference_operands(pats, stmt.operands, bound), (text, stmt.text, bound)
                tried += 1
                matched += got is not None
    assert matched > 20 and tried - matched > 20


def _hits_in_functions(spec: dict, text: str) -> list[tuple[int, str]]:
    """``_hits`` with each statement's context naming the function it is in."""
    from reviewbot.analysis.context import StatementContext
    statements = tuple(parse(text))
    contexts, function = [], None
    for stmt in statements:
        if isinstance(stmt, CMacroCall) and stmt.name == "SYM_FUNC_START":
            function = stmt.args[0]
        contexts.append(StatementContext(hyp=True, vhe=False, function=function))
    matcher = compile_taint(spec, "t.yaml")
    unit = SimpleNamespace(region=Region(statements, tuple(contexts)), file=SimpleNamespace(era=Era(KernelVersion(5, 4))))
    return sorted((h.line, h.bindings["R"]) for h in matcher.run(unit))


def test_a_sink_that_binds_its_register_at_another_statement_is_tried_where_no_register_is_named():
    # the sink statement (dsb sy) names no register: only what follows binds ``$R``
    spec = dict(TAINT, sinks=[{"all": ["dsb $X", {"follows": "mov $R, $S"}], "focus": "$R"}])
    assert _hits(spec, "\tldr\tx1, =sym\n\tmov\tx1, x1\n\tdsb\tsy\n") == [(3, "x1", "is used as an address here")]
    # a sink that binds on its own statement is not tried where the state's registers are not named
    assert _hits(TAINT, "\tldr\tx1, =sym\n\tldr\tx2, [x3]\n\tldr\tx4, [x1]\n") == [(3, "x1", "is used as an address here")]


def test_an_endpoint_that_reads_the_context_is_asked_again_at_each_statement_of_the_same_text():
    # the same two lines in two functions: the parser gives them the same
    # operands, and the source holds in one function only
    spec = dict(TAINT, sources=[{"all": ["ldr $R, =$SYM", {"inside": {"function": "foo"}}], "focus": "$R"}])
    body = "\tldr\tx1, =sym\n\tldr\tx2, [x1]\n"
    text = f"SYM_FUNC_START(bar)\n{body}SYM_FUNC_END(bar)\nSYM_FUNC_START(foo)\n{body}SYM_FUNC_END(foo)\n" \
           f"SYM_FUNC_START(baz)\n{body}SYM_FUNC_END(baz)\n"
    assert _hits_in_functions(spec, text) == [(7, "x1")]
