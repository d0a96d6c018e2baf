#!/usr/bin/env python3
"""The rule pack over the assembly of real projects, every finding judged.

    python bench/real_code.py --repo NAME=GIT_DIR [--repo ...] [--rev REV]
                              [--labels bench/real_code_labels.yaml] [--json OUT]

Mail shows a rule only the code that patches carry.  Whole files of the
AArch64 projects that ship much assembly (TF-A, Xen, OP-TEE, Hafnium,
U-Boot) show it everything a new file could hold: each ``.S``/``.s`` file
of ``REV`` (default HEAD) is checked as ``reviewbot check --no-tree --file``
checks it (every line added), read straight from git (``git archive`` into a
temporary directory, removed afterwards; nothing is kept).  The hyp rules
stay quiet there (their paths are the kernel's); the system-register and
comment rules run as on any ``.S`` file.

Prints, per repository, each finding with its judgement from ``--labels``
(keyed by repository, path, line and rule at the commit judged) and, per
rule, judged right / wrong / not judged; judgements whose finding is gone
are listed as such.  Findings not judged yet are listed for reading: a
finding counts only once a person has read it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "bench" / "real_code_labels.yaml"
BATCH = 200  # files per check process: argument lists stay short


def commit_of(git_dir: Path, rev: str) -> str:
    return subprocess.run(["git", "--git-dir", str(git_dir), "rev-parse", f"{rev}^{{commit}}"],
                          capture_output=True, text=True, check=True).stdout.strip()


def export_assembly(git_dir: Path, commit: str, into: Path) -> list[str]:
    """The ``.S``/``.s`` files of ``commit``, written under ``into``; their paths."""
    listed = subprocess.run(["git", "--git-dir", str(git_dir), "ls-tree", "-r", "-z", "--name-only", commit],
                            capture_output=True, check=True).stdout.decode(errors="replace").split("\0")
    wanted = [p for p in listed if p.endswith((".S", ".s"))]
    if not wanted:
        return []
    archive = subprocess.run(["git", "--git-dir", str(git_dir), "archive", "--format=tar", commit,
                              "--", *(f":(literal){p}" for p in wanted)], capture_output=True, check=True)
    with tempfile.TemporaryFile() as tar_file:
        tar_file.write(archive.stdout)
        tar_file.seek(0)
        with tarfile.open(fileobj=tar_file) as tar:
            members = [m for m in tar.getmembers() if m.isfile()]
            tar.extractall(into, members=members, filter="data")
    return sorted(m.name for m in members)


def check(tree: Path, paths: list[str]) -> list[dict]:
    """``reviewbot check --no-tree --file`` findings of ``paths`` (relative to ``tree``)."""
    findings: list[dict] = []
    for start in range(0, len(paths), BATCH):
        proc = subprocess.run([sys.executable, "-m", "reviewbot", "check", "--no-tree", "--format", "json",
                               "--file", *paths[start:start + BATCH]],
                              cwd=tree, capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
        if proc.returncode not in (0, 1):
            raise SystemExit(f"reviewbot check failed in {tree}: {proc.stderr.strip()}")
        findings.extend(json.loads(proc.stdout)["findings"])
    return findings


def load_labels(path: Path) -> list[dict]:
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text()) or {}
    return list(data.get("labels", []))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", action="append", required=True, metavar="NAME=GIT_DIR",
                        help="a repository (bare or not) by the name its labels use")
    parser.add_argument("--rev", default="HEAD", help="the revision checked (default: HEAD)")
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--json", type=Path, help="write every finding, with its judgement, here")
    args = parser.parse_args(argv)
    labels = load_labels(args.labels)
    records: list[dict] = []
    used: set[int] = set()
    for spec in args.repo:
        name, sep, location = spec.partition("=")
        if not sep:
            parser.error(f"--repo {spec!r}: expected NAME=GIT_DIR")
        git_dir = Path(location)
        commit = commit_of(git_dir, args.rev)
        with tempfile.TemporaryDirectory(prefix="reviewbot-real-code-") as scratch:
            paths = export_assembly(git_dir, commit, Path(scratch))
            print(f"{name} {commit[:12]}: {len(paths)} assembly files", file=sys.stderr)
            findings = check(Path(scratch), paths)
        for f in findings:
            key = (name, commit, f["path"], f["line"], f["rule_id"])
            at = next((i for i, lab in enumerate(labels)
                       if (lab["repo"], lab["commit"], lab["path"], lab["line"], lab["rule"]) == key), None)
            if at is not None:
                used.add(at)
            label = labels[at] if at is not None else {}
            records.append({"repo": name, "commit": commit, "path": f["path"], "line": f["line"],
                            "rule": f["rule_id"], "severity": f["severity"], "message": f["message"],
                            "label": label.get("label", "unjudged"), "why": label.get("why", "")})
    names = {spec.partition("=")[0] for spec in args.repo}
    gone = [lab for i, lab in enumerate(labels) if i not in used and lab["repo"] in names]
    report(records, gone)
    if args.json:
        args.json.write_text(json.dumps({"findings": records, "gone": gone}, indent=1) + "\n")
    return 0


def report(records: list[dict], gone: list[dict]) -> None:
    for r in records:
        print(f"{r['label']:9} {r['repo']}:{r['path']}:{r['line']}: {r['severity']}: [{r['rule']}] {r['message']}")
    per_rule: dict[str, Counter] = {}
    for r in records:
        per_rule.setdefault(r["rule"], Counter())[r["label"]] += 1
    for lab in gone:
        per_rule.setdefault(lab["rule"], Counter())["gone"] += 1
    print(f"\n{'rule':44} {'right':>6} {'wrong':>6} {'unjudged':>9} {'gone':>5}")
    for rule in sorted(per_rule):
        c = per_rule[rule]
        print(f"{rule:44} {c['right']:6} {c['wrong']:6} {c['unjudged']:9} {c['gone']:5}")
    print(f"findings now: {len(records)}; judged findings no longer made: {len(gone)}")


if __name__ == "__main__":
    sys.exit(main())
