"""The arm64 grammar and parser: what must parse (and into what), what must not."""

from __future__ import annotations

import pytest

from reviewbot.asm import grammar
from reviewbot.asm import parser as asm
from reviewbot.asm.builder import AstBuilder
from reviewbot.asm.ast import (
    CMacroCall, Comment, Directive, Ellipsis, Expression, Immediate, Instruction, Label,
    Literal, MacroArg, MacroDef, MacroEnd, Memory, MetaVar, Preprocessor, Register, RegList,
    Shift, Symbol, SysReg, Unparsed,
)
from reviewbot.errors import AsmSyntaxError


def one(text: str):
    """The one non-comment statement of ``text``."""
    nodes = [n for n in asm.parse(text) if type(n) is not Comment]
    assert len(nodes) == 1, nodes
    return nodes[0]


def insn(text: str) -> Instruction:
    node = one(text)
    assert type(node) is Instruction, node
    return node


def ops(text: str) -> tuple:
    return insn(text).operands


def kinds(text: str) -> list[str]:
    return [type(op).__name__ for op in ops(text)]


# --- instructions: registers --------------------------------------------------

@pytest.mark.parametrize("text, canon, kind", [
    ("x0", "x0", "gpr64"), ("x30", "x30", "gpr64"), ("w3", "x3", "gpr32"),
    ("W17", "x17", "gpr32"), ("sp", "sp", "sp"), ("wsp", "sp", "sp"),
    ("xzr", "xzr", "zr"), ("wzr", "xzr", "zr"), ("lr", "x30", "gpr64"),
    ("fp", "x29", "gpr64"), ("ip0", "x16", "gpr64"), ("ip1", "x17", "gpr64"),
    ("v0.16b", "v0", "vector"), ("v31.2d", "v31", "vector"), ("v1.s[2]", "v1", "vector"),
    ("v2.d[1]", "v2", "vector"), ("q0", "v0", "fp"), ("d1", "v1", "fp"), ("s2", "v2", "fp"),
    ("h3", "v3", "fp"), ("b4", "v4", "fp"), ("z0.d", "z0", "sve"), ("z1.b[3]", "z1", "sve"),
    ("p0/z", "p0", "pred"), ("p1/m", "p1", "pred"), ("p2.b", "p2", "pred"),
    ("pn8.b", "p8", "pred"), ("za", "za", "za"), ("za0h.s[w12, 0]", "za0.s", "za"),
    ("zt0", "zt0", "za"),
])
def test_register_operand(text, canon, kind):
    (op,) = ops(f"\tfoo {text}")
    assert type(op) is Register
    assert (op.text, op.canon, op.kind) == (text, canon, kind)
    assert op.column == 6


def test_register_list_range_is_expanded():
    (lst, mem) = ops("\tld1\t{v0.4s-v3.4s}, [x0]")
    assert type(lst) is RegList and lst.text == "{v0.4s-v3.4s}"
    assert [r.canon for r in lst.registers] == ["v0", "v1", "v2", "v3"]
    assert [r.text for r in lst.registers] == ["v0.4s", "v1.4s", "v2.4s", "v3.4s"]
    assert type(mem) is Memory


@pytest.mark.parametrize("text, canons", [
    ("{v0.16b, v1.16b}", ["v0", "v1"]),
    ("{v0.b, v1.b}[3]", ["v0", "v1"]),
    ("{za0h.s[w12, 0]}", ["za0.s"]),
    ("{z30.d-z1.d}", ["z30", "z31", "z0", "z1"]),
])
def test_register_lists(text, canons):
    (lst,) = ops(f"ld1 {text}")
    assert type(lst) is RegList
    assert [r.canon for r in lst.registers] == canons


# --- system registers -----------------------------------------------------------

@pytest.mark.parametrize("line, index, canon", [
    ("msr tpidr_el2, x0", 0, "tpidr_el2"),
    ("mrs x0, VTTBR_EL2", 1, "vttbr_el2"),
    ("msr daifset, #2", 0, "daifset"),
    ("mrs x0, nzcv", 1, "nzcv"),
    ("mrs x0, currentel", 1, "currentel"),
    ("msr s3_4_c13_c0_2, x0", 0, "s3_4_c13_c0_2"),
    ("mrs x1, S3_0_C15_C2_0", 1, "s3_0_c15_c2_0"),
    ("msr_s SYS_ICC_SRE_EL2, x0", 0, "SYS_ICC_SRE_EL2"),
    ("mrs_s x0, SYS_ID_AA64MMFR1_EL1", 1, "SYS_ID_AA64MMFR1_EL1"),
    ("msr svcrsmza, #1", 0, "svcrsmza"),
    ("mrs x0, dspsr_el0", 1, "dspsr_el0"),
    ("mrs x0, sctlr_el12", 1, "sctlr_el12"),
])
def test_system_registers(line, index, canon):
    op = ops(line)[index]
    assert type(op) is SysReg
    assert op.canon == canon


# The other operand of msr/mrs: a name the system-register table knows is a
# system register there too (the swapped 'msr x0, daif'), without the _elN shape.
@pytest.mark.parametrize("line, index, canon", [
    ("msr x0, daif", 1, "daif"),
    ("mrs daif, x0", 0, "daif"),
    ("msr x1, currentel", 1, "currentel"),
    ("mrs NZCV, x0", 0, "nzcv"),
    *((f"msr x0, {name}", 1, name) for name in
      ("spsel", "pan", "uao", "dit", "ssbs", "tco", "fpcr", "fpsr", "sp_el0")),
    *((f"mrs {name}, x0", 0, name) for name in ("spsel", "pan", "fpcr", "fpsr")),
    ("msr_s x0, fpcr", 1, "fpcr"),
    ("mrs_s daif, x0", 0, "daif"),
    ("mrrs pan, x0, x1", 0, "pan"),
])
def test_known_system_register_in_the_other_operand(line, index, canon):
    op = ops(line)[index]
    assert type(op) is SysReg
    assert op.canon == canon


@pytest.mark.parametrize("line, index", [
    ("msr x0, some_symbol", 1),   # not in the table
    ("mrs daifset, x0", 0),       # a PSTATE field, no register
    ("mov x0, daif", 1),          # not a system-register instruction
    ("adr x0, pan", 1),
    ("ldr x0, fpcr", 1),
])
def test_other_names_stay_symbols(line, index):
    assert type(ops(line)[index]) is Symbol


def test_el_shaped_symbol_in_a_branch_is_a_symbol():
    (op,) = ops("bl handle_el2")
    assert type(op) is Symbol and op.name == "handle_el2"


# --- immediates, literals, relocations ---------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("#4", 4), ("#0x10", 16), ("#-8", -8), ("#(1 << 3)", 8), ("#(1 << 3) | 2", 10),
    ("#1 + 2 << 3", 17),  # gas: << binds tighter than +
    ("#0b101", 5), ("#010", 8), ("#PAGE_SHIFT", None), ("#1.0", None), ("#\\imm", None),
    ("#'a'", 97), ("#'\\n'", 10),
])
def test_immediates(text, value):
    (_, op) = ops(f"mov x0, {text}")
    assert type(op) is Immediate
    assert (op.text, op.value) == (text, value)
    assert op.column == 9


def test_bare_number_is_an_immediate():
    assert ops("mov_q x0, 0x1234")[1] == Immediate("0x1234", 0x1234, 11)


@pytest.mark.parametrize("text, symbol, value", [
    ("=sym", "sym", None), ("=0x1234", None, 0x1234), ("=(CONST + 1)", None, None),
    ("=__hyp_text_start", "__hyp_text_start", None),
])
def test_literals(text, symbol, value):
    (_, op) = ops(f"ldr x0, {text}")
    assert type(op) is Literal
    assert (op.text, op.symbol, op.value) == (text, symbol, value)


@pytest.mark.parametrize("text, name, reloc", [
    (":lo12:sym", "sym", "lo12"), (":got:sym", "sym", "got"),
    (":got_lo12:sym", "sym", "got_lo12"), ("#:lo12:sym", "sym", "lo12"),
    ("#:abs_g0_nc:x", "x", "abs_g0_nc"), (":tprel_hi12:var", "var", "tprel_hi12"),
])
def test_relocations(text, name, reloc):
    op = ops(f"add x0, x0, {text}")[-1]
    assert type(op) is Symbol
    assert (op.text, op.name, op.reloc) == (text, name, reloc)


def test_symbols_label_refs_and_expressions():
    assert kinds("b 1b") == ["Symbol"]
    assert ops("b.ne 2f")[0].name == "2f"
    assert ops("b .Lskip")[0].name == ".Lskip"
    assert kinds("adr x0, sym + 8") == ["Register", "Expression"]
    assert kinds("mov x0, (1 << 3) | 2") == ["Register", "Expression"]
    assert kinds("adr x0, . - 4") == ["Register", "Expression"]
    assert kinds("mov x0, \\@") == ["Register", "Expression"]


# --- shifts, conditions, options ------------------------------------------------------

def test_shifts_and_extends():
    assert ops("add x0, x1, x2, lsl #3")[3] == Shift("lsl #3", "lsl", "3", 17)
    assert ops("add x0, x1, w2, uxtw")[3] == Shift("uxtw", "uxtw", None, 17)
    assert ops("add x0, x1, w2, sxtw #2")[3].op == "sxtw"
    assert ops("movi v0.4s, #0xff, msl #8")[2].op == "msl"
    assert ops("movk x0, #1, LSL \\shift")[2] == Shift("LSL \\shift", "lsl", "\\shift", 14)


def test_condition_codes_and_options_are_expressions():
    assert ops("csel x0, x1, x2, eq")[3] == Expression("eq", 18)
    assert type(ops("ccmp x0, x1, #0, ne")[3]) is Expression
    assert insn("b.ne 1f").mnemonic == "b.ne"
    for line in ("dsb ish", "dmb sy", "tlbi vmalle1is", "dc civac, x0", "at s1e1r, x0",
                 "prfm pldl1keep, [x0]", "bti c", "ic iallu"):
        assert type(ops(line)[0]) is Expression, line
    assert ops("isb") == ()
    assert ops("hint #34") == (Immediate("#34", 34, 6),)
    assert kinds("sys #0, c7, c5, #0, x0") == [
        "Immediate", "Expression", "Expression", "Immediate", "Register"]
    assert insn("sysl x0, #0, c7, c5, #0").mnemonic == "sysl"
    assert ops("tlbi ipas2e1is, x1")[1].canon == "x1"
    assert ops("paciasp") == ()


# --- memory operands -------------------------------------------------------------------

def test_memory_simple_and_offset():
    (_, m) = ops("\tldr\tx0, [x1]")
    assert m == Memory("[x1]", Register("x1", "x1", "gpr64", 11), column=10)
    (_, m) = ops("ldr x0, [x1, #8]")
    assert m.offset == Immediate("#8", 8, 14) and m.writeback is None


def test_memory_pre_and_post_index():
    m = ops("ldr x0, [x1, #8]!")[1]
    assert m.writeback == "pre" and m.offset.value == 8 and m.text == "[x1, #8]!"
    m = ops("stp x29, x30, [sp, #-16]!")[2]
    assert (m.base.canon, m.offset.value, m.writeback) == ("sp", -16, "pre")
    m = ops("ldp x29, x30, [sp], #16")[2]
    assert (m.text, m.offset.value, m.writeback, m.column) == ("[sp], #16", 16, "post", 15)
    m = ops("ld1 {v0.16b}, [x0], x2")[1]
    assert m.writeback == "post" and type(m.offset) is Register and m.offset.canon == "x2"


def test_memory_index_and_shift():
    m = ops("ldr x0, [x0, x1, lsl #3]")[1]
    assert (m.index.canon, m.shift.op, m.shift.amount, m.offset) == ("x1", "lsl", "3", None)
    m = ops("ldr w0, [x0, w1, uxtw #2]")[1]
    assert (m.index.kind, m.shift.op) == ("gpr32", "uxtw")
    m = ops("st1d z0.d, p0, [x0, z1.d, lsl #3]")[2]
    assert m.index.kind == "sve"
    m = ops("ld1d {z0.d}, p0/z, [x0, #1, mul vl]")[2]
    assert (m.offset.value, m.shift.op, m.shift.amount) == (1, "mul", "vl")
    m = ops("ld1d {z0.d}, p0/z, [z0.d, #8]")[2]
    assert m.base.kind == "sve"


def test_memory_with_relocation_and_macro_args():
    m = ops("ldr x0, [x0, #:lo12:sym]")[1]
    assert type(m.offset) is Symbol and m.offset.reloc == "lo12"
    m = ops("ldr x0, [\\reg, #\\off]")[1]
    assert m.base == MacroArg("\\reg", "reg", 10)
    assert m.offset == Immediate("#\\off", None, 16)
    m = ops("ldr \\dst, [\\dst, \\tmp]")[1]
    assert type(m.index) is MacroArg and m.index.name == "tmp"


# --- macro arguments and kernel macros ------------------------------------------------

def test_macro_arguments_as_operands_and_mnemonics():
    i = insn("\t\\op\tx0, x1")
    assert i.mnemonic == "\\op" and kinds("\\op x0, x1") == ["Register", "Register"]
    assert insn("\\op\\()_foo x0").mnemonic == "\\op\\()_foo"
    assert ops("mov \\tmp, x\\n")[1] == MacroArg("x\\n", "n", 11)
    assert ops("ld1 {v\\n\\().16b}, [x0]")[0].text == "{v\\n\\().16b}"
    assert ops("mov x0, #\\imm")[1].text == "#\\imm"


@pytest.mark.parametrize("line, mnemonic, classes", [
    ("adr_l x0, sym", "adr_l", ["Register", "Symbol"]),
    ("ldr_l x0, sym", "ldr_l", ["Register", "Symbol"]),
    ("str_l x1, sym, x2", "str_l", ["Register", "Symbol", "Register"]),
    ("kern_hyp_va x0", "kern_hyp_va", ["Register"]),
    ("alternative_if ARM64_HAS_VIRT_HOST_EXTN", "alternative_if", ["Symbol"]),
    ("alternative_cb ARM64_ALWAYS_SYSTEM, kvm_update_va_mask", "alternative_cb",
     ["Symbol", "Symbol"]),
    ("alternative_else_nop_endif", "alternative_else_nop_endif", []),
    ("get_host_ctxt x0, x1", "get_host_ctxt", ["Register", "Register"]),
    ("ldr_this_cpu x0, sym, x1", "ldr_this_cpu", ["Register", "Symbol", "Register"]),
    ("mov_q x0, 0x1234", "mov_q", ["Register", "Immediate"]),
    ("dcache_by_line_op civac, sy, x0, x1, x2, x3", "dcache_by_line_op",
     ["Symbol", "Symbol", "Register", "Register", "Register", "Register"]),
    ("msr_s SYS_ICC_SRE_EL2, x0", "msr_s", ["SysReg", "Register"]),
    ("sve_load 0, x13, x14, 2", "sve_load", ["Immediate", "Register", "Register", "Immediate"]),
    ("entry hyp=1", "entry", ["Expression"]),
    ("func tsp_entrypoint _align=3", "func", ["Symbol", "Expression"]),
    ("save_eret_context x2 x3", "save_eret_context", ["Register", "Register"]),
    ("m 1, , 3", "m", ["Immediate", "Expression", "Immediate"]),
])
def test_kernel_macros_are_instructions(line, mnemonic, classes):
    i = insn("\t" + line)
    assert i.mnemonic == mnemonic
    assert [type(op).__name__ for op in i.operands] == classes


def test_objdump_lines():
    i = insn("ffff000008ca9020:\td53bd041 \tmrs\tx1, tpidr_el0")
    assert i.mnemonic == "mrs" and i.operands[1].canon == "tpidr_el0"
    assert i.column == 29
    i = insn("  40:\t91000000 \tadd\tx0, x0, #0x0")
    assert i.mnemonic == "add" and i.operands[2].value == 0
    (_, target) = ops("adrp x0, ffff000008ca9000 <overflow_stack+0xd20>")
    assert type(target) is Symbol and target.name == "overflow_stack+0xd20"
    assert ops("  44:\t97ffffef \tbl\t0 <foo>")[0].name == "foo"
    label = one("ffff000008ca9000 <__kvm_hyp_vector>:")
    assert type(label) is Label and label.name == "__kvm_hyp_vector"
    nodes = asm.parse("  48:\td503201f \t.inst\t0xd503201f ; undefined")
    assert type(nodes[0]) is Directive and nodes[0].args == ("0xd503201f",)
    assert type(nodes[1]) is Comment and nodes[1].text == "undefined"


# --- labels -------------------------------------------------------------------------------

def test_labels():
    assert one("foo:") == Label("foo", 1, 1, "foo:")
    assert one(".Lskip:").name == ".Lskip"
    assert one("\\label\\()_end:").name == "\\label\\()_end"
    assert one("\\name:").name == "\\name"
    assert one("L(copy16):").name == "L(copy16)"
    nodes = asm.parse("1: 2: nop")
    assert [type(n) for n in nodes] == [Label, Label, Instruction]
    assert [n.column for n in nodes] == [1, 4, 7]
    nodes = asm.parse("foo:\t.quad 0")
    assert type(nodes[1]) is Directive and nodes[1].column == 6


# --- directives -----------------------------------------------------------------------------

@pytest.mark.parametrize("line, name, args", [
    (".pushsection .hyp.text, \"ax\"", ".pushsection", (".hyp.text", '"ax"')),
    (".section .rodata, \"a\", %progbits", ".section", (".rodata", '"a"', "%progbits")),
    (".section .text, \"ax\", @progbits", ".section", (".text", '"ax"', "@progbits")),
    (".popsection", ".popsection", ()),
    (".quad sym", ".quad", ("sym",)),
    (".align 11", ".align", ("11",)),
    (".balign 8", ".balign", ("8",)),
    (".type foo, %function", ".type", ("foo", "%function")),
    (".size foo, . - foo", ".size", ("foo", ". - foo")),
    (".inst 0xd500401f | (1 << 8)", ".inst", ("0xd500401f | (1 << 8)",)),
    (".word 1, 2", ".word", ("1", "2")), (".hword 1", ".hword", ("1",)),
    (".byte 1, 2, 3", ".byte", ("1", "2", "3")),
    (".asciz \"a, \\\"b\\\"\"", ".asciz", ('"a, \\"b\\""',)),
    (".ascii \"x;y // z\"", ".ascii", ('"x;y // z"',)),
    (".string \"s\"", ".string", ('"s"',)),
    (".equ FOO, 1", ".equ", ("FOO", "1")), (".set BAR, FOO + 1", ".set", ("BAR", "FOO + 1")),
    (".req x0", ".req", ("x0",)), (".unreq tmp", ".unreq", ("tmp",)),
    (".globl foo", ".globl", ("foo",)), (".weak foo", ".weak", ("foo",)),
    (".cfi_startproc", ".cfi_startproc", ()), (".cfi_offset 30, -8", ".cfi_offset", ("30", "-8")),
    (".arch armv8.2-a+sve", ".arch", ("armv8.2-a+sve",)),
    (".arch_extension sve", ".arch_extension", ("sve",)),
    (".ltorg", ".ltorg", ()), (".purgem foo", ".purgem", ("foo",)),
    (".error \"bad, very bad\"", ".error", ('"bad, very bad"',)),
    (".irp reg, x0, x1", ".irp", ("reg", "x0", "x1")), (".irpc c, 0123", ".irpc", ("c", "0123")),
    (".rept 4", ".rept", ("4",)), (".endr", ".endr", ()),
    (".if \\n < 32", ".if", ("\\n < 32",)), (".ifc \\reg, x0", ".ifc", ("\\reg", "x0")),
    (".ifnb \\tmp", ".ifnb", ("\\tmp",)), (".else", ".else", ()),
    (".elseif \\n == 1", ".elseif", ("\\n == 1",)), (".endif", ".endif", ()),
    ("x = 4 * 8", "=", ("x", "4 * 8")), ("tmp .req x0", ".req", ("tmp", "x0")),
])
def test_directives(line, name, args):
    node = one("\t" + line)
    assert type(node) is Directive
    assert (node.name, node.args, node.column, node.text) == (name, args, 2, line)


def test_macro_definitions():
    node = one(".macro foo, reg, tmp=x1, name:req, args:vararg")
    assert type(node) is MacroDef and node.name == "foo"
    assert [(p.name, p.default, p.qualifier) for p in node.params] == [
        ("reg", None, None), ("tmp", "x1", None), ("name", None, "req"),
        ("args", None, "vararg")]
    node = one(".macro bar a b=\"x y\"")
    assert [(p.name, p.default) for p in node.params] == [("a", None), ("b", '"x y"')]
    assert one(".macro baz").params == ()
    assert one(".endm") == MacroEnd(1, 1, ".endm")


def test_c_macro_calls():
    assert one("SYM_FUNC_START(__kvm_hyp_vector)") == CMacroCall(
        "SYM_FUNC_START", ("__kvm_hyp_vector",), 1, 1, "SYM_FUNC_START(__kvm_hyp_vector)")
    assert one("SYM_CODE_END(x)").args == ("x",)
    assert one("ENTRY(foo)").name == "ENTRY"
    assert one("ENDPROC(foo)").name == "ENDPROC"
    assert one("ASM_BUG()").args == ()
    assert one("_ASM_EXTABLE(1b, 2f)").args == ("1b", "2f")
    node = one('\tALTERNATIVE("nop", "dmb ish; isb", ARM64_FOO)')
    assert node.args == ('"nop"', '"dmb ish; isb"', "ARM64_FOO") and node.column == 2
    assert one("__HYPSEC(foo(a, (b)), \"s)\")").args == ("foo(a, (b))", '"s)"')


# --- comments, preprocessor, statement splitting ----------------------------------------------

def test_comments():
    nodes = asm.parse("\tmov x0, x1\t// copy\n/* a\n * b\n */\tnop\n")
    assert [type(n) for n in nodes] == [Instruction, Comment, Comment, Instruction]
    assert nodes[1] == Comment("copy", 1, 13, 1, True)
    assert (nodes[2].line, nodes[2].end_line, nodes[2].trailing) == (2, 4, False)
    assert nodes[2].text.startswith("a\n")
    assert (nodes[3].line, nodes[3].column) == (4, 5)
    nodes = asm.parse("\tmov x0, /* inline */ x1")
    assert [type(n) for n in nodes] == [Instruction, Comment]
    assert [op.column for op in nodes[0].operands] == [6, 23]


def test_semicolons_split_statements():
    nodes = asm.parse("\tmov x0, x1; mov x1, x2 ;ret")
    assert [n.mnemonic for n in nodes] == ["mov", "mov", "ret"]
    assert [n.column for n in nodes] == [2, 14, 26]


def test_preprocessor_lines_and_depth():
    text = ("#include <asm/assembler.h>\n#ifdef CONFIG_X\n#if A\n#define F(x) \\\n"
            "\tmov x, x ; \\\n\tret\n#elif B\n#else\n#endif\n#endif\n# 1 \"file.S\"\n"
            "#error \"no\"\n")
    nodes = asm.parse(text)
    assert all(type(n) is Preprocessor for n in nodes)
    assert [(n.directive, n.line, n.depth) for n in nodes] == [
        ("include", 1, 0), ("ifdef", 2, 0), ("if", 3, 1), ("define", 4, 2), ("elif", 7, 1),
        ("else", 8, 1), ("endif", 9, 1), ("endif", 10, 0), ("line", 11, 0), ("error", 12, 0)]
    assert nodes[3].args == "F(x) mov x, x ; ret"
    assert nodes[8].args == '1 "file.S"'
    trailing = asm.parse("#endif /* CONFIG_X */")
    assert [type(n) for n in trailing] == [Preprocessor, Comment]
    assert trailing[1].trailing and trailing[0].args == ""


def test_backslash_continuation_joins_lines():
    nodes = asm.parse(".macro m a, \\\n\t\tb\n\tmov x0, \\\n\tx1\n\tret\n")
    assert type(nodes[0]) is MacroDef and [p.name for p in nodes[0].params] == ["a", "b"]
    assert (nodes[1].mnemonic, nodes[1].line, len(nodes[1].operands)) == ("mov", 3, 2)
    assert (nodes[2].mnemonic, nodes[2].line) == ("ret", 5)


def test_c_macro_call_over_several_lines():
    nodes = asm.parse('ALTERNATIVE("nop", "dmb ish",\n\t    ARM64_FOO)\n\tnop\n'
                      "SYM_FUNC_START(foo\n\tmov x0, x1\n")
    assert [type(n).__name__ for n in nodes] == ["CMacroCall", "Instruction", "Unparsed",
                                                 "Instruction"]
    assert nodes[0].args == ('"nop"', '"dmb ish"', "ARM64_FOO") and nodes[0].line == 1
    assert (nodes[1].line, nodes[2].line, nodes[3].line) == (3, 4, 5)


def test_blank_lines_produce_nothing_and_lines_count_from_first_line():
    nodes = asm.parse("\n\n\tnop\n\n", first_line=10)
    assert len(nodes) == 1 and nodes[0].line == 12


# --- errors and recovery -----------------------------------------------------------------

@pytest.mark.parametrize("line", [
    "mov x0 x1", "ldr x0, [x1", "ldr x0, [x1]]", "add x0, , x1", "mov x0, #", "ldr x0, [x1, x2, x3]",
    "ldr x0, [x1, lsl #3, x2]", "stp x0, x1, [sp, #-16]!!", "mov x0, x1,", "b.ne 1f 2f", "}",
    "mov x0, ...", "add x0, x1 +", "ld1 {v0.16b, }, [x0]",
])
def test_lines_that_must_not_parse(line):
    node = one("\t" + line)
    assert type(node) is Unparsed, node
    assert node.text == line and node.column == 2
    assert node.error


def test_recovery_after_an_unparsed_line():
    nodes = asm.parse("\tmov x0 x1\n\tmov x0, x1\n")
    assert [type(n) for n in nodes] == [Unparsed, Instruction]
    assert nodes[0].error.startswith("column 9: unexpected")
    assert nodes[1].line == 2


# --- quoted text ----------------------------------------------------------------------------

def test_parse_quoted_mail_and_diff():
    text = ("@@ -1,3 +1,4 @@\n> +\tmov x0, x1\n>> -\tret\n> > \tnop\n"
            "+1:\tb 1b\n--- a/x.S\n+++ b/x.S\n")
    nodes = asm.parse_quoted(text)
    assert [(type(n).__name__, n.line) for n in nodes] == [
        ("Instruction", 2), ("Instruction", 3), ("Instruction", 4), ("Label", 5),
        ("Instruction", 5)]
    assert nodes[0].column == 5 and nodes[0].operands[0].column == 9
    assert nodes[3].column == 2


# --- rule patterns --------------------------------------------------------------------------

def test_patterns_with_metavariables():
    p = asm.parse_pattern("ldr $R, [$B, ...]")
    assert p.operands[0] == MetaVar("R", False, "$R", 5)
    m = p.operands[1]
    assert m.base == MetaVar("B", False, "$B", 10) and type(m.offset) is Ellipsis
    p = asm.parse_pattern("$OP $...ARGS")
    assert p.mnemonic == "$OP" and p.operands == (MetaVar("ARGS", True, "$...ARGS", 5),)
    p = asm.parse_pattern("ldr $_, =$SYM")
    assert p.operands[0].name == "_" and p.operands[1] == Literal("=$SYM", "$SYM", None, 9)
    p = asm.parse_pattern("msr $SYSREG, ...")
    assert type(p.operands[1]) is Ellipsis
    p = asm.parse_pattern("tlbi vmalle1is")
    assert p.operands == (Expression("vmalle1is", 6),)


@pytest.mark.parametrize("bad", ["", "ldr $R [$B]", "foo:", ".quad 1", "mov x0, x1\nret",
                                 "$...OP x0", "ldr x0, [$B"])
def test_bad_patterns_raise(bad):
    with pytest.raises(AsmSyntaxError) as info:
        asm.parse_pattern(bad)
    assert info.value.problem


def test_metavariables_only_in_patterns():
    assert type(one("\tmov x0, $...X")) is Unparsed
    assert type(ops("\tmov x0, $x")[1]) is Symbol


# --- the grammar alone gives what the scanner's fast path gives -------------------------------

@pytest.mark.parametrize("line", [
    "foo:", "1: 2: nop", ".quad sym, (1, 2)", ".macro foo, a, b=1, c:req", ".endm",
    "SYM_FUNC_START(foo)", "x = 1 + 2", "tmp .req x0", ".Lfoo: .align 3", "L(x): ret",
])
def test_grammar_agrees_with_scanner(line):
    fast = asm.parse(line)
    parser = grammar.get_parser()
    assert AstBuilder(line, 0, 1).statements(parser.parse(line, start="start")) == fast


# --- operand-by-operand parsing gives what the whole-statement grammar gives ---------------

_EQUIVALENCE = """\
\tldp\tx29, x30, [sp], #16
\tstp\tx29, x30, [sp, #-16]!
\tld1\t{v0.16b-v3.16b}, [x1], #64
\tst2\t{v0.16b, v1.16b}, [x0], x2
\tldr\tx0, [x1, w2, sxtw #3]
\tld1d\t{z0.d}, p0/z, [x0, #1, mul vl]
\tmov\tza0h.s[w12, 0], p0/m, z0.s
\tadrp\tx0, ffff000008ca9000 <overflow_stack+0xd20>
\tmrs\tx0, SYS_ID_AA64MMFR1_EL1
\tcsel\tx0, x1, x2, eq
\tmov\tw0, #','
\tldr\tx0, =(CONST + 1)
\tadd\tx0, x0, #:lo12:sym
\t\\op\tx0, x1
\tmovk\t\\_reg, (\\_val >> \\_shift) & 0xffff, LSL \\_shift
\tentry\thyp=1, compat=0
\tFUNC foo , :
\tmov x0 x1
\tldr x0, [x1, x2, x3]
\tmov x0, ...
\tadd x0, , x1
\t$op x0
"""


def test_operand_by_operand_parsing_agrees_with_the_whole_grammar():
    asm.clear_caches()
    fast = asm.parse(_EQUIVALENCE)
    slow = asm.parse(_EQUIVALENCE, via="grammar")
    asm.clear_caches()
    assert fast == slow
    assert [type(n).__name__ for n in fast][-5:] == ["Unparsed"] * 5


# --- fragments, robustness, the grammar cache ------------------------------------------------

def test_fragment_starting_inside_a_block_comment():
    nodes = asm.parse(" * the rest of a comment\n * more */\n\tnop\n", first_line=7)
    assert [type(n) for n in nodes] == [Comment, Instruction]
    assert (nodes[0].line, nodes[0].end_line) == (7, 8)
    assert nodes[1].line == 9


def test_unterminated_block_comment_runs_to_the_end():
    nodes = asm.parse("\tnop /* never\n closed\n")
    assert [type(n) for n in nodes] == [Instruction, Comment]
    assert nodes[1].trailing and nodes[1].end_line == 3


def test_a_builder_bug_becomes_unparsed(monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(AstBuilder, "classify", boom)
    asm.clear_caches()
    try:
        node = one("\tmov x0, x1")
    finally:
        asm.clear_caches()
    assert type(node) is Unparsed and "internal error" in node.error


def test_grammar_cache_is_written_and_optional(tmp_path, monkeypatch):
    monkeypatch.setattr(grammar, "_parser", None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    asm.clear_caches()
    # Predicates are left to the grammar by the hand-written operand reader
    # (reviewbot/asm/operands.py), so these load it.
    assert one("\tld1w {z1.s}, p1/z, [x1]").mnemonic == "ld1w"
    assert list((tmp_path / "reviewbot").glob("arm64-*.lark-cache"))
    monkeypatch.setattr(grammar, "_parser", None)
    asm.clear_caches()
    assert one("\tld1h {z2.h}, p2/z, [x2]").mnemonic == "ld1h"  # loaded from that cache
    monkeypatch.setattr(grammar, "_parser", None)
    monkeypatch.setenv("XDG_CACHE_HOME", "/dev/null/not-a-directory")
    assert asm.cache_file() is None
    asm.clear_caches()
    assert one("\tld1d {z0.d}, p0/z, [x0]").mnemonic == "ld1d"
    asm.clear_caches()


def test_crlf_and_odd_input_never_raise():
    assert [type(n) for n in asm.parse("\tnop\r\n\tret\r\n")] == [Instruction, Instruction]
    for junk in ("\x00", "\"unterminated", "'", "[[[", "}}}", "#", "\\", "a\\\n", "/*", "*/",
                 ";;;", "::", "0:", "\t.", "@", "%%", "=", "$", "..."):
        asm.parse(junk)


# --- the parse command ---------------------------------------------------------------------

def test_parse_command(tmp_path, capsys):
    from reviewbot import cli

    src = tmp_path / "a.S"
    src.write_text("1:\tmov x0, x1\t// c\n\tmov x0 x1\n")
    assert cli.main(["parse", str(src)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{src}:1:1: Label name='1' text='1:'"
    assert out[1].startswith(f"{src}:1:4: Instruction mnemonic='mov' operands=[Register('x0' gpr64 x0)")
    assert out[3].startswith(f"{src}:2:2: Unparsed text='mov x0 x1' error=")
    assert cli.main(["parse", "--stats", str(src)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{src}: 2/3 statements parsed (66.67%)", f"{src}:2: mov x0 x1",
        "total: 2/3 statements parsed (66.67%)"]


def test_parse_command_errors(tmp_path, capsys):
    from reviewbot import cli

    binary = tmp_path / "b.o"
    binary.write_bytes(b"\x7fELF\x00\x01")
    assert cli.main(["parse", str(tmp_path / "missing.S")]) == 2
    assert "missing.S: no such file" in capsys.readouterr().err
    assert cli.main(["parse", str(binary)]) == 2
    assert "binary" in capsys.readouterr().err
    assert cli.main(["parse", str(tmp_path)]) == 2
