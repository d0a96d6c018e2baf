"""``regex:`` — line regexes for C and commit messages, with ``not-pattern``,
``unless-near`` and ``follow-in-function``; named groups bind ``$NAME``."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from reviewbot.match.cfollow import FollowSpec, body_after, follow
from reviewbot.match.formulas import compile_where
from reviewbot.match.patterns import Where
from reviewbot.match.units import Hit, TextUnit, normalise
from reviewbot.records import record


@record
class RegexMatcher:
    """``regex:`` — a line regex, ``not-pattern`` lines excepted; named
    groups bind ``$NAME``."""

    pattern: re.Pattern[str]
    not_pattern: re.Pattern[str] | None
    unless_near: tuple[str, int] | None = None  # (template, lines): a nearby line that clears the hit
    languages: tuple[str, ...] = ("c",)
    follow: FollowSpec | None = None  # follow a bound name through the rest of its C function
    where: tuple[Where, ...] = ()  # constraints on named groups (``sysreg:`` facts, ``regex``...)
    after_line: tuple[str, int] | None = None  # (template, lines): one of the lines before must match

    def bound(self) -> set[str]:
        """Named groups a message may use."""
        return set(self.pattern.groupindex)

    def run(self, unit: TextUnit) -> Iterator[Hit]:
        """Every line where the pattern matches and the not-pattern does not."""
        if not _may_match(self.pattern, unit.lines):
            return
        for number, line in enumerate(unit.lines, start=1):
            for match in self.pattern.finditer(line):
                if self.not_pattern is not None and self.not_pattern.search(line):
                    break
                groups = {k: (v or "") for k, v in match.groupdict().items()}
                if not all(w.holds(groups, unit.lines) for w in self.where):
                    continue
                if self.unless_near and self._cleared(unit.lines, number, groups):
                    continue
                if self.after_line and not self._cleared(unit.lines, number, groups, self.after_line, before=True):
                    continue
                extra = {}
                if self.follow is not None and groups.get(self.follow.name):
                    outcome = follow(self.follow, groups[self.follow.name], *body_after(unit.lines, number, match.end()),
                                     converts=_callees_in_sight(unit, self.follow.sanitizer))
                    if outcome.cleared:
                        continue
                    extra = {"UNSURE": outcome.unsure} if outcome.unsure else {}
                yield Hit(line=number, column=match.start() + 1, bindings=groups,
                          key=normalise(match.group(0)), anchors=(number,), extra=extra,
                          end_column=match.end() + 1)


    def _cleared(self, lines: tuple[str, ...], number: int, groups: Mapping[str, str],
                 near: tuple[str, int] | None = None, before: bool = False) -> bool:
        """Does a line near ``number`` (only before it, with ``before``) match
        the template, its ``$GROUP``s filled in?"""
        template, within = near or self.unless_near  # type: ignore[misc]
        if any(f"${name}" in template and not value for name, value in groups.items()):
            return False  # the group the nearby line would name did not match here
        text = template
        for name, value in groups.items():
            text = text.replace("$" + name, re.escape(value))
        nearby = re.compile(text)
        window = lines[max(0, number - 1 - within): number - 1 if before else number + within]
        # a rule's "near" pattern may scan from every start in a line (quadratic):
        # absurd lines clear nothing, so the finding stays
        return any(nearby.search(line) for line in window if len(line) <= MAX_NEAR_LINE)


# --- a unit the pattern matches nowhere, in one search -------------------------------------
#
# Most rules match no line of most files, and a search per line is a
# Python call per line per rule.  A match in one line is a match in the
# lines joined by newlines, by the same path through the pattern, when
# every step of the path does there what it does in the line alone: steps
# that consume characters do; ``\b``/``\B`` do (a newline is a non-word
# character, like the edge of a line); ``^``/``$`` do when the joined text
# is searched with MULTILINE; a positive lookaround does when its own steps
# do; a negative one does when nothing in it can consume a newline.  Not
# ``\A``/``\Z``, nor atomic groups and possessive repeats (they drop paths).
# For such patterns one search of the joined text says "nowhere" exactly.

_BOUNDARIES = ("AT_BOUNDARY", "AT_NON_BOUNDARY", "AT_UNI_BOUNDARY", "AT_UNI_NON_BOUNDARY",
               "AT_LOC_BOUNDARY", "AT_LOC_NON_BOUNDARY")
_LINE_EDGES = ("AT_BEGINNING", "AT_END")  # ^ $: the same with MULTILINE over the joined text
_NO_NEWLINE_CATEGORIES = ("CATEGORY_DIGIT", "CATEGORY_WORD", "CATEGORY_UNI_DIGIT", "CATEGORY_UNI_WORD",
                          "CATEGORY_LOC_WORD")


@lru_cache(maxsize=1024)
def _joined_pattern(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """The pattern to search the joined lines with, or None when a search
    of the joined lines could miss a line's match."""
    try:
        from re import _parser  # type: ignore[attr-defined]

        if not _steps_hold(_parser.parse(pattern.pattern, pattern.flags), newline=True):
            return None
        return re.compile(pattern.pattern, pattern.flags | re.MULTILINE)
    except Exception:  # noqa: BLE001 - another Python's parser: search line by line
        return None


def _steps_hold(parsed: Any, *, newline: bool) -> bool:
    """Whether every step of ``parsed`` does over the joined text what it does
    in one line; ``newline=False``: and none can consume a newline."""
    for op, argument in parsed:
        name = str(op)
        if name in ("ATOMIC_GROUP", "POSSESSIVE_REPEAT", "ANY", "NOT_LITERAL", "CATEGORY") and not (
                name == "CATEGORY" and str(argument) in _NO_NEWLINE_CATEGORIES) and (
                name in ("ATOMIC_GROUP", "POSSESSIVE_REPEAT") or not newline):
            return False
        if name == "AT" and str(argument) not in _BOUNDARIES + _LINE_EDGES:
            return False
        if name == "LITERAL" and argument == 10 and not newline:
            return False
        if name == "IN" and not newline and not _class_without_newline(argument):
            return False
        if name in ("ASSERT", "ASSERT_NOT"):
            if not _steps_hold(argument[1], newline=newline and name == "ASSERT"):
                return False
            continue
        for item in argument if isinstance(argument, (list, tuple)) else (argument,):
            subs = item if isinstance(item, (list, tuple)) else (item,)
            if not all(_steps_hold(sub, newline=newline) for sub in subs if hasattr(sub, "data")):
                return False
    return True


def _class_without_newline(items: Any) -> bool:
    for op, argument in items:
        name = str(op)
        if name == "NEGATE" or (name == "LITERAL" and argument == 10) or (
                name == "RANGE" and argument[0] <= 10 <= argument[1]) or (
                name == "CATEGORY" and str(argument) not in _NO_NEWLINE_CATEGORIES):
            return False
    return True


# the unit's lines, joined, and (made when a case-blind pattern asks)
# lowered when ASCII, "" when not
_last_joined: tuple[tuple[str, ...], str, str | None] = ((), "", None)


_CASE_BLIND = int(re.IGNORECASE)  # an int: a Flag's & is a Python call, asked per rule per unit

#: Longer texts are searched line by line only: a lazy repeat that may
#: cross lines must not turn one search into a scan of a whole file per start.
MAX_JOINED = 1 << 16


def _may_match(pattern: re.Pattern[str], lines: tuple[str, ...]) -> bool:
    global _last_joined
    over, needles = _joined_pattern(pattern), required_literals(pattern)
    if over is None and needles is None:
        return True
    joined = _last_joined  # one read: tasks may run in threads (Dask)
    if joined[0] is not lines:  # the rules of a pack ask of the same unit in turn
        joined = _last_joined = (lines, "\n".join(lines), None)
    text = joined[1]
    if needles is not None and pattern.flags & _CASE_BLIND:
        if joined[2] is None:
            joined = _last_joined = (lines, text, text.lower() if text.isascii() else "")
        # the needles are lowered ASCII; in ASCII text a case-blind match
        # lowers to them (not so in other text: 'ſ' matches 's')
        haystack = joined[2] or None
    else:
        haystack = text
    if needles is not None and haystack is not None and not any(needle in haystack for needle in needles):
        return False  # a substring search is far cheaper than the pattern's
    return over is None or len(text) > MAX_JOINED or over.search(text) is not None


@lru_cache(maxsize=1024)
def required_literals(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Strings one of which every match contains (from the pattern's
    required steps: a run of literal characters, or one per branch of a
    required alternation), or None when no such set is known.  A
    case-blind pattern's needles are lowered, and only ASCII ones kept."""
    if pattern.flags & re.VERBOSE:
        return None
    try:
        from re import _parser  # type: ignore[attr-defined]

        needles = _required(_parser.parse(pattern.pattern, pattern.flags))
    except Exception:  # noqa: BLE001 - another Python's parser: no prefilter
        return None
    if needles is not None and pattern.flags & re.IGNORECASE:
        return tuple(n.lower() for n in needles) if all(n.isascii() for n in needles) else None
    return needles


_MIN_NEEDLE = 3


def _required(steps: Any) -> tuple[str, ...] | None:
    """The best set of needles of a sequence of steps, every one required."""
    best: tuple[str, ...] | None = None
    run: list[str] = []

    def take(found: tuple[str, ...] | None) -> None:
        nonlocal best
        if found and all(len(n) >= _MIN_NEEDLE for n in found) and (
                best is None or min(map(len, found)) > min(map(len, best))):
            best = found

    for op, argument in list(steps) + [(None, None)]:
        name = str(op)
        if name == "LITERAL":
            run.append(chr(argument))
            continue
        take(("".join(run),) if run else None)
        run = []
        if name == "SUBPATTERN" and not argument[1] & re.IGNORECASE:  # (?i:...) matches other cases
            take(_required(argument[-1]))
        elif name == "BRANCH":
            options = [_required(branch) for branch in argument[1]]
            if all(options):
                take(tuple(n for option in options for n in option))  # type: ignore[union-attr]
    return best


_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "x": re.VERBOSE}
MAX_NEAR_LINE = 4096


def compile_regex(spec: Any, path: str) -> RegexMatcher:
    if isinstance(spec, str):
        spec = {"pattern": spec}
    if not isinstance(spec, Mapping) or "pattern" not in spec:
        raise ValueError("regex: expected a mapping with 'pattern'")
    valid = ("pattern", "not-pattern", "flags", "unless-near", "after-line", "follow-in-function", "where")
    bad = [k for k in spec if k not in valid]
    if bad:
        raise ValueError(f"regex: unknown key '{bad[0]}' (valid keys: {', '.join(valid)})")
    unless_near = _near_spec(spec, "unless-near", 3)
    after_line = _near_spec(spec, "after-line", 1)
    follow_spec = _follow_spec(spec.get("follow-in-function"))
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
    if follow_spec is not None and follow_spec.name not in pattern.groupindex:
        raise ValueError(f"regex.follow-in-function.name: the pattern has no group {follow_spec.name!r}")
    where = spec.get("where", [])
    if not isinstance(where, list):
        raise ValueError("regex.where: expected a list of {metavariable: $GROUP, ...}")
    wheres = tuple(compile_where(w, "regex.where") for w in where)
    unbound = [w.metavariable for w in wheres if w.metavariable not in pattern.groupindex]
    if unbound:
        raise ValueError(f"regex.where: ${unbound[0]} is not a named group of the pattern "
                         f"(groups: {', '.join(pattern.groupindex) or 'none'})")
    return RegexMatcher(pattern, not_pattern, unless_near, follow=follow_spec, where=wheres, after_line=after_line)


def _near_spec(spec: Mapping, key: str, within: int) -> tuple[str, int] | None:
    """``KEY: {pattern: ..., within: N}`` as (pattern, N), ``within`` by default."""
    near = spec.get(key)
    if near is None:
        return None
    if not isinstance(near, Mapping) or "pattern" not in near:
        raise ValueError(f"regex.{key}: expected {{pattern: ..., within: N}}")
    return str(near["pattern"]), int(near.get("within", within))


def _callees_in_sight(unit: TextUnit, sanitizer: str | None) -> Any:
    """What ``follow`` asks of a callee: does its definition, in this file
    or another C file of the patch, convert the parameter at a position
    with ``sanitizer`` before using it (None: callees stay unknown)."""
    if sanitizer is None:
        return None
    texts = ("\n".join(unit.lines), *unit.patch_c)

    def converts(callee: str, position: int) -> bool | None:
        from reviewbot.match.ctaint import callee_converts  # the C parser loads only when asked

        return callee_converts(texts, callee, position, sanitizer)
    return converts


def _follow_spec(spec: Any) -> FollowSpec | None:
    """``follow-in-function: {name: GROUP, converts: RE, uses: RE[,
    sanitizer: FUNCTION]}``, the regexes with ``$GROUP`` standing for the
    bound name; with ``sanitizer``, a callee the patch defines is looked
    into for a conversion by that function."""
    if spec is None:
        return None
    keys = ("name", "converts", "uses")
    if not isinstance(spec, Mapping) or not set(keys) <= set(spec) <= {*keys, "sanitizer"}:
        raise ValueError("regex.follow-in-function: expected {name: GROUP, converts: REGEX, uses: REGEX"
                         "[, sanitizer: FUNCTION]}")
    sanitizer = spec.get("sanitizer")
    if sanitizer is not None and not re.fullmatch(r"[A-Za-z_]\w*", str(sanitizer)):
        raise ValueError(f"regex.follow-in-function.sanitizer: {sanitizer!r} is not a C function name")
    for key in ("converts", "uses"):
        try:
            re.compile(str(spec[key]).replace("$" + str(spec["name"]), "x"))
        except re.error as exc:
            raise ValueError(f"regex.follow-in-function.{key}: {exc}") from None
    return FollowSpec(str(spec["name"]), str(spec["converts"]), str(spec["uses"]),
                      str(sanitizer) if sanitizer is not None else None)
