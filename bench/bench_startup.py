#!/usr/bin/env python3
"""Measure how long a one-patch ``reviewbot check`` takes when started from a shell.

    python bench/bench_startup.py [--venv DIR] [--runs N] [--patch FILE] [--no-install]

Builds a virtual environment under /tmp (or reuses it), installs the working
tree into it (``pip install --force-reinstall --no-deps`` once the
dependencies are there), and runs, N times each after two warm-up runs (byte
code and reviewbot's caches written):

* ``python -c pass`` (the interpreter alone, same venv);
* ``python -c "import reviewbot.asm.parser"``;
* ``reviewbot --version``;
* ``reviewbot check PATCH`` (a one-patch check, as checkpatch would be run).

It reports the median and minimum wall time and the median peak RSS (of three
more runs, under GNU ``/usr/bin/time`` when there is one: a child of this
script would report at least this script's own RSS) of each, and whether the
check imported Lark.  ``PYTHONDONTWRITEBYTECODE`` is removed
from the environment (an installed package has its byte code), and so is
``PYTHONPATH``.  A venv, not the system interpreter: a system site may load
``.pth`` files that slow every start.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATCH = ROOT / "examples" / "seed-series" / "0001-KVM-arm64-Introduce-get_host_ctxt.patch"


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPATH", None)
    return env


def prepare(venv: Path, source: Path, install: bool, env: dict[str, str]) -> None:
    """Create ``venv`` if needed and install ``source`` into it."""
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env)
    if not install:
        return
    have = subprocess.run([str(python), "-c", "import reviewbot, lark"], env=env,
                          capture_output=True).returncode == 0
    command = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    command += ["--force-reinstall", "--no-deps", str(source)] if have else [str(source)]
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)


# Linux counts in a child's peak RSS the RSS its parent had when it forked
# (it is kept across exec), so a child of this interpreter would never report
# less than this interpreter's ~15 MiB.  GNU time, small itself, measures it.
GNU_TIME = "/usr/bin/time"


def run_once(argv: list[str], env: dict[str, str], rss: bool = False) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MiB, exit status) of one run of ``argv``;
    with ``rss``, run under GNU time for a true peak RSS (and a wall time a
    little longer)."""
    timed = rss and os.access(GNU_TIME, os.X_OK)
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as report:
        command = [GNU_TIME, "-q", "-o", report.name, "-f", "%M"] + argv if timed else argv
        start = time.perf_counter()
        proc = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        rss_kib = float(report.read().split()[-1]) if timed else usage.ru_maxrss
    return wall, rss_kib / 1024, proc.returncode


def measure(argv: list[str], env: dict[str, str], runs: int) -> dict:
    for _ in range(2):
        run_once(argv, env)
    walls, rss, codes = [], [], set()
    for _ in range(runs):
        wall, _, code = run_once(argv, env)
        walls.append(wall * 1e3)
        codes.add(code)
    for _ in range(3):
        rss.append(run_once(argv, env, rss=True)[1])
    return {"median": statistics.median(walls), "min": min(walls),
            "rss": statistics.median(rss), "codes": sorted(codes)}


def imports_lark(venv: Path, patch: Path, env: dict[str, str]) -> bool:
    code = ("import sys\nfrom reviewbot.cli import main\n"
            f"main(['check', {str(patch)!r}])\n"
            "sys.stderr.write('LARK=%d' % ('lark' in sys.modules))\n")
    out = subprocess.run([str(venv / "bin" / "python"), "-c", code], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True).stderr
    return "LARK=1" in out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", type=Path, default=Path("/tmp/reviewbot-bench-venv"),
                        help="virtual environment to create or reuse (default %(default)s)")
    parser.add_argument("--source", type=Path, default=ROOT,
                        help="tree to install (default: this working tree)")
    parser.add_argument("--runs", type=int, default=15, help="timed runs per command")
    parser.add_argument("--patch", type=Path, default=DEFAULT_PATCH, help="patch to check")
    parser.add_argument("--no-install", action="store_true",
                        help="measure what the venv has; do not install the tree")
    args = parser.parse_args(argv)
    env = environment()
    prepare(args.venv, args.source.resolve(), not args.no_install, env)
    python = str(args.venv / "bin" / "python")
    reviewbot = str(args.venv / "bin" / "reviewbot")
    commands = [
        ("python -c pass", [python, "-c", "pass"]),
        ("python -c 'import reviewbot.asm.parser'", [python, "-c", "import reviewbot.asm.parser"]),
        ("reviewbot --version", [reviewbot, "--version"]),
        (f"reviewbot check {args.patch.name}", [reviewbot, "check", str(args.patch.resolve())]),
    ]
    print(f"venv {args.venv}, {args.runs} runs each after 2 warm-up runs, "
          f"PYTHONDONTWRITEBYTECODE unset; peak RSS "
          f"{'from GNU time' if os.access(GNU_TIME, os.X_OK) else 'from wait4 (floor: this process)'}")
    print(f"{'command':<70} {'median ms':>10} {'min ms':>8} {'peak RSS MiB':>13}  exit")
    for name, command in commands:
        r = measure(command, env, args.runs)
        print(f"{name:<70} {r['median']:>10.1f} {r['min']:>8.1f} {r['rss']:>13.1f}  "
              f"{','.join(map(str, r['codes']))}")
    print("Lark imported by the check:", "yes" if imports_lark(args.venv, args.patch.resolve(), env)
          else "no")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
