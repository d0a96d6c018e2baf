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

from reviewbot.asm.ast import Instruction, Label, MacroEnd, Symbol
from reviewbot.match.endpoints import Endpoint, as_list, compile_endpoint, found_at
from reviewbot.match.mnemonic_gate import admits
from reviewbot.match.patterns import Region, value_text
from reviewbot.match.semantics import CALL_CLOBBERED, effects, reg_key
from reviewbot.match.spans import spans_of
from reviewbot.match.units import AsmUnit, Hit
from reviewbot.records import record

#: Instructions whose result carries the taint of their register inputs.
#: ``sub`` only with an immediate: subtracting a register (kimage_voffset,
#: a hyp offset) moves the value to another address space.
PROPAGATORS = frozenset({"mov", "add", "sub", "orr"})



@record
class Taint:
    """A label on a register and how it got there: (unit line, text) steps."""

    label: str
    steps: tuple[tuple[str, int, str], ...]
    kernel: str | None = None  # the source's kernel range: the finding hangs on the era


State = Mapping[str, Taint]


def _branch_successors(stmt: Instruction, flow: str, index: int, end: int,
                        labels: dict[str, list[int]]) -> list[int]:
    """Where control goes after an instruction (``flow``: its effects')."""
    nxt = [index + 1] if index + 1 < end else []
    if flow == "return":
        return []
    if flow != "branch":
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


_LOCAL_LABEL = re.compile(r"\d+[fb]")


def _resolve(name: str, index: int, labels: dict[str, list[int]]) -> int | None:
    if _LOCAL_LABEL.fullmatch(name):
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
        era = unit.file.era
        allowed = {i for i, s in enumerate(self.sources) if not s.kernel or era.satisfies(s.kernel) is True}
        kinds = list(map(type, statements))
        for start, end in spans_of(statements) if spans is None else spans:
            if Instruction not in kinds[start:end] or not self._labels_something(unit.region, start, end, allowed):
                continue  # no source: nothing is ever labelled, so nothing is found
            for hit in self._region(unit, start, end, allowed):
                key = (hit.line, hash(hit.key))
                if key not in seen:
                    seen.add(key)
                    yield hit

    def _labels_something(self, region: Region, start: int, end: int, allowed: set[int]) -> bool:
        """Does a source of the era (indices ``allowed``) hold at an
        instruction of the span?  Without one every state stays empty."""
        statements = region.statements
        table = _endpoint_table(self)
        for index in range(start, end):
            stmt = statements[index]
            if type(stmt) is not Instruction:
                continue
            for number, source in (table.get(stmt.mnemonic) or _endpoints_for(self, stmt.mnemonic))[2]:
                if number in allowed and any(found_at(source, stmt, region, index, source=True)):
                    return True
        return False

    def _region(self, unit: AsmUnit, start: int, end: int, allowed: set[int]) -> Iterator[Hit]:
        """``allowed``: the indices of the sources of the unit's era."""
        statements = unit.region.statements
        region = unit.region
        labels: dict[str, list[int]] = {}
        for i in range(start, end):
            if type(statements[i]) is Label:
                labels.setdefault(statements[i].name, []).append(i)
        # Every label is an entry too: code after a ret/eret is reached by
        # branches from elsewhere, with nothing known about its registers.
        entries = [start] + [i for positions in labels.values() for i in positions]
        # A state is never changed once stored (a statement that changes
        # one makes a new dict), so successors share what passes unchanged.
        states: dict[int, dict[str, Taint]] = {i: {} for i in entries}
        worklist = sorted(set(entries), reverse=True)
        hits: dict[tuple[int, str], Hit] = {}
        table = _endpoint_table(self)
        visits = 0
        bound = 20 * (end - start) + 100
        while worklist and visits < bound:
            index = worklist.pop()
            state = states[index]
            while True:
                visits += 1
                stmt = statements[index]
                if type(stmt) is Instruction:
                    eff = effects(stmt)
                    endpoints = table.get(stmt.mnemonic) or _endpoints_for(self, stmt.mnemonic)
                    if state or endpoints[2]:
                        out = self._transfer(stmt, eff, endpoints, index, state, region, allowed, hits, unit)
                    else:
                        out = state  # nothing to use, clean, carry or kill, and no source
                    if eff.flow == "next" or eff.flow == "call":
                        successors = [index + 1] if index + 1 < end else []
                    else:
                        successors = _branch_successors(stmt, eff.flow, index, end, labels)
                else:
                    if type(stmt) is MacroEnd and state:
                        self._macro_exit(stmt, state, hits, unit)
                    out = state
                    successors = [index + 1] if index + 1 < end else []
                # the one way on, not met before: on with it now, as taking
                # it off the worklist next would
                if len(successors) == 1 and successors[0] not in states and visits < bound:
                    index = successors[0]
                    states[index] = state = out
                    continue
                for succ in successors:
                    known = states.get(succ)
                    if known is None:
                        states[succ] = out
                        worklist.append(succ)
                    elif any(reg not in known for reg in out):
                        merged = dict(known)
                        for reg, taint in out.items():
                            if reg not in merged:
                                merged[reg] = taint
                        states[succ] = merged
                        worklist.append(succ)
                break
        yield from hits.values()

    def _macro_exit(self, stmt: MacroEnd, state: Mapping[str, Taint], hits: dict, unit: AsmUnit) -> None:
        for sink in self.sinks:
            if sink.macro_exit:
                for reg, taint in state.items():
                    if reg.startswith("\\") and _requires(sink, taint):
                        self._hit(hits, stmt, reg, taint, "leaves the macro here", unit)

    def _transfer(self, stmt: Instruction, eff: Any, endpoints: tuple, index: int, state: dict[str, Taint],
                  region: Region, allowed: set[int], hits: dict, unit: AsmUnit) -> dict[str, Taint]:
        """The state after ``stmt`` (``state`` itself when it does not
        change: it is never changed in place).  ``endpoints``: those that
        could hold at ``stmt`` (:func:`_endpoints_for`); ``allowed``: the
        indices of the sources of the unit's era."""
        sinks, sanitizers, sources = endpoints
        if state and sinks:  # a sink finds nothing in an empty state
            named = not state.keys().isdisjoint(eff.named)
            for sink in sinks:
                if not (named or not sink.local):
                    continue  # it binds a register this statement names, and none is in the state
                for reg in found_at(sink, stmt, region, index):
                    if reg and reg in state and _requires(sink, state[reg]):
                        self._hit(hits, stmt, reg, state[reg], "is used as an address here", unit)
        for sanitizer in sanitizers:
            for reg in found_at(sanitizer, stmt, region, index):
                if reg:
                    return _without(state, (reg,))
        for number, source in sources:
            if number not in allowed:
                continue
            for regs in found_at(source, stmt, region, index, source=True):
                if regs:
                    state = dict(state)
                    for reg in regs:
                        state[reg] = Taint(source.label, (("source", stmt.line, stmt.text),), source.kernel)
                    return state
        if eff.flow == "call" and self.calls_clobber:
            return _without(state, CALL_CLOBBERED)
        if not state:  # nothing to carry and nothing to kill
            return state
        incoming = [] if state.keys().isdisjoint(eff.reads) else [state[r] for r in eff.reads if r in state]
        propagates = bool(incoming) and stmt.mnemonic in PROPAGATORS and not (
            stmt.mnemonic == "sub" and len(stmt.operands) >= 3 and reg_key(stmt.operands[2]) is not None)
        if propagates:
            first = incoming[0]
            carried = Taint(first.label, first.steps + (("step", stmt.line, stmt.text),), first.kernel)
            state = dict(state)
            for reg in eff.writes:
                state[reg] = carried
            return state
        return _without(state, eff.writes)

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
            key=" ".join(f"{source_text} -> {stmt.text}".lower().split()),
            trace=trace,
            anchors=tuple(line for _, line, _ in trace),
            extra={"SOURCE.text": " ".join(source_text.split()), "SOURCE.line": str(source_line),
                   "SINK.text": " ".join(stmt.text.split()), "SINK.line": str(stmt.line), "HOW": how,
                   "KERNEL": taint.kernel or ""},
        )


def _requires(sink: Endpoint, taint: Taint) -> bool:
    return not sink.requires or taint.label in sink.requires


def _without(state: dict[str, Taint], regs: Any) -> dict[str, Taint]:
    """``state`` less ``regs``: ``state`` itself when it holds none of them."""
    if state.keys().isdisjoint(regs):
        return state
    return {reg: taint for reg, taint in state.items() if reg not in regs}


def _endpoints_for(matcher: TaintMatcher, mnemonic: str) -> tuple[tuple[Endpoint, ...], tuple[Endpoint, ...],
                                                                   tuple[tuple[int, Endpoint], ...]]:
    """The sinks (but macro exits), sanitizers and (numbered) sources of
    ``matcher`` that could hold at an instruction spelled ``mnemonic``
    (match/mnemonic_gate.py), remembered per matcher."""
    by_mnemonic = _endpoint_table(matcher)
    found = by_mnemonic.get(mnemonic)
    if found is None:
        if len(by_mnemonic) >= 4096:
            by_mnemonic.clear()
        found = by_mnemonic[mnemonic] = (
            tuple(s for s in matcher.sinks if not s.macro_exit and admits(s.formula, mnemonic)),
            tuple(s for s in matcher.sanitizers if admits(s.formula, mnemonic)),
            tuple((i, s) for i, s in enumerate(matcher.sources) if admits(s.formula, mnemonic)),
        )
    return found


def _endpoint_table(matcher: TaintMatcher) -> dict[str, tuple]:
    """What :func:`_endpoints_for` found so far for ``matcher``, by mnemonic."""
    known = _ENDPOINTS.get(id(matcher))
    if known is None or known[0] is not matcher:
        if len(_ENDPOINTS) >= 16:
            _ENDPOINTS.clear()
        known = _ENDPOINTS[id(matcher)] = (matcher, {})
    return known[1]


_ENDPOINTS: dict[int, tuple[TaintMatcher, dict[str, tuple]]] = {}


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
        sources=tuple(compile_endpoint(s, f"taint.sources[{i}]") for i, s in enumerate(as_list(spec["sources"]))),
        sanitizers=tuple(compile_endpoint(s, f"taint.sanitizers[{i}]") for i, s in enumerate(as_list(spec.get("sanitizers")))),
        sinks=tuple(compile_endpoint(s, f"taint.sinks[{i}]") for i, s in enumerate(as_list(spec["sinks"]))),
        calls_clobber=calls == "aapcs64",
    )


__all__ = ["TaintMatcher", "spans_of", "value_text"]
