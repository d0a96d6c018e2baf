"""Compiling the YAML of a ``match:`` formula into :class:`patterns.Node` s.

Every error is a ValueError that names the key path (``match.all[1].follows``)
and, for an unknown key or value, the valid choices; the rule loader turns it
into ``file:line: key: problem``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from reviewbot.match.patterns import KINDS, STOP_KINDS, Node, Where
from reviewbot.match.sysreg_where import compile_sysreg

_FORMULA_KEYS = ("pattern", "all", "any", "not", "inside", "follows", "precedes", "reads", "writes",
                 "where", "focus", "let", "within", "stop-at", "when-not")


def _pattern_node(text: str, wheres: tuple = (), focus: str | None = None, let: tuple = ()) -> Node:
    """An instruction pattern, or a directive pattern (``.quad $SYM``)."""
    from reviewbot.asm.parser import parse_pattern
    from reviewbot.asm.splitting import split_args

    stripped = text.strip()
    if stripped.startswith("."):
        name, _, rest = stripped.partition(" ")
        args = tuple(a.strip() for a in split_args(rest)) if rest.strip() else ()
        return Node(op="directive", directive=(name, args), where=wheres, focus=focus, let=let)
    return Node(op="pattern", pattern=parse_pattern(stripped), where=wheres, focus=focus, let=let)


def compile_formula(spec: Any, where_path: str = "match") -> Node:
    """Compile a YAML formula; ValueError names the key path that is wrong."""
    if isinstance(spec, str):
        try:
            return _pattern_node(spec)
        except Exception as exc:
            raise ValueError(f"{where_path}: {exc}") from None
    if not isinstance(spec, Mapping):
        raise ValueError(f"{where_path}: expected a pattern string or a mapping")
    unknown = [k for k in spec if k not in _FORMULA_KEYS]
    if unknown:
        raise ValueError(f"{where_path}: unknown key '{unknown[0]}' (valid keys: {', '.join(_FORMULA_KEYS)})")
    wheres = tuple(compile_where(w, f"{where_path}.where") for w in _as_list(spec.get("where", [])))
    let = spec.get("let") or {}
    if not isinstance(let, Mapping) or not all(isinstance(v, str) for v in let.values()):
        raise ValueError(f"{where_path}.let: expected a mapping of NAME: template")
    let_items = tuple((str(k).lstrip("$"), v) for k, v in let.items())
    focus = spec.get("focus")
    if focus is not None:
        focus = str(focus).lstrip("$")
    ops = [k for k in ("pattern", "all", "any", "not", "inside", "follows", "precedes", "reads", "writes")
           if k in spec]
    if len(ops) > 1:
        raise ValueError(f"{where_path}: use one of {', '.join(ops)} per mapping (nest them with 'all')")
    if not ops:
        if wheres:
            return Node(op="where", where=wheres)
        raise ValueError(f"{where_path}: needs one of pattern, all, any, not, inside, follows, precedes, "
                         "reads, writes")
    op = ops[0]
    value = spec[op]
    if op == "pattern":
        try:
            return _pattern_node(str(value), wheres, focus, let_items)
        except Exception as exc:
            raise ValueError(f"{where_path}.pattern: {exc}") from None
    if op in ("reads", "writes"):
        return Node(op=op, metavariable=str(value).lstrip("$"))
    if op in ("all", "any"):
        children = tuple(compile_formula(c, f"{where_path}.{op}[{i}]") for i, c in enumerate(_as_list(value)))
        return Node(op=op, children=children, where=wheres, focus=focus, let=let_items)
    if op == "not":
        return Node(op="not", children=(compile_formula(value, f"{where_path}.not"),))
    if op == "inside":
        if not isinstance(value, Mapping):
            raise ValueError(f"{where_path}.inside: expected a mapping with macro, function or section")
        bad = [k for k in value if k not in ("macro", "function", "section")]
        if bad:
            raise ValueError(f"{where_path}.inside: unknown key '{bad[0]}' (valid keys: macro, function, section)")
        inside = dict(value)
        if "section" in inside:
            inside["section"] = tuple(_as_list(inside["section"]))
        return Node(op="inside", inside=inside)
    # follows / precedes
    if isinstance(value, str):
        value = {"pattern": value}
    inner_spec = {k: v for k, v in value.items() if k not in ("within", "stop-at", "when-not")}
    stop_at = tuple(_as_list(value.get("stop-at", [])))
    for kind in stop_at:
        if kind not in STOP_KINDS:
            raise ValueError(f"{where_path}.{op}.stop-at: unknown stop {kind!r} (valid: {', '.join(STOP_KINDS)})")
    when_not = []
    for item in _as_list(value.get("when-not", [])):
        if isinstance(item, Mapping) and set(item) <= {"reads", "writes"} and len(item) == 1:
            verb = next(iter(item))
            when_not.append((verb, str(item[verb]).lstrip("$")))
        else:
            when_not.append(compile_formula(item, f"{where_path}.{op}.when-not"))
    within = value.get("within")
    if within is not None and (not isinstance(within, int) or within < 1):
        raise ValueError(f"{where_path}.{op}.within: expected a whole number >= 1")
    return Node(op=op, children=(compile_formula(inner_spec, f"{where_path}.{op}"),),
                within=within, stop_at=stop_at, when_not=tuple(when_not))


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def compile_where(spec: Any, where_path: str) -> Where:
    if not isinstance(spec, Mapping) or "metavariable" not in spec:
        raise ValueError(f"{where_path}: each item needs 'metavariable'")
    valid = ("metavariable", "kind", "regex", "not-regex", "in", "sysreg")
    bad = [k for k in spec if k not in valid]
    if bad:
        raise ValueError(f"{where_path}: unknown key '{bad[0]}' (valid keys: {', '.join(valid)})")
    kinds = tuple(_as_list(spec.get("kind", [])))
    for kind in kinds:
        if kind not in KINDS:
            raise ValueError(f"{where_path}: unknown kind {kind!r} (valid: {', '.join(KINDS)})")
    values = spec.get("in")
    return Where(
        metavariable=str(spec["metavariable"]).lstrip("$"),
        kinds=kinds,
        regex=re.compile(spec["regex"]) if "regex" in spec else None,
        not_regex=re.compile(spec["not-regex"]) if "not-regex" in spec else None,
        values=frozenset(str(v).lower() for v in values) if values is not None else None,
        sysreg=compile_sysreg(spec["sysreg"], where_path) if "sysreg" in spec else None,
    )
