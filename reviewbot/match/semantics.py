"""What an instruction does to registers: which it reads, which it writes,
and whether it branches, calls or returns.  Facts of the A64 instruction set
and of the kernel's assembler macros, used by ``follows``/``precedes`` with
``when-not``, by stop conditions, and by the register dataflow.

Registers are keyed by their canonical name (``x3`` for ``w3``, ``x30`` for
``lr``); a macro argument by ``\\name``.  An unknown macro is assumed to read
and write every register it is given (conservative for "is it still the
same value", never a source of taint).
"""

from __future__ import annotations

import re
from functools import lru_cache

from reviewbot.asm.ast import Instruction, MacroArg, Memory, MetaVar, Register, RegList
from reviewbot.records import record

# Registers a call may clobber (AAPCS64 6.1.1): x0-x18 and the link register.
CALL_CLOBBERED = frozenset({f"x{n}" for n in range(19)} | {"x30"})

_BRANCHES = frozenset({"b", "br", "cbz", "cbnz", "tbz", "tbnz", "braa", "brab", "braaz", "brabz"})
_CALLS = frozenset({"bl", "blr", "blraa", "blrab", "blraaz", "blrabz"})
_RETURNS = frozenset({"ret", "retaa", "retab", "eret", "eretaa", "eretab"})
_COMPARES = frozenset({"cmp", "cmn", "tst", "ccmp", "ccmn", "fcmp", "fcmpe", "fccmp", "fccmpe"})
_NO_REGS = frozenset({"nop", "isb", "dsb", "dmb", "sb", "ssbb", "pssbb", "hint", "wfi", "wfe",
                      "sev", "sevl", "yield", "clrex", "csdb", "esb", "psb", "tsb", "bti",
                      "hvc", "smc", "svc", "brk", "hlt", "udf", "paciasp", "autiasp",
                      "pacibsp", "autibsp", "xpaclri", "eret", "drps", "tlbi"})
_LOAD = re.compile(r"^(ldr|ldur|ldp|ldnp|ldar|ldapr|ldapur|ldxr|ldaxr|ldxp|ldaxp|ldtr|ldlar|ldgm|ldg|ld[1-4]r?|ldff1|ldnf1|ldnt1)")
_STORE = re.compile(r"^(str|stur|stp|stnp|stlr|stlur|stllr|sttr|st[1-4]|stnt1|stg|st2g|stzg|stz2g|stgp|stgm|stzgm|dc|ic|at|prfm|prfum)")
_STATUS_STORE = re.compile(r"^st(l)?xr|^st(l)?xp")
_ATOMIC = re.compile(r"^(cas|casp|swp|ld(add|clr|eor|set|smax|smin|umax|umin))")
_READ_WRITE_FIRST = frozenset({"movk", "bfi", "bfxil", "bfm", "bfc", "ins", "mov_q_partial"})

#: Kernel assembler macros (arch/arm64/include/asm/assembler.h, kvm_asm.h,
#: kvm_mmu.h): argument positions they write and read.  ``all`` = every
#: register operand.  Fixed registers a macro defines without naming them
#: are under ``defines``.
MACROS: dict[str, dict[str, tuple]] = {
    "kern_hyp_va": {"writes": (0,), "reads": (0,)},
    "kimg_hyp_va": {"writes": (0, 1), "reads": (0,)},
    "hyp_kimg": {"writes": (0, 1), "reads": (0,)},
    "ksym_hyp_va": {"writes": (0,), "reads": (0, 1)},
    "hyp_kimg_va": {"writes": (0, 1), "reads": (0,)},
    "hyp_pa": {"writes": (0, 1), "reads": (0,)},
    "adr_l": {"writes": (0,), "reads": ()},
    "ldr_l": {"writes": (0, 2), "reads": ()},
    "str_l": {"writes": (2,), "reads": (0,)},
    "adr_this_cpu": {"writes": (0, 2), "reads": ()},
    "ldr_this_cpu": {"writes": (0, 2), "reads": ()},
    "hyp_adr_this_cpu": {"writes": (0, 2), "reads": ()},
    "hyp_ldr_this_cpu": {"writes": (0, 2), "reads": ()},
    "this_cpu_offset": {"writes": (0,), "reads": ()},
    "mov_q": {"writes": (0,), "reads": ()},
    "get_host_ctxt": {"writes": (0, 1), "reads": ()},
    "get_vcpu_ptr": {"writes": (0, 1), "reads": ()},
    "get_loaded_vcpu": {"writes": (0, 1), "reads": ()},
    "set_loaded_vcpu": {"writes": (1, 2), "reads": (0,)},
    "restore_x0_to_x3": {"writes": (), "reads": (), "defines": ("x0", "x1", "x2", "x3")},
    "save_callee_saved_regs": {"writes": (), "reads": (0,)},
    "restore_callee_saved_regs": {"writes": (), "reads": (0,)},
    "alternative_if": {"writes": (), "reads": ()},
    "alternative_if_not": {"writes": (), "reads": ()},
    "alternative_else": {"writes": (), "reads": ()},
    "alternative_endif": {"writes": (), "reads": ()},
    "alternative_else_nop_endif": {"writes": (), "reads": ()},
    "alternative_cb": {"writes": (), "reads": ()},
    "alternative_cb_end": {"writes": (), "reads": ()},
}


@record
class Effects:
    """Registers read and written, and how control leaves the instruction."""

    reads: frozenset[str]
    writes: frozenset[str]
    flow: str = "next"  # next | branch | call | return
    known: bool = True  # False for a macro we know nothing about
    #: every register its operands name, read, written or neither (a
    #: pattern's metavariable can only bind one of these)
    named: frozenset[str] = frozenset()


def reg_key(operand: object) -> str | None:
    """The dataflow key of a register-like operand, else None."""
    if isinstance(operand, Register):
        return operand.canon if operand.kind not in ("zr",) else None
    if isinstance(operand, MacroArg):
        return "\\" + operand.name
    if isinstance(operand, MetaVar):
        return "$" + operand.name
    return None


def _regs(operands: tuple) -> list[str]:
    keys = []
    for operand in operands:
        if isinstance(operand, Memory):
            keys.extend(k for k in (reg_key(operand.base), reg_key(operand.index)) if k)
            if operand.offset is not None and (k := reg_key(operand.offset)):
                keys.append(k)
        elif isinstance(operand, RegList):
            keys.extend(k for r in operand.registers if (k := reg_key(r)))
        elif (k := reg_key(operand)) is not None:
            keys.append(k)
    return keys


def _writeback_bases(operands: tuple) -> list[str]:
    return [k for op in operands
            if isinstance(op, Memory) and op.writeback and (k := reg_key(op.base))]


def effects(ins: Instruction) -> Effects:
    """The register effects of one instruction or kernel macro."""
    # by the operands' identity first: the parser shares one operand tuple
    # among the statements of one text, and hashing a tuple of records
    # (what the lru_cache does) walks every operand
    key = (id(ins.operands), ins.mnemonic)
    if (known := _BY_OPERANDS.get(key)) is not None and known[0] is ins.operands:
        return known[1]
    found = _effects(ins.mnemonic, ins.operands)
    if len(_BY_OPERANDS) >= 8192:
        _BY_OPERANDS.clear()
    _BY_OPERANDS[key] = (ins.operands, found)  # the tuple kept, so its id stays its own
    return found


_BY_OPERANDS: dict[tuple[int, str], tuple[tuple, Effects]] = {}


@lru_cache(maxsize=8192)  # on what it reads alone: a statement's line does not matter
def _effects(m: str, ops: tuple) -> Effects:
    return Effects(*_effects_of(m, ops), named=frozenset(_regs(ops)))


def _effects_of(m: str, ops: tuple) -> tuple[frozenset[str], frozenset[str], str, bool]:
    """(reads, writes, flow, known): :class:`Effects` but the registers named."""
    kind = _kind(m)
    if kind == "alternative":
        # the arms of an alternative are alternatives, not a sequence
        return frozenset(), frozenset(), "branch", True
    if kind == "macro":
        table = MACROS[m]
        def pick(positions: tuple) -> set[str]:
            return {k for p in positions if p < len(ops) and (k := reg_key(ops[p]))}
        writes = pick(table["writes"]) | set(table.get("defines", ()))
        return frozenset(pick(table["reads"])), frozenset(writes), "next", True
    if kind in ("branch", "call", "return", "no-regs", "compare", "unknown"):
        regs = _regs(ops)
        if kind == "call":
            return frozenset(regs), frozenset({"x30"}), "call", True
        if kind == "return":
            reads = set(regs) or ({"x30"} if m.startswith("ret") else set())
            return frozenset(reads), frozenset(), "return", True
        if kind == "unknown":
            return frozenset(regs), frozenset(regs), "next", False
        return frozenset(regs), frozenset(), "branch" if kind == "branch" else "next", True
    if kind == "msr":
        return frozenset(_regs(ops[1:])), frozenset(), "next", True
    if kind == "mrs":
        return frozenset(), frozenset(_regs(ops[:1])), "next", True
    regs = _regs(tuple(op for op in ops if not isinstance(op, Memory)))
    memory_regs = _regs(tuple(op for op in ops if isinstance(op, Memory)))
    if kind == "atomic":
        return frozenset(regs + memory_regs), frozenset(regs[-1:] if not m.startswith("cas") else regs[:1]), "next", True
    if kind == "status-store":
        return frozenset(regs[1:] + memory_regs), frozenset(regs[:1] + _writeback_bases(ops)), "next", True
    if kind == "store":
        return frozenset(regs + memory_regs), frozenset(_writeback_bases(ops)), "next", True
    if kind == "load":
        count = 2 if m.startswith(("ldp", "ldnp", "ldxp", "ldaxp")) else 1
        return frozenset(memory_regs), frozenset(regs[:count] + _writeback_bases(ops)), "next", True
    if not regs:
        return frozenset(memory_regs), frozenset(), "next", True
    reads = set(regs[1:]) | set(memory_regs)
    if m in _READ_WRITE_FIRST:
        reads.add(regs[0])
    return frozenset(reads), frozenset(regs[:1]), "next", True


@lru_cache(maxsize=4096)
def _kind(m: str) -> str:
    """Which of :func:`_effects_of`'s cases a mnemonic falls in (the first that holds)."""
    if m.startswith("alternative_"):
        return "alternative"
    if m in MACROS:
        return "macro"
    if m.startswith("b.") or m.startswith("bc.") or m in _BRANCHES:
        return "branch"
    if m in _CALLS:
        return "call"
    if m in _RETURNS:
        return "return"
    if m in _NO_REGS:
        return "no-regs"
    if m in ("msr", "msr_s"):
        return "msr"
    if m in ("mrs", "mrs_s"):
        return "mrs"
    if m in _COMPARES:
        return "compare"
    if _ATOMIC.match(m):
        return "atomic"
    if _STATUS_STORE.match(m):
        return "status-store"
    if _STORE.match(m):
        return "store"
    if _LOAD.match(m):
        return "load"
    if not _looks_like_instruction(m):
        return "unknown"
    return "data"


# Base A64 data-processing mnemonics (without condition or size suffixes).
_DATA = frozenset("""
adc adcs add addg adds adr adrp and ands asr asrv bfc bfi bfm bfxil bic bics cinc cinv
cls clz cneg csel cset csetm csinc csinv csneg eon eor extr lsl lslv lsr lsrv madd mneg
mov movk movn movz msub mul mvn neg negs ngc ngcs orn orr rbit rev rev16 rev32 rev64 ror
rorv sbc sbcs sbfiz sbfm sbfx sdiv smaddl smnegl smsubl smulh smull sub subg subp subps
subs sxtb sxth sxtw tst uadd ubfiz ubfm ubfx udiv umaddl umnegl umsubl umulh umull uxtb
uxth abs cnt ctz smax smin umax umin pacia pacib pacda pacdb autia autib autda autdb
xpaci xpacd pacga irg gmi fmov fadd fsub fmul fdiv fabs fneg fsqrt fcvt scvtf ucvtf
fcvtzs fcvtzu dup ins umov smov movi mvni ld1 st1 eor3 bcax crc32b crc32h crc32w crc32x
crc32cb crc32ch crc32cw crc32cx aese aesd aesmc aesimc sha1c sha256h ext zip1 zip2 uzp1
uzp2 trn1 trn2 tbl tbx
""".split())


def _looks_like_instruction(mnemonic: str) -> bool:
    base = mnemonic.split(".")[0]
    return base in _DATA or bool(_LOAD.match(base) or _STORE.match(base) or _ATOMIC.match(base))


def is_instruction(mnemonic: str) -> bool:
    """True for an A64 instruction, False for what must be a macro."""
    m = mnemonic.lower()
    if m.startswith(("b.", "bc.")) or m in _BRANCHES | _CALLS | _RETURNS | _NO_REGS | _COMPARES:
        return True
    if m in ("msr", "mrs", "sys", "sysl", "tlbi", "dc", "ic", "at", "hint", "ldr", "str"):
        return True
    return _looks_like_instruction(m)


def is_branch(ins: Instruction) -> bool:
    """A branch (conditional or not), not a call."""
    return effects(ins).flow == "branch"


def is_call(ins: Instruction) -> bool:
    """``bl``/``blr`` and friends."""
    return ins.mnemonic in _CALLS


def is_return(ins: Instruction) -> bool:
    """``ret``/``eret`` and their pointer-authentication forms."""
    return ins.mnemonic in _RETURNS
