#!/usr/bin/env python3
"""Run the rule pack over a real mailing-list archive and report what it finds.

The archive is a public-inbox v2 epoch as a bare git repository (one message
per commit, in the file ``m``), e.g. a fetched copy of
linux-mailinglist-archives/kvmarm.lists.cs.columbia.edu.0.  Patches that
touch arm64 code are grouped into series and reviewed as ``reviewbot
review`` would; the report counts patches, findings per rule and severity,
and prints every error-level finding with the lines around it, to be judged
by hand.

    python bench/precision.py /path/to/archive.git [--limit N] [--json out.json]

Nothing of the archive is written into the repository.
"""

from __future__ import annotations

import argparse
import collections
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from git_objects import commits, stream  # noqa: E402  (bench/ is on sys.path when run as a script)

from reviewbot.config import load_config  # noqa: E402
from reviewbot.engine import review  # noqa: E402
from reviewbot.mail.parse import parse_message
from reviewbot.mail.series import assemble_series
from reviewbot.rules.loader import load_rules  # noqa: E402


def messages(repo: str, limit: int | None):
    """Yield (commit, raw bytes) of each message, oldest first."""
    for name, data in stream(repo, (f"{c}:m" for c in commits(repo, limit))):
        if data is not None:
            yield name[:-2], data


def touches_arm64(raw: bytes) -> bool:
    return b"diff --git a/arch/arm64/" in raw or b"diff --git a/arch/arm/kvm/" in raw


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("archive")
    parser.add_argument("--limit", type=int, help="only the first N messages")
    parser.add_argument("--json", help="write every finding to this file")
    parser.add_argument("--show", default="error", choices=["error", "warning", "info", "none"],
                        help="print findings at or above this severity with context")
    args = parser.parse_args()

    config = load_config()
    rules = load_rules(config)
    started = time.perf_counter()
    total = malformed = 0
    parsed = []
    for commit, raw in messages(args.archive, args.limit):
        total += 1
        if not touches_arm64(raw):
            continue
        try:
            parsed.append(parse_message(raw, source=commit[:12]))
        except Exception as exc:  # noqa: BLE001 - count and go on
            malformed += 1
            print(f"malformed {commit[:12]}: {exc}", file=sys.stderr)
    series_list, broken = assemble_series(parsed)
    findings = []
    patches = hyp_patches = 0
    problems = []
    for series in series_list:
        result = review(series, rules, config)
        for patch_review in result.patches:
            patches += 1
            if any("kvm/hyp" in (f.path or "") or "kvm_asm" in (f.path or "") for f in patch_review.patch.files):
                hyp_patches += 1
            problems.extend(patch_review.problems)
            for finding in patch_review.findings:
                findings.append((patch_review.patch, finding))
    elapsed = time.perf_counter() - started
    by_rule = collections.Counter((f.rule_id, f.severity.label) for _, f in findings)
    print(f"messages read: {total}; arm64 messages parsed: {len(parsed)}; malformed: {malformed}")
    print(f"series: {len(series_list)}; patches reviewed: {patches} ({hyp_patches} touching hyp code); "
          f"patches with unreadable diffs: {len(broken)}; review problems: {len(problems)}")
    print(f"findings: {len(findings)}")
    for (rule_id, severity), count in sorted(by_rule.items()):
        print(f"  {count:5}  {severity:8} {rule_id}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"time: {elapsed:.1f} s; peak RSS: {peak:.0f} MiB")
    levels = {"error": 2, "warning": 1, "info": 0, "none": 9}
    for patch, finding in findings:
        if int(finding.severity) >= levels[args.show]:
            print(f"\n== {patch.message.subject} <{patch.message.msgid}> ({patch.message.date})")
            print(f"   {finding.location}: {finding.severity.label}: [{finding.rule_id}] {finding.message}")
            _context(patch, finding)
    for problem in problems[:20]:
        print(f"problem: {problem}", file=sys.stderr)
    if args.json:
        from reviewbot.formats import finding_dict
        Path(args.json).write_text(json.dumps([dict(finding_dict(f), subject=p.message.subject)
                                               for p, f in findings], indent=1))
    return 0


def _context(patch, finding) -> None:
    for change in patch.files:
        if change.path != finding.path:
            continue
        for hunk in change.hunks:
            lines = hunk.lines
            for i, line in enumerate(lines):
                if line.new_line == finding.line and finding.line is not None or \
                        (finding.line is None and line.old_line == finding.old_line):
                    for other in lines[max(0, i - 6): i + 3]:
                        mark = ">>" if other is line else "  "
                        print(f"   {mark} {other.kind}{other.text}")
                    return


if __name__ == "__main__":
    raise SystemExit(main())
