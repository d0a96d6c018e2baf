"""``taint:`` — register dataflow for the hyp rules (docs/rules.md, "taint").

A forward may-analysis over the control-flow graph of a region (a macro
body, a function, or a whole hunk): sources put a label on a register,
sanitizers take it off in place, copies and arithmetic carry it, a write
from anything else kills it, calls clobber x0-x18 and x30 (AAPCS64), and a
sink that uses a labelled register is a finding, with the trace from the
source through each copy to the sink.  Unknown macros kill what they are
given: we prefer missing a bug to mailing a false one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from reviewbot.asm.ast import CMacroCall, Instruction, Label, MacroDef, MacroEnd, Symbol
from reviewbot.analysis.kernels import Era
from reviewbot.match.units import AsmUnit, Hit
from reviewbot.match.formulas import compile_formula
from reviewbot.match.patterns import Match, Node, Region, test, value_text
from reviewbot.records import record
from reviewbot.match.semantics import CALL_CLOBBERED, effects, reg_key

#: Instructions whose result carries the taint of their register inputs.
#: ``sub`` only with an immediate: subtracting a register (kimage_voffset,
#: a hyp offset) moves the value to another address space.
PROPAGATORS = frozenset({"mov", "add", "sub", "orr"})

_FUNC_START = re.compile(r"^(SYM_FUNC_START\w*|SYM_CODE_START\w*|ENTRY|__HYP_FUNC)$")
_FUNC_END = re.compile(r"^(SYM_FUNC_END\w*|SYM_CODE_END\w*|END|ENDPROC)$")


@record
class Endpoint:
    """A source, sanitizer or sink: a formula, the metavariable it is about
    (``focus``), and for sources the label and fixed registers they define."""

    formula: Node
    focus: str | None = None
    label: str = "TAINT"
    defines: tuple[str, ...] = ()
    kernel: str | None = None  # sources only: the kernels on which it is one
    requires: tuple[str, ...] = ()  # sinks only: labels that make it a finding
    macro_exit: bool = False  # sink: the value leaves a macro through its argument


@record
class Taint:
    """A label on a register and how it got there: (unit line, text) steps."""

    label: str
    steps: tuple[tuple[str, int, str], ...]
    kernel: str | None = None  # the source's kernel range: the finding hangs on the era


State = Mapping[str, Taint]


def spans_of(statements: tuple) -> list[tuple[int, int]]:
    """Regions to analyse: each macro body and each function; the rest of
    the unit as one region.  Remembered for the last few statement tuples
    (a whole file's are asked for by reading, by every taint run and by
    the pre-image comparison)."""
    for known, spans in _SPANS:
        if known is statements:
            return spans
    spans = _spans_of(statements)
    _SPANS[:] = _SPANS[-7:] + [(statements, spans)]
    return spans


_SPANS: list[tuple[tuple, list[tuple[int, int]]]] = []


def _spans_of(statements: tuple) -> list[tuple[int, int]]:
    spans = []
    start = None
    kind = None
    covered = set()
    for i, stmt in enumerate(statements):
        if isinstance(stmt, MacroDef):
            start, kind = i, "macro"
        elif isinstance(stmt, MacroEnd) and kind == "macro" and start is not None:
            spans.append((start, i + 1))
            covered.update(range(start, i + 1))
            start = kind = None
        elif isinstance(stmt, CMacroCall) and _FUNC_START.match(stmt.name) and kind is None:
            start, kind = i, "function"
        elif isinstance(stmt, CMacroCall) and _FUNC_END.match(stmt.name) and kind == "function" and start is not None:
            spans.append((start, i + 1))
            covered.update(range(start, i + 1))
            start = kind = None
    if start is not None:
        spans.append((start, len(statements)))
        covered.update(range(start, len(statements)))
    rest = [i for i in range(len(statements)) if i not in covered]
    # the uncovered statements form runs; each run is a region of its own
    run: list[int] = []
    for i in rest:
        if run and i != run[-1] + 1:
            spans.append((run[0], run[-1] + 1))
            run = []
        run.append(i)
    if run:
        spans.append((run[0], run[-1] + 1))
    return sorted(spans)


def _successors(statements: tuple, index: int, end: int, labels: dict[str, list[int]]) -> list[int]:
    stmt = statements[index]
    nxt = [index + 1] if index + 1 < end else []
    if not isinstance(stmt, Instruction):
        return nxt
    eff = effects(stmt)
    if eff.flow == "return":
        return []
    if eff.flow != "branch":
        return nxt
    target = None
    for op in stmt.operands:
        if isinstance(op, Symbol):
            target = _resolve(op.name, index, labels)
    conditional = stmt.mnemonic not in ("b", "br", "braa", "brab", "braaz", "brabz")
    succ = list(nxt) if conditional else []
    if target is not None and target < end:
        succ.append(target)
    return succ


def _resolve(name: str, index: int, labels: dict[str, list[int]]) -> int | None:
    if re.fullmatch(r"\d+[fb]", name):
        positions = labels.get(name[:-1], [])
        if name.endswith("f"):
            return next((p for p in positions if p > index), None)
        return next((p for p in reversed(positions) if p <= index), None)
    positions = labels.get(name)
    return positions[0] if positions else None


@record
class TaintMatcher:
    """The compiled ``taint:`` block."""

    sources: tuple[Endpoint, ...]
    sanitizers: tuple[Endpoint, ...]
    sinks: tuple[Endpoint, ...]
    calls_clobber: bool = True
    languages: tuple[str, ...] = ("arm64-asm",)

    def bound(self) -> set[str]:
        """Names a message may use."""
        return {"SOURCE", "SINK", "R", "LABEL"}

    def segments(self, unit: AsmUnit) -> list[tuple[int, int]]:
        """The spans of statements analysed each on its own: a hit's trace
        never leaves its span (match/focus.py relies on it)."""
        return spans_of(unit.region.statements)

    def run(self, unit: AsmUnit, spans: list[tuple[int, int]] | None = None) -> Iterator[Hit]:
        """Findings of every region of the unit (of the ``spans`` among
        :meth:`segments`, in order, when given)."""
        seen: set[tuple[int, int]] = set()
        statements = unit.region.statements
        for start, end in spans_of(statements) if spans is None else spans:
            if not any(type(statements[i]) is Instruction for i in range(start, end)):
                continue  # nothing to label or use (a span left unread, comments, data)
            for hit in self._region(unit, start, end):
                key = (hit.line, hash(hit.key))
                if key not in seen:
                    seen.add(key)
                    yield hit

    def _region(self, unit: AsmUnit, start: int, end: int) -> Iterator[Hit]:
        statements = unit.region.statements
        region = unit.region
        era = unit.file.era
        sources = tuple(s for s in self.sources if not s.kernel or era.satisfies(s.kernel) is True)
        labels: dict[str, list[int]] = {}
        for i in range(start, end):
            if isinstance(statements[i], Label):
                labels.setdefault(statements[i].name, []).append(i)
        # Every label is an entry too: code after a ret/eret is reached by
        # branches from elsewhere, with nothing known about its registers.
        entries = [start] + [i for positions in labels.values() for i in positions]
        states: dict[int, dict[str, Taint]] = {i: {} for i in entries}
        worklist = sorted(set(entries), reverse=True)
        hits: dict[tuple[int, str], Hit] = {}
        visits = 0
        while worklist and visits < 20 * (end - start) + 100:
            visits += 1
            index = worklist.pop()
            state = dict(states.get(index, {}))
            stmt = statements[index]
            out = self._transfer(stmt, index, state, region, sources, hits, unit)
            for succ in _successors(statements, index, end, labels):
                merged = dict(states.get(succ, {}))
                changed = succ not in states
                for reg, taint in out.items():
                    if reg not in merged:
                        merged[reg] = taint
                        changed = True
                if changed:
                    states[succ] = merged
                    worklist.append(succ)
        yield from hits.values()

    def _transfer(self, stmt: Any, index: int, state: dict[str, Taint], region: Region,
                  sources: tuple[Endpoint, ...], hits: dict, unit: AsmUnit) -> dict[str, Taint]:
        """``sources``: those of the unit's era."""
        if isinstance(stmt, MacroEnd):
            for sink in self.sinks:
                if sink.macro_exit:
                    for reg, taint in state.items():
                        if reg.startswith("\\") and _requires(sink, taint):
                            self._hit(hits, stmt, reg, taint, "leaves the macro here", unit)
            return state
        if not isinstance(stmt, Instruction):
            return state
        m = Match(index, {})
        for sink in self.sinks:
            if sink.macro_exit:
                continue
            for found in test(sink.formula, region, m):
                reg = _focus_key(found.bindings, sink.focus)
                if reg and reg in state and _requires(sink, state[reg]):
                    self._hit(hits, stmt, reg, state[reg], "is used as an address here", unit)
        for sanitizer in self.sanitizers:
            for found in test(sanitizer.formula, region, m):
                reg = _focus_key(found.bindings, sanitizer.focus)
                if reg:
                    state.pop(reg, None)
                    return state
        step = ("step", stmt.line, stmt.text)
        eff = effects(stmt)
        for source in sources:
            for found in test(source.formula, region, m):
                regs = list(source.defines)
                if source.focus and (reg := _focus_key(found.bindings, source.focus)):
                    regs.append(reg)
                for reg in regs:
                    state[reg] = Taint(source.label, (("source", stmt.line, stmt.text),), source.kernel)
                if regs:
                    return state
        if eff.flow == "call" and self.calls_clobber:
            for reg in CALL_CLOBBERED:
                state.pop(reg, None)
            return state
        incoming = [state[r] for r in eff.reads if r in state]
        propagates = stmt.mnemonic in PROPAGATORS and not (
            stmt.mnemonic == "sub" and len(stmt.operands) >= 3 and reg_key(stmt.operands[2]) is not None)
        for reg in eff.writes:
            if incoming and propagates:
                first = incoming[0]
                state[reg] = Taint(first.label, first.steps + (step,), first.kernel)
            else:
                state.pop(reg, None)
        return state

    def _hit(self, hits: dict, stmt: Any, reg: str, taint: Taint, how: str, unit: AsmUnit) -> None:
        key = (stmt.line, reg)
        if key in hits:
            return
        source_line, source_text = taint.steps[0][1], taint.steps[0][2]
        trace = taint.steps + (("sink", stmt.line, stmt.text),)
        name = reg if not reg.startswith("\\") else reg
        hits[key] = Hit(
            line=stmt.line,
            column=stmt.column,
            bindings={"R": name, "LABEL": taint.label},
            key=re.sub(r"\s+", " ", f"{source_text} -> {stmt.text}".strip().lower()),
            trace=trace,
            anchors=tuple(line for _, line, _ in trace),
            extra={"SOURCE.text": " ".join(source_text.split()), "SOURCE.line": str(source_line),
                   "SINK.text": " ".join(stmt.text.split()), "SINK.line": str(stmt.line), "HOW": how,
                   "KERNEL": taint.kernel or ""},
        )


def _requires(sink: Endpoint, taint: Taint) -> bool:
    return not sink.requires or taint.label in sink.requires


def _focus_key(bindings: Mapping[str, Any], focus: str | None) -> str | None:
    if not focus or focus not in bindings:
        return None
    return reg_key(bindings[focus])


_ENDPOINT_KEYS = ("pattern", "all", "any", "where", "focus", "label", "defines", "kernel", "requires",
                  "macro-exit", "not", "follows", "precedes", "inside")


def _endpoint(spec: Any, where: str) -> Endpoint:
    if isinstance(spec, str):
        spec = {"pattern": spec}
    if not isinstance(spec, Mapping):
        raise ValueError(f"{where}: expected a pattern or a mapping")
    bad = [k for k in spec if k not in _ENDPOINT_KEYS]
    if bad:
        raise ValueError(f"{where}: unknown key '{bad[0]}' (valid keys: {', '.join(_ENDPOINT_KEYS)})")
    if spec.get("macro-exit"):
        return Endpoint(formula=Node(op="where"), macro_exit=True, requires=tuple(_list(spec.get("requires"))))
    formula_spec = {k: v for k, v in spec.items() if k in ("pattern", "all", "any", "where", "not", "follows",
                                                             "precedes", "inside")}
    focus = str(spec["focus"]).lstrip("$") if "focus" in spec else None
    requires = tuple(r.strip() for item in _list(spec.get("requires")) for r in str(item).split(" or "))
    kernel = spec.get("kernel")
    if kernel is not None:
        from reviewbot.analysis.kernels import KernelVersion
        Era(KernelVersion(5, 0)).satisfies(str(kernel))  # raises ValueError on a bad range
    return Endpoint(
        formula=compile_formula(formula_spec, where),
        focus=focus,
        label=str(spec.get("label", "TAINT")),
        defines=tuple(_list(spec.get("defines"))),
        kernel=str(kernel) if kernel is not None else None,
        requires=requires,
    )


def _list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def compile_taint(spec: Any, path: str) -> TaintMatcher:
    if not isinstance(spec, Mapping):
        raise ValueError("taint: expected a mapping with sources, sanitizers and sinks")
    valid = ("sources", "sanitizers", "sinks", "calls")
    bad = [k for k in spec if k not in valid]
    if bad:
        raise ValueError(f"taint: unknown key '{bad[0]}' (valid keys: {', '.join(valid)})")
    if not spec.get("sources") or not spec.get("sinks"):
        raise ValueError("taint: needs at least one source and one sink")
    calls = spec.get("calls", "aapcs64")
    if calls not in ("aapcs64", "none"):
        raise ValueError("taint.calls: expected aapcs64 or none")
    return TaintMatcher(
        sources=tuple(_endpoint(s, f"taint.sources[{i}]") for i, s in enumerate(_list(spec["sources"]))),
        sanitizers=tuple(_endpoint(s, f"taint.sanitizers[{i}]") for i, s in enumerate(_list(spec.get("sanitizers")))),
        sinks=tuple(_endpoint(s, f"taint.sinks[{i}]") for i, s in enumerate(_list(spec["sinks"]))),
        calls_clobber=calls == "aapcs64",
    )


__all__ = ["TaintMatcher", "value_text"]
