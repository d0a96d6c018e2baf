#!/usr/bin/env python3
"""Where a ``reviewbot check`` spends its time, phase by phase (issue 13).

    python bench/tree_phases.py SERIES_DIR [--no-tree] [--cwd TREE] [--runs N] [--cold]

Runs ``check`` in this process (after one warm-up run unless ``--cold``)
with the functions below wrapped wherever a reviewbot module holds them,
and prints the wall time spent in each per run, with its call count.  A
phase nested in another counts in both.  In-process runs keep the parse
and outline memos between runs: ``--cold`` times the first run only, as a
fresh ``reviewbot check`` process meets it (imports and the rule cache
included in TOTAL).  Use it with ``bench_tree_cost.py``'s series, from
inside its tree (``--cwd /tmp/reviewbot-bench/linux``).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import io
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PHASES = [
    "reviewbot.engine:review",
    "reviewbot.match.file_units:build_units",
    "reviewbot.analysis.tree:GitTree.old_file",
    "reviewbot.analysis.views:full_views",
    "reviewbot.match.whole_file:read_pair",
    "reviewbot.asm.parser:outline",
    "reviewbot.asm.outline_edit:edited",
    "reviewbot.match.whole_file:_spans_near",
    "reviewbot.asm.parser:read_unread",
    "reviewbot.match.whole_file:_whole_file_contexts",
    "reviewbot.match.file_units:with_hyp_macros",
    "reviewbot.match.file_units:attach_removed_comments",
    "reviewbot.engine:_review_files",
    "reviewbot.match.focus:_whole_taint",
    "reviewbot.engine:_new_only",
]


def wrap(spec: str, spent: dict, calls: dict) -> None:
    """Time ``module:function`` (or ``module:Class.method``) wherever a
    loaded reviewbot module holds it."""
    module_name, attr = spec.split(":")
    owner: object = importlib.import_module(module_name)
    parts = attr.split(".")
    for part in parts[:-1]:
        owner = getattr(owner, part)
    real = getattr(owner, parts[-1])

    @functools.wraps(real)
    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            spent[spec] += time.perf_counter() - start
            calls[spec] += 1

    setattr(owner, parts[-1], timed)
    if len(parts) == 1:  # also where another module imported it by name
        for name, module in list(sys.modules.items()):
            if name.startswith("reviewbot") and getattr(module, parts[-1], None) is real:
                setattr(module, parts[-1], timed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("series", help="a directory of format-patch files, or an mbox")
    parser.add_argument("--no-tree", action="store_true", help="check the hunks alone")
    parser.add_argument("--cwd", type=Path, help="run from here (the tree checked against)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cold", action="store_true", help="time the first run only")
    args = parser.parse_args(argv)
    if args.cwd:
        os.chdir(args.cwd)
    for module in ("reviewbot.engine", "reviewbot.match.whole_file", "reviewbot.analysis.tree"):
        importlib.import_module(module)  # what holds the phases, loaded before they are wrapped
    from reviewbot import cli

    spent: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)
    for spec in PHASES:
        wrap(spec, spent, calls)
    check = ["check", *(["--no-tree"] if args.no_tree else []), args.series]
    runs = 1 if args.cold else args.runs
    for n in range(runs + (0 if args.cold else 1)):
        if n == 1 and not args.cold:  # the first was the warm-up
            spent.clear()
            calls.clear()
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            cli.main(check)
        spent["TOTAL"] += time.perf_counter() - start
    print(f"{'cold, first run' if args.cold else f'warm, mean of {runs}'}: ms per run, calls per run")
    for spec in sorted(spent, key=spent.get, reverse=True):
        print(f"{spent[spec] / runs * 1000:9.2f} ms {calls[spec] // runs:6d}  {spec}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
