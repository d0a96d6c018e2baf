"""The rule-test harness (``reviewbot rules test`` and ``tests/test_rules.py``).

Two kinds of cases sit beside each rule, one scheme per kind:

- ``<id>.test.S`` / ``<id>.test.c``: annotated source, checked as a whole
  file (every line added).  A first-line header sets the context:
  ``// reviewbot-test: path=arch/arm64/kvm/hyp/entry.S kernel=5.10``.
  ``// ruleid: <id>`` expects a finding on the next code line, ``// ok: <id>``
  expects none there; ``todoruleid``/``todook`` record known gaps.
- ``<id>.test.mbox``: real ``git format-patch`` messages, one case each, for
  what only a diff shows (diff modes, removed lines, the series); with a
  directory ``<id>.test.tree/`` beside it, the cases run tree-aware, the
  pre-image of each file read from there.  Headers
  say what to expect: ``X-Reviewbot-Expect: <id> <path>:+<line>`` (a finding
  on new-file line), ``<id> <path>:-<line>`` (old-file line), ``<id>`` (a
  patch-level finding), or ``none``; ``X-Reviewbot-Todo:`` a known gap.

A case fails as *missing* (expected, not found) or *noisy* (found, not
expected).  Given the ids of the loaded rules, an annotation or header naming
none of them is an error (a misspelt id would otherwise expect nothing).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from difflib import get_close_matches
from pathlib import Path

from reviewbot import records
from reviewbot.config import Config
from reviewbot.records import field, record
from reviewbot.rules.loader import Rule, RuleSet

_HEADER = re.compile(r"reviewbot-test:\s*(.*)$")
_ANNOTATION = re.compile(r"(?://|/\*|#)\s*(ruleid|ok|todoruleid|todook):\s*([\w.,\- ]+?)\s*(?:\*/)?\s*$")
_EXPECT = re.compile(r"^(\S+)(?:\s+(\S+):([+-])(\d+))?$")


@record(frozen=False)
class CaseResult:
    """The outcome of the cases of one rule in one test file."""

    rule_id: str
    path: str
    missing: list[str] = field(default_factory=list)
    noisy: list[str] = field(default_factory=list)
    passed: int = 0
    todo: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No missing, noisy or broken case."""
        return not (self.missing or self.noisy or self.errors)


def case_files(rule: Rule) -> list[Path]:
    """The case files beside a rule."""
    base = Path(rule.path)
    stem = base.name[: -len(".yaml")]
    return sorted(p for p in base.parent.glob(stem + ".test.*") if p.suffix in (".S", ".c", ".h", ".mbox"))


def run_rule_tests(rule: Rule, config: Config, known_ids: Collection[str] | None = None) -> list[CaseResult]:
    """Run every case file of one rule with only that rule enabled; with
    ``known_ids`` (the loaded rules'), a case naming another id is an error."""
    results = []
    for path in case_files(rule):
        if path.suffix == ".mbox":
            result = _run_mbox(rule, path, config, known_ids)
        else:
            result = _run_source(rule, path, config, known_ids)
        results.append(result)
    return results


def _unknown_id(rule_id: str, known_ids: Collection[str] | None) -> str | None:
    """``no rule is called X (did you mean Y?)``, or None for a known id."""
    if known_ids is None or rule_id in known_ids:
        return None
    close = get_close_matches(rule_id, sorted(known_ids), n=1)
    return f"no rule is called {rule_id!r}" + (f" (did you mean {close[0]!r}?)" if close else "")


def _single(rule: Rule) -> RuleSet:
    return RuleSet((rule,))


def _run_source(rule: Rule, path: Path, config: Config, known_ids: Collection[str] | None) -> CaseResult:
    from reviewbot.analysis.kernels import Era, KernelVersion
    from reviewbot.engine import review_file

    result = CaseResult(rule.id, str(path))
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    settings = {}
    header = _HEADER.search(lines[0]) if lines else None
    if header:
        settings = dict(item.split("=", 1) for item in header.group(1).split() if "=" in item)
    virtual = settings.get("path", f"arch/arm64/{path.name}")
    era = Era(KernelVersion.parse(settings["kernel"]), "test") if "kernel" in settings else Era(None)
    expected: dict[int, str] = {}
    for number, line in enumerate(lines, start=1):
        match = _ANNOTATION.search(line)
        if not match:
            continue
        kind, ids = match.group(1), [i.strip() for i in match.group(2).split(",")]
        result.errors.extend(f"{path}:{number}: {problem}" for i in ids
                             if (problem := _unknown_id(i, known_ids)) is not None)
        if rule.id not in ids:
            continue
        target = _next_code_line(lines, number)
        if target is None:
            result.errors.append(f"{path}:{number}: annotation with no code line after it")
            continue
        expected[target] = kind
    if not any(kind in ("ruleid", "todoruleid") for kind in expected.values()):
        result.errors.append(f"{path}: no 'ruleid: {rule.id}' case")
    if not any(kind in ("ok", "todook") for kind in expected.values()):
        result.errors.append(f"{path}: no 'ok: {rule.id}' case")
    review = review_file(virtual, text, _single(rule), _test_config(config), era=era)
    result.errors.extend(review.problems)
    found = {f.line for f in review.findings if f.rule_id == rule.id}
    for number, kind in sorted(expected.items()):
        hit = number in found
        if kind == "ruleid":
            _tally(result, hit, f"{path}:{number}: expected {rule.id} here", missing=True)
        elif kind == "ok":
            _tally(result, not hit, f"{path}:{number}: {rule.id} fired on an ok line", missing=False)
        else:
            result.todo += 1
    for hit_line in sorted(f for f in found - set(expected) if f is not None):
        result.noisy.append(f"{path}:{hit_line}: {rule.id} fired on an unannotated line")
    return result


def _tally(result: CaseResult, good: bool, message: str, *, missing: bool) -> None:
    if good:
        result.passed += 1
    elif missing:
        result.missing.append(message)
    else:
        result.noisy.append(message)


def _next_code_line(lines: list[str], number: int) -> int | None:
    for candidate in range(number + 1, len(lines) + 1):
        text = lines[candidate - 1].strip()
        if text and not _ANNOTATION.search(text):
            return candidate
    return None


def _test_config(config: Config) -> Config:
    """The run's configuration without user selections (one rule runs)."""
    return records.replace(config, rules=records.replace(config.rules, select=(), ignore=(),
                                                                 min_confidence="low",
                                                                 per_path_ignores=()))


def _run_mbox(rule: Rule, path: Path, config: Config, known_ids: Collection[str] | None) -> CaseResult:
    from reviewbot.engine import review
    from reviewbot.mail.parse import parse_input
    from reviewbot.mail.series import assemble_series

    result = CaseResult(rule.id, str(path))
    messages, errors = parse_input(path.read_bytes(), source=str(path))
    result.errors.extend(str(e) for e in errors)
    series_list, _ = assemble_series(messages)
    tree_dir = path.with_name(path.name[: -len(".mbox")] + ".tree")
    tree = DirectoryTree(tree_dir) if tree_dir.is_dir() else None
    has_positive = has_negative = False
    for series in series_list:
        reviewed = review(series, _single(rule), _test_config(config), tree)
        for patch_review in reviewed.patches:
            message = patch_review.patch.message
            result.errors.extend(patch_review.problems)
            expects = [e for v in _headers(message, "X-Reviewbot-Expect") for e in v.split(";") if e.strip()]
            todos = _headers(message, "X-Reviewbot-Todo")
            result.todo += len(todos)
            wanted: set[tuple[str | None, str | None, int | None]] = set()
            for expect in expects:
                item = expect.strip()
                if item == "none":
                    has_negative = True
                    continue
                match = _EXPECT.match(item)
                if not match:
                    result.errors.append(f"{message.source}: bad X-Reviewbot-Expect {item!r}")
                    continue
                if match.group(1) != rule.id:
                    if (problem := _unknown_id(match.group(1), known_ids)) is not None:
                        result.errors.append(f"{message.source}: X-Reviewbot-Expect: {problem}")
                    continue
                has_positive = True
                wanted.add((match.group(2), match.group(3), int(match.group(4))) if match.group(2) else (None, None, None))
            if not expects and not todos:
                result.errors.append(f"{message.source}: case without X-Reviewbot-Expect")
            got: set[tuple[str | None, str | None, int | None]] = set()
            for f in patch_review.findings:
                if f.rule_id != rule.id:
                    continue
                if f.path is None:
                    got.add((None, None, None))
                elif f.line is not None:
                    got.add((f.path, "+", f.line))
                else:
                    got.add((f.path, "-", f.old_line))
            subject = message.subject or message.source
            for place in sorted(wanted - got, key=str):
                result.missing.append(f"{subject}: expected {rule.id} at {_where(place)}")
            for place in sorted(got - wanted, key=str):
                result.noisy.append(f"{subject}: unexpected {rule.id} at {_where(place)}")
            result.passed += len(wanted & got) + (1 if not wanted and not got and expects else 0)
    if not has_positive:
        result.errors.append(f"{path}: no case expects {rule.id}")
    if not has_negative:
        result.errors.append(f"{path}: no 'X-Reviewbot-Expect: none' case")
    return result


class DirectoryTree:
    """A kernel tree for rule tests: the pre-image of each changed file is
    read from a directory beside the case file (``<id>.test.tree/``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def old_file(self, change) -> str | None:
        """The file as the directory holds it, or None."""
        if change.old_path is None:
            return None
        path = self.root / change.old_path
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def kernel_version(self):
        """VERSION.PATCHLEVEL of the directory's Makefile, if any."""
        from reviewbot.analysis.kernels import version_from_makefile
        makefile = self.root / "Makefile"
        return version_from_makefile(makefile.read_text()) if makefile.is_file() else None

    def hyp_macro_uses(self, names: frozenset[str]) -> frozenset[str]:
        """Names invoked from the directory's hyp assembly."""
        text = " ".join(p.read_text(errors="replace") for p in self.root.rglob("*.S") if "/kvm/hyp" in p.as_posix())
        return frozenset(n for n in names if re.search(rf"^\s*{re.escape(n)}\b", text, re.MULTILINE))


def _headers(message, name: str) -> list[str]:
    return [v for k, v in message.headers if k.lower() == name.lower()]


def _where(item: tuple) -> str:
    path, side, line = item
    return "patch level" if path is None else f"{path}:{side}{line}"
