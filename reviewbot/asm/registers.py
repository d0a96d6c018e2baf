"""The names operand classification knows (:mod:`reviewbot.asm.builder`):
registers by name and their canonical form, the shapes of system-register
names, and the mnemonics whose operands read differently (system-register
slots, branches and addresses, conditions, options, ``sys``'s ``cN``)."""

from __future__ import annotations

import re


def _register_table() -> dict[str, tuple[str, str]]:
    table: dict[str, tuple[str, str]] = {}
    for n in range(31):
        table[f"x{n}"] = (f"x{n}", "gpr64")
        table[f"w{n}"] = (f"x{n}", "gpr32")
    table.update({
        "sp": ("sp", "sp"), "wsp": ("sp", "sp"), "xzr": ("xzr", "zr"), "wzr": ("xzr", "zr"),
        "lr": ("x30", "gpr64"), "fp": ("x29", "gpr64"), "ip0": ("x16", "gpr64"),
        "ip1": ("x17", "gpr64"), "za": ("za", "za"), "zt0": ("zt0", "za"),
    })
    for n in range(32):
        table[f"v{n}"] = (f"v{n}", "vector")
        for prefix in "qdshb":
            table[f"{prefix}{n}"] = (f"v{n}", "fp")
        table[f"z{n}"] = (f"z{n}", "sve")
    for n in range(16):
        table[f"p{n}"] = (f"p{n}", "pred")
        table[f"pn{n}"] = (f"p{n}", "pred")
    return table


REGISTERS = _register_table()
VECTOR_BASES = {name: value for name, value in REGISTERS.items()
                 if value[1] in ("vector", "sve", "pred")}
ARRANGEMENT = re.compile(r"[0-9]*[bhsdq]$")
ZA_TILE = re.compile(r"za([0-9]+)?([hv])?(?:\.([bhsdq]))?$")
SYSREG_SHAPE = re.compile(
    r"[a-z][a-z0-9_]*_el(?:[0-3]|12|02)$|s[0-3]_[0-7]_c[0-9]+_c[0-9]+_[0-7]$")

#: Mnemonic -> index of its system-register operand.
SYSREG_SLOT = {"msr": 0, "msr_s": 0, "msrr": 0, "mrs": 1, "mrs_s": 1, "mrrs": 2}
#: Branch and address instructions: ``foo_el2`` there is a symbol.
ADDRESS_MNEMONICS = frozenset({
    "b", "bl", "br", "blr", "cbz", "cbnz", "tbz", "tbnz", "adr", "adrp", "adr_l",
    "ldr_l", "str_l", "adr_this_cpu", "ldr_this_cpu", "str_this_cpu", "ldr_sym",
    "adr_sym", "bl_sym", "b_sym",
})
CONDITIONS = frozenset(
    "eq ne cs hs cc lo mi pl vs vc hi ls ge lt gt le al nv".split())
COND_MNEMONICS = frozenset(
    "csel csinc csinv csneg cset csetm cinc cinv cneg ccmp ccmn fcsel fccmp fccmpe".split())
#: Mnemonics whose first operand, when a bare name, is an option keyword.
OPTION_MNEMONICS = frozenset(
    "dsb dmb isb tlbi tlbip dc ic at prfm prfum bti psb tsb smstart smstop brb "
    "gcsb cosp cpp dvp cfp hint clrex".split())
SYS_MNEMONICS = frozenset({"sys", "sysl", "sysp"})
CREG = re.compile(r"c[0-9]+$")
EXTENDS = frozenset(
    "uxtb uxth uxtw uxtx sxtb sxth sxtw sxtx lsl lsr asr ror msl".split())
