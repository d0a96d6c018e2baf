#!/usr/bin/env python3
"""Build reviewbot/analysis/sysregs.json, the AArch64 system-register table,
from pinned copies of public machine-readable sources (see README.md here).

    python3 tools/sysregs/generate.py --sources DIR [--out FILE]

DIR holds the four pinned files under their upstream base names:
AArch64SystemOperands.td (LLVM), aarch64-sys-regs.def (binutils), sysreg and
sysreg.h (Linux).  Their versions are given with --llvm-commit etc. (defaults:
the pins of README.md).  The script reads facts only (names, encodings,
access, features); nothing of the sources' text is copied.  Output is
deterministic: sorted keys, no timestamps, one register per line.

LLVM and binutils are cross-checked register by register; every difference
goes to the table's ``disagreements`` list and is printed as a summary.
Where they differ on readable or writable, that fact is null (uncertain).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import operator
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "reviewbot" / "analysis" / "sysregs.json"

# The pins documented in README.md; --<source>-pin overrides one.
PINS = {
    "llvm": {"repository": "llvm/llvm-project",
             "path": "llvm/lib/Target/AArch64/AArch64SystemOperands.td",
             "commit": "25a61c428460a70aae8a2441223e3cf30061f49d",
             "file": "AArch64SystemOperands.td"},
    "binutils": {"repository": "bminor/binutils-gdb",
                 "path": "opcodes/aarch64-sys-regs.def",
                 "version": "binutils-2.44 (Debian package binutils-source 2.44-3)",
                 "file": "aarch64-sys-regs.def"},
    "linux_sysreg": {"repository": "torvalds/linux", "path": "arch/arm64/tools/sysreg",
                     "version": "v6.12.117 (Debian package linux-source-6.12 6.12.117-1)",
                     "file": "sysreg"},
    "linux_sysreg_h": {"repository": "torvalds/linux",
                       "path": "arch/arm64/include/asm/sysreg.h",
                       "version": "v6.12.117 (Debian package linux-source-6.12 6.12.117-1)",
                       "file": "sysreg.h"},
}

# --- feature names -> Arm's FEAT_* names ------------------------------------
# Only names whose register gating is a FEAT_* go here; architecture versions
# (binutils V8_4A, LLVM HasV8_2aOps) become "arch" instead.
LLVM_FEATURES = {
    "FeatureRAS": "FEAT_RAS", "FeatureRASv2": "FEAT_RASv2", "FeatureSME": "FEAT_SME",
    "FeatureMTE": "FEAT_MTE", "FeaturePAuth": "FEAT_PAuth", "FeatureSVE": "FEAT_SVE",
    "FeatureLOR": "FEAT_LOR", "FeatureVH": "FEAT_VHE", "FeatureCONTEXTIDREL2": "FEAT_VHE",
    "FeaturePAN": "FEAT_PAN", "FeaturePsUAO": "FEAT_UAO", "FeatureSPE": "FEAT_SPE",
    "FeatureSPE_EEF": "FEAT_SPEv1p2", "FeatureSEL2": "FEAT_SEL2", "FeatureMPAM": "FEAT_MPAM",
    "FeatureAM": "FEAT_AMUv1", "FeatureAMVS": "FEAT_AMUv1p1", "FeatureTRACEV8_4": "FEAT_TRF",
    "FeatureDIT": "FEAT_DIT", "FeatureNV": "FEAT_NV", "FeatureSSBS": "FEAT_SSBS",
    "FeatureETE": "FEAT_ETE", "FeatureTRBE": "FEAT_TRBE", "FeatureFineGrainedTraps": "FEAT_FGT",
    "FeatureEnhancedCounterVirtualization": "FEAT_ECV", "FeatureLS64": "FEAT_LS64_ACCDATA",
    "FeatureBRBE": "FEAT_BRBE", "FeatureNMI": "FEAT_NMI", "FeatureTHE": "FEAT_THE",
    "FeatureITE": "FEAT_ITE", "FeatureRandGen": "FEAT_RNG", "FeatureSpecRestrict": "FEAT_CSV2",
    "FeatureRME": "FEAT_RME", "FeatureMEC": "FEAT_MEC", "FeatureCCIDX": "FEAT_CCIDX",
    "FeatureHCX": "FEAT_HCX",
}
LLVM_VERSIONS = {"HasV8_2aOps": "Armv8.2-A"}
# Requirements that say "A-profile" rather than naming an extension.
LLVM_IGNORED = {"HasV8_0aOps", "FeatureEL2VMSA"}
BINUTILS_FEATURES = {
    "RAS": "FEAT_RAS", "RASv2": "FEAT_RASv2", "SME": "FEAT_SME", "GCS": "FEAT_GCS",
    "MEMTAG": "FEAT_MTE", "AIE": "FEAT_AIE", "S1PIE": "FEAT_S1PIE", "S1POE": "FEAT_S1POE",
    "S2PIE": "FEAT_S2PIE", "S2POE": "FEAT_S2POE", "SCTLR2": "FEAT_SCTLR2", "TCR2": "FEAT_TCR2",
    "THE": "FEAT_THE", "ITE": "FEAT_ITE", "FGT2": "FEAT_FGT2", "PFAR": "FEAT_PFAR",
    "SEBEP": "FEAT_SEBEP", "RNG": "FEAT_RNG", "E3DSE": "FEAT_E3DSE", "STEP2": "FEAT_STEP2",
    "SSBS": "FEAT_SSBS", "SPMU": "FEAT_SPMU", "SPMU2": "FEAT_SPMU2", "SPE_FDS": "FEAT_SPE_FDS",
    "PMUv3p9": "FEAT_PMUv3p9", "PAN": "FEAT_PAN", "FP8": "FEAT_FPMR", "DEBUGv8p9": "FEAT_Debugv8p9",
    "PMUv3_SS": "FEAT_PMUv3_SS", "PMUv3_ICNTR": "FEAT_PMUv3_ICNTR", "SVE": "FEAT_SVE",
    "SCXTNUM": "FEAT_CSV2", "LOR": "FEAT_LOR", "PROFILE": "FEAT_SPE", "ID_PFR2": "FEAT_CSV2",
}
VERSION_RE = re.compile(r"V(\d+)_(\d+)A$")

# op1 -> lowest exception level that can access the register (Arm ARM,
# "op1 encodes the lowest EL": 0-2 EL1, 3 EL0, 4 EL2, 5 EL2 (the E2H
# *_EL12/_EL02 accessors), 6 EL3, 7 EL1 Secure (CNTPS_*).
OP1_EL = {0: 1, 1: 1, 2: 1, 3: 0, 4: 2, 5: 2, 6: 3, 7: 1}
SUFFIX_RE = re.compile(r"_el(0|1|2|3|12|02)$")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- LLVM TableGen (the MRS/MSR section only) --------------------------------

TOKEN_RE = re.compile(r"""
    (?P<code>\[\{.*?\}\])
  | (?P<str>"[^"]*")
  | (?P<num>0b[01]+|0x[0-9a-fA-F]+|\d+)
  | (?P<id>!?[A-Za-z_][A-Za-z_0-9]*(?:::[A-Za-z_0-9]+)*)
  | (?P<p>[<>(){}\[\],;=#:\-])
  | (?P<ws>\s+)
""", re.S | re.X)


def _tokens(text: str) -> list[tuple[str, str]]:
    text = re.sub(r"//[^\n]*", "", text)
    out, pos = [], 0
    while pos < len(text):
        m = TOKEN_RE.match(text, pos)
        if not m:
            raise ValueError(f"td: cannot tokenize at {text[pos:pos + 40]!r}")
        pos = m.end()
        if m.lastgroup != "ws":
            out.append((m.lastgroup, m.group()))
    return out


class _Bits:
    """A TableGen value: an int with an optional bit width."""
    __slots__ = ("value", "width")

    def __init__(self, value: int, width: int | None) -> None:
        self.value, self.width = value, width


class _TdParser:
    def __init__(self, toks):
        self.t, self.i, self.records = toks, 0, []

    def peek(self, k=0):
        return self.t[self.i + k][1] if self.i + k < len(self.t) else None

    def take(self, want=None):
        kind, text = self.t[self.i]
        if want is not None and text != want:
            raise ValueError(f"td: expected {want!r}, got {text!r} near token {self.i}")
        self.i += 1
        return text

    def block(self, env, req):
        """Statements until a closing brace (not consumed) or the end."""
        while self.i < len(self.t) and self.peek() != "}":
            self.stmt(env, req)

    def body(self, env, req):
        if self.peek() == "{":
            self.take("{")
            self.block(env, req)
            self.take("}")
        else:
            self.stmt(env, req)

    def stmt(self, env, req):
        word = self.peek()
        if word == "let":
            self.take()
            name = self.take()
            self.take("=")
            value = self.take()
            self.take("in")
            if name != "Requires":
                raise ValueError(f"td: unexpected scoped let {name}")
            self.body(env, _requires(value))
        elif word == "foreach":
            self.take()
            var = self.take()
            self.take("=")
            lo = int(self.take())
            self.take("-")
            hi = int(self.take())
            self.take("in")
            start = self.i
            for n in range(lo, hi + 1):
                self.i = start
                self.body({**env, var: _Bits(n, None)}, req)
        elif word == "defvar":
            self.take()
            var = self.take()
            self.take("=")
            env[var] = self.expr(env)
            self.take(";")
        elif word == "def":
            self.take()
            self.take(":")
            self.record(env, req)
        else:
            raise ValueError(f"td: unexpected {word!r}")

    def record(self, env, req):
        cls = self.take()
        self.take("<")
        args = [self.expr(env)]
        while self.peek() == ",":
            self.take(",")
            args.append(self.expr(env))
        self.take(">")
        name, op0, op1, crn, crm, op2 = args
        enc = (op0.value << 14) | (op1.value << 11) | (crn.value << 7) | (crm.value << 3) | op2.value
        requires, alt = req, None
        if self.peek() == "{":
            self.take("{")
            while self.peek() != "}":
                self.take("let")
                field = self.take()
                if field == "Encoding":
                    self.take("{")
                    hi = lo = int(self.take())
                    if self.peek() == "-":
                        self.take("-")
                        lo = int(self.take())
                    self.take("}")
                    self.take("=")
                    val = self.expr(env).value
                    mask = ((1 << (hi - lo + 1)) - 1) << lo
                    enc = (enc & ~mask) | ((val << lo) & mask)
                else:
                    self.take("=")
                    value = self.take()
                    if field == "Requires":
                        requires = _requires(value)
                    elif field == "AltName":
                        alt = value.strip('"')
                self.take(";")
            self.take("}")
        else:
            self.take(";")
        access = {"RWSysReg": (True, True), "ROSysReg": (True, False), "WOSysReg": (False, True)}[cls]
        self.records.append({
            "name": name.lower(), "alt_name": alt.lower() if alt else None,
            "encoding": ((enc >> 14) & 3, (enc >> 11) & 7, (enc >> 7) & 15, (enc >> 3) & 15, enc & 7),
            "readable": access[0], "writable": access[1], "requires": list(requires)})

    def expr(self, env):
        """A string (with # pastes), a number, a bit slice, a {concat} or a bang op."""
        left = self.atom(env)
        while self.peek() == "#":
            self.take("#")
            right = self.atom(env)
            left = _text(left) + _text(right)
        return left

    def atom(self, env):
        kind, text = self.t[self.i]
        self.i += 1
        if kind == "str":
            return text[1:-1]
        if kind == "num":
            if text.startswith("0b"):
                return _Bits(int(text[2:], 2), len(text) - 2)
            return _Bits(int(text, 0), None)
        if text == "-":  # a negative literal inside !add(x,-1)
            return _Bits(-int(self.take()), None)
        if text == "{":
            parts = [self.expr(env)]
            while self.peek() == ",":
                self.take(",")
                parts.append(self.expr(env))
            self.take("}")
            value = 0
            for part in parts:
                value = (value << part.width) | part.value
            return _Bits(value, sum(p.width for p in parts))
        if text == "!strconcat":
            self.take("(")
            left = self.expr(env)
            self.take(",")
            right = self.expr(env)
            self.take(")")
            return _text(left) + _text(right)
        if text == "!add":
            self.take("(")
            left = self.expr(env)
            self.take(",")
            right = self.expr(env)
            self.take(")")
            return _Bits(left.value + right.value, None)
        if text == "!cast":
            self.take("<")
            self.take("bits")
            self.take("<")
            width = int(self.take())
            self.take(">")
            self.take(">")
            self.take("(")
            inner = self.expr(env)
            self.take(")")
            return _Bits(inner.value, width)
        if kind == "id" and text in env:
            value = env[text]
            if self.peek() == "{":  # nb{3-0}, nb{4}
                self.take("{")
                hi = lo = int(self.take())
                if self.peek() == "-":
                    self.take("-")
                    lo = int(self.take())
                self.take("}")
                return _Bits((value.value >> lo) & ((1 << (hi - lo + 1)) - 1), hi - lo + 1)
            return value
        raise ValueError(f"td: unexpected token {text!r}")


def _text(value) -> str:
    return value if isinstance(value, str) else str(value.value)


def _requires(code: str) -> tuple[str, ...]:
    """``[{ {AArch64::FeatureA, AArch64::FeatureB} }]`` -> ("FeatureA", "FeatureB")."""
    return tuple(re.findall(r"AArch64::(\w+)", code))


def parse_llvm(text: str) -> list[dict]:
    start = text.index("class WOSysReg")
    start = text.index("\n}\n", start) + 3
    parser = _TdParser(_tokens(text[start:]))
    parser.block({}, ())
    return parser.records


# --- binutils ------------------------------------------------------------------

SYSREG_RE = re.compile(
    r'^\s*SYSREG \("(?P<name>[a-z0-9_]+)",\s*CPENC \((?P<enc>[\d,]+)\),\s*(?P<flags>[A-Z0-9_|]+),'
    r'\s*(?P<feat>AARCH64_NO_FEATURES|AARCH64_FEATURE \((?P<one>\w+)\)'
    r'|AARCH64_FEATURES \(\d+, (?P<many>[\w, ]+)\))\)\s*$')


def parse_binutils(text: str) -> list[dict]:
    out = []
    for line in text.splitlines():
        if not line.lstrip().startswith('SYSREG ("'):
            continue
        m = SYSREG_RE.match(line)
        if not m:
            raise ValueError(f"binutils: cannot read {line!r}")
        flags = set(m["flags"].split("|")) - {"0"}
        feats = [m["one"]] if m["one"] else [f.strip() for f in (m["many"] or "").split(",") if f.strip()]
        out.append({
            "name": m["name"], "encoding": tuple(int(x) for x in m["enc"].split(",")),
            "readable": "F_REG_WRITE" not in flags, "writable": "F_REG_READ" not in flags,
            "flags": sorted(flags), "features": feats})
    return out


# --- Linux ---------------------------------------------------------------------

def parse_linux_sysreg(text: str) -> dict[str, tuple[int, ...]]:
    """``Sysreg NAME op0 op1 crn crm op2`` blocks: the generated SYS_NAME macros."""
    out = {}
    for m in re.finditer(r"^Sysreg\s+(\w+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$", text, re.M):
        out["SYS_" + m[1]] = tuple(int(m[i]) for i in range(2, 7))
    return out


_OPS = {ast.BitOr: operator.or_, ast.BitAnd: operator.and_, ast.LShift: operator.lshift,
        ast.RShift: operator.rshift, ast.Add: operator.add, ast.Sub: operator.sub}


def _eval_int(expr: str) -> int:
    """A C integer expression of literals and | & << >> + - (no names)."""
    def ev(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        raise ValueError(f"not a constant expression: {expr!r}")
    return ev(ast.parse(expr.strip(), mode="eval").body)


def _split_args(text: str, start: int) -> tuple[list[str], int]:
    """Arguments of the call whose '(' is at ``start``; returns (args, end)."""
    depth, args, cur = 0, [], ""
    for i in range(start, len(text)):
        c = text[i]
        if c == "(":
            depth += 1
            if depth == 1:
                continue
        elif c == ")":
            depth -= 1
            if depth == 0:
                args.append(cur)
                return [a.strip() for a in args], i + 1
        elif c == "," and depth == 1:
            args.append(cur)
            cur = ""
            continue
        cur += c
    raise ValueError("unbalanced parentheses")


def parse_sysreg_h(text: str) -> tuple[dict[str, tuple[int, ...]], dict[str, list[str]]]:
    """The ``SYS_*`` macros of sysreg.h that expand to ``sys_reg(...)``:
    object-like ones -> encoding; function-like ones -> their parameters."""
    text = text.replace("\\\n", " ")
    macros: dict[str, tuple[list[str] | None, str]] = {}
    for m in re.finditer(r"^#define\s+(\w+)(\(([^)]*)\))?[ \t]*(.*)$", text, re.M):
        params = [p.strip() for p in m[3].split(",")] if m[2] else None
        macros[m[1]] = (params, m[4].strip())

    def expand(body: str, depth: int = 0) -> str:
        if depth > 20:
            raise ValueError("macro recursion")
        out, pos = "", 0
        for m in re.finditer(r"\b[A-Za-z_]\w*\b", body):
            if m.start() < pos:
                continue
            name = m[0]
            out += body[pos:m.start()]
            pos = m.end()
            if name == "sys_reg" or name not in macros:
                out += name
                continue
            params, repl = macros[name]
            if params is None:
                out += "(" + expand(repl, depth + 1) + ")"
                continue
            if pos >= len(body) or body[pos] != "(":
                out += name
                continue
            args, pos = _split_args(body, pos)
            for p, a in zip(params, args):
                repl = re.sub(rf"\b{re.escape(p)}\b", "(" + a + ")", repl)
            out += "(" + expand(repl, depth + 1) + ")"
        return out + body[pos:]

    encodings, families = {}, {}
    for name, (params, body) in macros.items():
        if not name.startswith("SYS_") or "sys_reg" not in expand(body) and "SYS_" not in body:
            continue
        try:
            if params is None:
                enc = _sys_reg_args(expand(body))
                if enc and enc[0] in (2, 3):
                    encodings[name] = enc
            else:
                families[name] = params
        except ValueError:
            continue
    # Families (SYS_DBGBVRn_EL1(n)): n = 0, 1, ... up to 31, stopping where an
    # index no longer gives a new encoding (the macros mask n, so 4 may
    # alias 0); the caller keeps the encodings that name a register.
    expanded = {}
    for name, params in families.items():
        if len(params) != 1:
            continue
        seen = set()
        for n in range(32):
            try:
                enc = _sys_reg_args(expand(f"{name}({n})"))
            except ValueError:
                break
            if not enc or enc[0] not in (2, 3) or enc in seen:
                break
            seen.add(enc)
            expanded[f"{name}({n})"] = enc
    return encodings, expanded


def _sys_reg_args(text: str) -> tuple[int, ...] | None:
    text = text.strip()
    while text.startswith("(") and text.endswith(")") and _split_args(text, 0)[1] == len(text):
        text = text[1:-1].strip()
    if not text.startswith("sys_reg"):
        return None
    args, end = _split_args(text, len("sys_reg"))
    if end != len(text) or len(args) != 5:
        return None
    enc = tuple(_eval_int(a) for a in args)
    limits = (3, 7, 15, 15, 7)
    if any(not 0 <= v <= hi for v, hi in zip(enc, limits)):
        raise ValueError("encoding out of range")
    return enc


# --- merge ---------------------------------------------------------------------

def raw_name(enc) -> str:
    return "s{}_{}_c{}_c{}_{}".format(*enc)


def exception_level(name: str, enc) -> tuple[int, str]:
    """The lowest exception level that can access the register with mrs/msr,
    and where that was read: op1's (the architecture encodes it there).  The
    _ELn suffix agrees for every register but the stack pointers: SP_ELn is
    ELn's stack pointer and is reached from the level above it (SP_EL0 from
    EL1, op1=0; SP_EL1 from EL2, op1=4; SP_EL2 from EL3, op1=6).  el_from is
    "suffix" where the name says the same as op1, "op1" where op1 alone does
    (no suffix, or one that is not the access level)."""
    el = OP1_EL[enc[1]]
    m = SUFFIX_RE.search(name)
    if m and (2 if m[1] in ("12", "02") else int(m[1])) == el:
        return el, "suffix"
    return el, "op1"


def llvm_features(requires):
    feats, arch = set(), None
    for r in requires:
        if r in LLVM_FEATURES:
            feats.add(LLVM_FEATURES[r])
        elif r in LLVM_VERSIONS:
            arch = LLVM_VERSIONS[r]
        elif r not in LLVM_IGNORED:
            raise ValueError(f"llvm: unmapped requirement {r}")
    return feats, arch


def binutils_features(features):
    feats, arch = set(), None
    for f in features:
        v = VERSION_RE.match(f)
        if f == "V8A":  # the base architecture: no gating
            continue
        if v:
            arch = f"Armv{v[1]}.{v[2]}-A"
        elif f in BINUTILS_FEATURES:
            feats.add(BINUTILS_FEATURES[f])
        else:
            raise ValueError(f"binutils: unmapped feature {f}")
    return feats, arch


def build(paths: dict[str, Path], pins: dict[str, dict]) -> dict:
    llvm_all = parse_llvm(paths["llvm"].read_text())
    bu_all = parse_binutils(paths["binutils"].read_text())
    excluded: dict[str, list[str]] = {}
    # Armv8-R (LLVM HasV8_0rOps, binutils V8R) and Apple's IMPDEF register are
    # not A-profile architectural registers: kept out of the table.
    llvm, bu = {}, {}
    for r in llvm_all:
        if "HasV8_0rOps" in r["requires"]:
            excluded.setdefault("llvm: Armv8-R only", []).append(r["name"])
        elif "FeatureAppleA7SysReg" in r["requires"]:
            excluded.setdefault("llvm: Apple IMPLEMENTATION DEFINED", []).append(r["name"])
        else:
            llvm[r["name"]] = r
    for r in bu_all:
        if "V8R" in r["features"]:
            excluded.setdefault("binutils: Armv8-R only", []).append(r["name"])
        else:
            bu[r["name"]] = r

    regs: dict[str, dict] = {}
    disagreements: list[dict] = []
    for name in sorted(set(llvm) | set(bu)):
        lr, br = llvm.get(name), bu.get(name)
        entry: dict = {"sources": [s for s, r in (("binutils", br), ("llvm", lr)) if r]}
        src = {}
        if lr:
            src["llvm"] = {"access": _access(lr), "requires": lr["requires"]}
        if br:
            src["binutils"] = {"access": _access(br), "features": br["features"]}
            if br["flags"]:
                src["binutils"]["flags"] = br["flags"]
        entry["src"] = src
        if lr and br:
            if lr["encoding"] != br["encoding"]:
                disagreements.append({"register": name, "kind": "encoding",
                                      "llvm": list(lr["encoding"]), "binutils": list(br["encoding"])})
            for fact in ("readable", "writable"):
                if lr[fact] != br[fact]:
                    disagreements.append({"register": name, "kind": fact,
                                          "llvm": lr[fact], "binutils": br[fact]})
            lf, la = llvm_features(lr["requires"])
            bf, ba = binutils_features(br["features"])
            lgated, bgated = bool(lf or la), bool(bf or ba)
            if lgated != bgated:
                disagreements.append({"register": name, "kind": "feature_presence",
                                      "llvm": sorted(lf) + ([la] if la else []),
                                      "binutils": sorted(bf) + ([ba] if ba else [])})
            elif lf and bf and lf != bf:
                disagreements.append({"register": name, "kind": "feature_name",
                                      "llvm": sorted(lf), "binutils": sorted(bf)})
            entry["encoding"] = list(br["encoding"])  # see README: binutils wins on encoding
            entry["readable"] = lr["readable"] if lr["readable"] == br["readable"] else None
            entry["writable"] = lr["writable"] if lr["writable"] == br["writable"] else None
            feats, arch = lf | bf, ba or la
        else:
            r = lr or br
            disagreements.append({"register": name, "kind": "presence",
                                  "only_in": "llvm" if lr else "binutils"})
            entry["encoding"] = list(r["encoding"])
            entry["readable"], entry["writable"] = r["readable"], r["writable"]
            feats, arch = llvm_features(lr["requires"]) if lr else binutils_features(br["features"])
        entry["features"] = sorted(feats)
        if arch:
            entry["arch"] = arch
        regs[name] = entry

    # Names that share an encoding: synonyms of one canonical register.
    by_enc: dict[tuple, list[str]] = {}
    for name, e in regs.items():
        by_enc.setdefault(tuple(e["encoding"]), []).append(name)
    for enc, names in by_enc.items():
        if len(names) > 1:
            canon = min(names, key=lambda n: (_is_secondary(regs[n]), not SUFFIX_RE.search(n), n))
            for n in names:
                if n != canon:
                    regs[n]["alias_of"], regs[n]["alias_kind"] = canon, "synonym"
    # VHE accessors: x_el12 -> x_el1, x_el02 -> x_el0.
    for name, e in regs.items():
        m = re.match(r"(.*)_el(12|02)$", name)
        if m:
            target = f"{m[1]}_el{m[2][0]}"
            if target in regs:
                e["alias_of"], e["alias_kind"] = target, "vhe"

    for name, e in sorted(regs.items()):
        if "alias_of" in e:
            regs[e["alias_of"]].setdefault("aliases", []).append(name)

    # Kernel names.
    kernel = parse_linux_sysreg(paths["linux_sysreg"].read_text())
    h_objects, h_families = parse_sysreg_h(paths["linux_sysreg_h"].read_text())
    kernel_only = 0
    for macro, enc in sorted({**kernel, **h_objects}.items()):
        target = _canonical_at(regs, by_enc, enc)
        plain = macro[4:].lower()
        if target is None:
            # Registers the kernel defines but neither toolchain source knows:
            # kept, with access unknown, so they are not reported as typos.
            target = plain if plain not in regs else raw_name(enc)
            regs[target] = {"encoding": list(enc), "readable": None, "writable": None,
                            "features": [], "sources": ["linux"], "src": {}}
            by_enc.setdefault(tuple(enc), []).append(target)
            disagreements.append({"register": target, "kind": "presence", "only_in": "linux"})
            kernel_only += 1
        elif plain in regs and tuple(regs[plain]["encoding"]) != tuple(enc):
            disagreements.append({"register": plain, "kind": "encoding", "linux": list(enc),
                                  "table": regs[plain]["encoding"], "macro": macro})
        regs[target].setdefault("kernel_names", []).append(macro)
        if "linux" not in regs[target]["sources"]:
            regs[target]["sources"].append("linux")
    for macro, enc in sorted(h_families.items()):
        target = _canonical_at(regs, by_enc, enc)
        if target is not None:
            regs[target].setdefault("kernel_names", []).append(macro)

    for name, e in regs.items():
        el, how = exception_level(name, e["encoding"])
        e["el"], e["el_from"] = el, how
        e["sources"] = sorted(e["sources"])
        if "kernel_names" in e:
            e["kernel_names"] = sorted(set(e["kernel_names"]))
        e["implementation_defined"] = e["encoding"][0] == 3 and e["encoding"][2] in (11, 15)

    provenance = {"generator": "tools/sysregs/generate.py", "sources": {},
                  "excluded": {k: sorted(v) for k, v in excluded.items()},
                  "rules": {
                      "readable/writable": "LLVM (RW/RO/WOSysReg) and binutils (F_REG_READ = read-only, "
                                           "F_REG_WRITE = write-only, else both); null where they disagree",
                      "encoding": "binutils where both agree or disagree (disagreements listed); "
                                  "the single source otherwise",
                      "el": "op1: 0-2 EL1, 3 EL0, 4-5 EL2, 6 EL3, 7 EL1 (Secure); el_from is "
                            "'suffix' where the _ELn suffix (_EL12/_EL02: 2) says the same, 'op1' "
                            "where it does not (SP_EL0-2) or there is none",
                      "features": "union of both sources mapped to FEAT_* names; architecture "
                                  "versions (binutils V8_xA) go to arch",
                      "kernel_names": "SYS_* of arch/arm64/tools/sysreg (generated) and of "
                                      "sysreg.h (object-like, and function-like ones for n=0..31), "
                                      "matched by encoding"}}
    for key, path in paths.items():
        pin = {k: v for k, v in pins[key].items() if k != "file"}
        pin["sha256"] = sha256(path)
        provenance["sources"][key] = pin

    kinds: dict[str, int] = {}
    for d in disagreements:
        kinds[d["kind"]] = kinds.get(d["kind"], 0) + 1
    summary = {
        "registers": len(regs),
        "read_only": sum(1 for e in regs.values() if e["readable"] is True and e["writable"] is False),
        "write_only": sum(1 for e in regs.values() if e["readable"] is False and e["writable"] is True),
        "read_write": sum(1 for e in regs.values() if e["readable"] is True and e["writable"] is True),
        "uncertain_access": sum(1 for e in regs.values() if e["readable"] is None or e["writable"] is None),
        "kernel_only": kernel_only, "disagreements": dict(sorted(kinds.items())),
        "llvm_records": len(llvm_all), "binutils_records": len(bu_all)}
    disagreements.sort(key=lambda d: (d["kind"], d["register"], json.dumps(d, sort_keys=True)))
    return {"format": 1, "provenance": provenance, "summary": summary,
            "disagreements": disagreements, "registers": regs}


def _access(r) -> str:
    return ("r" if r["readable"] else "") + ("w" if r["writable"] else "")


def _is_secondary(e) -> bool:
    flags = e.get("src", {}).get("binutils", {}).get("flags", [])
    return "F_REG_ALIAS" in flags or "F_DEPRECATED" in flags


def _canonical_at(regs, by_enc, enc):
    names = by_enc.get(tuple(enc))
    if not names:
        return None
    canon = [n for n in names if regs[n].get("alias_kind") != "synonym"]
    return sorted(canon or names)[0]


def dump(table: dict) -> str:
    """Sorted keys, one register / disagreement per line, no trailing spaces."""
    def one(value) -> str:
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    lines = ["{"]
    for key in ("disagreements", "format", "provenance", "registers", "summary"):
        value = table[key]
        if key == "registers":
            items = [f"  {one(n)}:{one(value[n])}" for n in sorted(value)]
            lines.append(f'"registers":{{\n' + ",\n".join(items) + "\n},")
        elif key == "disagreements":
            lines.append('"disagreements":[\n' + ",\n".join("  " + one(d) for d in value) + "\n],")
        else:
            lines.append(f"{one(key)}:{one(value)},")
    lines[-1] = lines[-1].rstrip(",")
    return "\n".join(lines) + "\n}\n"


def report(table: dict, out=sys.stdout) -> None:
    s = table["summary"]
    print(f"registers: {s['registers']} (RO {s['read_only']}, WO {s['write_only']}, "
          f"RW {s['read_write']}, uncertain {s['uncertain_access']}, kernel-only {s['kernel_only']})", file=out)
    print("disagreements: " + ", ".join(f"{k} {v}" for k, v in s["disagreements"].items()), file=out)
    for d in table["disagreements"]:
        rest = {k: v for k, v in d.items() if k not in ("kind", "register")}
        print(f"  {d['kind']:17} {d['register']:22} {json.dumps(rest, sort_keys=True)}", file=out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sources", type=Path, required=True,
                    help="directory holding the four pinned source files")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--quiet", action="store_true", help="print the summary line only")
    for key in PINS:
        ap.add_argument(f"--{key.replace('_', '-')}-pin", metavar="COMMIT_OR_VERSION",
                        help=f"override the recorded {key} commit/version")
    args = ap.parse_args(argv)
    pins = {k: dict(v) for k, v in PINS.items()}
    paths = {}
    for key, pin in pins.items():
        override = getattr(args, f"{key}_pin")
        if override:
            pin.pop("commit", None)
            pin["commit" if re.fullmatch(r"[0-9a-f]{40}", override) else "version"] = override
        paths[key] = args.sources / pin["file"]
        if not paths[key].is_file():
            ap.error(f"missing source file {paths[key]}")
    table = build(paths, pins)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dump(table))
    if args.quiet:
        report({**table, "disagreements": []})
    else:
        report(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
