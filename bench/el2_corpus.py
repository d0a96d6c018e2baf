#!/usr/bin/env python3
"""Run the rule pack over the AArch64 assembly of a firmware or hypervisor
repository, as if every file were nVHE hyp code, and count the findings.

Real EL2 code that is not Linux (Xen, Hafnium) is a good test of the rules'
restraint: its sysreg accesses, macros and comments are correct, so every
finding is a candidate false positive to look at.

    python bench/el2_corpus.py /path/to/bare/repo.git [--kernel 5.10] [--show]

Files are read from the repository's HEAD with git; nothing is copied.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from git_objects import stream  # noqa: E402  (bench/ is on sys.path when run as a script)

from reviewbot.config import load_config  # noqa: E402
from reviewbot.engine import review_file  # noqa: E402
from reviewbot.rules.loader import load_rules  # noqa: E402


def assembly_files(repo: str) -> list[str]:
    names = subprocess.run(["git", "-C", repo, "ls-tree", "-r", "--name-only", "HEAD"],
                           capture_output=True, text=True, check=True).stdout.split("\n")
    return [n for n in names if n.endswith((".S", ".s")) and any(k in n.lower() for k in ("aarch64", "arm64", "armv8"))]


def read_blobs(repo: str, names: list[str]):
    for name, data in stream(repo, (f"HEAD:{n}" for n in names)):
        if data is not None:
            yield name[len("HEAD:"):], data.decode("utf-8", errors="replace")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repo")
    parser.add_argument("--kernel", help="pretend the code belongs to this kernel (enables era-scoped rules)")
    parser.add_argument("--show", action="store_true", help="print every finding")
    args = parser.parse_args()
    config = load_config()
    if args.kernel:
        config = dataclasses.replace(config, context=dataclasses.replace(config.context, kernel=args.kernel))
    rules = load_rules(config)
    started = time.perf_counter()
    files = lines = 0
    counts: collections.Counter = collections.Counter()
    for name, text in read_blobs(args.repo, assembly_files(args.repo)):
        files += 1
        lines += text.count("\n")
        virtual = "arch/arm64/kvm/hyp/nvhe/" + name.replace("/", "_")
        result = review_file(virtual, text, rules, config)
        for finding in result.findings:
            counts[(finding.rule_id, finding.severity.label)] += 1
            if args.show:
                print(f"{name}:{finding.line}: {finding.severity.label}: [{finding.rule_id}] {finding.message}")
                print(f"    {finding.snippet.strip()}")
    elapsed = time.perf_counter() - started
    print(f"{args.repo}: {files} files, {lines} lines, {sum(counts.values())} findings, {elapsed:.1f} s")
    for (rule_id, severity), count in sorted(counts.items()):
        print(f"  {count:5}  {severity:8} {rule_id}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
