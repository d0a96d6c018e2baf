"""The backtest report, as text or JSON: what was read, findings per rule
and severity, the patches each rule speaks on, and every finding with its
lore link; with ``--against``, only what the second pack changes; with
labels, the judgements per rule and the findings still to judge."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from reviewbot.backtest.index import Index
from reviewbot.backtest.labels import Label, lore_link, tally
from reviewbot.backtest.runner import Found, SeriesResult
from reviewbot.printable import printable_lines
from reviewbot.records import field, record

SCHEMA_VERSION = 1
SEVERITIES = ("error", "warning", "info")


@record(frozen=False)
class Outcome:
    """Everything a run found, for the report: the counts of the index,
    and of each shard's series what there is to tell (findings, problems,
    malformed messages), not the series themselves."""

    sources: list[str]
    index: Index
    reviewed: int = 0  # series reviewed
    skipped_series: int = 0  # series no rule can have findings in
    suppressed: int = 0
    against: str | None = None
    labels: dict[str, Label] | None = None
    resumed: int = 0  # shards taken from checkpoints
    shards: int = 0
    seconds: float = 0.0
    told: dict[int, tuple[tuple[Found, ...], tuple[Found, ...], tuple[str, ...], tuple[tuple[str, str], ...]]] = \
        field(default_factory=dict)  # shard number -> (findings, --against findings, problems, malformed)

    def take(self, number: int, results: list[SeriesResult]) -> None:
        """The results of shard ``number``."""
        self.reviewed += len(results)
        self.suppressed += sum(r.suppressed for r in results)
        told = (tuple(f for r in results for f in r.findings), tuple(f for r in results for f in r.against),
                tuple(p for r in results for p in r.problems), tuple(m for r in results for m in r.malformed))
        if any(told):
            self.told[number] = told

    def _told(self, part: int) -> list[Any]:
        return [item for number in sorted(self.told) for item in self.told[number][part]]

    @property
    def findings(self) -> list[Found]:
        """Every finding of the pack, in series order."""
        return self._told(0)

    @property
    def before(self) -> list[Found]:
        """Every finding of the ``--against`` pack."""
        return self._told(1)

    @property
    def problems(self) -> list[str]:
        """Internal errors (a rule or series that crashed)."""
        return self._told(2)

    @property
    def malformed(self) -> list[tuple[str, str]]:
        """Messages that could not be read, with why."""
        return list(self.index.unreadable) + self._told(3)


def _key(f: Found) -> tuple:
    return (f.msgid or f.source, f.fingerprint)


def difference(before: list[Found], after: list[Found]) -> tuple[list[Found], list[Found], list[tuple[Found, Found]]]:
    """Findings only the new pack has, only the old one has, and the same
    finding (message and fingerprint) said differently."""
    old = {_key(f): f for f in before}
    new = {_key(f): f for f in after}
    added = [f for k, f in new.items() if k not in old]
    gone = [f for k, f in old.items() if k not in new]
    changed = [(old[k], f) for k, f in new.items() if k in old and (old[k].message, old[k].severity, old[k].line)
               != (f.message, f.severity, f.line)]
    return added, gone, changed


def summary(outcome: Outcome) -> dict[str, Any]:
    """The counts of the run, as JSON."""
    index = outcome.index
    found = outcome.findings
    per_rule: dict[str, dict[str, Any]] = {}
    by_severity = Counter((f.rule, f.severity) for f in found)
    patches = {rule: len({f.msgid or f.source for f in found if f.rule == rule}) for rule in {f.rule for f in found}}
    for rule in sorted({f.rule for f in found}):
        per_rule[rule] = {**{s: by_severity.get((rule, s), 0) for s in SEVERITIES}, "patches": patches[rule]}
    data: dict[str, Any] = {
        "sources": outcome.sources,
        "messages": index.messages, "replies": index.replies, "cover_letters": index.covers,
        "other_messages": index.other, "outside_range": index.outside, "duplicates": index.duplicates,
        "malformed": len(outcome.malformed),
        "patches": index.patches, "series": index.series, "series_reviewed": outcome.reviewed,
        "series_skipped": outcome.skipped_series,
        "patches_with_findings": len({f.msgid or f.source for f in found}),
        "findings": len(found), "suppressed": outcome.suppressed,
        "rules": per_rule, "internal_errors": len(outcome.problems),
        "shards": outcome.shards, "shards_from_checkpoints": outcome.resumed, "seconds": round(outcome.seconds, 3),
    }
    if outcome.labels is not None:
        data["labels"] = {rule: {"right": t.right, "wrong": t.wrong, "unjudged": t.unjudged,
                                 "precision": None if t.precision is None else round(t.precision, 4)}
                          for rule, t in tally(found, outcome.labels).items()}
    return data


def _finding_json(f: Found, labels: dict[str, Label] | None) -> dict[str, Any]:
    data = dict(f.as_json(), link=lore_link(f.msgid))
    if labels is not None:
        data["verdict"] = labels[f.fingerprint].verdict if f.fingerprint in labels else "unjudged"
    return data


def as_json(outcome: Outcome) -> str:
    """The JSON report: the summary and one record per finding (with
    ``--against``: the added, gone and changed ones)."""
    data: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "summary": summary(outcome)}
    if outcome.against is not None:
        added, gone, changed = difference(outcome.before, outcome.findings)
        data["against"] = outcome.against
        data["difference"] = _difference_counts(outcome, added, gone, changed)
        data["added"] = [_finding_json(f, outcome.labels) for f in added]
        data["gone"] = [_finding_json(f, outcome.labels) for f in gone]
        data["changed"] = [{"before": _finding_json(a, outcome.labels), "after": _finding_json(b, outcome.labels)}
                           for a, b in changed]
    else:
        data["findings"] = [_finding_json(f, outcome.labels) for f in outcome.findings]
    data["malformed"] = [{"message": name, "problem": problem} for name, problem in outcome.malformed]
    data["internal_errors"] = outcome.problems
    return json.dumps(data, indent=1) + "\n"


def _difference_counts(outcome: Outcome, added: list[Found], gone: list[Found],
                       changed: list[tuple[Found, Found]]) -> dict[str, dict[str, int]]:
    rules = sorted({f.rule for f in outcome.findings} | {f.rule for f in outcome.before})
    after, before = Counter(f.rule for f in outcome.findings), Counter(f.rule for f in outcome.before)
    plus, minus, moved = Counter(f.rule for f in added), Counter(f.rule for f in gone), Counter(b.rule for _, b in changed)
    return {rule: {"before": before[rule], "after": after[rule], "added": plus[rule], "gone": minus[rule],
                   "changed": moved[rule]} for rule in rules}


def as_text(outcome: Outcome) -> str:
    """The human report."""
    data = summary(outcome)
    out = [f"sources: {', '.join(outcome.sources)}",
           f"messages: {data['messages']} ({data['replies']} replies, {data['cover_letters']} cover letters, "
           f"{data['other_messages']} other, {data['malformed']} malformed"
           + (f", {data['outside_range']} outside --since/--until" if data["outside_range"] else "")
           + (f", {data['duplicates']} also in an earlier source" if data["duplicates"] else "") + ")",
           f"patches: {data['patches']} in {data['series']} series; {data['series_reviewed']} series reviewed, "
           f"{data['series_skipped']} touch no file a rule applies to",
           f"shards: {data['shards']} ({data['shards_from_checkpoints']} from checkpoints); "
           f"{data['seconds']:.1f} s"]
    if outcome.against is not None:
        out += _difference_text(outcome)
    else:
        out += _findings_text(outcome, data)
    for name, problem in outcome.malformed[:50]:
        out.append(f"malformed: {name}: {problem}")
    if len(outcome.malformed) > 50:
        out.append(f"malformed: ... and {len(outcome.malformed) - 50} more (--format json lists them all)")
    for problem in outcome.problems:
        out.append(f"internal error: {problem}")
    return printable_lines(out)  # paths and problems come from mail


def _findings_text(outcome: Outcome, data: dict[str, Any]) -> list[str]:
    with_findings = data["patches_with_findings"]
    out = [f"findings: {data['findings']} on {with_findings} {'patch' if with_findings == 1 else 'patches'}"
           + (f" ({data['suppressed']} suppressed)" if data["suppressed"] else "")]
    rules = data["rules"]
    width = max([len(r) for r in rules] + [4])
    if rules:
        out.append(f"  {'rule'.ljust(width)}  error  warning   info  patches")
    for rule, counts in rules.items():
        out.append(f"  {rule.ljust(width)}  {counts['error']:5}  {counts['warning']:7}  {counts['info']:5}  "
                   f"{counts['patches']:7}")
    labels = outcome.labels
    if labels is not None:
        out.append("judgements (distinct fingerprints):")
        out.append(f"  {'rule'.ljust(width)}  right  wrong  unjudged  precision")
        for rule, t in tally(outcome.findings, labels).items():
            precision = "-" if t.precision is None else f"{t.precision:.0%}"
            out.append(f"  {rule.ljust(width)}  {t.right:5}  {t.wrong:5}  {t.unjudged:8}  {precision:>9}")
    out.append("every finding:" if outcome.findings else "no findings")
    for f in outcome.findings:
        out.append(_finding_line(f, labels))
    if labels is not None:
        todo: dict[str, Found] = {}
        for f in outcome.findings:  # the first finding of a fingerprint, as --write-labels writes it
            if labels.get(f.fingerprint, Label("unjudged")).verdict == "unjudged":
                todo.setdefault(f.fingerprint, f)
        out.append(f"to judge: {len(todo)}")
        for f in todo.values():
            out += [f"  {f.fingerprint} {f.rule} {lore_link(f.msgid)}", f"    {f.subject}",
                    f"    {f.path or '(commit message)'}:{f.line or ''}: {f.message}"]
    return out


def _finding_line(f: Found, labels: dict[str, Label] | None) -> str:
    verdict = ""
    if labels is not None:
        verdict = f" [{labels[f.fingerprint].verdict if f.fingerprint in labels else 'unjudged'}]"
    where = f"{f.path}:{f.line}" if f.path else "(commit message)"
    return f"  {lore_link(f.msgid) or f.source} {where}: {f.severity}: [{f.rule}] {f.fingerprint}{verdict}\n      {f.message}"


def _difference_text(outcome: Outcome) -> list[str]:
    added, gone, changed = difference(outcome.before, outcome.findings)
    counts = _difference_counts(outcome, added, gone, changed)
    out = [f"against {outcome.against}: {len(added)} findings added, {len(gone)} gone, {len(changed)} changed"]
    moved = {rule: c for rule, c in counts.items() if c["added"] or c["gone"] or c["changed"]}
    width = max([len(r) for r in moved] + [4])
    if moved:
        out.append(f"  {'rule'.ljust(width)}  before  after  added  gone  changed")
    for rule, c in moved.items():
        out.append(f"  {rule.ljust(width)}  {c['before']:6}  {c['after']:5}  {c['added']:5}  {c['gone']:4}  {c['changed']:7}")
    for title, items in (("added", added), ("gone", gone)):
        if items:
            out.append(f"{title}:")
            out += [_finding_line(f, outcome.labels) for f in items]
    if changed:
        out.append("changed:")
        for old, new in changed:
            out += [_finding_line(new, outcome.labels), f"      was: {old.severity}: {old.message}"]
    return out
