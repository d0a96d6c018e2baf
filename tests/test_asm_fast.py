"""The hand-written operand reader (reviewbot/asm/operands.py) gives exactly what
the grammar gives, and a typical hunk is parsed without importing Lark.

Each way is forced explicitly with :func:`reviewbot.asm.parser.read_statement`'s
``via``: ``reader`` is the reader alone (no grammar, no memo); the grammar
alone is ``operands`` (operand by operand) or ``grammar`` (the whole
statement, the grammar's ``start`` rule).
``bench/bench_parse.py --verify`` runs the same comparison over real code.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from reviewbot import records

from reviewbot.asm import parser as asm
from reviewbot.asm.ast import Instruction, Unparsed, first_difference
from reviewbot.asm.operands import read_operand

ROOT = Path(__file__).resolve().parent.parent


def only_plain_values(node) -> bool:
    """Every field of ``node`` (recursively) is a plain ``str``/``int``/``bool``/None."""
    if isinstance(node, tuple):
        return all(only_plain_values(x) for x in node)
    if records.is_record(node):
        return all(only_plain_values(getattr(node, f.name)) for f in records.fields(node))
    return node is None or type(node) in (str, int, bool)


@pytest.fixture
def grammar(monkeypatch):
    """``grammar(text, col0, operands)``: the statement as the grammar alone reads it."""

    def parse(text: str, col0: int = 0, operands: bool = False) -> tuple:
        return asm.read_statement(text, col0, via="operands" if operands else "grammar")

    return parse


# Statements as the kernel (KVM's hyp code above all) and arm64 firmware write
# them: every one is read by the hand-written reader alone.
FAST = r"""
mov w0, #','
cmp w14, #'\n'
cmp w1, #'a' + 1
mov x0, #('a' - 'A')
mov x0, x1
mov w0, #0
mov x0, #-1
mov x0, #0x10
mov x29, sp
mov x0, ip0
movz x0, #0xffff, lsl #16
movk x0, #0x1234, LSL #32
movk x0, #1, LSL \shift
add x0, x1, x2, lsl #3
add x0, x1, w2, uxtw
add x0, x1, w2, sxtw #2
add x0, x0, #:lo12:sym
add x0, x0, :lo12:sym
adrp x0, sym
adrp x0, :got:sym
ldr x0, [x0, #:got_lo12:sym]
adr_l x0, kvm_host_cpu_state
adr_l \reg, kvm_host_cpu_state
ldr_l x0, sym, x1
str_l x1, sym, x2
ldr x0, =sym
ldr x0, =0x1234
ldr x0, =__hyp_text_start
ldr x0, =(CONST + 1)
ldr x0, =1f
ldr x0, [x1]
ldr x0, [x1, #8]
ldr x0, [x1, #-8]!
ldr x0, [x1], #8
ldr x0, [ x1 , # 8 ] !
ldp x29, x30, [sp], #16
stp x29, x30, [sp, #-16]!
stp x0, x1, [sp, #16 * 1]
ldr x0, [x1, x2]
ldr x0, [x1, x2, lsl #3]
ldr w0, [x0, w1, uxtw #2]
ldrb w0, [x1, w2, sxtw]
ldr x0, [x1, x2, lsl \amount]
ldr \reg, [\reg]
ldr \dst, [\base, #\off]
ldr \dst, [\dst, \tmp]
ldr x0, [x1, #\off]!
ldr x0, [x0, #CPU_HOST_CTXT]
ldr x1, [x0, #VCPU_CONTEXT + 8]
str xzr, [sp, #S_FRAME_SIZE - 8]
ldr q0, [x0, #16]
ld1 {v0.16b}, [x0], x2
ld1d z0.d, p0, [z0.d, #8]
st1d z0.d, p0, [x0, z1.d, lsl #3]
str z0, [x0, #1, mul vl]
ldr p0, [x0, #2, MUL VL]
msr tpidr_el2, x0
mrs x0, tpidr_el2
mrs x0, VTTBR_EL2
msr daifset, #2
msr daifclr, #0xf
mrs x0, currentel
mrs x0, nzcv
msr spsel, #1
msr s3_4_c13_c0_2, x0
mrs x1, S3_0_C15_C2_0
msr_s SYS_ICC_SRE_EL2, x0
mrs_s x0, SYS_ID_AA64MMFR1_EL1
msr \tmp, tpidr_el2
mrs x0, sctlr_el12
msr svcrsmza, #1
b 1f
b.ne 2b
b.eq .Lskip
bl handle_el2
bl __kvm_vcpu_run
blr x1
cbz x0, 1f
cbnz w1, 2b
tbz x0, #63, 1f
tbnz w1, #ESR_ELx_IL_SHIFT, 2f
csel x0, x1, x2, eq
cset w0, ne
ccmp x0, x1, #0, ne
cinc x0, x0, hi
fcsel d0, d1, d2, ge
dsb ish
dsb sy
dmb ishld
isb
tlbi vmalle1is
tlbi ipas2e1is, x1
dc civac, x0
ic iallu
at s1e1r, x0
prfm pldl1keep, [x0]
bti c
hint #34
sys #0, c7, c5, #0, x0
sysl x0, #0, c7, c5, #0
smstart sm
ret
eret
nop
paciasp
hvc #0
smc #0
brk #0x800
kern_hyp_va x0
kern_hyp_va \reg
get_host_ctxt x0, x1
get_vcpu_ptr x1, x0
alternative_if ARM64_HAS_VIRT_HOST_EXTN
alternative_cb ARM64_ALWAYS_SYSTEM, kvm_update_va_mask
alternative_else_nop_endif
mov_q x0, 0x1234
mov_q x0, HCR_HOST_NVHE_FLAGS
ldr_this_cpu x0, sym, x1
adr_this_cpu x0, kvm_hyp_ctxt, x1
dcache_by_line_op civac, sy, x0, x1, x2, x3
sve_load 0, x13, x14, 2
\op x0, x1
\op\()_foo x0
mov \tmp, x\n
mov x0, #\imm
mov x0, \@
and x0, x0, #~(1 << 3)
orr x0, x0, #(1 << 3) | 2
mov x0, #1 + 2 << 3
mov x0, #(1<<3)>>1
mov x0, #0b101
mov x0, #010
mov x0, #09
mov x0, #PAGE_SHIFT
mov x0, #1.0
mov x0, #1e3
mov x0, #-(1 << 3)
mov x0, #!1
mov x0, #4 % 3 ^ 1 && 1 || 0
mov x0, #1 == 1
mov x0, #2 != 1 <> 3 <= 4 >= 5 < 6 > 7
mov x0, #1 ! 2
mov x0, #1 / 0
mov x0, (1 << 3) | 2
mov x0, -8
mov x0, +8
adr x0, . - 4
adr x0, sym + 8
mov x0, 1f
mov x0, 1b + 4
mov x0, lsl
mov x0, vl
mov x0, x0vl vl
sub sp, sp, #(8 * 34)
mov v0.16b, v1.16b
mov v0.d[1], x0
ins v0.s[2], w1
umov w0, v1.b[3]
mov x0, v0.D[0]
round m0, m1, \k\().s[0]
dup v0.4s, w0
fmov d0, x1
eor3 v0.16b, v1.16b, v2.16b, v3.16b
movi v0.4s, #0xff, msl #8
ld1 {v0.16b}, [x0]
ld1 {v0.4s-v3.4s}, [x1], #64
ld1 {v0.16b-v3.16b}, [x1], #64
st1 {v0.16b, v1.16b}, [x0], x2
ld1 { v0.4s- v3.4s}, [x8], #64
ld1 {z30.d-z1.d}, [x0]
ld1 {RK0.4s, RK1.4s, RK2.4s, RK3.4s}, [x2], #64
ld1 {v\n\().16b}, [x0]
tbl v0.16b, {v1.16b}, v2.16b
addvl sp, sp, #-1
rdvl x0, #1
mov x0, MASK(ID_AA64PFR0_DIT)
ands x0, x0, #MASK(FIELD)
mov x0, #(WA_USE(1) | WA_PATCH(0, 1))
check_erratum_ls cortex_a53, ERRATUM(835769), CPU_REV(0, 4)
check_erratum_range a, ERRATUM(1), CPU_REV(1,0), CPU_REV()
mov x0, #SPSR_64(1, 2)
ldr w4, =SVR_DEV(SVR_LS1043A)
mov_imm x7, (BASE + OFFSET(PLAT_IX))
""".strip().splitlines()

# gas macro invocations in gas's looser syntax that the grammar's start rule
# refuses (keyword arguments, arguments apart by blanks): read without it too.
MACROS = r"""
entry hyp=1
entry hyp=1, compat=0
tramp_unmap_kernel	tmp=x4
test_irqs_unmasked res=x0, pmr=x20
adr_this_cpu dst=scs_sp, sym=sdei_shadow_call_stack_normal, tmp=x6
get_ts_realtime res_sec=x10, res_nsec=x11,  		clock_nsec=x15
seqcnt_check fail=1b
func tsp_entrypoint _align=3
save_eret_context x2 x3
set_ttbr_el	ttbr0_el2 \trans_table
check_override id_aa64mmfr1 ID_AA64MMFR1_EL1_VH_SHIFT 0f 1f
ffa_mem_perm_set rodata_begin image_end 5
m.n x0 y=[x1]
m a=1, =x
m x0 y #16, lsl #3, [x1, #8]!
""".strip().splitlines()

# Statements the reader leaves to the grammar (it returns None for them);
# the whole pipeline must still give what the grammar alone gives.
SLOW = r"""
ld1d {z0.d}, p0/z, [x0, #1, mul vl]
mov za0h.s[w12, 0], p0/m, z0.s
ld1 {v0.b, v1.b}[3], [x0]
ld1 {za0h.s[w12, 0]}, p0/z, [x0]
mov x0, 'a
mov x0, "s"
adrp x0, ffff000008ca9000 <overflow_stack+0xd20>
bl 0 <foo>
mov x0, $x
b.ne $label
mov x0, ...
generate_vectors indirect = 0, spectrev2 = 1
m x0 [x1, #8]! #16, , lsl #3
m x0 (a, b) "s, t" [x1, x2, x3]
\m a b=1
m x0 p0/z
m 1, , 3
FUNC foo , :
mov x0 x1
ldr x0 x1, x2
ldr x0, [x1, x2, x3]
ldr x0, [x1, lsl #3, x2]
mov x0, x1,
add x0, x1 +
mov x0, mul #4
ldr x0, [x1, foo #4]
mov x0, v0.s[1:2]
mov x0, #=1
ldr x0, [x1
ldr x0, [x1]]
mov x0, #
mov x0, #:lo12:
mov x0, lsl #:lo12:x
mov x0, [=x]
mov x0, x0 vlan
ldr x0, [x1, mul vl2]
mov x0, -x vl
mov x0, 1st
mov x0, 10b1
mov x0, \1
mov x0, %x
mov x0, @
""".strip().splitlines()


@pytest.mark.parametrize("line", FAST)
@pytest.mark.parametrize("col0", [0, 9])
def test_reader_gives_what_the_grammar_gives(line, col0, grammar):
    fast = asm.read_statement(line, col0, via="reader")
    assert fast is not None, f"the reader should read {line!r}"
    assert type(fast[0]) is Instruction and only_plain_values(fast)
    for operands in (False, True):
        diff = first_difference(fast, grammar(line, col0, operands))
        assert diff is None, f"{line!r} (operands={operands}): {diff}"


@pytest.mark.parametrize("line", MACROS)
def test_macro_invocations_read_without_the_grammar(line, grammar):
    fast = asm.read_statement(line, 3, via="reader")
    assert fast is not None, f"should be read without the grammar: {line!r}"
    assert type(fast[0]) is Instruction and only_plain_values(fast)
    for operands in (False, True):
        diff = first_difference(fast, grammar(line, 3, operands))
        assert diff is None, f"{line!r} (operands={operands}): {diff}"


@pytest.mark.parametrize("line", SLOW)
def test_reader_leaves_the_rest_to_the_grammar(line, grammar):
    assert asm.read_statement(line, 4, via="reader") is None
    default = asm.read_statement(line, 4)
    assert first_difference(default, grammar(line, 4)) is None


def test_post_index_and_columns_come_out_right():
    (i,) = asm.read_statement("ldp\tx29, x30, [sp], #16", 8, via="reader")
    m = i.operands[2]
    assert (m.text, m.offset.value, m.writeback, m.column, i.column) == (
        "[sp], #16", 16, "post", 23, 9)
    (i,) = asm.read_statement("ldr x0, [x1, x2, lsl #3]", via="reader")
    assert (i.operands[1].index.canon, i.operands[1].shift.amount) == ("x2", "3")


def test_read_operand_parts():
    part = read_operand("[x0, #8]!")
    assert (part.kind, part.start, part.end, part.data[1]) == ("memory", 0, 9, True)
    assert [p.kind for p in part.data[0]] == ["expr", "immediate"]
    for text in ("", "p0/z", "0 <foo>", "$x", "...", "'ab'", '"s"', "{v0.b}[1]", "x0 #3", "(x0"):
        assert read_operand(text) is None, text
    char = read_operand("'a'")
    assert char is not None and [(t.type, str(t)) for t in char.data] == [("CHAR", "'a'")]


_HUNK = """\
#ifdef __ASSEMBLY__
.macro get_host_ctxt reg, tmp
\t/*
\t * The address of kvm_host_cpu_state is loaded from the literal pool.
\t */
\tadr_l\t\\reg, kvm_host_cpu_state
\tmsr\t\\tmp, tpidr_el2
\tadd\t\\reg, \\reg, \\tmp
.endm
#endif
SYM_FUNC_START(__guest_enter)
\tstp\tx29, x30, [sp, #-16]!
\tmov\tx29, sp
\tget_host_ctxt\tx2, x3
\tldr\tx1, [x0, #VCPU_CONTEXT + 8]
\tldp\tx2, x3, [x18, #CPU_XREG_OFFSET(2)]
\tmrs\tx1, esr_el2
\tlsr\tx0, x1, #ESR_ELx_EC_SHIFT
\tcmp\tx0, #ESR_ELx_EC_HVC64
\tb.ne\t1f
\tmsr_s\tSYS_ICH_HCR_EL2, xzr
1:\tkern_hyp_va\tx1
\tldp\tx29, x30, [sp], #16
\tdsb\tish ; isb
\tret
SYM_FUNC_END(__guest_enter)
"""


def test_whole_text_agrees_with_the_grammar_alone(monkeypatch):
    text = _HUNK + "\n".join("\t" + line for line in FAST + MACROS + SLOW) + "\n"
    asm.clear_caches()
    default = asm.parse(text)
    for via in ("operands", "grammar"):
        alone = asm.parse(text, via=via)
        assert first_difference(default, alone) is None, first_difference(default, alone)
    asm.clear_caches()
    assert sum(type(n) is Unparsed for n in default) == 23  # the ill-formed ones of SLOW


def test_a_typical_hunk_needs_no_lark():
    code = (
        "import sys\n"
        "import reviewbot.asm.parser as asm\n"
        "assert 'lark' not in sys.modules, 'imported with reviewbot.asm.parser'\n"
        "nodes = asm.parse(sys.stdin.read())\n"
        "assert 'lark' not in sys.modules, 'imported by a typical hunk'\n"
        "assert nodes and not any(type(n).__name__ == 'Unparsed' for n in nodes)\n"
        "asm.parse('\\tld1 {v0.b, v1.b}[3], [x0]')\n"
        "assert 'lark' in sys.modules, 'the fallback did not use the grammar'\n"
        "print('ok')\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], input=_HUNK, env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def _random_statements(count: int, seed: int) -> list[tuple[str, int]]:
    """Made-up statements, well and badly formed, from the pieces operands are
    made of (deterministic)."""
    rnd = random.Random(seed)
    atoms = ["x0", "w1", "sp", "xzr", "lr", "v0.16b", "v31.2d", "q0", "z0.d", "p0", "pn8.b",
             "za", "zt0", "tpidr_el2", "s3_4_c13_c0_2", "SYS_FOO", "\\reg", "x\\n",
             "\\reg\\().16b", "\\@", "1f", "2b", "0b", "0b101", "0x10", "010", "16", "1.0",
             "1e5", "sym", ".Lfoo", ".", "lsl", "LSL", "uxtw", "msl", "mul", "vl", "VL", "eq",
             "ish", "c7", "lslx", "vlan", "a", "ffff"]
    punct = ["#", "=", "[", "]", "!", ",", "{", "}", "-", "+", "~", "(", ")", ":lo12:", ":",
             "<<", ">>", "<", "==", "&&", "|", "*", "/", "%", " ", "\t", "/z", "[2]", "\\"]

    def r():
        return rnd.choice(atoms)

    shapes = [
        lambda: f"[{r()}]", lambda: f"[{r()}, #{r()}]", lambda: f"[{r()}, #{r()}]!",
        lambda: f"[{r()}, {r()}, {r()} #{r()}]", lambda: f"[{r()}, {r()}, {r()}]",
        lambda: f"#{r()} {rnd.choice(punct)} {r()}", lambda: f"{r()} {r()}",
        lambda: f"{{{r()}-{r()}}}", lambda: f"{{{r()}, {r()}}}", lambda: f"{r()}({r()}, {r()})",
        lambda: f"{r()}[{r()}]", lambda: f"=({r()} + {r()})", lambda: f"#:{r()}:{r()}",
        lambda: f"{r()}{rnd.choice(punct)}{r()}", lambda: f"({r()})", lambda: r(),
        lambda: "".join(r() if rnd.random() < 0.5 else rnd.choice(punct)
                        for _ in range(rnd.randint(1, 5))).strip(),
    ]
    mnemonics = ["mov", "ldr", "msr", "mrs", "csel", "dsb", "sys", "b", "ld1", "adr_l", "foo"]
    out = set()
    while len(out) < count:
        ops = ", ".join(rnd.choice(shapes)() for _ in range(rnd.randint(1, 3)))
        out.add(((rnd.choice(mnemonics) + " " + ops).strip(), rnd.randint(0, 2)))
    return sorted(out)


def test_made_up_statements_agree_with_the_grammar(monkeypatch):
    statements = _random_statements(3000, seed=7)
    fast = {key: asm.read_statement(*key, via="reader") for key in statements}
    assert sum(hit is not None for hit in fast.values()) > 500
    by_operand = {key: asm.read_statement(*key, via="operands") for key in statements}
    for key, hit in fast.items():
        if hit is not None:
            assert first_difference(hit, by_operand[key]) is None, (key, first_difference(hit, by_operand[key]))
    # and the pipeline (scanner included) with the reader equals the whole-statement grammar
    text = "\n".join("\t" + line for line, _ in statements)
    alone = asm.parse(text, via="grammar")
    asm.clear_caches()
    default = asm.parse(text)
    asm.clear_caches()
    assert first_difference(default, alone) is None


# --- the reader's assumptions about the grammar --------------------------------
#
# The reader copies some of the grammar's terminals and knows which terminals
# Lark's contextual lexer accepts where; these tests fail when the grammar
# changes under it (then reviewbot/asm/operands.py needs a look).

@pytest.fixture(scope="module")
def lark_parser():
    """The grammar without the transformer (for interactive parsing)."""
    from lark import Lark

    from reviewbot.resources import grammar_path

    return Lark(grammar_path().read_text(encoding="utf-8"), parser="lalr", lexer="contextual",
                start=["start", "macro_call", "macro_argument"], maybe_placeholders=False)


def test_copied_terminals_match_like_the_grammars(lark_parser):
    import reviewbot.asm.macro_calls as macro_calls
    import reviewbot.asm.operands as fast

    mine = {"WORD": fast._WORD, "NUMBER": fast._NUMBER, "LABELREF": fast._LABELREF,
            "SHIFT_OP": fast._SHIFT_OP, "BINOP": fast._BINOP, "RELOC": fast._RELOC,
            "VL": fast._VL, "OBJDUMP_TARGET": fast._OBJDUMP_TARGET, "PRED_REG": fast._PRED_REG,
            "MACRO_NAME": macro_calls._rare("MACRO_NAME"), "MACRO_ARG": macro_calls._rare("MACRO_ARG")}
    probes = FAST + MACROS + SLOW + [line for line, _ in _random_statements(300, seed=3)]
    probes += ["0x1F 0B10 09 1.5e-3 1b 2F 3fx \\a\\()b\\@ p1/M P\\x/z ffff <a+1> VL vL Lsl UXTW"]
    for name, regex in mine.items():
        theirs = re.compile(lark_parser.get_terminal(name).pattern.to_regexp())
        for text in probes:
            for i in range(len(text)):
                a, b = regex.match(text, i), theirs.match(text, i)
                assert (a and a.group()) == (b and b.group()), (name, text, i)
    assert re.compile(lark_parser.get_terminal("UNOP").pattern.to_regexp()).pattern == "[-+~!]"
    priorities = {name: lark_parser.get_terminal(name).priority for name in (
        "OBJDUMP_TARGET", "PRED_REG", "SHIFT_OP", "LABELREF", "METAVAR", "ELLIPSIS",
        "WORD", "NUMBER", "BINOP", "UNOP", "RELOC", "VL", "MACRO_NAME", "MACRO_ARG")}
    assert priorities == {"OBJDUMP_TARGET": 4, "PRED_REG": 3, "SHIFT_OP": 3, "LABELREF": 3,
                          "METAVAR": 3, "ELLIPSIS": 3, "WORD": 0, "NUMBER": 0, "BINOP": 0,
                          "UNOP": 0, "RELOC": 0, "VL": 0, "MACRO_NAME": 0, "MACRO_ARG": 0}


@pytest.mark.parametrize("before, accepted", [
    ("", "CHAR ELLIPSIS EQUAL HASH LABELREF LBRACE LPAR LSQB METAVAR NUMBER OBJDUMP_TARGET "
         "PRED_REG RELOC SHIFT_OP STRING UNOP WORD"),
    ("#", "CHAR LABELREF LPAR METAVAR NUMBER RELOC STRING UNOP WORD"),
    ("=", "CHAR LABELREF LPAR METAVAR NUMBER STRING UNOP WORD"),
    ("[", "CHAR ELLIPSIS HASH LABELREF LPAR METAVAR NUMBER RELOC SHIFT_OP STRING UNOP WORD"),
    ("[x0,", "CHAR ELLIPSIS HASH LABELREF LPAR METAVAR NUMBER RELOC SHIFT_OP STRING UNOP WORD"),
    ("[x0", "BINOP COMMA HASH LPAR LSQB RSQB VL"),
    ("x0", "$END BINOP HASH LPAR LSQB VL"),
    ("-x0", "$END BINOP LPAR LSQB"),
    ("lsl", "$END CHAR HASH LABELREF LPAR METAVAR NUMBER STRING UNOP WORD"),
    ("[x0, lsl", "CHAR COMMA HASH LABELREF LPAR METAVAR NUMBER RSQB STRING UNOP WORD"),
    ("lsl #", "CHAR LABELREF LPAR METAVAR NUMBER STRING UNOP WORD"),
    ("#1 +", "CHAR LABELREF LPAR METAVAR NUMBER STRING UNOP WORD"),
    ("#1", "$END BINOP"),
    ("(1", "BINOP RPAR"),
    ("[x0]", "$END BANG"),
    ("#:lo12:", "CHAR LABELREF LPAR METAVAR NUMBER STRING UNOP WORD"),
    ("{", "METAVAR WORD"),
    ("{v0.4s", "COMMA LSQB MINUS RBRACE"),
    ("{v0.4s-", "METAVAR WORD"),
    ("{v0.4s}", "$END LSQB"),
    ("f(", "CHAR LABELREF LPAR METAVAR NUMBER RPAR STRING UNOP WORD"),
    ("f(1", "BINOP COMMA RPAR"),
    ("v0.s[1", "BINOP COLON COMMA RSQB"),
    ("mul vl", "$END"),
])
def test_lexer_contexts_the_reader_assumes(lark_parser, before, accepted):
    interactive = lark_parser.parse_interactive(before, start="macro_argument")
    for _ in interactive.iter_parse():
        pass
    assert " ".join(sorted(interactive.accepts())) == accepted


def test_the_one_token_retyping_the_reader_knows_of(lark_parser):
    """Lark retypes a regexp token that spells a string terminal of the same
    priority when both are accepted in the lexer's state (``BINOP`` "-" as
    ``MINUS``, ``WORD`` "vl" as ``VL``); the only parser states holding such a
    pair are the ones after an indexed name's "]", where the reader refuses
    a "-"."""
    from lark.lexer import PatternRE, PatternStr

    strings = [t for t in lark_parser.terminals if isinstance(t.pattern, PatternStr)]
    pairs = []
    for regexp in (t for t in lark_parser.terminals if isinstance(t.pattern, PatternRE)):
        for string in strings:
            m = re.match(regexp.pattern.to_regexp(), string.pattern.value)
            if string.priority == regexp.priority and m and m.group() == string.pattern.value:
                pairs.append((regexp.name, string.name))
    assert ("BINOP", "MINUS") in pairs and ("WORD", "VL") in pairs
    table = lark_parser.parser.parser.parser.parse_table
    clashes = set()
    for actions in table.states.values():
        keys = frozenset(actions)
        for regexp, string in pairs:
            if regexp in keys and string in keys:
                clashes.add((regexp, string, " ".join(sorted(keys))))
    assert clashes == {("BINOP", "MINUS", "$END BINOP COLON COMMA MINUS RBRACE RPAR RSQB")}
    assert asm.read_statement("mov x0, v0.s[1] - 1", via="reader") is None
    assert asm.read_statement("mov x0, v0.s[1] + 1", via="reader") is not None
