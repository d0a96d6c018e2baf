#!/usr/bin/env python3
"""Narrowed matchers against whole files, on random series over real ``.S``
files (issue 13): the findings must be the same.

    python bench/tree_focus_differential.py [--workdir DIR] [--seeds N] [--start S] [--dump FILE]

Each seed picks one to three hyp ``.S`` files of the ``bench_check.py`` tree
(built under ``--workdir``), places them under ``arch/arm64/kvm/hyp/nvhe/``
and makes a series of one to four patches of random edits (lines deleted,
lines copied from elsewhere in the file, snippets that make findings: kernel
VAs, ``kern_hyp_va`` added and later deleted, a backwards ``msr``, labels,
branches, a macro).  Each series is reviewed tree-aware in this process
twice: as it is, and with every matcher run over the whole file and the
pre-image always analysed; any patch whose findings or problems differ is
printed.  ``--dump`` writes every patch's findings, so that another
checkout (``PYTHONPATH=OTHER python bench/tree_focus_differential.py
--dump B``) can be compared with ``cmp``; a checkout without
``match/focus.py`` only dumps.
"""

from __future__ import annotations

import argparse
import difflib
import random
import subprocess
import sys
from pathlib import Path

from reviewbot import engine
from reviewbot.analysis.kernels import KernelVersion
from reviewbot.analysis.tree import post_image
from reviewbot.config import load_config
from reviewbot.mail.parse import parse_input
from reviewbot.mail.series import assemble_series
from reviewbot.rules.loader import load_rules

SNIPPETS = [
    "\tldr\tx1, =kvm_host_data\n", "\tkern_hyp_va\tx1\n", "\tldr\tx2, [x1]\n", "\tmsr\tx0, tpidr_el2\n",
    "\tldr\tx3, =__hyp_sym\n\tbr\tx3\n", "\tret\n", "1:\n", "\tb\t1b\n", "\tbl\tsome_func\n",
    "/* uses 'ldr x1, =kvm_host_data' */\n", ".macro m_reg reg\n\tldr\t\\reg, =kvm_host_data\n.endm\n",
    "\tldr\tx1, =kvm_host_data\n\tkern_hyp_va\tx1\n" + "\tnop\n" * 6 + "\tldr\tx2, [x1]\n",
    "\tldr\tx1, =kvm_host_data\n\tldr\tx2, [x1]\n",
]


class DictTree:
    """The tree's files by path, following the series' patches."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.texts = dict(texts)

    def old_file(self, change):
        old = self.texts.get(change.path)
        if old is not None:
            self.texts[change.path] = post_image(change, old)
        return old

    def kernel_version(self):
        return KernelVersion(5, 10)

    def hyp_macro_uses(self, names):
        return frozenset()


def edit(rng: random.Random, text: str) -> str:
    lines = text.splitlines(True)
    for _ in range(rng.randint(1, 3)):
        op, at = rng.random(), rng.randrange(len(lines) + 1)
        hyp_va = [i for i, line in enumerate(lines) if "kern_hyp_va" in line]
        if op < 0.15 and hyp_va:
            del lines[rng.choice(hyp_va)]
        elif op < 0.35 and lines:
            at = min(at, len(lines) - 1)
            del lines[at:at + rng.randint(1, 3)]
        elif op < 0.7:
            lines[at:at] = [rng.choice(SNIPPETS)]
        else:
            src = rng.randrange(len(lines)) if lines else 0
            lines[at:at] = lines[src:src + rng.randint(1, 4)]
    return "".join(lines)


def message(path: str, hunks: str, n: int, total: int) -> str:
    reply = "" if n == 1 else "In-Reply-To: <focus.1@example.org>\n"
    return (f"From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
            f"Message-Id: <focus.{n}@example.org>\nFrom: Ada Author <ada@example.org>\n"
            f"Date: Wed, 29 Nov 2017 18:20:52 +0000\nSubject: [PATCH {n}/{total}] KVM: arm64: edit {n}\n{reply}\n"
            f"An edit.\n\nSigned-off-by: Ada Author <ada@example.org>\n---\n {path} | 1 +\n\n"
            f"diff --git a/{path} b/{path}\nindex 1111111..2222222 100644\n--- a/{path}\n+++ b/{path}\n"
            f"{hunks}-- \n2.39.5\n")


def series_of(rng: random.Random, texts: dict[str, str]):
    mbox, now = [], dict(texts)
    total = rng.randint(1, 4)
    for n in range(1, total + 1):
        path = rng.choice(sorted(now))
        after = edit(rng, now[path])
        if after == now[path]:
            after += "\tnop\n"
        diff = "".join(difflib.unified_diff(now[path].splitlines(True), after.splitlines(True),
                                            n=rng.choice([1, 3])))
        if not diff.endswith("\n"):
            diff += "\n\\ No newline at end of file\n"
        mbox.append(message(path, diff.split("\n", 2)[2], n, total))
        now[path] = after
    messages, _ = parse_input("".join(mbox).encode(), source="focus.mbox")
    return assemble_series(messages)[0]


def _same_but_where(a, b) -> bool:
    """The same findings but for which instance of a repeated key is
    reported: with only the functions near a change read, a key repeated
    in a function far from every change is not counted on either side,
    and the last instance read is the one reported."""
    def what(review):
        return sorted((f.rule_id, f.severity, f.snippet) for f in review.findings)
    return a.problems == b.problems and what(a) == what(b)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/reviewbot-bench"))
    parser.add_argument("--seeds", type=int, default=500)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--dump", type=Path)
    parser.add_argument("--verbose", action="store_true", help="print the findings of a patch that differs")
    args = parser.parse_args(argv)
    tree = args.workdir / "linux"
    names = subprocess.run(["git", "-C", str(tree), "ls-files", "arch/arm64/kvm/hyp/*.S", "arch/arm64/kernel/*.S"],
                           capture_output=True, text=True, check=True).stdout.split()
    config = load_config()
    rules = load_rules(config)
    narrowed = (getattr(engine, "focused_hits", None), getattr(engine, "could_repeat", None),
                getattr(engine, "read_near", None))
    whole = (lambda matcher, unit, lines: matcher.run(unit), lambda *args: True, lambda rules: None)
    dump = args.dump.open("w") if args.dump else None
    counts = dict(series=0, patches=0, findings=0, not_on_added_lines=0, another_instance=0, differ=0)
    for seed in range(args.start, args.start + args.seeds):
        rng = random.Random(seed)
        texts = {"arch/arm64/kvm/hyp/nvhe/" + name.rsplit("/", 1)[-1]:
                 (tree / name).read_text(errors="replace") for name in rng.sample(names, rng.randint(1, 3))}
        for series in series_of(rng, texts):
            counts["series"] += 1
            got = engine.review(series, rules, config, DictTree(texts))
            for p in got.patches:
                added = {d.new_line for c in p.patch.files for h in c.hunks for d in h.lines if d.kind == "+"}
                counts["patches"] += 1
                counts["findings"] += len(p.findings)
                counts["not_on_added_lines"] += sum(f.line not in added for f in p.findings)
                if dump:
                    dump.write(repr((seed, p.patch.name, p.findings, p.problems)) + "\n")
            if narrowed[0] is None:
                continue
            engine.focused_hits, engine.could_repeat, engine.read_near = whole
            try:
                reference = engine.review(series, rules, config, DictTree(texts))
            finally:
                engine.focused_hits, engine.could_repeat, engine.read_near = narrowed
            for a, b in zip(got.patches, reference.patches):
                if (a.findings, a.problems) != (b.findings, b.problems) and _same_but_where(a, b):
                    counts["another_instance"] += 1
                    if args.verbose:
                        print(f"seed {seed}: {a.patch.name}: the same finding at another instance of its key:",
                              [f.line for f in a.findings], [f.line for f in b.findings])
                elif (a.findings, a.problems) != (b.findings, b.problems):
                    counts["differ"] += 1
                    print(f"seed {seed}: {a.patch.name}: narrowed and whole differ")
                    if args.verbose:
                        print("   narrowed:", [(f.rule_id, f.line) for f in a.findings], a.problems)
                        print("   whole:   ", [(f.rule_id, f.line) for f in b.findings], b.problems)
    print(", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items()))
    return 1 if counts["differ"] else 0


if __name__ == "__main__":
    sys.exit(main())
