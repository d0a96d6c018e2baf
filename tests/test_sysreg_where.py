"""``sysreg:`` constraints in ``where``: facts of the register table asked of
the register a metavariable or regex group names, by every spelling, with
positive and negative cases per class; uncertain facts never match; bad
constraints are load errors that name the key."""

from __future__ import annotations

import re

import pytest

from reviewbot.analysis import sysregs
from reviewbot.asm.ast import Expression, MacroArg, Register, SysReg
from reviewbot.errors import RuleError
from reviewbot.match.sysreg_where import PROPERTIES, certain_features, compile_sysreg
from reviewbot.rules.loader import load_rule_file

try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - hypothesis is a test extra
    given = None


def holds(spec: dict, value, statements: tuple = ()) -> bool:
    if isinstance(value, str) and not value.startswith("SYS_") and "(" not in value:
        value = SysReg(value, value.lower())
    elif isinstance(value, str) and value.startswith("SYS_") and "(" not in value:
        value = SysReg(value, value)
    return compile_sysreg(spec, "where").holds(value, statements)


def test_the_keys_are_the_schemas():
    from reviewbot.rules.schema import rule_schema

    assert tuple(rule_schema()["$defs"]["sysreg"]["properties"]) == PROPERTIES


@pytest.mark.parametrize("spelling", ["midr_el1", "MIDR_EL1", "s3_0_c0_c0_0", "S3_0_C0_C0_0",
                                      "SYS_MIDR_EL1", "erxpfgf_el1", "cntvct_el0", "dbgdtrrx_el0"])
def test_read_only_by_every_spelling(spelling):
    assert holds({"writable": False}, spelling)
    assert holds({"readable": True}, spelling)
    assert not holds({"writable": True}, spelling)


@pytest.mark.parametrize("spelling", ["icc_eoir1_el1", "SYS_ICC_EOIR1_EL1", "s3_0_c12_c12_1",
                                      "oslar_el1", "pmswinc_el0", "dbgdtrtx_el0"])
def test_write_only_by_every_spelling(spelling):
    assert holds({"readable": False}, spelling)
    assert not holds({"writable": False}, spelling)


@pytest.mark.parametrize("spelling", ["tpidr_el2", "sctlr_el12", "SYS_VBAR_EL12", "s3_4_c13_c0_2",
                                      "spsr_svc", "scr_el3"])
def test_read_write_matches_neither_false(spelling):
    assert not holds({"readable": False}, spelling)
    assert not holds({"writable": False}, spelling)
    assert holds({"readable": True, "writable": True}, spelling)


def test_function_like_kernel_macro():
    value = Expression("SYS_DBGBVRn_EL1(3)")
    assert holds({"writable": True, "el": 1}, value)
    assert holds({"writable": False}, Expression("SYS_AMEVTYPER0_EL0(2)"))


def test_a_shared_encoding_is_what_any_of_its_registers_allows():
    """s2_3_c0_c5_0: mrs reads DBGDTRRX_EL0 (RO), msr writes DBGDTRTX_EL0 (WO)."""
    assert not holds({"writable": False}, "s2_3_c0_c5_0")
    assert not holds({"readable": False}, "s2_3_c0_c5_0")
    assert holds({"readable": True, "writable": True}, "s2_3_c0_c5_0")


@pytest.mark.parametrize("spelling", ["id_aa64fpfr0_el1", "ich_vseir_el2", "s3_1_c15_c2_1"])
def test_uncertain_never_matches(spelling):
    for prop in ("readable", "writable"):
        assert not holds({prop: False}, spelling)
        assert not holds({prop: True}, spelling)


@pytest.mark.parametrize("value", [MacroArg("\\sreg", "sreg"), Register("x0", "x0", "gpr64"),
                                   Expression("#2")])
def test_what_names_no_register_matches_nothing(value):
    for spec in ({"writable": False}, {"readable": False}, {"known": False}, {"known": True},
                 {"el": [0, 1, 2, 3]}):
        assert not compile_sysreg(spec, "where").holds(value)


def test_exception_levels():
    assert holds({"el": 2}, "hcr_el2")
    assert holds({"el": [2, 3]}, "sctlr_el12")  # the VHE accessor is EL2's
    assert holds({"el": 3}, "scr_el3")
    assert holds({"el": 0}, "cntvct_el0")
    assert not holds({"el": 2}, "sctlr_el1")
    assert not holds({"el": [0, 1]}, "SYS_HCR_EL2")
    assert holds({"el": 2}, "s3_4_c1_c1_0")


def test_features_only_where_the_sources_agree():
    assert holds({"feature": "FEAT_SVE"}, "zcr_el1")
    assert holds({"feature": True}, "SYS_GCR_EL1")
    assert holds({"feature": ["FEAT_MTE", "FEAT_SME"]}, "smcr_el1")
    assert not holds({"feature": "FEAT_MTE"}, "zcr_el1")
    assert not holds({"feature": True}, "sctlr_el1")
    # LLVM gates brbcr_el1 on FEAT_BRBE, binutils names no feature: say nothing
    assert sysregs.disagreements("brbcr_el1")
    assert certain_features("brbcr_el1") == ()
    assert not holds({"feature": True}, "brbcr_el1")


@pytest.mark.parametrize("spelling", ["tpidr_el4", "sctlr_el12x", "vbar_el4", "ttbr2_el1"])
def test_unknown_names(spelling):
    assert holds({"known": False}, spelling)
    assert not holds({"known": True}, spelling)


@pytest.mark.parametrize("spelling", ["vbar_el12", "tpidr_el3", "icc_sre_el2", "ich_lr15_el2",
                                      "s3_0_c15_c0_0", "s3_7_c0_c0_0", "SYS_NOT_IN_THE_TABLE_EL1",
                                      "CPUACTLR_EL1", "daifset", "pan"])
def test_not_unknown(spelling):
    """Real registers, IMPLEMENTATION DEFINED or unallocated encodings, SYS_*
    macros, upper-case cpp names and PSTATE fields are never typos."""
    assert not holds({"known": False}, spelling)


def test_a_name_the_code_defines_is_not_unknown():
    from reviewbot.asm.parser import parse

    statements = tuple(parse("#define my_impdef_el1 s3_0_c15_c2_0\nfoo_el1 .req x0\n"
                             ".set bar_el2, 7\n\tmrs x0, my_impdef_el1\n"))
    for name in ("my_impdef_el1", "foo_el1", "bar_el2"):
        assert not holds({"known": False}, name, statements)
    assert holds({"known": False}, "baz_el1", statements)
    assert not holds({"known": False}, "my_el1", ("#define my_el1 sys_reg(3, 0, 15, 2, 0)",))


@pytest.mark.parametrize("spec, expected", [
    ({"writeable": False}, "unknown key 'writeable' (valid keys: readable, writable, known, el, feature)"),
    ({"writable": "no"}, "sysreg.writable: expected true or false"),
    ({"el": 4}, "sysreg.el: expected an exception level 0-3"),
    ({"feature": "SVE"}, "sysreg.feature: expected true, a FEAT_* name"),
    ({}, "sysreg: expected a mapping"),
])
def test_bad_constraints_name_the_key(spec, expected):
    with pytest.raises(ValueError, match=re.escape(expected)):
        compile_sysreg(spec, "match.where")


RULE = "id: a.b\ntitle: x\nseverity: error\nmessage: m\n"


@pytest.mark.parametrize("text, expected", [
    (RULE + "match: {pattern: 'msr $S, $R', where: [{metavariable: $S, sysreg: {writeable: false}}]}\n",
     "unknown key 'writeable'"),
    (RULE + "languages: [c]\nregex: {pattern: 'read_sysreg\\((?P<R>\\w+)\\)', "
            "where: [{metavariable: $REG, sysreg: {readable: false}}]}\n",
     "$REG is not a named group of the pattern (groups: R)"),
])
def test_rule_files_with_bad_constraints_do_not_load(tmp_path, text, expected):
    path = tmp_path / "a.b.yaml"
    path.write_text(text)
    with pytest.raises(RuleError) as info:
        load_rule_file(path)
    assert str(info.value).startswith(str(path)) and expected in str(info.value)


def test_schema_refuses_a_bad_constraint(tmp_path):
    pytest.importorskip("jsonschema")
    from reviewbot.rules.validate import validate_rule_file

    path = tmp_path / "a.b.yaml"
    path.write_text(RULE + "match: {pattern: 'msr $S, $R', where: [{metavariable: $S, sysreg: {el: 5}}]}\n")
    problems = validate_rule_file(path)
    assert any(":5: match:" in p and "'el': 5" in p for p in problems)


if given is not None:
    CERTAIN = [r for r in sysregs.registers() if r.readable is not None and r.writable is not None]

    @settings(max_examples=300, deadline=None)
    @given(st.sampled_from(CERTAIN), st.sampled_from(["name", "upper", "raw", "kernel"]))
    def test_every_spelling_of_a_certain_entry_gives_its_access(reg, how):
        """By name the entry's own facts; by encoding what any register at
        that encoding allows (equal to the entry's unless it is shared)."""
        spelling = {"name": reg.name, "upper": reg.name.upper(), "raw": reg.raw,
                    "kernel": (reg.kernel_names or (reg.raw,))[0]}[how]
        value = Expression(spelling) if "(" in spelling else SysReg(spelling, spelling if spelling.startswith("SYS_") else spelling.lower())
        shared = sum(1 for r in CERTAIN if r.encoding == reg.encoding) > 1
        by_name = how in ("name", "upper")
        if by_name or not shared:
            target = reg if by_name else sysregs.lookup(spelling)
            assert compile_sysreg({"writable": False}, "w").holds(value) is (target.writable is False)
            assert compile_sysreg({"readable": False}, "w").holds(value) is (target.readable is False)
        assert compile_sysreg({"known": True}, "w").holds(value)
        assert not compile_sysreg({"known": False}, "w").holds(value)
