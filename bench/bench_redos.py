#!/usr/bin/env python3
"""How the time of every regex that reads mail or patch text grows with
adversarial input (the cases of tests/redos_cases.py).

For each case, the best of three runs at sizes 1k, 4k, 16k and 64k, and the
growth exponent between the two largest (1 linear, 2 quadratic, 3 cubic):

    python bench/bench_redos.py [--sizes 1000,4000,16000,64000] [--old-signature]

``--old-signature`` also times the signature regex this replaced, at sizes
small enough to finish.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from redos_cases import CASES  # noqa: E402


def best_of(function, argument, runs: int = 3) -> float:
    best = math.inf
    for _ in range(runs):
        started = time.perf_counter()
        function(argument)
        best = min(best, time.perf_counter() - started)
    return best


def exponent(small: int, t_small: float, large: int, t_large: float) -> float:
    return math.log(max(t_large, 1e-9) / max(t_small, 1e-9)) / math.log(large / small)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,4000,16000,64000")
    parser.add_argument("--old-signature", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    width = max(len(c.name) for c in CASES)
    print(f"{'case'.ljust(width)}  " + "  ".join(f"{n:>9}" for n in sizes) + "  growth")
    worst = 0.0
    for case in CASES:
        times = [best_of(case.run, case.build(n)) for n in sizes]
        growth = exponent(sizes[-2], times[-2], sizes[-1], times[-1])
        worst = max(worst, growth)
        print(f"{case.name.ljust(width)}  " + "  ".join(f"{1e3 * t:7.2f}ms" for t in times) + f"  n^{growth:.2f}")
    print(f"worst growth: n^{worst:.2f}")
    if args.old_signature:
        old = re.compile(r"^-- \n(?:.*\n?){0,3}\Z", re.MULTILINE)
        small = [100, 200, 400]
        times = [best_of(old.search, "-- \n" + "x" * n + "\n" + "a\n" * 4, 1) for n in small]
        print("old signature regex: " + "  ".join(f"{n}: {t:.2f}s" for n, t in zip(small, times))
              + f"  n^{exponent(small[-2], times[-2], small[-1], times[-1]):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
