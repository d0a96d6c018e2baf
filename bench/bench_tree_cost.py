#!/usr/bin/env python3
"""What tree-aware ``reviewbot check`` costs over ``--no-tree`` (issue 13).

    python bench/bench_tree_cost.py --base-repo BARE [--asm-repo BARE] [--workdir DIR]
                                    [--runs N] [--only NAME,...] [--save-output DIR] [--json]

Uses the tree of ``bench_check.py`` (built the same way, under the same
``--workdir``) and, in a clone of it, three series checked from inside the
tree: the 40 patches of bench_check (each changes a different hyp ``.S``
file); a chain of 20 patches that change the largest hyp file again and
again (each patch's pre-image is the previous one's post-image); and 200
patches that go round the hyp ``.S`` files (so most files are changed more
than once).  Each case is run tree-aware and with ``--no-tree``, warm
(one warm-up each, then ``--runs`` turns of both, one after the other, so
that a machine whose speed drifts weighs on both alike); the medians of
wall time and CPU time (user plus system of the process and its children:
the machine may be shared) are reported with their ratios, and "paired",
the median over the turns of the CPU ratio within a turn.  ``--save-output DIR`` keeps each tree-aware
run's output (``NAME.txt``) so two revisions can be compared with ``diff``.

Tree-aware ``check`` keeps what it makes of the tree's files for the next
check (analysis/file_cache.py), so the warm runs find them kept;
``--first-check`` removes them before each tree-aware run, which then
costs what a first check of those files does (and writes them again).

``--bound`` adds, for each case, a third run: tree-aware, but with only
the statements on the lines near a change read instead of the functions
around them (``whole_file._spans_near`` replaced in the process).  Its
findings are not the real ones (a trace through the rest of a function is
lost); it is a bound: what tree-aware review would cost if reading whole
functions were free, that is, the cost of the whole-file structures alone
(outlines, spans, contexts, views) and of the rules over the lines a
``--no-tree`` run reads too.

``--floor`` prints, for the 40-patch series, what tree-aware review cannot
do without while its findings stay the same, measured in a fresh process:
the first parse of every statement of the 40 post-images (the taint rule
analyses a whole span, and a file whose functions are not marked the
kernel's way is one span) and the taint rule's run over them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_check import (  # noqa: E402 - the sibling script, run as a script
    ADDED, DEFAULT_ASM, DEFAULT_BASE, REVIEWBOT, ROOT, SERIES, git_env, sh,
)

#: where check keeps what it made of the tree's files (resources.cache_root)
FILES_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "reviewbot" / "files"
CHAIN = 20
LONG = 200
PYCACHE = Path(os.environ.get("TMPDIR", "/tmp")) / "reviewbot-bench-pycache"


def series_in_clone(tree: Path, workdir: Path, name: str, targets: list[Path]) -> Path:
    """format-patch of commits made in a clone of ``tree``: commit ``n``
    inserts the bench lines into ``targets[n-1]`` a little further down each
    time the same file comes round again (cached by name)."""
    out = workdir / name
    if (out / ".ready").exists():
        return out
    clone = workdir / f"{name}-clone"
    shutil.rmtree(clone, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    env = git_env()
    sh("git", "clone", "-q", "--shared", str(tree), str(clone), env=env)
    rounds: dict[Path, int] = {}
    for n, target in enumerate(targets, start=1):
        path = clone / target.relative_to(tree)
        lines = path.read_text(errors="replace").splitlines(keepends=True)
        turn = rounds.get(target, 0)
        rounds[target] = turn + 1
        at = (len(lines) * (1 + 2 * turn)) // (2 * len(targets)) if len(set(targets)) == 1 else len(lines) // 3 + 7 * turn
        at = min(at, len(lines))
        while at < len(lines) and lines[at].rstrip().endswith("\\"):
            at += 1  # not inside a continued #define
        lines.insert(at, ADDED.format(n=1000 + n))
        path.write_text("".join(lines))
        sh("git", "commit", "-q", "-am", f"KVM: arm64: bench {name} {n} in {path.name}", cwd=clone, env=env)
    sh("git", "format-patch", "-q", "-o", str(out), f"HEAD~{len(targets)}..", cwd=clone, env=env)
    (out / ".ready").write_text("ok\n")
    return out


def run(argv: list[str], cwd: Path, output: Path | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one process, its output kept when asked."""
    env = git_env()
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH") else "")
    # bytecode cached (the warm-up writes it), as an installed wheel has it:
    # without, every run compiles the modules it imports, and a checkout
    # whose bytecode is stale pays for it in both modes
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    with open(output or os.devnull, "wb") as sink:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=sink, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} exited {code}")
    return wall, usage.ru_utime + usage.ru_stime


# ``reviewbot check`` with only the statements on lines near a change read
# (each a span of its own), for --bound
LINES_ONLY = """
import sys
from reviewbot.match import whole_file

def lines_only(shape, near, notes=None):
    picked = [(i, stmt.line) for i, stmt in enumerate(shape) if stmt.line in near]
    return [(i, i + 1) for i, _ in picked], [(line, line) for _, line in picked]

whole_file._spans_near = lines_only
from reviewbot.cli import run
sys.argv[0] = "reviewbot"
run()
"""


def measure(commands: list[list[str]], cwd: Path, runs: int, output: Path | None,
            forget: bool = False) -> list[dict]:
    """Each command warmed up once, then run ``runs`` times, the commands
    taking turns (tree-aware, ``--no-tree``, ...) so that a machine whose
    speed drifts weighs on all of them alike; the first command's output
    is kept when asked.  Each result also has ``ratio``, the median over
    the turns of the command's CPU over the second command's in the same
    turn.  ``forget``: the first command runs without the kept outlines of
    the tree's files (analysis/file_cache.py), as the first check of those
    files meets it."""
    for n, argv in enumerate(commands):
        run(argv, cwd, output if n == 0 else None)  # warm-up (and the output kept)
    samples: list[list[tuple[float, float]]] = [[] for _ in commands]
    for _ in range(runs):
        for n, argv in enumerate(commands):
            if forget and n == 0:
                shutil.rmtree(FILES_CACHE, ignore_errors=True)
            samples[n].append(run(argv, cwd))
    results = []
    for own in samples:
        walls, cpus = [s[0] for s in own], [s[1] for s in own]
        ratios = [mine[1] / other[1] for mine, other in zip(own, samples[min(1, len(samples) - 1)])]
        results.append({"wall": statistics.median(walls), "wall_min": min(walls), "wall_max": max(walls),
                        "cpu": statistics.median(cpus), "ratio": statistics.median(ratios)})
    return results


def floor(tree: Path) -> int:
    """CPU seconds of the first parse of the series' post-images, and of the
    taint rule over them (this process must not have parsed anything yet)."""
    from reviewbot.analysis.kernels import Era, KernelVersion
    from reviewbot.asm.parser import parse
    from reviewbot.config import load_config
    from reviewbot.match.file_units import build_units
    from reviewbot.model import FileChange
    from reviewbot.rules.loader import load_rules

    names = sh("git", "diff", "--name-only", f"HEAD~{SERIES}", cwd=tree).decode().split()
    texts = [(tree / name).read_text(errors="replace") for name in names]
    config = load_config()
    rule = load_rules(config).get("arm64.hyp.missing-kern-hyp-va")
    start = time.process_time()
    statements = sum(len(parse(text)) for text in texts)
    parsed = time.process_time() - start
    units = [build_units(FileChange(old_path=n, new_path=n, hunks=()), config, Era(KernelVersion(5, 10)),
                         whole_file_text=t).new_asm for n, t in zip(names, texts)]
    start = time.process_time()
    for found in units:
        for unit in found:
            list(rule.matcher.run(unit))
    tainted = time.process_time() - start
    print(f"{len(texts)} post-images, {statements} statements: first parse {parsed:.3f} s CPU, "
          f"taint rule over them {tainted:.3f} s CPU")
    built = _build_floor(tree, config)
    print(f"the same {len(texts)} files as tree-aware review builds them (pre-image outlined, post-image "
          f"made from it, the spans near each change read on both sides, contexts): {built:.3f} s CPU")
    return 0


def _build_floor(tree: Path, config) -> float:
    """CPU seconds of ``build_units`` for the series' files as ``check``
    builds them in the tree (no rule run), after the parse memo is emptied."""
    from reviewbot.analysis.kernels import Era, KernelVersion
    from reviewbot.asm import parser
    from reviewbot.engine import NEAR
    from reviewbot.mail.parse import parse_input
    from reviewbot.mail.series import assemble_series
    from reviewbot.match.file_units import build_units

    patches = sorted((tree.parent / "series").glob("*.patch"))
    changes = []
    for path in patches:
        messages, _ = parse_input(path.read_bytes(), source=str(path))
        series, _ = assemble_series(messages)
        changes.extend(change for s in series for patch in s.patches for change in patch.files)
    olds = [sh("git", "show", f"HEAD~{SERIES}:{change.old_path}", cwd=tree).decode(errors="replace")
            for change in changes]
    parser._MEMO.clear()
    era = Era(KernelVersion(5, 10))
    start = time.process_time()
    for change, old in zip(changes, olds):
        build_units(change, config, era, old_text=old, near=NEAR)
    return time.process_time() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/reviewbot-bench"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--base-repo", type=Path, default=DEFAULT_BASE)
    parser.add_argument("--asm-repo", type=Path, default=DEFAULT_ASM)
    parser.add_argument("--only", default="", help="comma-separated case names (series40,chain20,series200)")
    parser.add_argument("--save-output", type=Path, help="keep each tree-aware run's output here")
    parser.add_argument("--markers", choices=("kernel", "tf-a"), default="kernel",
                        help="how the tree's .S functions are marked (bench_check.py --markers)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--floor", action="store_true", help="print the floor of the 40-patch case and stop")
    parser.add_argument("--first-check", action="store_true",
                        help="tree-aware runs without the outlines kept by earlier checks (a first check of the files)")
    parser.add_argument("--bound", action="store_true",
                        help="also time each case reading only the lines near a change (a bound, not real findings)")
    parser.add_argument("--floor-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.markers != "kernel" and args.workdir == Path("/tmp/reviewbot-bench"):
        args.workdir = Path(f"/tmp/reviewbot-bench-{args.markers}")
    if args.floor_child:
        return floor(args.floor_child)
    subprocess.run([sys.executable, str(ROOT / "bench" / "bench_check.py"), "--build-only",
                    "--workdir", str(args.workdir), "--base-repo", str(args.base_repo),
                    "--asm-repo", str(args.asm_repo), "--markers", args.markers], check=True)
    tree = args.workdir / "linux"
    if args.floor:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        return subprocess.run([sys.executable, __file__, "--floor-child", str(tree)], env=env).returncode
    hyp = sorted((tree / "arch/arm64/kvm/hyp").glob("*.S"))
    largest = max(hyp, key=lambda p: p.stat().st_size)
    cases = {
        f"series{SERIES}": args.workdir / "series",
        f"chain{CHAIN}": series_in_clone(tree, args.workdir, f"chain{CHAIN}", [largest] * CHAIN),
        f"series{LONG}": series_in_clone(tree, args.workdir, f"series{LONG}",
                                         [hyp[i % len(hyp)] for i in range(LONG)]),
    }
    wanted = [c for c in args.only.split(",") if c] or list(cases)
    if args.save_output:
        args.save_output.mkdir(parents=True, exist_ok=True)
    results = []
    for name in wanted:
        patches = cases[name]
        output = args.save_output / f"{name}.txt" if args.save_output else None
        commands = [[*REVIEWBOT, "check", str(patches)], [*REVIEWBOT, "check", "--no-tree", str(patches)]]
        if args.bound:
            commands.append([sys.executable, "-c", LINES_ONLY, "check", str(patches)])
        tree_aware, no_tree, *bound = measure(commands, tree, args.runs, output, args.first_check)
        result = {"case": name, "patches": len(list(patches.glob("*.patch"))),
                  "tree": tree_aware, "no_tree": no_tree,
                  "ratio_wall": tree_aware["wall"] / no_tree["wall"],
                  "ratio_cpu": tree_aware["cpu"] / no_tree["cpu"],
                  "ratio_cpu_paired": tree_aware["ratio"]}
        if bound:
            result.update(lines_only=bound[0], ratio_cpu_lines_only=bound[0]["ratio"])
        results.append(result)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{'first check' if args.first_check else 'warm'}, median of {args.runs} turns (tree-aware and "
          f"--no-tree in turn); CPU = user + system; paired: the median over the turns of the CPU ratio")
    print(f"{'case':12} {'patches':>7} {'tree wall s':>12} {'(min-max)':>13} {'tree CPU s':>11} "
          f"{'no-tree wall':>13} {'no-tree CPU':>12} {'ratio wall':>11} {'ratio CPU':>10} {'paired':>7}")
    for r in results:
        t, n = r["tree"], r["no_tree"]
        print(f"{r['case']:12} {r['patches']:>7} {t['wall']:>12.2f} {t['wall_min']:>6.2f}-{t['wall_max']:<6.2f} "
              f"{t['cpu']:>11.2f} {n['wall']:>13.2f} {n['cpu']:>12.2f} {r['ratio_wall']:>10.2f}x "
              f"{r['ratio_cpu']:>9.2f}x {r['ratio_cpu_paired']:>6.2f}x")
        if "lines_only" in r:
            print(f"{'':12} {'':>7} reading only the lines near a change: CPU {r['lines_only']['cpu']:.2f} s, "
                  f"{r['ratio_cpu_lines_only']:.2f}x --no-tree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
