"""The engine: a series and rules in, findings out.  Pure.

For every patch it builds the units the rules run on
(:mod:`reviewbot.match.file_units`: parsed regions of assembly with their
contexts, lines of C; and the commit message), runs each
rule on the units of its languages, keeps the hits its scope and diff mode
allow, and turns them into :class:`Finding` s.  A rule that crashes is
reported as a problem of that patch; it never stops the review.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Protocol

from reviewbot.asm.ast import UNCHECKED, Unparsed
from reviewbot.config import Config
from reviewbot.analysis.context import FileContext, StatementContext, path_matches
from reviewbot.analysis.kernels import Era, KernelVersion, version_from_mail_date
from hashlib import sha256
from reviewbot.match.units import AsmUnit, Hit, TextUnit
from reviewbot.analysis.eras import MAIL_DATE, brought_in, guessed_near, series_era
from reviewbot.errors import crash
from reviewbot.model import (
    Confidence, DiffLine, FileChange, Finding, Patch, PatchReview, Series, SeriesReview, Severity,
    TraceStep,
)
from reviewbot.match.patterns import render_template
from reviewbot.records import replace
from reviewbot.rules.loader import Rule, RuleSet
from reviewbot.match.file_units import (
    FileUnits, all_hyp, attach_removed_comments, build_units, defined_macros, hyp_uses, with_hyp_macros,
)
from reviewbot.analysis.views import View
from reviewbot.match.c_comment_facts import attach_c_facts
from reviewbot.match.focus import anchor_lines, changed_rows, context_at, could_repeat, focused_hits


# [ \t], not \s: \s runs over line ends, and from every line start of a
# run of blank lines, which made reading the notes quadratic.
_IGNORE_LINE = re.compile(r"^[ \t]*reviewbot-ignore:[ \t]*(\S+)[ \t]*(.*)$", re.MULTILINE)


class SourceTree(Protocol):
    """What tree-aware mode needs from a kernel checkout (:class:`reviewbot.analysis.tree.GitTree`)."""

    def old_file(self, change: FileChange) -> str | None:
        """The full pre-image of a changed file, or None when unknown."""

    def kernel_version(self) -> KernelVersion | None:
        """VERSION.PATCHLEVEL of the tree's Makefile."""

    def hyp_macro_uses(self, names: frozenset[str]) -> frozenset[str]:
        """Which of these macro names hyp code in the tree invokes."""


# --- era ---------------------------------------------------------------------------------


def era_of(patch: Patch | None, config: Config, tree: SourceTree | None, base_commit: str | None = None) -> Era:
    """The target kernel: the Makefile at the series' ``base-commit:`` (with
    a tree that has it), the tree's Makefile, configuration, the mail's date."""
    at_commit = getattr(tree, "kernel_version_at", None)
    if base_commit and at_commit is not None and (version := at_commit(base_commit)) is not None:
        return Era(version, f"base-commit {base_commit[:12]}")
    if tree is not None and (version := tree.kernel_version()) is not None:
        return Era(version, "tree")
    if config.context.kernel:
        return Era(KernelVersion.parse(str(config.context.kernel)), "config")
    if patch is not None and (version := version_from_mail_date(patch.message.date)) is not None:
        return Era(version, MAIL_DATE)
    return Era(None)


# --- running rules -------------------------------------------------------------------------


def _in_scope_file(rule: Rule, ctx: FileContext) -> bool:
    scope = rule.scope
    if scope.include and not path_matches(ctx.path, scope.include):
        return False
    if scope.exclude and path_matches(ctx.path, scope.exclude):
        return False
    if scope.kernel is not None and ctx.era.satisfies(scope.kernel) is not True:
        return False  # an unknown era says less, not more
    return True


def _in_scope_statement(rule: Rule, sctx: StatementContext | None, file_ctx: FileContext) -> bool:
    scope = rule.scope
    hyp = sctx.hyp if sctx else file_ctx.hyp
    vhe = sctx.vhe if sctx else file_ctx.vhe
    if scope.hyp == "hyp" and not hyp:
        return False
    if scope.hyp == "nvhe" and not (hyp and not vhe):
        return False
    if scope.hyp == "vhe" and not (hyp and vhe):
        return False
    if scope.hyp == "not-hyp" and hyp:
        return False
    if scope.sections and not (sctx and sctx.section and any(sctx.section.startswith(s) for s in scope.sections)):
        return False
    if scope.inside_macro_definition and not (sctx and sctx.macro):
        return False
    return True


def _allowed(rule: Rule, hit: Hit, view: View | None) -> bool:
    """Does the rule's diff mode make the patch answerable for this hit?"""
    if view is None:
        return True
    mode = rule.diff.mode
    if mode == "file" or view.all_added:
        return True
    anchors = hit.anchors or (hit.line,)
    if mode in ("added", "new"):
        if mode == "new":
            return True  # the pre-image comparison decides
        return any(0 < a <= len(view.rows) and view.rows[a - 1].kind == "+" for a in anchors)
    changed = changed_rows(view)  # match/focus.py narrows the matchers to what this allows
    return any(abs(a - c) <= rule.diff.context for a in anchors for c in changed)


def _render(template: str, bindings: Mapping[str, str], extra: Mapping[str, str]) -> str:
    return render_template(template, bindings, extra)


def _run_rule(rule: Rule, units: FileUnits) -> Iterator[tuple[Hit, Any, View | None, str]]:
    """Hits of one rule on one file, filtered by scope: (hit, unit, view, side)."""
    if not _in_scope_file(rule, units.context):
        return
    kinds = rule.languages
    if "arm64-asm" in kinds:
        yield from _asm_hits(rule, units.new_asm, units.context, "new")
    if "c" in kinds:
        for unit in units.new_c:
            for hit in rule.matcher.run(unit):
                yield hit, unit, unit.view, "new"


def _asm_hits(rule: Rule, asm_units: list[AsmUnit], ctx: FileContext, side: str):
    for unit in asm_units:
        for hit in focused_hits(rule.matcher, unit, anchor_lines(rule.diff.mode, rule.diff.context, unit.view)):
            if _in_scope_statement(rule, context_at(unit.region, hit.line), ctx):
                yield hit, unit, unit.view, side


def _fingerprint(rule_id: str, path: str | None, key: str, occurrence: int) -> str:
    digest = sha256(f"{rule_id}\0{path}\0{key}\0{occurrence}".encode()).hexdigest()
    return digest[:16]


def _finding(rule: Rule, hit: Hit, view: View | None, patch: Patch, path: str | None,
             occurrence: int, mail_base: int | None = None) -> Finding:
    row: DiffLine | None = view.rows[hit.line - 1] if view is not None and 0 < hit.line <= len(view.rows) else None
    line = row.new_line if row is not None else None
    old_line = row.old_line if row is not None and row.new_line is None else None
    mail_line = row.mail_line if row is not None else (mail_base + hit.line - 1 if mail_base else None)
    extra = {"FILE": path or "", "LINE": str(line or "")}
    for key, value in hit.extra.items():
        if key.endswith(".line") and value.isdigit():  # unit lines become file lines
            value = str(_file_line(view, int(value)) or value)
        extra[key] = value
    trace = tuple(
        TraceStep(role=role, line=_file_line(view, unit_line), text=text.strip())
        for role, unit_line, text in hit.trace
    )
    return Finding(
        rule_id=rule.id,
        severity=rule.severity,
        message=_render(rule.message, hit.bindings, extra),
        path=path,
        line=line,
        column=hit.column,
        old_line=old_line,
        mail_line=mail_line,
        confidence=rule.confidence,
        snippet=row.text if row is not None else "",
        fix=_render(rule.fix, hit.bindings, extra) if rule.fix else None,
        fix_safety=rule.fix_safety,
        end_column=hit.end_column,
        trace=trace,
        fingerprint=_fingerprint(rule.id, path, hit.key, occurrence),
        source=patch.message.source,
        msgid=patch.message.msgid,
    )


def _file_line(view: View | None, unit_line: int) -> int | None:
    if view is None or not 0 < unit_line <= len(view.rows):
        return None
    row = view.rows[unit_line - 1]
    return row.new_line if row.new_line is not None else row.old_line


def _suppression(finding: Finding, ignores: Mapping[str, str], config: Config) -> str | None:
    if finding.rule_id in ignores:
        return f"reviewbot-ignore in the patch: {ignores[finding.rule_id] or 'no reason given'}"
    for glob, rule_ids in config.rules.per_path_ignores:
        if finding.path and path_matches(finding.path, (glob,)) and finding.rule_id in rule_ids:
            return f"rules.per-path-ignores: {glob}"
    return None


def patch_ignores(patch: Patch) -> dict[str, str]:
    """``reviewbot-ignore: RULE reason`` lines below the patch's ``---``."""
    return {m.group(1): m.group(2).strip() for m in _IGNORE_LINE.finditer(patch.notes)}


def _review_files(patch: Patch, file_units: list[FileUnits], rules: RuleSet, config: Config) -> PatchReview:
    ignores = patch_ignores(patch)
    min_confidence = Confidence.parse(config.rules.min_confidence)
    findings: list[Finding] = []
    problems: list[str] = []
    for rule in rules:
        if rule.confidence < min_confidence:
            continue
        try:
            findings.extend(_rule_findings(rule, patch, file_units))
        except Exception as exc:  # noqa: BLE001 - a broken rule must not stop the review
            problems.append(f"rule {rule.id} failed on {patch.name}: {crash(exc)}")
    unchecked = _unchecked_lines(patch, file_units)
    problems.extend(unchecked)
    findings = [replace(f, suppressed=s) if (s := _suppression(f, ignores, config)) else f for f in findings]
    findings.sort(key=lambda f: (f.path or "", f.line or f.old_line or 0, -f.severity, f.rule_id))
    return PatchReview(patch=patch, findings=tuple(_dedupe(findings)), problems=tuple(problems),
                       unchecked=tuple(unchecked))


def _unchecked_lines(patch: Patch, file_units: list[FileUnits]) -> list[str]:
    """Lines the patch adds that the assembly readers gave up on (nested
    too deeply, too long): no rule saw them, so the patch is not fully checked."""
    problems = []
    for units in file_units:
        for unit in units.new_asm:
            for stmt in unit.region.statements:
                if type(stmt) is Unparsed and stmt.error in UNCHECKED:
                    line = _file_line(unit.view, stmt.line) or stmt.line
                    prefix = "" if patch.name == unit.view.path else f"{patch.name}: "  # a whole file: its path once
                    problems.append(f"{prefix}{unit.view.path}:{line}: not checked: {stmt.error}")
    return problems


def _dedupe(findings: list[Finding]) -> Iterator[Finding]:
    seen = set()
    for f in findings:
        key = (f.rule_id, f.path, f.line, f.old_line, f.message)
        if key not in seen:
            seen.add(key)
            yield f


def _rule_findings(rule: Rule, patch: Patch, file_units: list[FileUnits]) -> Iterator[Finding]:
    if "commit-msg" in rule.languages:
        unit = TextUnit("commit-msg", tuple(patch.commit_message.split("\n")))
        base = patch.message.body_line
        for number, hit in enumerate(rule.matcher.run(unit)):
            yield _finding(rule, hit, None, patch, None, number, mail_base=base)
    asm, c = "arm64-asm" in rule.languages, "c" in rule.languages
    for units in file_units:
        if not ((asm and units.new_asm) or (c and units.new_c)):
            continue  # no unit of the rule's languages: no hit, old side or not
        occurrences: dict[str, int] = {}
        hits = list(_run_rule(rule, units))
        if rule.diff.mode == "new":
            hits = _new_only(rule, units, hits)
        for hit, unit, view, side in hits:
            if not _allowed(rule, hit, view):
                continue
            n = occurrences.get(hit.key, 0)
            occurrences[hit.key] = n + 1
            finding = _finding(rule, hit, view, patch, units.change.path, n)
            reason = _unsure(rule, hit, units.context.era)
            yield _said_less(finding, reason) if reason else finding


def _unsure(rule: Rule, hit: Hit, era: Era) -> str | None:
    """Why a hit is less sure than its rule: the matcher says so (``UNSURE``),
    or it hangs on a kernel era guessed from the mail date near a bound of
    the rule (its scope, or the taint source that made it, ``KERNEL``)."""
    if hit.extra.get("UNSURE"):
        return hit.extra["UNSURE"]
    ranges = [r for r in (rule.scope.kernel, hit.extra.get("KERNEL")) if r]
    if (spec := guessed_near(era, ranges)) is not None:
        return (f"kernel {era.version} assumed from the mail date, one release from this rule's range "
                f"{spec}; give the kernel with -c context.kernel=VERSION or a base-commit: line")
    return None


def _said_less(finding: Finding, reason: str) -> Finding:
    """One severity lower (never below info), with the reason in the message."""
    lower = Severity(max(Severity.INFO, finding.severity - 1))
    return replace(finding, severity=lower, message=f"{finding.message} ({reason})",
                   extra=finding.extra + (("unsure", reason),))


def _new_only(rule: Rule, units: FileUnits, hits: list) -> list:
    """Keep the post-image hits the pre-image did not have (by statement key
    and count), and that touch the patch (a trace step or anchor on a
    changed line, or a removed line the pre-image had)."""
    old_keys: dict[str, int] = {}
    if "arm64-asm" in rule.languages and could_repeat(rule.matcher, units.old_asm, {h.key for h, *_ in hits}):
        for hit, *_ in _asm_hits(rule, units.old_asm, units.context, "old"):
            old_keys[hit.key] = old_keys.get(hit.key, 0) + 1
    kept = []
    for item in hits:
        hit = item[0]
        if old_keys.get(hit.key, 0) > 0:
            old_keys[hit.key] -= 1
            continue
        kept.append(item)
    return kept


#: How near a change (lines) tree-aware review reads a function's
#: instructions, at least: a rule's default ``context``.  A comment near a
#: change has the code under it read too (``whole_file.read_pair``).
NEAR = 3


def read_near(rules: RuleSet) -> int | None:
    """How near a change the functions of a whole file are read: no rule
    can have a hit counted further away (``context`` mode; the ``new`` and
    ``file`` modes compare or take what the read functions give)."""
    return max([NEAR] + [r.diff.context for r in rules if r.diff.mode == "context"])


# --- the entry points ------------------------------------------------------------------------


def review(series: Series, rules: RuleSet, config: Config, tree: SourceTree | None = None) -> SeriesReview:
    """Review every patch of a series, each on its own but with the whole
    series as context (a macro used from hyp code in another patch is hyp)."""
    prepared: list[tuple[Patch, Era, list[FileUnits] | None, str | None]] = []
    base = series_base_commit(series)
    eras: dict[str | None, Era] = {}
    brought = None  # the newest kernel a patch so far brought in (hyp relocations, ...)
    near = read_near(rules)
    store = getattr(tree, "files", None)  # outlines of the tree's files, kept across runs
    for patch in series.patches:
        if tree is not None and base not in eras:
            eras[base] = era_of(None, config, tree, base)
        era = eras[base] if tree is not None and eras[base].version is not None else era_of(patch, config, tree)
        if (now := brought_in(patch.files, config.context.capabilities)) and (not brought or now[0] > brought[0]):
            brought = now
        era = series_era(era, brought)
        if patch.error:
            prepared.append((patch, era, None, patch.error))
            continue
        try:
            units = [build_units(change, config, era, old_text=tree.old_file(change) if tree else None,
                                 near=near, store=store) for change in patch.files]
            prepared.append((patch, era, units, None))
        except Exception as exc:  # noqa: BLE001 - one bad patch must not stop the others
            prepared.append((patch, era, None, crash(exc)))
    # a macro used from hyp code makes its body hyp, which a hyp file's code is anyway
    every_region_hyp = all_hyp(u for _, _, us, _ in prepared if us for u in us)
    hyp_macros = frozenset() if every_region_hyp else frozenset(hyp_uses(u for _, _, us, _ in prepared if us for u in us))
    if tree is not None and not every_region_hyp:
        defined = frozenset(defined_macros(u for _, _, us, _ in prepared if us for u in us))
        hyp_macros |= tree.hyp_macro_uses(defined - hyp_macros) if defined - hyp_macros else frozenset()
    reviews = []
    for patch, era, units, error in prepared:
        said = {"kernel": str(era.version) if era.version is not None else None, "kernel_origin": era.origin}
        if units is None:
            reviews.append(PatchReview(patch=patch, problems=(f"{patch.name}: {error}",), **said))
            continue
        for u in units if hyp_macros else ():
            with_hyp_macros(u, hyp_macros, config)
        attach_removed_comments(units)
        attach_c_facts(units)
        reviews.append(replace(_review_files(patch, units, rules, config), **said))
    return SeriesReview(series=series, patches=tuple(reviews))


def series_base_commit(series: Series) -> str | None:
    """``base-commit:`` of the series (the cover letter, else a patch)."""
    if series.cover is not None:
        match = re.search(r"^base-commit:\s*([0-9a-f]{7,40})\s*$", series.cover.body, re.MULTILINE)
        if match:
            return match.group(1)
    return next((p.base_commit for p in series.patches if p.base_commit), None)


def review_file(path: str, text: str, rules: RuleSet, config: Config,
                era: Era | None = None) -> PatchReview:
    """Check a whole source file, every line counting as added (``check --file``)."""
    from reviewbot.model import Message, SubjectTags
    change = FileChange(old_path=path, new_path=path, hunks=())
    era = era or (Era(KernelVersion.parse(str(config.context.kernel)), "config")
                  if config.context.kernel else Era(None))
    units = build_units(change, config, era, whole_file_text=text)
    hyp_macros = frozenset(hyp_uses([units]))
    with_hyp_macros(units, hyp_macros, config)
    patch = Patch(message=Message(msgid=None, subject="", sender="", source=path),
                  tags=SubjectTags(title=""), commit_message="", files=(change,))
    return replace(_review_files(patch, [units], rules, config),
                   kernel=str(era.version) if era.version is not None else None, kernel_origin=era.origin)
