"""The system-register table (reviewbot/analysis/sysregs.json) and its lookup:
every class of register with positive and negative cases, the round trip
name <-> encoding over the whole table, provenance, and ``reviewbot sysreg``."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from reviewbot.analysis import sysregs
from tests.conftest import ROOT, run_cli

try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - hypothesis is a test extra
    given = None


def reg(name: str) -> sysregs.SysReg:
    entry = sysregs.lookup(name)
    assert entry is not None, name
    return entry


# --- access ----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["midr_el1", "id_aa64pfr0_el1", "erxpfgf_el1", "id_aa64mmfr1_el1",
                                  "ctr_el0", "currentel", "ich_misr_el2", "icc_iar1_el1", "cntpct_el0"])
def test_read_only(name):
    entry = reg(name)
    assert (entry.readable, entry.writable, entry.access) == (True, False, "RO")


@pytest.mark.parametrize("name", ["icc_eoir1_el1", "oslar_el1", "pmswinc_el0", "icc_sgi1r_el1",
                                  "icc_dir_el1", "trclar"])
def test_write_only(name):
    entry = reg(name)
    assert (entry.readable, entry.writable, entry.access) == (False, True, "WO")


@pytest.mark.parametrize("name", ["tpidr_el2", "sctlr_el1", "hcr_el2", "vbar_el2", "icc_sre_el2",
                                  "erxctlr_el1", "daif"])
def test_read_write(name):
    entry = reg(name)
    assert (entry.readable, entry.writable, entry.access) == (True, True, "RW")


def test_access_classes_do_not_overlap():
    """Negative cases: an RO register is not writable, a WO one not readable."""
    assert reg("midr_el1").writable is False
    assert reg("icc_eoir1_el1").readable is False
    assert reg("tpidr_el2").writable is True and reg("tpidr_el2").readable is True
    counts = {"RO": 0, "WO": 0, "RW": 0, "?": 0}
    for entry in sysregs.registers():
        counts[entry.access] += 1
    assert counts["RO"] > 250 and counts["WO"] >= 10 and counts["RW"] > 800


def test_uncertain_access_is_none_not_false():
    """A register only the kernel knows has no access facts: None, not False."""
    entry = reg("ich_vseir_el2")
    assert entry.sources == ("linux",)
    assert entry.readable is None and entry.writable is None and entry.access == "?"


def test_disagreeing_access_is_none():
    """Wherever the two toolchains disagree on access, the merged fact is None."""
    table = json.loads((ROOT / "reviewbot/analysis/sysregs.json").read_text())
    for d in table["disagreements"]:
        if d["kind"] in ("readable", "writable"):
            assert table["registers"][d["register"]][d["kind"]] is None


# --- exception levels ------------------------------------------------------------

@pytest.mark.parametrize("name,el", [("tpidr_el0", 0), ("cntvct_el0", 0), ("tpidr_el1", 1),
                                     ("tpidr_el2", 2), ("hcr_el2", 2), ("tpidr_el3", 3),
                                     ("scr_el3", 3), ("sctlr_el12", 2), ("cntv_ctl_el02", 2),
                                     ("nzcv", 0), ("spsr_irq", 2), ("currentel", 1)])
def test_exception_level(name, el):
    entry = reg(name)
    assert entry.el == el
    assert entry.els == tuple(range(el, 4))


# SP_ELn is ELn's stack pointer, but msr/mrs reach it only from the level
# above (op1 0, 4, 6): the name's suffix is not its access level.
@pytest.mark.parametrize("name,el", [("sp_el0", 1), ("sp_el1", 2), ("sp_el2", 3)])
def test_stack_pointer_exception_level_is_op1s(name, el):
    entry = reg(name)
    assert entry.el == el
    assert entry.els == tuple(range(el, 4))


def test_cli_says_sp_el0_is_reached_from_el1(capsys):
    code, out, _ = run_cli(capsys, "sysreg", "sp_el0")
    assert code == 0 and "exception level: EL1 and above" in out


def test_cli_shows_both_registers_of_a_shared_encoding(capsys):
    # one encoding, read as DBGDTRRX_EL0 and written as DBGDTRTX_EL0 (docs/rules.md): the
    # CLI said "writable: no" of the encoding, naming the other only as an alias
    code, out, _ = run_cli(capsys, "sysreg", "s2_3_c0_c5_0")
    assert code == 0 and "  readable (mrs): yes   writable (msr): no\n" in out
    assert "  dbgdtrtx_el0, at the same encoding: readable (mrs): no   writable (msr): yes\n" in out
    code, out, _ = run_cli(capsys, "sysreg", "sctlr_el1")
    assert "at the same encoding" not in out  # its alias (sctlr_el12) is another encoding


@pytest.mark.parametrize("text, says", [("s3_0_c99_c0_0", "CRn 99 > 15"), ("s4_0_c1_c0_0", "op0 4 > 3"),
                                         ("sys_reg(3, 0, 1, 0, 9)", "op2 9 > 7")])
def test_an_impossible_encoding_says_which_field(capsys, text, says):
    code, _, err = run_cli(capsys, "sysreg", text)
    assert code == 2 and err == f"reviewbot: error: {text!r} is no system-register encoding: {says}\n"


def test_exception_level_is_op1s_wherever_the_name_has_a_suffix():
    """The table's el is op1's for every register (the architecture's rule);
    the suffix only agrees, or the entry says el_from 'op1'."""
    op1_el = {0: 1, 1: 1, 2: 1, 3: 0, 4: 2, 5: 2, 6: 3, 7: 1}
    data = json.loads((ROOT / "reviewbot/analysis/sysregs.json").read_text())
    wrong = {name: (e["el"], op1_el[e["encoding"][1]]) for name, e in data["registers"].items()
             if e["el"] != op1_el[e["encoding"][1]]}
    assert wrong == {}
    assert {n for n, e in data["registers"].items() if e["el_from"] == "op1" and re.search(r"_el\d+$", n)} \
        == {"sp_el0", "sp_el1", "sp_el2"}


def test_generator_exception_level():
    spec = importlib.util.spec_from_file_location("sysregs_generate", ROOT / "tools/sysregs/generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    assert generate.exception_level("sp_el0", (3, 0, 4, 1, 0)) == (1, "op1")
    assert generate.exception_level("sp_el1", (3, 4, 4, 1, 0)) == (2, "op1")
    assert generate.exception_level("sp_el2", (3, 6, 4, 1, 0)) == (3, "op1")
    assert generate.exception_level("tpidr_el0", (3, 3, 13, 0, 2)) == (0, "suffix")
    assert generate.exception_level("sctlr_el12", (3, 5, 1, 0, 0)) == (2, "suffix")
    assert generate.exception_level("currentel", (3, 0, 4, 2, 2)) == (1, "op1")
    assert generate.exception_level("nzcv", (3, 3, 4, 2, 0)) == (0, "op1")


def test_el2_register_not_accessible_at_el1():
    assert 1 not in reg("hcr_el2").els
    assert 1 in reg("sctlr_el1").els
    assert 2 not in reg("scr_el3").els


# --- aliases ---------------------------------------------------------------------

@pytest.mark.parametrize("alias,target", [("sctlr_el12", "sctlr_el1"), ("vbar_el12", "vbar_el1"),
                                          ("cntv_ctl_el02", "cntv_ctl_el0"), ("tcr_el12", "tcr_el1"),
                                          ("spsr_el12", "spsr_el1")])
def test_vhe_aliases(alias, target):
    entry = reg(alias)
    assert entry.alias_of == target and entry.alias_kind == "vhe"
    assert entry.encoding[1] == 5  # op1=5: the E2H accessor space
    assert entry.encoding != reg(target).encoding
    assert alias in reg(target).aliases


@pytest.mark.parametrize("name", ["tpidr_el12", "hcr_el12", "vbar_el02", "sctlr_el02", "tpidr_el02"])
def test_no_such_vhe_alias(name):
    assert sysregs.lookup(name) is None
    assert not sysregs.is_known(name)


def test_synonym_resolves_to_canonical_encoding():
    entry = reg("trcextinselr")
    assert entry.alias_kind == "synonym" and entry.alias_of == "trcextinselr0"
    assert sysregs.from_encoding(entry.encoding).name == "trcextinselr0"


# --- existence and features ------------------------------------------------------

def test_registers_that_exist():
    for name in ("tpidr_el3", "vbar_el12", "erxpfgf_el1", "zcr_el1", "smcr_el1", "gcscr_el1"):
        assert sysregs.is_known(name), name


@pytest.mark.parametrize("name", ["tpidr_el4", "sctlr_el0", "vbar_el0", "foo_el1", "", "s4_0_c0_c0_0",
                                  "s3_0_c16_c0_0", "SYS_NO_SUCH_EL1"])
def test_unknown_names(name):
    assert sysregs.lookup(name) is None
    assert sysregs.encode(name) is None


@pytest.mark.parametrize("name,feature", [("erxctlr_el1", "FEAT_RAS"), ("smcr_el1", "FEAT_SME"),
                                          ("gcr_el1", "FEAT_MTE"), ("zcr_el1", "FEAT_SVE"),
                                          ("sctlr_el12", "FEAT_VHE"), ("apiakeylo_el1", "FEAT_PAuth")])
def test_features(name, feature):
    assert feature in reg(name).features


def test_base_registers_need_no_feature():
    for name in ("sctlr_el1", "midr_el1", "hcr_el2", "tpidr_el0"):
        assert reg(name).features == () and reg(name).arch is None


# --- spellings -------------------------------------------------------------------

def test_case_insensitive_names():
    assert reg("SCTLR_EL1") is reg("sctlr_el1")
    assert reg("  Tpidr_El2 ").name == "tpidr_el2"


@pytest.mark.parametrize("text,name", [("s3_0_c1_c0_0", "sctlr_el1"), ("S3_4_C13_C0_2", "tpidr_el2"),
                                       ("s3_0_c0_c0_0", "midr_el1"), ("sys_reg(3, 0, 1, 0, 0)", "sctlr_el1"),
                                       ("s2_0_c1_c0_4", "oslar_el1")])
def test_raw_encodings(text, name):
    assert reg(text).name == name


@pytest.mark.parametrize("text", ["s3_0_c15_c2_0", "s3_1_c15_c2_1", "S3_0_C11_C0_0", "s3_7_c15_c15_7"])
def test_implementation_defined_raw_encodings(text):
    entry = reg(text)
    assert entry.implementation_defined and not entry.known
    assert entry.readable is None and entry.writable is None
    assert sysregs.is_known(text)


def test_raw_encoding_outside_impdef_space_unknown_is_none():
    # op0=3 CRn=4 CRm=15 op2=7 holds no register in the table.
    assert sysregs.lookup("s3_0_c4_c15_7") is None


@pytest.mark.parametrize("macro,name", [("SYS_ICC_SRE_EL2", "icc_sre_el2"),
                                        ("SYS_ID_AA64MMFR1_EL1", "id_aa64mmfr1_el1"),
                                        ("sys_id_aa64mmfr1_el1", "id_aa64mmfr1_el1"),
                                        ("SYS_SCTLR_EL12", "sctlr_el12"),
                                        ("SYS_DBGBVRn_EL1(3)", "dbgbvr3_el1"),
                                        ("SYS_PMEVCNTRn_EL0(5)", "pmevcntr5_el0"),
                                        ("SYS_ICC_AP0R1_EL1", "icc_ap0r1_el1"),
                                        ("SYS_ERXPFGF_EL1", "erxpfgf_el1")])
def test_kernel_macros(macro, name):
    assert reg(macro).name == name
    assert any(m.upper() == "".join(macro.split()).upper() for m in reg(name).kernel_names)


def test_kernel_macro_negative():
    assert sysregs.lookup("SYS_TPIDR_EL4") is None
    assert sysregs.lookup("SYS_DBGBVRn_EL1(16)") is None  # there are 16 breakpoints: 0..15


def test_encode_and_from_encoding():
    assert sysregs.encode("sctlr_el1") == (3, 0, 1, 0, 0)
    assert sysregs.encode("SYS_ICC_SRE_EL2") == (3, 4, 12, 9, 5)
    assert sysregs.from_encoding((3, 4, 13, 0, 2)).name == "tpidr_el2"
    assert sysregs.from_encoding((3, 0, 4, 15, 7)) is None
    assert sysregs.parse_encoding("s3_0_c1_c0_0") == (3, 0, 1, 0, 0)
    assert sysregs.parse_encoding("sctlr_el1") is None


def test_suggestions():
    assert "tpidr_el3" in sysregs.suggest("tpidr_el4")
    assert sysregs.suggest("SYS_ICC_SRE_EL4")[0] in ("SYS_ICC_SRE_EL1", "SYS_ICC_SRE_EL2")


# --- the whole table ---------------------------------------------------------------

def _round_trip(entry: sysregs.SysReg) -> None:
    assert sysregs.lookup(entry.name) is entry
    assert sysregs.encode(entry.name) == entry.encoding
    back = sysregs.from_encoding(entry.encoding)
    # Synonyms share an encoding: it names their canonical register.
    assert back.name == (entry.alias_of if entry.alias_kind == "synonym" else entry.name)
    assert sysregs.lookup(entry.raw).encoding == entry.encoding
    assert sysregs.parse_encoding(entry.raw) == entry.encoding
    for macro in entry.kernel_names:
        assert sysregs.lookup(macro).encoding == entry.encoding
    assert entry.implementation_defined == (entry.encoding[0] == 3 and entry.encoding[2] in (11, 15))


ALL = sysregs.registers()


if given is not None:
    @settings(max_examples=300, deadline=None)
    @given(st.sampled_from(ALL))
    def test_round_trip_property(entry):
        _round_trip(entry)


def test_round_trip_every_entry():
    assert len(ALL) > 1000
    for entry in ALL:
        _round_trip(entry)


def test_names_and_fields_are_well_formed():
    for entry in ALL:
        assert re.fullmatch(r"[a-z0-9_]+", entry.name)
        assert entry.el in (0, 1, 2, 3)
        assert entry.readable in (True, False, None) and entry.writable in (True, False, None)
        assert entry.readable is not False or entry.writable is not False
        assert all(f.startswith("FEAT_") for f in entry.features)
        assert entry.sources and set(entry.sources) <= {"binutils", "linux", "llvm"}
        if entry.alias_of:
            assert sysregs.lookup(entry.alias_of) is not None


def test_provenance_complete():
    prov = sysregs.provenance()
    assert set(prov["sources"]) == {"llvm", "binutils", "linux_sysreg", "linux_sysreg_h"}
    for key, source in prov["sources"].items():
        assert source["repository"] and source["path"], key
        assert source.get("commit") or source.get("version"), key
        assert re.fullmatch(r"[0-9a-f]{64}", source["sha256"]), key
    assert re.fullmatch(r"[0-9a-f]{40}", prov["sources"]["llvm"]["commit"])
    assert prov["generator"] == "tools/sysregs/generate.py"
    assert {"readable/writable", "encoding", "el", "features", "kernel_names"} <= set(prov["rules"])


def test_json_is_canonical():
    """Sorted keys, no machine paths, no timestamps: what the generator writes."""
    text = (ROOT / "reviewbot/analysis/sysregs.json").read_text()
    table = json.loads(text)
    assert list(table) == sorted(table)
    assert list(table["registers"]) == sorted(table["registers"])
    assert not re.search(r"/(work|home|tmp)/", text)  # no path of the machine that generated it
    assert table["summary"]["registers"] == len(table["registers"])
    assert len(text) < 1_000_000


def test_import_reads_nothing():
    """The table loads on the first lookup, not at import."""
    code = ("import sys; import reviewbot.analysis.sysregs as s; "
            "assert s._table_cache is None; "
            "s.lookup('midr_el1'); assert s._table_cache is not None")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_module_imports_nothing_from_reviewbot():
    source = (ROOT / "reviewbot/analysis/sysregs.py").read_text()
    assert not re.search(r"^\s*(from|import)\s+reviewbot", source, re.M)


# --- the command -------------------------------------------------------------------

def test_cli_known(capsys):
    code, out, err = run_cli(capsys, "sysreg", "SCTLR_EL12")
    assert code == 0, err
    assert out.startswith("sctlr_el12  s3_5_c1_c0_0")
    assert "alias of: sctlr_el1" in out and "FEAT_VHE" in out and "SYS_SCTLR_EL12" in out
    assert "llvm/llvm-project" in out and "sha256" in out


def test_cli_kernel_macro_and_encoding(capsys):
    code, out, _ = run_cli(capsys, "sysreg", "SYS_ID_AA64MMFR1_EL1")
    assert code == 0 and out.startswith("id_aa64mmfr1_el1 ")
    assert "writable (msr): no" in out
    code, out, _ = run_cli(capsys, "sysreg", "s3_0_c15_c2_0")
    assert code == 0 and "IMPLEMENTATION DEFINED" in out


def test_cli_json(capsys):
    code, out, _ = run_cli(capsys, "sysreg", "oslar_el1", "--json")
    assert code == 0
    entry = json.loads(out)
    assert entry["readable"] is False and entry["writable"] is True
    assert entry["encoding"] == [2, 0, 1, 0, 4] and "llvm" in entry["provenance"]


def test_cli_unknown(capsys):
    code, out, err = run_cli(capsys, "sysreg", "tpidr_el4")
    assert code == 2 and out == ""
    assert "unknown system register 'tpidr_el4'" in err and "tpidr_el3" in err


def test_generator_is_documented():
    readme = (ROOT / "tools/sysregs/README.md").read_text()
    prov = sysregs.provenance()["sources"]
    assert prov["llvm"]["commit"] in readme
    assert Path(ROOT / "tools/sysregs/generate.py").is_file()
