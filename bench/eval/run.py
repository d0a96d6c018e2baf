#!/usr/bin/env python3
"""Run the rule pack on the real evaluation set and report recall per class.

    python bench/eval/run.py --archive kvmarm=PATH/kvmarm/git/0.git \
        --archive linux-arm-kernel=PATH/linux-arm-kernel/git/0.git \
        [--cases bench/eval/cases.yaml] [--window 3] [--json OUT] [--verbose]

For every case of ``cases.yaml`` the patch is found in its archive with the
rest of its thread, the thread's series are assembled and reviewed as
``reviewbot review`` would (``reviewbot.pipeline``: read_messages, assemble,
review_all; default configuration, no kernel tree), and the findings on the
case's patch are compared with the case:

- a positive is *caught* when a finding of the case's class sits at the
  case's file within ``--window`` lines of its line;
- a negative is a *false positive* when such a finding sits there.

Prints a table per class, recall on all positives and on the held-out ones,
and (``--verbose``) every case with the findings near it.  Nothing of the
archives is written into the repository.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent.parent))

import yaml  # noqa: E402

from git_objects import commits, stream  # noqa: E402  (bench/ is on sys.path)

from reviewbot.config import load_config  # noqa: E402
from reviewbot.pipeline import assemble, read_messages, review_all, split_read  # noqa: E402
from reviewbot.rules.loader import load_rules  # noqa: E402

# Which class of the evaluation set each rule's findings belong to (by id or
# dotted prefix, the longest first); a rule not named here counts for no class.
RULE_CLASSES = {
    "arm64.comment": "stale-comment",
    "c.comment": "stale-comment",
    "arm64.hyp.kernel-va-literal": "kernel-va-in-hyp",
    "arm64.hyp.literal-then-kern-hyp-va": "kernel-va-in-hyp",
    "arm64.hyp.missing-kern-hyp-va": "missing-kern-hyp-va",
    "c.hyp.host-pointer-without-kern-hyp-va": "missing-kern-hyp-va",
    "c.hyp.host-pointer-param": "missing-kern-hyp-va",
    "arm64.hyp.redundant-kern-hyp-va": "redundant-kern-hyp-va",
    "arm64.hyp.kern-hyp-va-twice": "redundant-kern-hyp-va",
    "c.hyp.kern-hyp-va-on-symbol": "redundant-kern-hyp-va",
    "c.hyp.kern-hyp-va-vhe-only": "missing-kern-hyp-va",
    "arm64.hyp.el1-percpu-offset": "el1-reg-in-hyp",
    "c.hyp.this-cpu-ptr": "this-cpu-ptr",
    "arm64.sysreg.msr-mrs-operand-order": "msr-mrs-direction",
    "arm64.sysreg.mrs-overwrites-computed-value": "msr-mrs-direction",
    "arm64.sysreg.macro-temp-never-written": "msr-mrs-direction",
    "c.sysreg.write-sysreg-swapped-args": "msr-mrs-direction",
    "arm64.sysreg.write-to-read-only": "sysreg-access",
    "arm64.sysreg.read-of-write-only": "sysreg-access",
    "c.sysreg.error-record-field-mismatch": "other",
    "c.sysreg.raz-wi-read-only": "sysreg-access",
    "c.comment.duplicate-register-description": "stale-comment",
}

_HEADER = {name: re.compile(rb"^" + name + rb":[ \t]*((?:.*)(?:\n[ \t]+.*)*)", re.I | re.M)
           for name in (b"message-id", b"in-reply-to", b"references")}
_ID = re.compile(rb"<([^>\s]+)>")


def rule_class(rule_id: str) -> str | None:
    """The evaluation class of a rule's findings."""
    for prefix in sorted(RULE_CLASSES, key=len, reverse=True):
        if rule_id == prefix or rule_id.startswith(prefix + "."):
            return RULE_CLASSES[prefix]
    return None


def _ids(head: bytes, name: bytes) -> list[str]:
    match = _HEADER[name].search(head)
    return [i.decode("utf-8", "replace") for i in _ID.findall(match.group(1))] if match else []


def threads_of(repo: str, wanted: set[str]) -> dict[str, list[bytes]]:
    """For each wanted Message-ID, the raw messages of its thread (the
    messages sharing its root), from one pass over the archive."""
    heads: list[tuple[str, str, bytes]] = []  # (msgid, root, raw)
    for _, raw in stream(repo, (f"{c}:m" for c in commits(repo))):
        if raw is None:
            continue
        head = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
        own = _ids(head, b"message-id")
        if not own:
            continue
        refs = _ids(head, b"references") or _ids(head, b"in-reply-to")
        heads.append((own[0], refs[0] if refs else own[0], raw))
    root_of = {msgid: root for msgid, root, _ in heads}
    roots: dict[str, list[str]] = collections.defaultdict(list)  # one thread may hold several cases
    for m in wanted:
        if m in root_of:
            roots[root_of[m]].append(m)
    threads: dict[str, list[bytes]] = collections.defaultdict(list)
    for msgid, root, raw in heads:
        for case_msgid in roots.get(root, ()):
            threads[case_msgid].append(raw)
    return threads


def findings_on(patch_msgid: str, raws: list[bytes], rules, config) -> list:
    """The findings reviewbot makes on one patch, reviewed with its series."""
    messages, _ = split_read(m for i, raw in enumerate(raws) for m in read_messages(raw, f"msg{i}"))
    series, _ = assemble(messages)
    mine = [s for s in series if any(p.message.msgid == patch_msgid for p in s.patches)]
    found = []
    for done in review_all(mine, rules, config):
        if done.result is None:
            print(f"  review failed: {done.failure}", file=sys.stderr)
            continue
        for patch_review in done.result.patches:
            if patch_review.patch.message.msgid == patch_msgid:
                found.extend(patch_review.findings)
                for problem in patch_review.problems:
                    print(f"  problem: {problem}", file=sys.stderr)
    return found


def near(case: dict, findings: list, window: int) -> list:
    """Findings of the case's class at its file within ``window`` lines."""
    return [f for f in findings
            if rule_class(f.rule_id) == case["class"] and f.path == case["file"]
            and f.line is not None and abs(f.line - case["line"]) <= window]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archive", action="append", default=[], metavar="NAME=PATH", required=True)
    parser.add_argument("--cases", default=str(HERE / "cases.yaml"))
    parser.add_argument("--window", type=int, default=3, help="lines a finding may sit from the case's line")
    parser.add_argument("--json", help="write every case's outcome to this file")
    parser.add_argument("--verbose", action="store_true", help="print every case with the findings on its patch")
    args = parser.parse_args()
    archives = dict(a.split("=", 1) for a in args.archive)
    cases = yaml.safe_load(Path(args.cases).read_text())
    config = load_config()
    rules = load_rules(config)
    started = time.perf_counter()
    outcomes = []
    for name, repo in archives.items():
        mine = [c for c in cases if c["archive"] == name]
        threads = threads_of(repo, {c["patch"] for c in mine})
        for case in mine:
            raws = threads.get(case["patch"])
            if not raws:
                outcomes.append((case, None, []))
                continue
            found = findings_on(case["patch"], raws, rules, config)
            outcomes.append((case, near(case, found, args.window), found))
    missing = [c["id"] for c, hits, _ in outcomes if hits is None]
    report(outcomes, args.verbose)
    if missing:
        print(f"not found in the archives given: {', '.join(missing)}")
    print(f"time: {time.perf_counter() - started:.1f} s")
    if args.json:
        Path(args.json).write_text(json.dumps([
            {"id": c["id"], "label": c["label"], "class": c["class"], "held_out": c.get("held_out", False),
             "hit": bool(hits), "near": [f"{f.rule_id} {f.path}:{f.line}" for f in hits or ()],
             "findings": [f"{f.severity.label} {f.rule_id} {f.path}:{f.line} {f.message}" for f in found]}
            for c, hits, found in outcomes], indent=1))
    return 0


def report(outcomes: list, verbose: bool) -> None:
    """The table per class, and recall on all and on held-out positives."""
    table: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0, 0, 0])  # pos, caught, neg, fp
    held = [0, 0]
    for case, hits, found in outcomes:
        if hits is None:
            continue
        row = table[case["class"]]
        if case["label"] == "positive":
            row[0] += 1
            row[1] += bool(hits)
            if case.get("held_out"):
                held[0] += 1
                held[1] += bool(hits)
        else:
            row[2] += 1
            row[3] += bool(hits)
        if verbose:
            mark = ("CAUGHT" if hits else "missed") if case["label"] == "positive" else ("FP" if hits else "ok")
            print(f"{mark:6} {case['id']} ({case['class']}) {case['file']}:{case['line']}")
            for f in found:
                print(f"         {f.severity.label} [{f.rule_id}] {f.path}:{f.line}: {f.message[:110]}")
    print(f"{'class':24} {'positives':>9} {'caught':>6} {'negatives':>9} {'with finding':>12}")
    totals = [0, 0, 0, 0]
    for cls in sorted(table):
        row = table[cls]
        totals = [a + b for a, b in zip(totals, row)]
        print(f"{cls:24} {row[0]:9} {row[1]:6} {row[2]:9} {row[3]:12}")
    print(f"{'total':24} {totals[0]:9} {totals[1]:6} {totals[2]:9} {totals[3]:12}")
    print(f"recall: {totals[1]}/{totals[0]} = {_pct(totals[1], totals[0])}; "
          f"held-out: {held[1]}/{held[0]} = {_pct(held[1], held[0])}; "
          f"negatives with a finding: {totals[3]}/{totals[2]}")


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.0f}%" if b else "n/a"


if __name__ == "__main__":
    raise SystemExit(main())
