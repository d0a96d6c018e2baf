"""Apply the fixes rules mark ``safe`` (``check --fix``, ``check --diff``).

Pure: file texts and findings in, new texts and what was done out; the
command reads and writes the files.  A fix replaces the text its finding
matched on its line (``column`` to ``end_column``), and only when that line
is still exactly what the finding saw (its ``snippet``): a file that
changed since is never touched.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

from reviewbot.mail.git_paths import quoted_path
from reviewbot.model import Finding
from reviewbot.records import field, record


@record
class FixResult:
    """The files' new texts, the findings fixed, and those not fixed with why."""

    texts: Mapping[str, str] = field(default_factory=dict)  # path -> new text (changed files only)
    applied: tuple[Finding, ...] = ()
    skipped: tuple[tuple[Finding, str], ...] = ()


def fixable(finding: Finding) -> bool:
    """A finding whose rule marks its fix safe (applied by --fix)."""
    return finding.fix_safety == "safe" and bool(finding.fix) and not finding.suppressed


#: Why a fix was not applied when its file was not there to read.
UNREADABLE = "the file cannot be read"


def apply_fixes(findings: Iterable[Finding], texts: Mapping[str, str | None]) -> FixResult:
    """Apply the safe fixes of ``findings`` to ``texts`` (path -> the file's
    text, None when it cannot be read)."""
    by_path: dict[str, list[Finding]] = {}
    skipped: list[tuple[Finding, str]] = []
    for finding in findings:
        if not fixable(finding):
            continue
        if finding.path is None or finding.line is None or finding.column is None or finding.end_column is None:
            skipped.append((finding, "the rule does not say which text the fix replaces"))
            continue
        by_path.setdefault(finding.path, []).append(finding)
    new_texts: dict[str, str] = {}
    applied: list[Finding] = []
    for path, group in by_path.items():
        text = texts.get(path)
        if text is None:
            skipped.extend((f, UNREADABLE) for f in group)
            continue
        lines = text.split("\n")
        taken: dict[int, list[tuple[int, int]]] = {}
        # right to left on a line, so earlier columns stay right
        for finding in sorted(group, key=lambda f: (f.line, -(f.column or 0))):
            index = finding.line - 1  # type: ignore[operator]
            if not 0 <= index < len(lines) or lines[index] != finding.snippet:
                skipped.append((finding, f"{path}:{finding.line} differs from what was checked"))
                continue
            start, end = finding.column - 1, finding.end_column - 1  # type: ignore[operator]
            if any(start < e and s < end for s, e in taken.get(index, [])):
                skipped.append((finding, "another fix changes the same text"))
                continue
            lines[index] = lines[index][:start] + str(finding.fix) + lines[index][end:]
            taken.setdefault(index, []).append((start, end))
            applied.append(finding)
        new = "\n".join(lines)
        if new != text:
            new_texts[path] = new
    return FixResult(texts=new_texts, applied=tuple(applied), skipped=tuple(skipped))


def as_patch(old: Mapping[str, str | None], new: Mapping[str, str]) -> str:
    """The fixes as a unified diff that ``git apply`` takes."""
    out = []
    for path in sorted(new):
        before = (old.get(path) or "").splitlines(keepends=True)
        after = new[path].splitlines(keepends=True)
        old_name, new_name = quoted_path(f"a/{path}"), quoted_path(f"b/{path}")  # as git writes them
        out.append(f"diff --git {old_name} {new_name}\n")
        out.extend(difflib.unified_diff(before, after, old_name, new_name))
    return "".join(out)
