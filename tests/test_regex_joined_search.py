"""``regex:`` rules first search a unit's lines joined, once, and look line
by line only where that finds something: the hits are exactly those of the
line-by-line search, for patterns that may use the joined text and for
those (anchors, lookarounds, atomic groups) that must not."""

from __future__ import annotations

import random
import re

import pytest

from reviewbot.match import regex
from reviewbot.match.regex import compile_regex
from reviewbot.match.units import TextUnit

JOINABLE = [
    r"\bwrite_sysreg\((?P<VAL>[^,]*),\s*(?P<REG>\w+)\)", r"kern_hyp_va\s*\(\s*&\s*(?P<SYM>\w+)",
    r"[^a-z]x\b", r"\Bx", r"x\s+y", r"(?P<A>a)(?(A)b|c)", r"^x", r"x$", r"(?m)^\s*y", r"^\s*x\s*$",
    r"(?<!a)x", r"(?<!a )x", r"x(?!y\b)", r"(?P<W>a|x)\s*(?!(?P=W)b)", r"x(?=\s)", r"(?<=\s)x",
    r"(?i)WRITE_sysreg\(", r"(?i)(?P<F>status|addr)\s*=\s*Write_Sysreg",
]
# a search of the joined lines could miss a line's match: searched line by line
EDGE_SENSITIVE = [r"(?<![^a-z])x", r"x(?![^a-z])", r"x(?!\s)", r"x(?!.)", r"x(?=(?!\n))", r"\Ax", r"x\Z",
                  r"(?>x\s*)y", r"x\s*+y"]
PATTERNS = JOINABLE + EDGE_SENSITIVE


def _lines(rng: random.Random) -> tuple[str, ...]:
    words = ["x", "y", "a", "ab", "write_sysreg(v, sctlr_el1)", "kern_hyp_va(&sym)", " ", "", ";", "\tx y",
             "WRITE_SYSREG(", "write_ſysreg(", "addr = ", "STATUS="]
    return tuple("".join(rng.choice(words) for _ in range(rng.randrange(0, 4))) for _ in range(rng.randrange(0, 6)))


def _hits(matcher, lines):
    return [(h.line, h.column, h.key) for h in matcher.run(TextUnit("c", lines))]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_the_joined_search_gives_the_hits_of_the_line_by_line_one(pattern: str, monkeypatch) -> None:
    matcher = compile_regex({"pattern": pattern}, "t.yaml")
    rng = random.Random(pattern)
    cases = [_lines(rng) for _ in range(400)] + [("x",), ("a", "x"), ("x", "y"), ("y", "x"), ("ab",)]
    fast = [_hits(matcher, lines) for lines in cases]
    monkeypatch.setattr(regex, "_may_match", lambda *_: True)
    assert fast == [_hits(matcher, lines) for lines in cases]
    assert any(fast)  # the cases exercise the pattern


@pytest.mark.parametrize("pattern", PATTERNS)
def test_edge_sensitive_patterns_are_searched_line_by_line(pattern: str) -> None:
    assert (regex._joined_pattern(re.compile(pattern)) is None) == (pattern in EDGE_SENSITIVE)


NEEDLED = [
    (r"\b(?P<FN>this_cpu_ptr|raw_cpu_ptr|this_cpu_read)\s*\(", {"this_cpu_ptr", "raw_cpu_ptr", "this_cpu_read"}),
    (r"\bwrite_sysreg(?P<S>_s|_el[012])?\(\s*(?P<REG>\w+)", {"write_sysreg"}),
    (r"kern_hyp_va\s*\(\s*&", {"kern_hyp_va"}),
    (r"(?:abc|xyz)\d+", {"abc", "xyz"}),
    (r"(?i)Write_SYSreg", {"write_sysreg"}),  # lowered: searched for in the lowered text
    (r"x(?i:write_sysreg)", None), (r"(?i)wrıte", None), (r"ab|c", None), (r"(?:write)?x", None),
    (r"(?!kern_hyp_va)\w+", None),
]


@pytest.mark.parametrize("pattern, needles", NEEDLED)
def test_required_literals_are_those_every_match_contains(pattern: str, needles: set[str] | None) -> None:
    found = regex.required_literals(re.compile(pattern))
    assert (set(found) if found is not None else None) == needles


def test_a_unit_without_any_needle_is_not_searched_and_one_with_it_is() -> None:
    matcher = compile_regex({"pattern": r"\b(?P<FN>this_cpu_ptr|raw_cpu_ptr)\s*\("}, "t.yaml")
    assert _hits(matcher, ("x = per_cpu(a, b);",)) == []
    assert [h[0] for h in _hits(matcher, ("int a;", "p = raw_cpu_ptr (&v);"))] == [2]
    assert regex._may_match(matcher.pattern, ("nothing here",)) is False


def test_a_case_blind_pattern_is_searched_for_in_the_lowered_text_only_when_it_is_ascii() -> None:
    matcher = compile_regex({"pattern": r"read_sysreg_s\((?P<REG>\w+)\)", "flags": "i"}, "t.yaml")
    assert regex._may_match(matcher.pattern, ("x = READ_SYSREG(a);",)) is False
    assert [h[0] for h in _hits(matcher, ("int a;", "x = READ_Sysreg_S(SYS_X);"))] == [2]
    # 'ſ' (long s) matches 's' case-blind, but lowers to itself: no needle
    # search in text that is not ASCII
    assert [h[0] for h in _hits(matcher, ("x = read_ſysreg_s(SYS_X);",))] == [1]
