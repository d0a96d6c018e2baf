#!/usr/bin/env python3
"""The tree's files kept across checks (analysis/file_cache.py) change no
finding: random series over the real ``.S`` files of the bench tree,
each reviewed tree-aware three times, as three ``check`` processes would:
with no cache, with an empty one (which it fills), and with the filled one.

    python bench/file_cache_differential.py [--workdir DIR] [--seeds N] [--start S]

The series are those of ``tree_focus_differential.py`` (random edits of one
to three files, findings made on purpose), read against the bench tree's
work-tree files (their blob ids are unknown, so the tree gives the file
the patch applies to, as for a patch of the tree's own checkout).  Between
the runs this process forgets what it parsed, as a new process would.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tree_focus_differential import series_of  # noqa: E402 - the sibling script

from reviewbot import engine  # noqa: E402
from reviewbot.analysis.file_cache import FileCache  # noqa: E402
from reviewbot.analysis.tree import GitTree  # noqa: E402
from reviewbot.asm import parser  # noqa: E402
from reviewbot.config import load_config  # noqa: E402
from reviewbot.match import whole_file  # noqa: E402
from reviewbot.rules.loader import load_rules  # noqa: E402


def forget() -> None:
    """What a new process does not know."""
    parser.clear_caches()
    whole_file.clear_caches()


class Counted(FileCache):
    """A cache that counts the outlines it gives."""

    loaded = 0

    def outline(self, text: str) -> tuple | None:
        shape = super().outline(text)
        Counted.loaded += shape is not None
        return shape


def findings(series, rules, config, tree: Path, cache: FileCache) -> list:
    forget()
    git_tree = GitTree(tree, config.context)
    git_tree.files = cache
    review = engine.review(series, rules, config, git_tree)
    git_tree.flush()
    return [[(f.rule_id, f.path, f.line, f.old_line, f.message, f.fingerprint) for f in p.findings] + list(p.problems)
            for p in review.patches]


def main(argv: list[str] | None = None) -> int:
    parser_ = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser_.add_argument("--workdir", type=Path, default=Path("/tmp/reviewbot-bench"))
    parser_.add_argument("--seeds", type=int, default=300)
    parser_.add_argument("--start", type=int, default=0)
    args = parser_.parse_args(argv)
    tree = args.workdir / "linux"
    names = subprocess.run(["git", "-C", str(tree), "ls-files", "arch/arm64/kvm/hyp/*.S"],
                           capture_output=True, text=True, check=True).stdout.split()
    config = load_config()
    rules = load_rules(config)
    counts = dict(series=0, patches=0, findings=0, kept=0, taken_from_it=0, differ=0)
    for seed in range(args.start, args.start + args.seeds):
        rng = random.Random(seed)
        picked = rng.sample(names, rng.randint(1, 3))
        texts = {name: (tree / name).read_text(errors="replace") for name in picked}
        [series] = series_of(rng, texts)
        with tempfile.TemporaryDirectory(prefix="reviewbot-cache-") as scratch:
            directory = Path(scratch) / "files" / "this-code"
            plain = findings(series, rules, config, tree, FileCache(None))
            filling = findings(series, rules, config, tree, FileCache(directory))
            counts["kept"] += len(list(directory.glob("*.pickle")))
            before = Counted.loaded
            filled = findings(series, rules, config, tree, Counted(directory))
            counts["taken_from_it"] += Counted.loaded - before
        counts["series"] += 1
        counts["patches"] += len(series.patches)
        counts["findings"] += sum(len(p) for p in plain)
        if not plain == filling == filled:
            counts["differ"] += 1
            print(f"seed {seed}: differ\n  none:   {plain}\n  empty:  {filling}\n  filled: {filled}")
    print(", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items()))
    return 1 if counts["differ"] else 0


if __name__ == "__main__":
    sys.exit(main())
