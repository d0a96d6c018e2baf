#!/usr/bin/env python3
"""Measure ``reviewbot watch`` catching up on a month of a real mailing list.

Builds a local public-inbox from the public-inbox v2 git epochs of the
lists (bare mirrors of lore's archives: one message per commit, file
``m``), keeping only the messages received in one month; indexes it fully
(Xapian, as lore does); serves it with ``public-inbox-httpd`` on loopback;
then runs one watcher poll that reads everything since the start of the
month with the default queries of ``config.yaml``, and a second poll that
must find nothing new.  Reports the time, peak memory (RSS), HTTP requests
and bytes, hits, threads, series reviewed and replies queued.

Nothing is sent anywhere and nothing of the archive is written outside
``--work`` (default: a temporary directory, removed unless ``--keep``).

    python bench/bench_watch.py --month 2020-04
    python bench/bench_watch.py --month 2020-04 --json results.json

Needs Debian's public-inbox package and the mirrors: set ``REVIEWBOT_MIRRORS``
to the directory holding ``<owner>+<name>/repo`` (see ``MIRRORS`` below).
"""

from __future__ import annotations

import argparse
import calendar
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from git_objects import stream  # bench/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parent.parent
# Fetched mirrors, one directory per repository named "<owner>+<name>/repo"
# (a bare git directory); where they are is this machine's business: set
# REVIEWBOT_MIRRORS, or name the repositories with the options.
MIRRORS = Path(os.environ.get("REVIEWBOT_MIRRORS", "mirrors"))
DEFAULT_LISTS = {
    "linux-arm-kernel": ("linux-arm-kernel@lists.infradead.org",
                         MIRRORS / "linux-mailinglist-archives+linux-arm-kernel.lists.infradead.org.0" / "repo"),
    "kvmarm": ("kvmarm@lists.cs.columbia.edu",
               MIRRORS / "linux-mailinglist-archives+kvmarm.lists.cs.columbia.edu.0" / "repo"),
}

#: Runs one poll in a child process and reports what it did and cost.
CHILD = r"""
import json, resource, sys, time
started, cpu0 = time.monotonic(), time.process_time()
from reviewbot.config import load_config
from reviewbot.bot.lore import LoreClient
from reviewbot.bot.outbox import Outbox, ReplyQueue
from reviewbot.rules.loader import load_rules
from reviewbot.bot.state import StateStore
from reviewbot.bot.watcher import run_once
out, cfg, now = sys.argv[1], sys.argv[2], float(sys.argv[3])
config = load_config([cfg])
rules = load_rules(config)
client = LoreClient(config.lore)
with StateStore(config.watch.state) as store, Outbox(config.outbox.database, config.outbox.path) as outbox:
    queue = ReplyQueue(outbox, config.bot, rules_version=rules.version)
    outcomes = run_once(client, store, rules, config, queue, now=now)
    status = store.status()
    replies = outbox.counts()
counts = {}
for o in outcomes:
    counts[o.action] = counts.get(o.action, 0) + 1
json.dump({
    "seconds": time.monotonic() - started, "cpu_seconds": time.process_time() - cpu0,
    "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "requests": client.requests_made, "bytes": client.bytes_received, "outcomes": counts,
    "reviewed_now": counts.get("reviewed", 0),
    "new_hits": sum(o.present for o in outcomes if o.action == "polled"),
    "findings": sum(o.findings for o in outcomes), "replies_queued": sum(o.replies for o in outcomes),
    "errors": [o.detail for o in outcomes if o.action in ("error", "failed")][:10],
    "state": {"messages_seen": status.messages, "hits": status.hits, "patches_reviewed": status.patches_reviewed,
              "series": dict(status.counts)},
    "outbox": replies,
}, open(out, "w"), indent=2)
"""


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def month_range(month: str) -> tuple[float, float]:
    year, mon = (int(x) for x in month.split("-"))
    start = calendar.timegm((year, mon, 1, 0, 0, 0))
    end = calendar.timegm((year + (mon == 12), mon % 12 + 1, 1, 0, 0, 0))
    return float(start), float(end)


def select_commits(repo: Path, start: float, end: float) -> list[str]:
    """Commits (in archive order) whose author time -- the message's
    Date -- falls in [start, end).  (Commit times are when the archive
    imported the message, sometimes in bulk, weeks later.)"""
    out = subprocess.run(["git", "-C", str(repo), "log", "--reverse", "--format=%H %at", "HEAD"],
                         capture_output=True, text=True, check=True).stdout
    picked = []
    for line in out.splitlines():
        sha, when = line.split()
        if start <= int(when) < end:
            picked.append(sha)
    return picked


def build_epoch(repo: Path, commits: list[str], dest: Path) -> int:
    """Write the messages of ``commits`` as a fresh v2 epoch at ``dest``
    (one commit per message, file ``m``), with git fast-import."""
    imp = subprocess.Popen(["git", "-C", str(dest), "fast-import", "--quiet", "--force"],
                           stdin=subprocess.PIPE)
    assert imp.stdin
    count = 0
    when = int(time.time())
    for _, data in stream(str(repo), (f"{sha}:m" for sha in commits)):
        if data is None:
            continue  # a deletion commit ('d'), not a message
        size = len(data)
        count += 1
        imp.stdin.write(b"commit refs/heads/master\n")
        imp.stdin.write(f"committer bench <bench@localhost> {when + count} +0000\n".encode())
        imp.stdin.write(b"data 0\n")  # each commit follows the last on the branch
        imp.stdin.write(f"M 100644 inline m\ndata {size}\n".encode() + data + b"\n")
    imp.stdin.close()
    if imp.wait() != 0:
        raise SystemExit("git fast-import failed")
    return count


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--month", default="2020-04", help="YYYY-MM to catch up on (default 2020-04)")
    parser.add_argument("--lists", default="linux-arm-kernel,kvmarm",
                        help="inboxes to build, of: " + ", ".join(DEFAULT_LISTS))
    parser.add_argument("--work", help="working directory (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the working directory")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--query", metavar="LIST=QUERY", action="append", default=[],
                        help="poll this query instead of config.yaml's watch.queries (repeatable)")
    args = parser.parse_args(argv)

    for tool in ("public-inbox-init", "public-inbox-index", "public-inbox-httpd", "git"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not on PATH (apt-get install public-inbox git)")
    work = Path(args.work or tempfile.mkdtemp(prefix="reviewbot-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PI_CONFIG": str(work / "pi-config"), "HOME": str(work), "TZ": "UTC"}
    start, end = month_range(args.month)
    lists = [name.strip() for name in args.lists.split(",") if name.strip()]
    figures: dict = {"month": args.month, "lists": {}}
    httpd = None
    try:
        for name in lists:
            address, mirror = DEFAULT_LISTS[name]
            inbox = work / name
            if not (inbox / "msgmap.sqlite3").exists():
                subprocess.run(["public-inbox-init", "-V2", "-L", "full", name, str(inbox),
                                f"http://127.0.0.1/{name}", address], env=env, check=True)
                commits = select_commits(mirror, start, end)
                count = build_epoch(mirror, commits, inbox / "git" / "0.git")
                log(f"{name}: {count} messages of {args.month}; indexing (Xapian, full)...")
                t0 = time.monotonic()
                subprocess.run(["public-inbox-index", "-L", "full", str(inbox)], env=env, check=True,
                               stdout=subprocess.DEVNULL)
                figures["lists"][name] = {"messages": count, "index_seconds": round(time.monotonic() - t0, 1)}
                (inbox / "bench.json").write_text(json.dumps(figures["lists"][name]))
                log(f"{name}: indexed in {figures['lists'][name]['index_seconds']} s")
            else:  # built by an earlier run with the same --work
                figures["lists"][name] = json.loads((inbox / "bench.json").read_text())
        port = free_port()
        httpd = subprocess.Popen(["public-inbox-httpd", "-W0", "-l", f"http://127.0.0.1:{port}"], env=env,
                                 stdout=subprocess.DEVNULL, stderr=open(work / "httpd.log", "wb"))
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("public-inbox-httpd did not start")
                time.sleep(0.1)
        for f in ("watch.sqlite", "outbox.sqlite", "outbox.mbox"):
            (work / f).unlink(missing_ok=True)
        queries = [q for q in _default_queries() if q["list"] in lists]
        if args.query:
            queries = [dict(zip(("list", "query"), q.split("=", 1))) for q in args.query]
        cfg = work / "watch.yaml"
        cfg.write_text(json.dumps({
            "lore": {"base-url": f"http://127.0.0.1:{port}"},
            "watch": {"queries": queries, "state": str(work / "watch.sqlite"),
                      # the watcher's clock is the month's end: its first poll
                      # reads the month (watch.initial-lookback is at most a year)
                      "initial-lookback": int(end - start) + 3600},
            "outbox": {"path": str(work / "outbox.mbox"), "database": str(work / "outbox.sqlite")},
        }))
        figures["queries"] = queries
        for run, clock in (("catch_up", end), ("next_poll", end + 300)):
            out = work / f"{run}.json"
            proc = subprocess.run([sys.executable, "-c", CHILD, str(out), str(cfg), str(clock)], cwd=ROOT,
                                  env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
            if proc.returncode != 0:
                raise SystemExit(f"the watcher failed:\n{proc.stderr}")
            figures[run] = json.loads(out.read_text())
            log(f"{run}: {figures[run]['seconds']:.1f} s, {figures[run]['peak_rss_mib']:.0f} MiB, "
                f"{figures[run]['reviewed_now']} series reviewed")
    finally:
        if httpd is not None:
            httpd.send_signal(signal.SIGTERM)
            httpd.wait(timeout=30)
        if not args.keep and not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print(report(figures))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 0


def _default_queries() -> list[dict]:
    sys.path.insert(0, str(ROOT))
    from reviewbot.config import load_config
    return [{"list": q.list, "query": q.query} for q in load_config().watch.queries]


def report(f: dict) -> str:
    c, n = f["catch_up"], f["next_poll"]
    lines = [f"reviewbot watch: catching up on {f['month']}"]
    lines += [f"  query {q['list']}: {q['query']}" for q in f["queries"]]
    for name, info in f["lists"].items():
        lines.append(f"  {name}: {info['messages']} messages (index built in {info['index_seconds']} s)")
    lines += [
        f"  first poll:  {c['seconds']:.1f} s wall, {c['cpu_seconds']:.1f} s CPU, peak RSS {c['peak_rss_mib']:.0f} MiB",
        f"               {c['requests']} HTTP requests, {c['bytes'] / 1e6:.1f} MB received",
        f"               {c['new_hits']} matching messages, {c['state']['messages_seen']} messages in their threads",
        f"               {c['reviewed_now']} series reviewed ({c['state']['patches_reviewed']} patches), "
        f"{c['findings']} findings, {c['replies_queued']} replies queued; series states {c['state']['series']}",
        f"               errors: {c['errors'] or 'none'}",
        f"  second poll: {n['seconds']:.1f} s wall, {n['requests']} HTTP requests, {n['reviewed_now']} series reviewed, "
        f"peak RSS {n['peak_rss_mib']:.0f} MiB",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
