"""The sources, sanitizers and sinks of a ``taint:`` block
(:mod:`reviewbot.match.taint`): each compiled from its YAML, and what each
gives at an instruction (the register a sink or sanitizer is about, the
registers a source labels), remembered where that depends on the
instruction alone.  Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reviewbot.analysis.kernels import Era
from reviewbot.asm.ast import Instruction
from reviewbot.match.formulas import compile_formula
from reviewbot.match.patterns import Match, Node, Region, test
from reviewbot.match.semantics import reg_key
from reviewbot.records import record


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
    local: bool = False  # its formula binds only what the statement it holds at says
    pure: bool = False  # whether it holds, and how, depends on that statement alone


def focus_key(bindings: Mapping[str, Any], focus: str | None) -> str | None:
    """The register the ``focus`` metavariable is bound to, if any."""
    if not focus or focus not in bindings:
        return None
    return reg_key(bindings[focus])


def defined(source: Endpoint, bindings: Mapping[str, Any]) -> list[str]:
    """The registers a source labels where it holds with ``bindings``."""
    regs = list(source.defines)
    if source.focus and (reg := focus_key(bindings, source.focus)):
        regs.append(reg)
    return regs


_ENDPOINT_KEYS = ("pattern", "all", "any", "where", "focus", "label", "defines", "kernel", "requires",
                  "macro-exit", "not", "follows", "precedes", "inside")


def compile_endpoint(spec: Any, where: str) -> Endpoint:
    """One source, sanitizer or sink of a rule's ``taint:`` block (``where``: its place, for errors)."""
    if isinstance(spec, str):
        spec = {"pattern": spec}
    if not isinstance(spec, Mapping):
        raise ValueError(f"{where}: expected a pattern or a mapping")
    bad = [k for k in spec if k not in _ENDPOINT_KEYS]
    if bad:
        raise ValueError(f"{where}: unknown key '{bad[0]}' (valid keys: {', '.join(_ENDPOINT_KEYS)})")
    if spec.get("macro-exit"):
        return Endpoint(formula=Node(op="where"), macro_exit=True, requires=tuple(as_list(spec.get("requires"))))
    formula_spec = {k: v for k, v in spec.items() if k in ("pattern", "all", "any", "where", "not", "follows",
                                                             "precedes", "inside")}
    focus = str(spec["focus"]).lstrip("$") if "focus" in spec else None
    requires = tuple(r.strip() for item in as_list(spec.get("requires")) for r in str(item).split(" or "))
    kernel = spec.get("kernel")
    if kernel is not None:
        from reviewbot.analysis.kernels import KernelVersion
        Era(KernelVersion(5, 0)).satisfies(str(kernel))  # raises ValueError on a bad range
    formula = compile_formula(formula_spec, where)
    return Endpoint(
        formula=formula,
        local=_local(formula),
        pure=_pure(formula),
        focus=focus,
        label=str(spec.get("label", "TAINT")),
        defines=tuple(as_list(spec.get("defines"))),
        kernel=str(kernel) if kernel is not None else None,
        requires=requires,
    )


def _local(node: Node) -> bool:
    """Does the formula look at its own statement alone (no ``follows``,
    ``precedes`` or ``inside``, whose bindings come from other statements)?"""
    return node.op not in ("follows", "precedes", "inside") and all(map(_local, node.children))


def _pure(node: Node) -> bool:
    """Does whether the formula holds at a statement, and with which
    bindings, depend on that statement alone?  Not with a relation, a
    context (``inside``) or a register-table fact (which reads the region)."""
    return (node.op in ("pattern", "directive", "all", "any", "not", "where", "reads", "writes")
            and all(w.sysreg is None for w in node.where) and all(map(_pure, node.children)))


def found_at(endpoint: Endpoint, stmt: Instruction, region: Region, index: int, source: bool = False) -> tuple:
    """What the endpoint gives at the instruction, one item per way it holds:
    a sink's or sanitizer's focus register, the registers a source labels.
    Remembered for a pure endpoint, by the statement's operands: the parser
    gives every statement of one text the same operands, and the pre- and
    post-image, the passes of a loop and every unit read the same ones."""
    if not endpoint.pure:
        return _found(endpoint, region, index, source)
    key = (id(endpoint), stmt.mnemonic, id(stmt.operands))
    known = _AT.get(key)
    if known is not None and known[0] is stmt.operands and known[1] is endpoint:
        return known[2]
    found = _found(endpoint, region, index, source)
    if len(_AT) >= 16384:
        _AT.clear()
    _AT[key] = (stmt.operands, endpoint, found)  # both kept, so that their ids stay their own
    return found


def _found(endpoint: Endpoint, region: Region, index: int, source: bool) -> tuple:
    return tuple(tuple(defined(endpoint, m.bindings)) if source else focus_key(m.bindings, endpoint.focus)
                 for m in test(endpoint.formula, region, Match(index, {})))


_AT: dict[tuple[int, str, int], tuple[tuple, Endpoint, tuple]] = {}


def as_list(value: Any) -> list:
    """A YAML value that may be one item or a list, as a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
