#!/usr/bin/env python3
"""Measure ``reviewbot review`` over a big mbox: time, peak memory, counts.

Runs the command as a child process (outbox and database in a scratch
directory, nothing sent), reads its JSON summary, and prints the figures:
messages, patches, series, malformed messages (each was reported by
Message-ID on the child's stderr, kept in ``stderr.log``), findings,
replies, wall time, the child's CPU time (user + system) and peak RSS.

    python bench/build_archive_mbox.py --output /tmp/kvmarm-0.mbox
    python bench/bench_review.py /tmp/kvmarm-0.mbox
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


def main(argv: list[str] | None = None) -> int:
    """Command line: the mbox, --workdir, extra reviewbot arguments after ``--``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mbox", type=Path)
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where the outbox, database and logs go (default: a new temp dir)")
    parser.add_argument("extra", nargs="*", help="more arguments for reviewbot review (after --)")
    args = parser.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="reviewbot-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "reviewbot", "review", str(args.mbox.resolve()),
               "--outbox", str(work / "outbox.mbox"), "--db", str(work / "outbox.sqlite"),
               "--format", "json", *args.extra]
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    started = time.monotonic()
    with open(work / "stderr.log", "wb") as errors:
        done = subprocess.run(command, cwd=work, env=env, stdout=subprocess.PIPE, stderr=errors)
    seconds = time.monotonic() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_kib = usage.ru_maxrss
    (work / "summary.json").write_bytes(done.stdout)
    try:
        summary = json.loads(done.stdout)
    except json.JSONDecodeError:
        print(f"reviewbot exited {done.returncode} without a summary; see {work / 'stderr.log'}",
              file=sys.stderr)
        return 1
    malformed = summary["malformed"]
    with_id = sum(1 for m in malformed if m["msgid"])
    figures = {
        "input": str(args.mbox),
        "input_mb": round(args.mbox.stat().st_size / 1e6, 1),
        "exit_status": done.returncode,
        "messages": summary["messages"],
        "cover_letters": summary["cover_letters"],
        "replies_in_input": summary["replies_in_input"],
        "patches": summary["patches"],
        "series": len(summary["series"]),
        "malformed": len(malformed),
        "malformed_with_msgid": with_id,
        "internal_errors": len(summary["internal_errors"]),
        "findings": sum(summary["findings"].values()),
        "findings_per_rule": summary["findings"],
        "replies_written": summary["replies"]["written"],
        "seconds": round(seconds, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mb": round(peak_kib / 1024, 1),
        "workdir": str(work),
    }
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
