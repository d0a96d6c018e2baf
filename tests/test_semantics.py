"""What an instruction reads, writes and how control leaves it
(match/semantics.py): one case of each kind of mnemonic, as the register
dataflow and ``follows ... when-not`` rely on them."""

from __future__ import annotations

import pytest

from reviewbot.asm.parser import parse
from reviewbot.match.semantics import effects

CASES = [
    # text, reads, writes, flow, known
    ("alternative_if ARM64_HAS_VHE", "", "", "branch", True),
    ("kern_hyp_va x1", "x1", "x1", "next", True),
    ("restore_x0_to_x3", "", "x0 x1 x2 x3", "next", True),
    ("ldr_l x0, sym, x1", "", "x0 x1", "next", True),
    ("b.eq 1f", "", "", "branch", True),
    ("cbz x0, 1f", "x0", "", "branch", True),
    ("br x3", "x3", "", "branch", True),
    ("bl foo", "", "x30", "call", True),
    ("blr x6", "x6", "x30", "call", True),
    ("ret", "x30", "", "return", True),
    ("ret x1", "x1", "", "return", True),
    ("eret", "", "", "return", True),
    ("dc civac, x0", "x0", "", "next", True),
    ("msr tpidr_el2, x0", "x0", "", "next", True),
    ("mrs x0, tpidr_el2", "", "x0", "next", True),
    ("cmp x0, x1", "x0 x1", "", "next", True),
    ("ldadd x0, x1, [x2]", "x0 x1 x2", "x1", "next", True),
    ("casp x0, x1, x2, x3, [x4]", "x0 x1 x2 x3 x4", "x0", "next", True),
    ("stlxr w0, x1, [x2]", "x1 x2", "x0", "next", True),
    ("str x0, [x1], #8", "x0 x1", "x1", "next", True),
    ("stp x29, x30, [sp, #-16]!", "x29 x30 sp", "sp", "next", True),
    ("ldr x2, [x1, #8]", "x1", "x2", "next", True),
    ("ldp x0, x1, [sp], #16", "sp", "x0 x1 sp", "next", True),
    ("ldaxp x0, x1, [x2]", "x2", "x0 x1", "next", True),
    ("some_macro x0, x1", "x0 x1", "x0 x1", "next", False),
    ("mov x0, x1", "x1", "x0", "next", True),
    ("movk x0, #1, lsl #16", "x0", "x0", "next", True),
    ("add x1, x1, #8", "x1", "x1", "next", True),
    ("isb", "", "", "next", True),
]


@pytest.mark.parametrize(("text", "reads", "writes", "flow", "known"), CASES, ids=[c[0] for c in CASES])
def test_each_kind_of_instruction(text, reads, writes, flow, known):
    (ins,) = parse(f"\t{text}\n")
    eff = effects(ins)
    assert (set(eff.reads), set(eff.writes), eff.flow, eff.known) == (set(reads.split()), set(writes.split()), flow, known)


def test_named_holds_the_registers_the_operands_name_and_nothing_else():
    (ins,) = parse("\tstp\tx29, x30, [sp, #-16]!\n")
    assert effects(ins).named == {"x29", "x30", "sp"}
    (ins,) = parse("\tbl\tfoo\n")
    assert effects(ins).named == frozenset()  # writes x30 without naming it
