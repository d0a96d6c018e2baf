"""Suppressions that never touch the kernel source: the baseline file, and
which suppressions turned out to be unused.  Pure: text and values in,
text and values out; the check command reads and writes the files.

A baseline is the list of findings a team has accepted, identified by their
fingerprints (stable across revisions that do not change the finding's
code, see :class:`~reviewbot.model.Finding`).  ``check --write-baseline
FILE`` writes one; ``check --baseline FILE`` suppresses the findings it
lists.  The file is JSON, sorted, one entry per finding, so it diffs well::

    {"schema_version": 1, "tool": "reviewbot",
     "findings": [{"fingerprint": "...", "rule_id": "...", "path": "...",
                   "patch": "KVM: arm64: ...", "message": "..."}]}

``path`` and ``patch`` (the title of the patch the finding was in; null
for ``check --file``) are for people, and decide when an entry could have
matched: only then does an entry that matched nothing count as unused.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from reviewbot.analysis.context import path_matches
from reviewbot.model import PatchReview
from reviewbot.records import record, replace

BASELINE_SCHEMA_VERSION = 1


@record
class BaselineEntry:
    """One accepted finding."""

    fingerprint: str
    rule_id: str
    path: str | None = None
    patch: str | None = None
    message: str = ""


@record
class Baseline:
    """The accepted findings of a baseline file (``source`` names it)."""

    entries: tuple[BaselineEntry, ...]
    source: str = "<baseline>"

    def keys(self) -> frozenset[tuple[str, str]]:
        """``(rule_id, fingerprint)`` of every entry."""
        return frozenset((e.rule_id, e.fingerprint) for e in self.entries)


class BaselineFormatError(ValueError):
    """The text is not a reviewbot baseline; the message says why."""


def parse_baseline(text: str, source: str = "<baseline>") -> Baseline:
    """Read a baseline file's text; BaselineFormatError says what is wrong."""
    import json  # here, not for every check: only a check with a baseline reads one

    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineFormatError(f"not JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("findings"), list):
        raise BaselineFormatError("not a reviewbot baseline (no 'findings' list); "
                                  "write one with 'reviewbot check --write-baseline FILE'")
    version = doc.get("schema_version")
    if version != BASELINE_SCHEMA_VERSION:
        raise BaselineFormatError(f"schema_version {version!r} is not supported "
                                  f"(this reviewbot reads {BASELINE_SCHEMA_VERSION})")
    entries = []
    for number, item in enumerate(doc["findings"], start=1):
        if not isinstance(item, dict) or not isinstance(item.get("fingerprint"), str) \
                or not isinstance(item.get("rule_id"), str):
            raise BaselineFormatError(f"entry {number}: needs a 'fingerprint' and a 'rule_id' string")
        entries.append(BaselineEntry(
            fingerprint=item["fingerprint"], rule_id=item["rule_id"],
            path=item.get("path") if isinstance(item.get("path"), str) else None,
            patch=item.get("patch") if isinstance(item.get("patch"), str) else None,
            message=str(item.get("message") or ""),
        ))
    return Baseline(tuple(entries), source)


def format_baseline(reviews: Iterable[PatchReview]) -> str:
    """A baseline of the findings of ``reviews`` that nothing else suppressed."""
    entries = {}
    for review in reviews:
        title = _patch_title(review)
        for f in review.findings:
            if f.suppressed and not f.suppressed.startswith("baseline"):
                continue  # a reviewbot-ignore or per-path ignore covers it already
            entry = {"fingerprint": f.fingerprint, "rule_id": f.rule_id, "path": f.path,
                     "patch": title, "message": f.message}
            entries[(f.rule_id, f.fingerprint, title or "")] = entry
    findings = [entries[k] for k in sorted(entries, key=lambda k: (entries[k]["path"] or "", k))]
    doc = {"schema_version": BASELINE_SCHEMA_VERSION, "tool": "reviewbot", "findings": findings}
    import json

    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def apply_baseline(reviews: Sequence[PatchReview], baseline: Baseline) -> tuple[list[PatchReview], set[tuple[str, str]]]:
    """Mark the findings the baseline lists as suppressed.  Returns the
    reviews and the ``(rule_id, fingerprint)`` keys that matched a finding."""
    keys = baseline.keys()
    used: set[tuple[str, str]] = set()
    result = []
    for review in reviews:
        changed = False
        findings = []
        for f in review.findings:
            key = (f.rule_id, f.fingerprint)
            if key in keys:
                used.add(key)
                if not f.suppressed:
                    f = replace(f, suppressed=f"baseline {baseline.source}")
                    changed = True
            findings.append(f)
        result.append(replace(review, findings=tuple(findings)) if changed else review)
    return result, used


# --- unused suppressions ------------------------------------------------------------------


def unused_suppressions(reviews: Sequence[PatchReview], *, rule_ids: Iterable[str],
                        per_path_ignores: Sequence[tuple[str, tuple[str, ...]]] = (),
                        baseline: Baseline | None = None,
                        baseline_used: set[tuple[str, str]] | None = None,
                        whole_files: bool = False) -> list[str]:
    """Suppressions that could have matched what was checked and matched
    nothing, one sentence each:

    - a ``reviewbot-ignore: RULE`` line of a patch whose RULE found nothing
      in that patch (or that names no rule that ran);
    - a per-path ignore of a whole file that was checked (``check --file``)
      where its rule found nothing;
    - a baseline entry whose patch (by title) or whole file was checked and
      whose finding is gone.
    """
    from reviewbot.engine import patch_ignores

    ran = set(rule_ids)
    notes = []
    for review in reviews:
        if review.problems:
            continue  # a patch that could not be checked says nothing of its suppressions
        found = {f.rule_id for f in review.findings}
        for rule_id in patch_ignores(review.patch):
            if rule_id not in ran:
                notes.append(f"'reviewbot-ignore: {rule_id}' in {review.patch.name}: "
                              "no rule of that id ran (see 'reviewbot rules list')")
            elif rule_id not in found:
                notes.append(f"'reviewbot-ignore: {rule_id}' in {review.patch.name}: "
                             "the rule found nothing in this patch")
    if whole_files:
        for glob, ids in per_path_ignores:
            for review in reviews:
                for change in review.patch.files:
                    if not path_matches(change.path, (glob,)):
                        continue
                    found = {f.rule_id for f in review.findings if f.path == change.path}
                    for rule_id in ids:
                        if rule_id in ran and rule_id not in found:
                            notes.append(f"rules.per-path-ignores '{glob}': {rule_id} found nothing "
                                         f"in {change.path}")
    if baseline is not None:
        used = baseline_used or set()
        titles = {_patch_title(r) for r in reviews} - {None}
        files = {c.path for r in reviews for c in r.patch.files} if whole_files else set()
        for entry in baseline.entries:
            if (entry.rule_id, entry.fingerprint) in used or entry.rule_id not in ran:
                continue
            if entry.patch in titles or (entry.patch is None and entry.path in files):
                where = f"{entry.path}, " if entry.path else ""
                notes.append(f"baseline {baseline.source}: {entry.rule_id} ({where}"
                             f"{'patch ' + repr(entry.patch) if entry.patch else 'whole file'}) "
                             "matched no finding; refresh it with --write-baseline")
    return notes


def _patch_title(review: PatchReview) -> str | None:
    """The title of a patch (subject without tags); None for a whole file
    or a bare diff without a subject."""
    if not review.patch.message.subject:
        return None
    return review.patch.tags.title or review.patch.message.subject
