#!/usr/bin/env python3
"""Time ``reviewbot backtest`` over whole archives, and check it.

    python bench/bench_backtest.py ARCHIVE... [--jobs 1,2,4] [--verify]

Each ARCHIVE is what ``backtest`` takes (a public-inbox git epoch or v2
inbox, an mbox, a maildir).  For each --jobs value the command runs once,
cold (no checkpoints), in a subprocess; printed: wall time, CPU time of
all its processes, the peak RSS of the largest one, and messages/s.

--verify checks what the speed rests on, over every message:
  1. the index's header-only reading equals a full parse_message
     (Message-ID, In-Reply-To, References, Subject, the time of Date, has a diff);
  2. the findings equal those of the old way: every message parsed,
     assemble_series over all of them, engine.review of every series.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def run_once(archives: list[str], jobs: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "reviewbot", "backtest", *archives, "--jobs", str(jobs),
                                 "--no-cache", "--progress", "never", "--format", "json", "-o", str(out)], cwd=ROOT)
        peaks = _watch_memory(proc)
        if proc.returncode:
            raise SystemExit(f"backtest exited {proc.returncode}")
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        report = json.loads(out.read_text())
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"jobs": jobs, "wall": wall, "cpu": cpu, "peak_mib": after.ru_maxrss / 1024, **peaks,
            "messages": report["summary"]["messages"], "findings": report["findings"],
            "summary": report["summary"]}


def _watch_memory(proc: subprocess.Popen) -> dict[str, float]:
    """Wait for ``proc``, sampling every 0.1 s the resident memory of its
    Python processes (the main one and the workers) and of its git
    processes, whose RSS is mostly the archive's pack file mapped."""
    import psutil  # installed with dask[distributed]

    peaks = {"python_mib": 0.0, "python_total_mib": 0.0, "git_mib": 0.0}
    root = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            sizes = [(p.name(), p.memory_info().rss / 2**20) for p in tree]
        except psutil.Error:
            sizes = []
        python = [size for name, size in sizes if name.startswith("python") or name == "reviewbot"]
        peaks["python_mib"] = max([peaks["python_mib"], *python])
        peaks["python_total_mib"] = max(peaks["python_total_mib"], sum(python))
        peaks["git_mib"] = max([peaks["git_mib"], *(size for name, size in sizes if name.startswith("git"))])
        time.sleep(0.1)
    return peaks


def verify(archives: list[str], findings: list[dict]) -> None:
    from reviewbot.backtest.index import mail_time, read_head
    from reviewbot.backtest.sources import open_sources, read_all
    from reviewbot.config import load_config
    from reviewbot.engine import review
    from reviewbot.mail.parse import mbox_message, parse_message
    from reviewbot.mail.series import assemble_series, has_diff
    from reviewbot.rules.loader import load_rules

    messages, mismatches, checked = [], 0, 0
    for source in open_sources(archives):
        for raw in read_all(source):
            data = mbox_message(raw.data) if source.kind == "mbox" else raw.data
            try:
                message = parse_message(data, source=f"{source.name}:{raw.location}")
            except Exception:  # noqa: BLE001 - review skips such a message too
                continue
            messages.append(message)
            head = read_head(data, "x")
            checked += 1
            # the date as a time: the plain reader rewrites its text (weekday, day in two digits)
            same = (head.msgid, head.in_reply_to, head.references, head.subject, mail_time(head.date)) == \
                (message.msgid, message.in_reply_to, message.references, message.subject, mail_time(message.date))
            if not message.subject.lower().startswith(("re:", "aw:", "sv:", "fw:", "fwd:")):
                same = same and head.diff == has_diff(message)
            if not same:
                mismatches += 1
                print(f"index differs on <{message.msgid}>", file=sys.stderr)
    print(f"verify: index equals a full parse on {checked - mismatches}/{checked} messages")
    config = load_config()
    rules = load_rules(config)
    series_list, _ = assemble_series(messages)
    old = []
    for series in series_list:
        for patch_review in review(series, rules, config).patches:
            old += [(f.rule_id, patch_review.patch.message.msgid, f.path, f.line if f.line is not None else f.old_line,
                     f.fingerprint) for f in patch_review.findings if not f.suppressed]
    new = [(f["rule"], f["msgid"], f["path"], f["line"], f["fingerprint"]) for f in findings]
    print(f"verify: old way {len(old)} findings in {len(series_list)} series, backtest {len(new)}; "
          f"{'identical' if sorted(old) == sorted(new) else 'DIFFERENT'}")
    for item in sorted(set(old) ^ set(new)):
        print(f"  {'old only' if item in old else 'backtest only'}: {item}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("archives", nargs="+")
    parser.add_argument("--jobs", default="1,2,4", help="comma-separated worker counts (default 1,2,4)")
    parser.add_argument("--verify", action="store_true", help="also check the index and the findings")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.1f}")
    print("| --jobs | wall s | CPU s (all processes) | peak RSS MiB: largest Python process / all Python / "
          "largest git / largest of all (rusage) | messages | messages/s | findings |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    runs = []
    for jobs in (int(j) for j in args.jobs.split(",")):
        run = run_once(args.archives, jobs)
        runs.append(run)
        print(f"| {jobs} | {run['wall']:.1f} | {run['cpu']:.1f} | {run['python_mib']:.0f} / "
              f"{run['python_total_mib']:.0f} / {run['git_mib']:.0f} / {run['peak_mib']:.0f} | {run['messages']} | "
              f"{run['messages'] / run['wall']:,.0f} | {len(run['findings'])} |", flush=True)
    same = all(r["findings"] == runs[0]["findings"] for r in runs)
    print(f"same findings for every --jobs: {same}; load average after: {os.getloadavg()[0]:.1f}")
    if args.verify:
        verify(args.archives, runs[0]["findings"])
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
