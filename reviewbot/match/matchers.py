"""The registry of matchers a rule's YAML may name, and the units they run on.

Each matcher is compiled once from its YAML block (``compile(spec, path)``)
and then run on units of code (``run(unit) -> Iterator[Hit]``), purely.
Built-in matchers register themselves exactly as an extension would:

- ``match``: structural assembly patterns and formulas (:mod:`patterns`);
- ``regex``: line regexes for C and commit messages, with ``not-pattern``;
- ``taint`` and ``comment`` register from their own modules.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from reviewbot.analysis.context import FileContext
from reviewbot.match.formulas import compile_formula
from reviewbot.match.patterns import Node, Region, find, metavariables, value_text
from reviewbot.records import field, record
from reviewbot.analysis.views import View

MATCHERS: dict[str, Callable[[Any, str], Any]] = {}

#: Modules whose matchers register on import (extensions add theirs here).
_MATCHER_MODULES = ("reviewbot.match.taint", "reviewbot.match.comments")


def matcher(name: str) -> Callable[[Callable[[Any, str], Any]], Callable[[Any, str], Any]]:
    """Register a matcher compiler under the YAML key ``name``."""
    def register(compile_fn: Callable[[Any, str], Any]) -> Callable[[Any, str], Any]:
        MATCHERS[name] = compile_fn
        return compile_fn
    return register


def compile_matcher(name: str, spec: Any, path: str) -> Any:
    """Compile the ``name`` block of a rule file."""
    return MATCHERS[name](spec, path)


def load_extensions() -> None:
    """Import the matcher modules that register themselves."""
    for module in _MATCHER_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


# --- units and hits ---------------------------------------------------------------


@record
class AsmUnit:
    """A parsed region of assembly with its contexts."""

    view: View
    region: Region
    file: FileContext
    old: "AsmUnit | None" = None  # the same region before the patch, when there is one


@record
class TextUnit:
    """Lines of text (C source or a commit message); ``lines[i]`` is the
    view line ``i + 1`` (or the commit message's line)."""

    kind: str  # "c" or "commit-msg"
    lines: tuple[str, ...]
    view: View | None = None
    file: FileContext | None = None


@record
class Hit:
    """What a matcher found, before the engine makes it a Finding:
    ``line`` is 1-based in the unit; ``bindings`` render the message;
    ``trace`` is ``(role, unit line, text)``; ``anchors`` are the unit
    lines that tie the hit to the patch (``any-trace-step`` rules)."""

    line: int
    column: int
    bindings: Mapping[str, str]
    key: str
    trace: tuple[tuple[str, int, str], ...] = ()
    anchors: tuple[int, ...] = ()
    extra: Mapping[str, str] = field(default_factory=dict)


# --- match: structural formulas ------------------------------------------------------------


@record
class FormulaMatcher:
    """``match:`` — a formula over the assembly AST."""

    formula: Node
    languages: tuple[str, ...] = ("arm64-asm",)

    def bound(self) -> set[str]:
        """Metavariables a message may use."""
        return metavariables(self.formula)

    def run(self, unit: AsmUnit) -> Iterator[Hit]:
        """Every statement of the unit where the formula holds."""
        statements = unit.region.statements
        for m in find(self.formula, unit.region):
            stmt = statements[m.index]
            focus = _focus(self.formula)
            column = stmt.column
            if focus and focus in m.bindings:
                column = getattr(m.bindings[focus], "column", 0) or column
            trace = tuple(("step", statements[i].line, statements[i].text) for i in m.steps)
            extra = {}
            if m.steps:
                first = statements[m.steps[0]]
                extra = {"STEP.line": str(first.line), "STEP.text": " ".join(first.text.split())}
            yield Hit(
                line=stmt.line,
                column=column,
                bindings={k: value_text(v) for k, v in m.bindings.items()},
                key=_normalise(stmt.text),
                trace=trace,
                anchors=(stmt.line,),
                extra=extra,
            )


def _focus(node: Node) -> str | None:
    if node.focus:
        return node.focus
    for child in node.children:
        if child.op in ("pattern", "directive", "all", "any") and (f := _focus(child)):
            return f
    return None


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip()).lower()


@matcher("match")
def _compile_match(spec: Any, path: str) -> FormulaMatcher:
    return FormulaMatcher(compile_formula(spec))


# --- regex: lines of C or of the commit message ------------------------------------------


@record
class RegexMatcher:
    """``regex:`` — a line regex, ``not-pattern`` lines excepted; named
    groups bind ``$NAME``."""

    pattern: re.Pattern[str]
    not_pattern: re.Pattern[str] | None
    unless_near: tuple[str, int] | None = None  # (template, lines): a nearby line that clears the hit
    languages: tuple[str, ...] = ("c",)

    def bound(self) -> set[str]:
        """Named groups a message may use."""
        return set(self.pattern.groupindex)

    def run(self, unit: TextUnit) -> Iterator[Hit]:
        """Every line where the pattern matches and the not-pattern does not."""
        for number, line in enumerate(unit.lines, start=1):
            for match in self.pattern.finditer(line):
                if self.not_pattern is not None and self.not_pattern.search(line):
                    break
                groups = {k: (v or "") for k, v in match.groupdict().items()}
                if self.unless_near and self._cleared(unit.lines, number, groups):
                    continue
                yield Hit(line=number, column=match.start() + 1, bindings=groups,
                          key=_normalise(match.group(0)), anchors=(number,))


    def _cleared(self, lines: tuple[str, ...], number: int, groups: Mapping[str, str]) -> bool:
        template, within = self.unless_near  # type: ignore[misc]
        if any(f"${name}" in template and not value for name, value in groups.items()):
            return False  # the group the nearby line would name did not match here
        text = template
        for name, value in groups.items():
            text = text.replace("$" + name, re.escape(value))
        nearby = re.compile(text)
        window = lines[max(0, number - 1 - within): number + within]
        # a rule's "near" pattern may scan from every start in a line (quadratic):
        # absurd lines clear nothing, so the finding stays
        return any(nearby.search(line) for line in window if len(line) <= MAX_NEAR_LINE)


_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "x": re.VERBOSE}
MAX_NEAR_LINE = 4096


@matcher("regex")
def _compile_regex(spec: Any, path: str) -> RegexMatcher:
    if isinstance(spec, str):
        spec = {"pattern": spec}
    if not isinstance(spec, Mapping) or "pattern" not in spec:
        raise ValueError("regex: expected a mapping with 'pattern'")
    valid = ("pattern", "not-pattern", "flags", "unless-near")
    bad = [k for k in spec if k not in valid]
    if bad:
        raise ValueError(f"regex: unknown key '{bad[0]}' (valid keys: {', '.join(valid)})")
    near = spec.get("unless-near")
    unless_near = None
    if near is not None:
        if not isinstance(near, Mapping) or "pattern" not in near:
            raise ValueError("regex.unless-near: expected {pattern: ..., within: N}")
        unless_near = (str(near["pattern"]), int(near.get("within", 3)))
    flags = 0
    for letter in str(spec.get("flags", "")):
        if letter not in _FLAGS:
            raise ValueError(f"regex.flags: unknown flag {letter!r} (valid: i, m, x)")
        flags |= _FLAGS[letter]
    try:
        pattern = re.compile(spec["pattern"], flags)
        not_pattern = re.compile(spec["not-pattern"], flags) if "not-pattern" in spec else None
    except re.error as exc:
        raise ValueError(f"regex: {exc}") from None
    return RegexMatcher(pattern, not_pattern, unless_near)
