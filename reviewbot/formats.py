"""Output formats: a registry of pure formatters, ``Report -> str``.

- ``text``: ``path:line: severity: [rule-id] message`` (compiler style);
- ``checkpatch``: checkpatch's terse ``--showfile`` form and ``total:`` line,
  frozen because scripts parse it;
- ``json``: a versioned document (``schema_version``);
- ``sarif``: SARIF 2.1.0 for code-scanning UIs;
- ``b4``: b4's per-patch check contract (nothing when clean, ``ERROR:``
  lines for errors, warnings otherwise);
- ``b4-review``: the JSON array ``b4 review`` check commands return.

What the formats for a person show of a patch (paths, subjects, messages
quoting its lines; b4's too, which it prints) is :func:`printable`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from reviewbot import __version__
from reviewbot.model import Finding, PatchReview, Severity
from reviewbot.printable import printable
from reviewbot.records import field, record
from reviewbot.rules.loader import Rule, RuleSet

JSON_SCHEMA_VERSION = 1
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_CHECKPATCH_LEVEL = {Severity.ERROR: "ERROR", Severity.WARNING: "WARNING", Severity.INFO: "CHECK"}
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


@record
class Report:
    """What a run found: the review of each patch (or file), the rules that
    ran, and how many input lines were checked."""

    reviews: tuple[PatchReview, ...]
    rules: RuleSet
    lines_checked: int = 0
    problems: tuple[str, ...] = field(default=())
    quiet: bool = False  # text: the findings alone (no patch headers, no total line)
    color: bool = False  # text: ANSI colours (the caller decides: a terminal, NO_COLOR, --color)

    @property
    def findings(self) -> list[Finding]:
        """Unsuppressed findings, in input order."""
        return [f for r in self.reviews for f in r.findings if not f.suppressed]

    @property
    def suppressed(self) -> list[Finding]:
        """Findings a suppression matched."""
        return [f for r in self.reviews for f in r.findings if f.suppressed]


FORMATTERS: dict[str, Callable[[Report], str]] = {}


def formatter(name: str) -> Callable[[Callable[[Report], str]], Callable[[Report], str]]:
    """Register a formatter for ``--format name``."""
    def register(fn: Callable[[Report], str]) -> Callable[[Report], str]:
        FORMATTERS[name] = fn
        return fn
    return register


def checkpatch_type(rule_id: str) -> str:
    """A checkpatch-style TYPE for a rule id: ``arm64.sysreg.msr-to-read-only``
    -> ``ARM64_SYSREG_MSR_TO_READ_ONLY``."""
    return re.sub(r"[^A-Za-z0-9]+", "_", rule_id).upper()


_COLORS = {Severity.ERROR: "1;31", Severity.WARNING: "1;35", Severity.INFO: "1;36"}  # as gcc


def _paint(text: str, code: str, on: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if on else text


def _inputs(report: Report) -> str:
    """``2 patches`` (``1 file`` for whole source files, which have no subject)."""
    files = bool(report.reviews) and all(not r.patch.message.subject for r in report.reviews)
    number = len(report.reviews)
    if files:
        return _count(number, "file")
    return f"{number} {'patch' if number == 1 else 'patches'}"


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'s' if number != 1 and word != 'info' else ''}"


@formatter("text")
def format_text(report: Report) -> str:
    """One line per finding, compiler style; when the input held more than
    one patch, each patch's findings under a ``source: subject`` line; then
    a ``total:`` line as checkpatch prints (not with ``quiet``; nothing at
    all when there is nothing to report)."""
    out = []
    several = len(report.reviews) > 1
    for review in report.reviews:
        findings = [f for f in review.findings if not f.suppressed]
        if findings and several and not report.quiet:
            message = review.patch.message
            out.append(_paint(printable(f"{message.source}: {message.subject}".rstrip(": ")), "1", report.color))
        for f in findings:
            out.append(f"{_paint(printable(f.location), '1', report.color)}: "
                       f"{_paint(f.severity.label, _COLORS[f.severity], report.color)}: [{f.rule_id}] "
                       f"{printable(f.message)}")
    if out and not report.quiet:  # silence is success: a clean run prints nothing
        counts = {level: sum(1 for f in report.findings if f.severity == level) for level in Severity}
        out.append(f"total: {_count(counts[Severity.ERROR], 'error')}, "
                   f"{_count(counts[Severity.WARNING], 'warning')}, {_count(counts[Severity.INFO], 'info')}, "
                   f"{_inputs(report)}, {_count(report.lines_checked, 'line')} checked")
    return "".join(line + "\n" for line in out)


@formatter("checkpatch")
def format_checkpatch(report: Report) -> str:
    """checkpatch.pl ``--terse --showfile`` lines, then its ``total:`` line
    (which checkpatch's ``--quiet`` leaves out when there is nothing)."""
    lines = [printable(f"{f.location}: {_CHECKPATCH_LEVEL[f.severity]}:{checkpatch_type(f.rule_id)}: {f.message}")
             for f in report.findings]
    if report.quiet and not lines:
        return ""
    counts = {level: sum(1 for f in report.findings if f.severity == level) for level in Severity}
    lines.append(f"total: {counts[Severity.ERROR]} errors, {counts[Severity.WARNING]} warnings, "
                 f"{counts[Severity.INFO]} checks, {report.lines_checked} lines checked")
    return "\n".join(lines) + "\n"


def finding_dict(f: Finding) -> dict:
    """A finding as plain JSON data (the ``findings`` items of the JSON format)."""
    return {
        "rule_id": f.rule_id,
        "severity": f.severity.label,
        "confidence": f.confidence.label,
        "message": f.message,
        "path": f.path,
        "line": f.line,
        "column": f.column,
        "old_line": f.old_line,
        "mail_line": f.mail_line,
        "source": f.source,
        "msgid": f.msgid,
        "snippet": f.snippet,
        "fix": f.fix,
        "fix_safety": f.fix_safety,
        "trace": [{"role": t.role, "line": t.line, "text": t.text} for t in f.trace],
        "fingerprint": f.fingerprint,
        "suppressed": f.suppressed,
    }


@formatter("json")
def format_json(report: Report) -> str:
    """The versioned JSON document."""
    doc = {
        "schema_version": JSON_SCHEMA_VERSION,
        "tool": {"name": "reviewbot", "version": __version__, "rules_version": report.rules.version},
        "inputs": [{"source": r.patch.message.source, "msgid": r.patch.message.msgid,
                    "subject": r.patch.message.subject, "problems": list(r.problems),
                    "kernel": _kernel(r)}
                   for r in report.reviews],
        "findings": [finding_dict(f) for f in report.findings],
        "suppressed": [finding_dict(f) for f in report.suppressed],
        "problems": list(report.problems) + [p for r in report.reviews for p in r.problems],
        "summary": {level.label: sum(1 for f in report.findings if f.severity == level) for level in Severity},
    }
    import json

    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _kernel(review: PatchReview) -> dict:
    """The kernel a patch was judged for, and how that was learnt (a mail
    date is a guess: ``-c context.kernel=`` sets it)."""
    return {"version": review.kernel, "origin": review.kernel_origin or "unknown"}


def _sarif_rule(rule: Rule) -> dict:
    entry = {
        "id": rule.id,
        "name": rule.id,
        "shortDescription": {"text": rule.title},
        "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
        "properties": {"precision": {0: "low", 1: "medium", 2: "high"}[int(rule.confidence)],
                       "tags": [rule.area] if rule.area else []},
    }
    if rule.description:
        entry["fullDescription"] = {"text": rule.description.strip().split("\n\n")[0]}
        entry["help"] = {"text": rule.description.strip(), "markdown": rule.description.strip()}
    return entry


def _artifact(path: str, in_tree: bool = True) -> dict:
    """A SARIF artifactLocation: a URI reference, percent-encoded (a space
    or ``#`` in a name would not be one), relative to the tree's top, or a
    ``file:`` URI for an absolute path."""
    from pathlib import PurePosixPath
    from urllib.parse import quote

    if PurePosixPath(path).is_absolute():
        return {"uri": PurePosixPath(path).as_uri()}
    return {"uri": quote(path), "uriBaseId": "SRCROOT"} if in_tree else {"uri": quote(path)}


def _sarif_location(f: Finding) -> dict:
    if f.path is None:
        region = {"startLine": f.mail_line} if f.mail_line else {}
        physical = {"artifactLocation": _artifact(f.source or "patch", in_tree=False)}
    else:
        line = f.line if f.line is not None else f.old_line
        region = {"startLine": line} if line else {}
        if line and f.column:
            region["startColumn"] = f.column
        physical = {"artifactLocation": _artifact(f.path)}
    if region:
        physical["region"] = region
    return {"physicalLocation": physical}


def _sarif_result(f: Finding, index: dict[str, int]) -> dict:
    result = {
        "ruleId": f.rule_id,
        "level": _SARIF_LEVEL[f.severity],
        "message": {"text": f.message},
        "locations": [_sarif_location(f)],
        "partialFingerprints": {"reviewbot/v1": f.fingerprint},
    }
    if f.rule_id in index:
        result["ruleIndex"] = index[f.rule_id]
    if f.trace and f.path:
        steps = [{"location": {"physicalLocation": {
                     "artifactLocation": _artifact(f.path),
                     **({"region": {"startLine": t.line}} if t.line else {})},
                  "message": {"text": f"{t.role}: {t.text}"}}} for t in f.trace]
        result["codeFlows"] = [{"threadFlows": [{"locations": steps}]}]
    if f.suppressed:
        result["suppressions"] = [{"kind": "external", "justification": f.suppressed}]
    return result


@formatter("sarif")
def format_sarif(report: Report) -> str:
    """SARIF 2.1.0 (validates against the official schema)."""
    rules = list(report.rules)
    index = {r.id: i for i, r in enumerate(rules)}
    results = [_sarif_result(f, index) for f in report.findings + report.suppressed]
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "reviewbot",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [_sarif_rule(r) for r in rules],
            }},
            "originalUriBaseIds": {"SRCROOT": {"description": {"text": "the top of the kernel tree"}}},
            "properties": {"kernel": [{"source": r.patch.message.source, **_kernel(r)} for r in report.reviews]},
            # what could not be checked (an input not read, a rule that failed):
            # a run that reads only this file must not take it for a clean one
            "invocations": [{
                "executionSuccessful": not _all_problems(report),
                "toolExecutionNotifications": [{"level": "error", "message": {"text": problem}}
                                               for problem in _all_problems(report)],
            }],
            "results": results,
        }],
    }
    import json

    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


_B4_LEVEL = {Severity.ERROR: "ERROR", Severity.WARNING: "WARNING", Severity.INFO: "CHECK"}
_B4_STATUS = {Severity.ERROR: "fail", Severity.WARNING: "warn", Severity.INFO: "pass"}
_B4_ORDER = {"pass": 0, "warn": 1, "fail": 2}


def _one_line(text: str) -> str:
    """``text`` on one line, as b4 shows it on a terminal."""
    return printable(" ".join(text.split()))


def _all_problems(report: Report) -> list[str]:
    return list(report.problems) + [p for r in report.reviews for p in r.problems]


@formatter("b4")
def format_b4(report: Report) -> str:
    """b4's ``prep-``/``am-perpatch-check-cmd`` contract: nothing when clean;
    one line per finding; a line is a failure exactly when it contains
    ``ERROR:`` (so no other line may), any other line is a warning.  What
    reviewbot could not check is a warning: its own trouble must not fail
    the author's patch."""
    lines = []
    for f in report.findings:
        level = _B4_LEVEL[f.severity]
        text = _one_line(f"{f.location}: [{f.rule_id}] {f.message}")
        if level != "ERROR":
            text = text.replace("ERROR:", "ERROR :")
        lines.append(f"{level}: {text}")
    for problem in _all_problems(report):
        lines.append("WARNING: reviewbot could not check: " + _one_line(problem).replace("ERROR:", "ERROR :"))
    return "".join(line + "\n" for line in lines)


def _rule_url(report: Report, rule_id: str) -> str:
    rule = report.rules.get(rule_id)
    for ref in (rule.references if rule else ()):
        if ref.startswith(("http://", "https://")):
            return ref
    return ""


@formatter("b4-review")
def format_b4_review(report: Report) -> str:
    """The JSON array a ``b4.review-perpatch-check-cmd`` prints: ``[]`` when
    there is nothing to report, else one result for the tool (b4 keeps one
    result per tool and patch, so findings are not separate results):
    ``status`` is the worst of the findings (error: fail, warning: warn),
    ``summary`` counts them, ``details`` lists them as the JSON check list
    b4 renders item by item (as it does checkpatch's)."""
    items = []
    for f in report.findings:
        item = {"status": _B4_STATUS[f.severity],
                "description": _one_line(f"{f.location}: {f.severity.label}: [{f.rule_id}] {f.message}")}
        if f.snippet.strip():
            item["srcline"] = printable(f.snippet.strip())
        if url := _rule_url(report, f.rule_id):
            item["url"] = url
        items.append(item)
    for problem in _all_problems(report):
        items.append({"status": "warn", "description": "reviewbot could not check: " + _one_line(problem)})
    if not items:
        return "[]\n"
    import json

    worst = max((i["status"] for i in items), key=_B4_ORDER.__getitem__)
    counts = {level: sum(1 for f in report.findings if f.severity == level) for level in Severity}
    parts = [f"{n} {word}{'s' if n != 1 else ''}" for n, word in
             ((counts[Severity.ERROR], "error"), (counts[Severity.WARNING], "warning"),
              (counts[Severity.INFO], "note")) if n]
    if _all_problems(report):
        parts.append("could not check everything")
    result = {"tool": "reviewbot", "status": worst, "summary": ", ".join(p for p in parts if p),
              "url": "", "details": json.dumps(items, ensure_ascii=False)}
    return json.dumps([result], ensure_ascii=False) + "\n"
