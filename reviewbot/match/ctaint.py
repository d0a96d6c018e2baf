"""``c-taint:`` — host pointers through hyp C functions, parsed for real.

The same model as the assembly taint rules, over C: a *source* is a
parameter of a host structure pointer type of a hyp entry function (before
5.10 the host called ``__hyp_text`` functions with its own kernel VAs); the
*sanitizer* is ``kern_hyp_va()`` (``p = kern_hyp_va(p)`` clears ``p``; an
inline ``kern_hyp_va(p)`` is a converted use); a plain assignment to ``p``
kills it; ``q = p`` carries it; the *sinks* are a dereference (``p->``,
``*p``, ``p[i]``) and handing ``p`` to another function (EL2 code that will
use it) -- unless that function's definition is in sight (this file, or any
C file of the patch) and it converts or leaves alone the parameter it gets
``p`` as (the nVHE/VHE split's shared helpers convert for their wrappers),
asked again of the functions it hands it to, a few calls deep.  The body is
read in source order, the first sink of each name is reported, with the
trace (source, copies, sink).

The C parser is imported only when the matcher runs (``c_parse``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from reviewbot.match.units import Hit, TextUnit, normalise
from reviewbot.records import record


@record
class CTaintMatcher:
    """The compiled ``c-taint:`` block."""

    functions: re.Pattern[str]       # names of the functions whose parameters are sources
    marker: str                       # text the function's header must hold ("" for any)
    types: tuple[str, ...]            # parameter types that are host pointers ("struct kvm *")
    sanitizers: tuple[str, ...]       # functions that convert (kern_hyp_va)
    sinks: tuple[str, ...]            # deref | call
    languages: tuple[str, ...] = ("c",)

    def bound(self) -> set[str]:
        """Names a message may use."""
        return {"NAME", "TYPE", "FUNC", "HOW", "SOURCE.line", "SINK.text"}

    def run(self, unit: TextUnit) -> Iterator[Hit]:
        """The first unconverted use of each host pointer parameter."""
        text = "\n".join(unit.lines)
        if not any(m in text for m in (self.marker or "(",)):
            return
        from reviewbot.match import c_parse  # the parser loads only when a C rule runs

        sight = _Sight(c_parse, (text, *unit.patch_c))
        for name, header, params, body in c_parse.functions(c_parse.parse(text)):
            if not self.functions.search(name) or (self.marker and self.marker not in header):
                continue
            if re.match(r"\s*static\b", header):
                continue  # not an entry point the host calls
            for ptype, pname, pnode in params:
                if ptype in self.types:
                    hit = self._follow(c_parse, name, ptype, pname, pnode, body, sight)
                    if hit is not None:
                        yield hit

    def _follow(self, c: Any, func: str, ptype: str, pname: str, pnode: Any, body: Any,
                sight: "_Sight", depth: int = 0) -> Hit | None:
        tainted = {pname}
        trace = [("source", c.line(pnode), f"{func}({c.source(pnode)})")]
        skip_until = -1
        for node in c.walk(body):
            if node.start_byte < skip_until:
                continue
            kind = node.type
            if kind == "call_expression":
                callee = c.source(node.child_by_field_name("function"))
                if callee in self.sanitizers:
                    skip_until = node.end_byte  # kern_hyp_va(p): a converted use
                    continue
            if kind in ("assignment_expression", "init_declarator"):
                left = node.child_by_field_name("left") or node.child_by_field_name("declarator")
                right = node.child_by_field_name("right") or node.child_by_field_name("value")
                while left is not None and left.type == "pointer_declarator":  # struct kvm *q = p
                    left = left.child_by_field_name("declarator")
                target = _plain_name(c, left)
                if target is not None and right is not None:
                    value = c.source(right)
                    if any(re.search(rf"\b{s}\s*\(", value) for s in self.sanitizers):
                        tainted.discard(target)
                        skip_until = node.end_byte
                        continue
                    if _plain_name(c, _strip_cast(right)) in tainted:
                        tainted.add(target)
                        trace.append(("copy", c.line(node), c.source(node)))
                        skip_until = node.end_byte
                        continue
                    if target in tainted:
                        tainted.discard(target)  # overwritten: the host's value is gone
            sink = self._sink(c, node, tainted, sight, depth)
            if sink is not None:
                how, name = sink
                statement = _statement(node)
                trace.append(("sink", c.line(node), c.source(statement).strip()))
                return Hit(line=c.line(node), column=int(node.start_point[1]) + 1,
                           bindings={"NAME": name, "TYPE": ptype, "FUNC": func},
                           key=normalise(f"{func} {name} {c.source(statement)}"),
                           trace=tuple(trace), anchors=tuple(step[1] for step in trace),
                           extra={"HOW": how, "SOURCE.line": str(trace[0][1]),
                                  "SINK.text": " ".join(c.source(statement).split()),
                                  **({"UNSURE": f"the callee may convert {name} itself"}
                                     if how.startswith("is handed") else {})})
            if not tainted:
                return None
        return None

    def _sink(self, c: Any, node: Any, tainted: set[str], sight: "_Sight", depth: int) -> tuple[str, str] | None:
        kind = node.type
        if "deref" in self.sinks:
            operator = node.child_by_field_name("operator") if kind == "field_expression" else None
            if operator is not None and c.source(operator) == "->":
                name = _plain_name(c, node.child_by_field_name("argument"))
                if name in tainted:
                    return "is dereferenced", name
            if kind in ("pointer_expression", "subscript_expression"):
                operand = node.child_by_field_name("argument")
                if kind == "pointer_expression" and not c.source(node).startswith("*"):
                    operand = None  # &p
                name = _plain_name(c, operand)
                if name in tainted:
                    return "is dereferenced", name
        if "call" in self.sinks and kind == "call_expression":
            args = node.child_by_field_name("arguments")
            callee = c.source(node.child_by_field_name("function"))
            for position, arg in enumerate(args.named_children if args is not None else ()):
                name = _plain_name(c, _strip_cast(arg))
                if name in tainted and not self._callee_converts(c, callee, position, sight, depth):
                    return f"is handed to {callee if callee.endswith(')') else callee + '()'}", name
        return None

    def _callee_converts(self, c: Any, callee: str, position: int, sight: "_Sight", depth: int) -> bool:
        """Whether ``callee``, defined in sight, converts (or never uses)
        the parameter at ``position`` before anything it does with it could
        need a hyp VA: no sink on the way, callees asked in turn."""
        if depth >= _DEPTH:
            return False
        found = sight.parameter(callee, position)
        if found is None:
            return False
        pname, pnode, body = found
        return self._follow(c, callee, "", pname, pnode, body, sight, depth + 1) is None


def callee_converts(texts: tuple[str, ...], callee: str, position: int, sanitizer: str) -> bool | None:
    """Whether ``callee``, defined once in ``texts`` (C files of a patch),
    converts its parameter at ``position`` with ``sanitizer`` (or never
    uses it) before dereferencing it or handing it on, as the taint rule
    asks it (callees it hands it to asked in turn); None when it is not
    in sight."""
    from reviewbot.match import c_parse

    sight = _SIGHTS.get(texts)
    if sight is None:
        sight = _Sight(c_parse, texts)
        _SIGHTS.clear()  # one patch at a time
        _SIGHTS[texts] = sight
    if sight.parameter(callee, position) is None:
        return None
    matcher = CTaintMatcher(re.compile(""), "", (), (sanitizer,), ("deref", "call"))
    return matcher._callee_converts(c_parse, callee, position, sight, 0)


_SIGHTS: dict[tuple[str, ...], "_Sight"] = {}


#: How many calls deep a handed-on pointer is followed into definitions in sight.
_DEPTH = 3


class _Sight:
    """The function definitions in sight of a C unit: its own text's and
    those of the patch's other C files, parsed when first asked for."""

    def __init__(self, c: Any, texts: tuple[str, ...]) -> None:
        self.c = c
        self.texts = texts
        self._defined: dict[str, tuple[list[str | None], Any]] | None = None

    def parameter(self, callee: str, position: int) -> tuple[str, Any, Any] | None:
        """(name, node, body) of ``callee``'s parameter at ``position``, when
        one definition of that name is in sight and it has that parameter."""
        if self._defined is None:
            self._defined = {}
            seen: set[str] = set()
            for text in self.texts:
                if text in seen or "(" not in text:
                    continue
                seen.add(text)
                for name, _, _, body in self.c.functions(self.c.parse(text)):
                    if name in self._defined:
                        self._defined[name] = ([], None)  # two definitions (#ifdef arms): not sure which
                    else:
                        self._defined[name] = (_parameter_nodes(self.c, body), body)
        names, body = self._defined.get(callee, ([], None))
        if body is None or position >= len(names) or names[position] is None:
            return None
        node = names[position]
        return self.c.source(node), node, body


def _parameter_nodes(c: Any, body: Any) -> list[Any]:
    """The identifier node of every parameter of the function whose body
    this is, in order (None where there is no plain name: ``...``, arrays)."""
    declarator = body.parent.child_by_field_name("declarator") if body.parent is not None else None
    while declarator is not None and declarator.type != "function_declarator":
        declarator = declarator.child_by_field_name("declarator")
    params = declarator.child_by_field_name("parameters") if declarator is not None else None
    found: list[Any] = []
    for param in params.named_children if params is not None else ():
        node = param.child_by_field_name("declarator") if param.type == "parameter_declaration" else None
        while node is not None and node.type == "pointer_declarator":
            node = node.child_by_field_name("declarator")
        found.append(node if node is not None and node.type == "identifier" else None)
    return found


def _plain_name(c: Any, node: Any) -> str | None:
    while node is not None and node.type == "parenthesized_expression" and node.named_child_count == 1:
        node = node.named_children[0]
    return c.source(node) if node is not None and node.type == "identifier" else None


def _strip_cast(node: Any) -> Any:
    while node is not None and node.type in ("cast_expression", "parenthesized_expression"):
        node = node.child_by_field_name("value") or (node.named_children[-1] if node.named_children else None)
    return node


def _statement(node: Any) -> Any:
    while node.parent is not None and not node.type.endswith("statement") and node.type != "declaration":
        node = node.parent
    return node


def compile_c_taint(spec: Any, path: str) -> CTaintMatcher:
    """``c-taint: {functions, marker, parameter-types, sanitizers, sinks}``."""
    if not isinstance(spec, Mapping):
        raise ValueError("c-taint: expected a mapping")
    valid = ("functions", "marker", "parameter-types", "sanitizers", "sinks")
    bad = [k for k in spec if k not in valid]
    if bad:
        raise ValueError(f"c-taint: unknown key '{bad[0]}' (valid keys: {', '.join(valid)})")
    types = tuple(" ".join(str(t).replace("*", " *").split()) for t in spec.get("parameter-types") or ())
    if not types:
        raise ValueError("c-taint.parameter-types: name at least one host pointer type, e.g. 'struct kvm *'")
    sinks = tuple(spec.get("sinks", ["deref", "call"]))
    for sink in sinks:
        if sink not in ("deref", "call"):
            raise ValueError(f"c-taint.sinks: unknown sink {sink!r} (valid: deref, call)")
    try:
        functions = re.compile(str(spec.get("functions", ".")))
    except re.error as exc:
        raise ValueError(f"c-taint.functions: {exc}") from None
    return CTaintMatcher(functions=functions, marker=str(spec.get("marker", "")), types=types,
                         sanitizers=tuple(spec.get("sanitizers", ["kern_hyp_va"])), sinks=sinks)
