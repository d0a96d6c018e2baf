#!/usr/bin/env python3
"""Measure ``reviewbot check`` as a patch author meets it: wall time and peak
memory of the whole process, cold and warm, inside a kernel-sized tree.

    python bench/bench_check.py [--workdir DIR] [--runs N] [--json]
                                [--base-repo BARE] [--asm-repo BARE]

The tree is built once under ``--workdir`` (default /tmp/reviewbot-bench),
never inside this repository: every file of ``--base-repo``'s HEAD (default
the u-boot mirror, ~38k files: the size class of a kernel checkout) with its
Makefile saying VERSION = 5, PATCHLEVEL = 10, plus the AArch64 ``.S`` files
of ``--asm-repo`` (default Trusted Firmware-A) placed under
``arch/arm64/kvm/hyp/`` and ``arch/arm64/kernel/``, their functions marked
as the kernel marks them (TF-A's ``func x`` / ``endfunc x`` rewritten as
``SYM_FUNC_START(x)`` / ``SYM_FUNC_END(x)``: reviewbot finds a kernel
file's functions by those; ``--markers tf-a`` keeps TF-A's, and then
every file is one stretch of code to reviewbot).  On top of it, 40
commits each add a few lines (a literal-pool address, its use, a swapped
msr) to a different hyp ``.S`` file, of sizes from small to the largest.

Cases: one patch (the last commit) and the 40-patch series, as
format-patch files and with ``--git``; tree-aware (the default inside the
checkout) and ``--no-tree``; plus the checkout's uncommitted changes.  Cold
is the first run with an empty ``XDG_CACHE_HOME`` (the compiled grammar is
rebuilt) and an empty bytecode cache (``PYTHONPYCACHEPREFIX``; every module
compiled from source), with the OS file cache dropped when this runs as root
and the kernel lets it; warm is the median of ``--runs`` runs after that,
both caches filled (as after ``pip install``).  Peak
memory is ``ru_maxrss`` of the process (git children included as the
largest of them).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Fetched mirrors, one directory per repository named "<owner>+<name>/repo"
# (a bare git directory); where they are is this machine's business: set
# REVIEWBOT_MIRRORS, or name the repositories with the options.
MIRRORS = Path(os.environ.get("REVIEWBOT_MIRRORS", "mirrors"))
DEFAULT_BASE = MIRRORS / "u-boot+u-boot" / "repo"
DEFAULT_ASM = MIRRORS / "ARM-software+arm-trusted-firmware" / "repo"
SERIES = 40
ADDED = "\tldr\tx1, =__bench_sym_{n}\n\tldr\tx2, [x1]\n\tmsr\tx0, tpidr_el2\n"


def sh(*cmd: str, cwd: Path | None = None, stdin: bytes | None = None, env: dict | None = None) -> bytes:
    """Run a command, raise with its stderr when it fails."""
    proc = subprocess.run(cmd, cwd=cwd, input=stdin, capture_output=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.decode(errors='replace')}")
    return proc.stdout


def git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull,
               GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="bench@example.org",
               GIT_COMMITTER_NAME="Bench", GIT_COMMITTER_EMAIL="bench@example.org",
               GIT_AUTHOR_DATE="2021-01-04T12:00:00+0000", GIT_COMMITTER_DATE="2021-01-04T12:00:00+0000")
    return env


# --- the tree ------------------------------------------------------------------------------


MARKERS = ("kernel", "tf-a")
_FUNC = re.compile(rb"^(\s*)func(\s+)(\w+)(.*)$", re.M)
_ENDFUNC = re.compile(rb"^(\s*)endfunc(\s+)(\w+)", re.M)


def kernel_markers(data: bytes) -> bytes:
    """TF-A's function macros as the kernel's (``func x, align`` keeps no
    alignment: SYM_FUNC_START aligns on its own)."""
    data = _FUNC.sub(rb"\1SYM_FUNC_START(\3)", data)
    return _ENDFUNC.sub(rb"\1SYM_FUNC_END(\3)", data)


def build_tree(workdir: Path, base_repo: Path, asm_repo: Path, markers: str = "kernel") -> Path:
    """The kernel-sized checkout with the 40-commit series on top (cached)."""
    tree = workdir / "linux"
    ready = tree / ".bench-ready"
    stamp = f"ok markers={markers} packed\n"
    if ready.exists() and ready.read_text() == stamp:
        return tree
    for made in workdir.iterdir() if workdir.exists() else ():  # the tree, and series made from it
        if made.is_dir() and re.fullmatch(r"linux|one|series|(chain|series)\d+(-clone)?", made.name):
            shutil.rmtree(made)
    tree.mkdir(parents=True)
    env = git_env()
    print(f"building {tree} from {base_repo.name} and {asm_repo.name} ...", file=sys.stderr)
    sh("git", "init", "-q", "-b", "master", cwd=tree, env=env)
    missing = export_tree(base_repo, tree, lambda name: name)
    makefile = tree / "Makefile"
    lines = makefile.read_text(errors="replace").splitlines(keepends=True) if makefile.exists() else []
    lines = [ln for ln in lines if not ln.startswith(("VERSION", "PATCHLEVEL", "SUBLEVEL"))]
    makefile.write_text("VERSION = 5\nPATCHLEVEL = 10\nSUBLEVEL = 0\n" + "".join(lines))
    names = sh("git", f"--git-dir={asm_repo}", "ls-tree", "-r", "--name-only", "HEAD", env=env).decode().split("\n")
    asm = sorted(n for n in names if n.endswith(".S") and "aarch64" in n)
    places = {name: ("arch/arm64/kernel/" if i % 4 == 3 else "arch/arm64/kvm/hyp/") + name.replace("/", "_")
              for i, name in enumerate(asm)}
    missing += export_tree(asm_repo, tree, places.get, kernel_markers if markers == "kernel" else None)
    if missing:
        print(f"  ({missing} blobs absent from the mirrors were left out)", file=sys.stderr)
    sh("git", "add", "-A", cwd=tree, env=env)
    sh("git", "commit", "-q", "-m", "base", cwd=tree, env=env)
    hyp = sorted((tree / "arch/arm64/kvm/hyp").glob("*.S"), key=lambda p: p.stat().st_size)
    step = max(1, len(hyp) // SERIES)
    chosen = (hyp[::step] + hyp)[:SERIES - 1] + [hyp[-1]]  # small to large; the last is the largest
    for n, path in enumerate(chosen, start=1):
        lines = path.read_text(errors="replace").splitlines(keepends=True)
        at = len(lines) // 2
        while at < len(lines) and lines[at].rstrip().endswith("\\"):
            at += 1  # not inside a continued #define
        lines.insert(at, ADDED.format(n=n))
        path.write_text("".join(lines))
        sh("git", "commit", "-q", "-am", f"KVM: arm64: bench change {n} in {path.name}", cwd=tree, env=env)
    # packed, as a kernel tree cloned from kernel.org is: loose objects make
    # every blob read a file of its own and every abbreviated id a directory scan
    sh("git", "gc", "-q", cwd=tree, env=env)
    (tree / ".git" / "info" / "exclude").write_text(".bench-ready\n")
    ready.write_text(stamp)
    return tree


def export_tree(repo: Path, dest: Path, place, rewrite=None) -> int:
    """Write the regular files of ``repo``'s HEAD under ``dest`` at
    ``place(path)`` (None skips a file), reading every blob with one
    ``git cat-file --batch``; blobs the mirror lacks are skipped and
    counted."""
    listing = sh("git", f"--git-dir={repo}", "ls-tree", "-r", "-z", "HEAD").split(b"\0")
    wanted: list[tuple[str, Path]] = []
    for entry in listing:
        if not entry:
            continue
        meta, name = entry.decode(errors="replace").split("\t", 1)
        mode, kind, oid = meta.split()
        target = place(name)
        if kind == "blob" and mode in ("100644", "100755") and target:
            wanted.append((oid, dest / target))
    request = "".join(oid + "\n" for oid, _ in wanted).encode()
    out = sh("git", f"--git-dir={repo}", "cat-file", "--batch", stdin=request)
    pos, missing = 0, 0
    for oid, target in wanted:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if len(header) != 3:
            missing += 1
            continue
        size = int(header[2])
        target.parent.mkdir(parents=True, exist_ok=True)
        data = out[pos:pos + size]
        target.write_bytes(rewrite(data) if rewrite else data)
        pos += size + 1
    return missing


def patch_files(tree: Path, workdir: Path) -> tuple[Path, Path]:
    """format-patch output: the last commit alone, and the whole series."""
    one, series = workdir / "one", workdir / "series"
    for outdir, rev in ((one, "HEAD~1.."), (series, f"HEAD~{SERIES}..")):
        if outdir.exists():
            shutil.rmtree(outdir)
        sh("git", "format-patch", "-q", "-o", str(outdir), rev, cwd=tree, env=git_env())
    return one, series


# --- measuring ------------------------------------------------------------------------------


def drop_os_cache() -> bool:
    """Drop the page cache when allowed (root on a kernel that lets us)."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def measure(argv: list[str], cwd: Path, cache: Path) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MiB, exit status) of one process."""
    env = git_env()
    env["XDG_CACHE_HOME"] = str(cache)
    env["PYTHONPYCACHEPREFIX"] = str(cache / "pycache")  # bytecode cached, as an installed wheel has it
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH") else "")
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    proc.stderr.close() if proc.stderr else None
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} exited {code}: {err}")
    return wall, usage.ru_maxrss / 1024, code


def case(name: str, argv: list[str], cwd: Path, runs: int, workdir: Path, cold: bool = True) -> dict:
    """Cold (empty grammar and bytecode caches) once, then warm ``runs`` times."""
    result: dict = {"case": name, "argv": argv[3:] if argv[:3] == REVIEWBOT else argv}
    cache = workdir / "cache"
    if cold:
        shutil.rmtree(cache, ignore_errors=True)
        result["os_cache_dropped"] = drop_os_cache()
        wall, rss, code = measure(argv, cwd, cache)
        result.update(cold_ms=round(wall * 1000, 1), cold_rss_mib=round(rss, 1))
    measure(argv, cwd, cache)  # warm-up
    walls, rsses = [], []
    for _ in range(runs):
        wall, rss, code = measure(argv, cwd, cache)
        walls.append(wall)
        rsses.append(rss)
    result.update(warm_ms=round(statistics.median(walls) * 1000, 1), warm_min_ms=round(min(walls) * 1000, 1),
                  warm_rss_mib=round(max(rsses), 1), exit=code)
    return result


REVIEWBOT = [sys.executable, "-m", "reviewbot"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/reviewbot-bench"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--base-repo", type=Path, default=DEFAULT_BASE)
    parser.add_argument("--asm-repo", type=Path, default=DEFAULT_ASM)
    parser.add_argument("--markers", choices=MARKERS, default="kernel",
                        help="how the .S files' functions are marked (default: the kernel's way)")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.markers != "kernel" and args.workdir == Path("/tmp/reviewbot-bench"):
        args.workdir = Path(f"/tmp/reviewbot-bench-{args.markers}")
    if ROOT in args.workdir.resolve().parents or args.workdir.resolve() == ROOT:
        parser.error("--workdir must be outside the reviewbot repository")
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.build_only:
        build_tree(args.workdir, args.base_repo, args.asm_repo, args.markers)
        patch_files(args.workdir / "linux", args.workdir)
        return 0
    # Built by another process: a child forked from a process that held the
    # tree in memory would report that process's RSS as its own peak.
    subprocess.run([sys.executable, __file__, "--build-only", "--workdir", str(args.workdir),
                    "--base-repo", str(args.base_repo), "--asm-repo", str(args.asm_repo)], check=True)
    tree, one, series = args.workdir / "linux", args.workdir / "one", args.workdir / "series"
    files = sh("git", "ls-files", cwd=tree).count(b"\n")
    hyp = list((tree / "arch/arm64/kvm/hyp").glob("*.S"))
    largest = max(hyp, key=lambda p: p.stat().st_size)
    one_patch = next(one.glob("*.patch"))
    check = [*REVIEWBOT, "check"]
    results = [
        case("python start-up (reference)", [sys.executable, "-c", "pass"], tree, args.runs, args.workdir, cold=False),
        case("reviewbot --version", [*REVIEWBOT, "--version"], tree, args.runs, args.workdir),
        case("1 patch, tree-aware", [*check, str(one_patch)], tree, args.runs, args.workdir),
        case("1 patch, --no-tree", [*check, "--no-tree", str(one_patch)], tree, args.runs, args.workdir),
        case("1 patch, --git HEAD~1..", [*check, "--git", "HEAD~1.."], tree, args.runs, args.workdir),
        case(f"{SERIES} patches, tree-aware", [*check, str(series)], tree, args.runs, args.workdir),
        case(f"{SERIES} patches, --no-tree", [*check, "--no-tree", str(series)], tree, args.runs, args.workdir),
        case(f"{SERIES} patches, --git HEAD~{SERIES}..", [*check, "--git", f"HEAD~{SERIES}.."], tree,
             args.runs, args.workdir),
    ]
    # the checkout's uncommitted changes (restored afterwards)
    victim = sorted(hyp)[0]
    original = victim.read_bytes()
    try:
        victim.write_bytes(original + ADDED.format(n=0).encode())
        results.append(case("uncommitted change, default", check, tree, args.runs, args.workdir))
    finally:
        victim.write_bytes(original)
    info = {"tree": str(tree), "tracked_files": files, "hyp_S_files": len(hyp),
            "largest_hyp_file": f"{largest.name} ({len(largest.read_text(errors='replace').splitlines())} lines)",
            "python": sys.version.split()[0], "cpus": os.cpu_count(), "runs": args.runs}
    if args.json:
        print(json.dumps({"info": info, "results": results}, indent=2))
        return 0
    print(f"tree: {files} tracked files, {len(hyp)} hyp .S files; largest {info['largest_hyp_file']}; "
          f"python {info['python']}, {info['cpus']} cpus, warm = median of {args.runs}")
    print(f"{'case':38} {'cold ms':>9} {'cold MiB':>9} {'warm ms':>9} {'min ms':>8} {'warm MiB':>9} {'exit':>5}")
    for r in results:
        print(f"{r['case']:38} {r.get('cold_ms', '-'):>9} {r.get('cold_rss_mib', '-'):>9} {r['warm_ms']:>9} "
              f"{r['warm_min_ms']:>8} {r['warm_rss_mib']:>9} {r['exit']:>5}")
    dropped = any(r.get("os_cache_dropped") for r in results)
    print("cold: empty grammar cache (XDG_CACHE_HOME) and bytecode cache (PYTHONPYCACHEPREFIX)"
          + ("; OS page cache dropped" if dropped else "; OS page cache not droppable here"))
    print("peak RSS includes the pages a forked child shares with this measuring process (~10 MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
