"""One rule file: the records a rule is (:class:`Rule`, its :class:`Scope`
and :class:`DiffSpec`, and a :class:`RuleSet`), and how a YAML file is read
and built into one.  Unknown keys, unknown matchers and bad values are
:class:`RuleError` s that name the file, the line, the key and the valid
choices; the keys and choices come from the schema (``schema.json``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewbot.errors import RuleError
from reviewbot.model import Confidence, Severity
from reviewbot.records import field, record
from reviewbot.rules.linedict import LineDict

if TYPE_CHECKING:
    from reviewbot.rules.schema import SchemaFacts

RULE_ID = re.compile(r"^[a-z0-9]+([.-][a-z0-9]+)*$")
#: The sections of a rule's description in the bundled pack (tests/test_rules.py).
DESCRIPTION_SECTIONS = ("What it checks", "Why it matters", "Example", "Use instead", "References")


@record
class Scope:
    """Where a rule applies.  All keys must hold; list items are alternatives."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    hyp: str = "any"  # any | hyp | nvhe | vhe | not-hyp
    kernel: str | None = None  # e.g. "<5.12"
    sections: tuple[str, ...] = ()
    inside_macro_definition: bool = False


@record
class DiffSpec:
    """Which findings a patch is answerable for: ``added`` lines (default),
    within ``context`` lines of a change, the whole ``file``, or ``new``
    findings that the pre-image did not have."""

    mode: str = "added"
    context: int = 3


@record
class Rule:
    """A loaded rule.  ``matcher`` is the compiled form of its ``match``,
    ``taint``, ``comment`` or ``regex`` block."""

    id: str
    title: str
    severity: Severity
    confidence: Confidence
    languages: tuple[str, ...]
    message: str
    matcher_kind: str
    matcher: Any
    scope: Scope = field(default_factory=Scope)
    diff: DiffSpec = field(default_factory=DiffSpec)
    fix: str | None = None
    fix_safety: str = "display-only"
    description: str = ""
    references: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)
    status: str = "stable"
    path: str = ""

    @property
    def area(self) -> str:
        """The folder the rule lives in (``arm64-sysreg``)."""
        return Path(self.path).parent.name


@record
class RuleSet:
    """The rules that run, in id order."""

    rules: tuple[Rule, ...]

    def __iter__(self):
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def get(self, rule_id: str) -> Rule | None:
        """The rule with this id, or None."""
        return next((r for r in self.rules if r.id == rule_id), None)

    @property
    def version(self) -> str:
        """A short hash of the rule set, quoted in replies ("rules version")."""
        from hashlib import sha256

        digest = sha256()
        for rule in self.rules:
            digest.update(rule.id.encode())
            try:
                digest.update(Path(rule.path).read_bytes())
            except OSError:
                pass
        return digest.hexdigest()[:12]


# --- one file ------------------------------------------------------------------------


def read_yaml(path: Path) -> Any:
    """Parse a YAML file whose mappings remember their lines."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(str(path), None, None, f"cannot read: {exc}") from exc
    from reviewbot.rules.yaml_lines import YAMLError, load_with_lines

    try:
        return load_with_lines(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RuleError(str(path), mark.line + 1 if mark else None, None, f"not valid YAML: {exc}") from exc


def load_rule_file(path: Path) -> Rule:
    """Load one rule file; RuleError names the file, line and key of any problem."""
    data = read_yaml(path)
    if not isinstance(data, LineDict):
        raise RuleError(str(path), None, None, "a rule file must be a mapping")
    return build_rule(data, str(path))


def build_rule(data: LineDict, path: str) -> Rule:
    """A Rule from the mapping of a rule file."""
    from reviewbot.match.registry import MATCHERS, compile_matcher
    from reviewbot.rules.schema import facts

    schema = facts()

    def fail(key: str | None, problem: str, node: Any = data) -> RuleError:
        line = node.lines.get(key) if isinstance(node, LineDict) and key in node.lines else getattr(node, "line", None)
        return RuleError(path, line, key, problem)

    _check_keys(data, schema.top_keys, "", fail)
    for required in schema.required:
        if required not in data:
            raise fail(None, f"missing required key '{required}'")
    rule_id = data["id"]
    if not isinstance(rule_id, str) or not RULE_ID.match(rule_id):
        raise fail("id", f"{rule_id!r} is not a valid rule id (lower case, dotted, e.g. arm64.hyp.missing-kern-hyp-va)")
    if Path(path).name.endswith(".yaml") and Path(path).stem != rule_id:
        raise fail("id", f"the file must be named after the rule id: {rule_id}.yaml")
    try:
        severity = Severity.parse(str(data["severity"]))
    except ValueError as exc:
        raise fail("severity", str(exc)) from None
    try:
        confidence = Confidence.parse(str(data.get("confidence", "medium")))
    except ValueError as exc:
        raise fail("confidence", str(exc)) from None
    languages = _str_list(data.get("languages", ["arm64-asm"]), "languages", fail)
    for lang in languages:
        if lang not in schema.languages:
            raise fail("languages", f"unknown language {lang!r} (valid: {', '.join(schema.languages)})")
    kinds = [k for k in schema.matcher_keys if k in data]
    if len(kinds) != 1:
        raise fail(None, f"a rule needs exactly one of: {', '.join(schema.matcher_keys)} (found {len(kinds)})")
    kind = kinds[0]
    if kind not in MATCHERS:
        raise fail(kind, f"unknown matcher {kind!r} (valid: {', '.join(sorted(MATCHERS))})")
    try:
        matcher = compile_matcher(kind, data[kind], path)
    except RuleError:
        raise
    except (ValueError, TypeError, KeyError, re.error) as exc:
        raise fail(kind, str(exc)) from None
    fix, safety = _fix(data.get("fix"), fail, schema)
    return Rule(
        id=rule_id,
        title=str(data["title"]),
        severity=severity,
        confidence=confidence,
        languages=tuple(languages),
        message=" ".join(str(data["message"]).split()),
        matcher_kind=kind,
        matcher=matcher,
        scope=_scope(data.get("scope"), fail, schema),
        diff=_diff(data.get("diff"), fail, schema),
        fix=fix,
        fix_safety=safety,
        description=str(data.get("description", "")),
        references=tuple(_str_list(data.get("references", []), "references", fail)),
        metadata=dict(data.get("metadata") or {}),
        status=str(data.get("status", "stable")),
        path=path,
    )


def _check_keys(node: Any, valid: tuple[str, ...], prefix: str, fail: Any) -> None:
    if not isinstance(node, Mapping):
        raise fail(prefix.rstrip(".") or None, "expected a mapping")
    for key in node:
        if key not in valid:
            raise fail(key, f"unknown key '{prefix}{key}' (valid keys: {', '.join(valid)})", node)


def _str_list(value: Any, key: str, fail: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail(key, "expected a list of strings")
    return list(value)


def _scope(node: Any, fail: Any, schema: SchemaFacts) -> Scope:
    if node is None:
        return Scope()
    _check_keys(node, schema.scope_keys, "scope.", fail)
    paths = node.get("paths", {}) or {}
    if isinstance(paths, list):
        include, exclude = paths, []
    else:
        _check_keys(paths, ("include", "exclude"), "scope.paths.", fail)
        include, exclude = paths.get("include", []), paths.get("exclude", [])
    hyp = str(node.get("hyp", "any"))
    if hyp == "True":
        hyp = "hyp"
    if hyp not in schema.hyp_choices:
        raise fail("hyp", f"unknown hyp scope {hyp!r} (valid: {', '.join(schema.hyp_choices)})", node)
    kernel = node.get("kernel")
    if kernel is not None:
        from reviewbot.analysis.kernels import Era, KernelVersion
        try:
            Era(KernelVersion(5, 0)).satisfies(str(kernel))
        except ValueError as exc:
            raise fail("kernel", str(exc), node) from None
    return Scope(
        include=tuple(_str_list(include, "paths", fail)),
        exclude=tuple(_str_list(exclude, "paths", fail)),
        hyp=hyp,
        kernel=str(kernel) if kernel is not None else None,
        sections=tuple(_str_list(node.get("sections", []), "sections", fail)),
        inside_macro_definition=bool(node.get("inside-macro-definition", False)),
    )


def _diff(node: Any, fail: Any, schema: SchemaFacts) -> DiffSpec:
    if node is None:
        return DiffSpec()
    _check_keys(node, schema.diff_keys, "diff.", fail)
    mode = str(node.get("mode", "added"))
    if mode not in schema.diff_modes:
        raise fail("mode", f"unknown diff mode {mode!r} (valid: {', '.join(schema.diff_modes)})", node)
    context = node.get("context", 3)
    if not isinstance(context, int) or context < 0:
        raise fail("context", "expected a whole number of lines", node)
    return DiffSpec(mode=mode, context=context)


def _fix(node: Any, fail: Any, schema: SchemaFacts) -> tuple[str | None, str]:
    if node is None:
        return None, "display-only"
    if isinstance(node, str):
        return node, "display-only"
    _check_keys(node, schema.fix_keys, "fix.", fail)
    safety = str(node.get("safety", "display-only"))
    if safety not in schema.fix_safety:
        raise fail("safety", f"unknown fix safety {safety!r} (valid: {', '.join(schema.fix_safety)})", node)
    if "template" not in node:
        raise fail("fix", "missing 'template'")
    return str(node["template"]), safety
