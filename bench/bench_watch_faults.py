#!/usr/bin/env python3
"""Measure one ``reviewbot watch --once`` poll against a server that misbehaves.

For each fault the fault server of the tests (tests/fault_server.py) plays
lore on loopback: the search finds one message, and the fault is in the
answer named below.  Each poll runs as its own process; the figures are its
wall time, its peak RSS (``VmHWM`` of its own memory: ``wait4`` would count
the bench process it was forked from), its exit status, the requests the
server saw and the first error line it printed.  A poll that outlives
``--timeout`` is killed and reported as such.

    python bench/bench_watch_faults.py
    python bench/bench_watch_faults.py --only drip,bomb --json out.json
    python bench/bench_watch_faults.py --root ../old-checkout --no-deadline-key --timeout 180

``--root`` runs another checkout of reviewbot (for before/after figures);
``--no-deadline-key`` leaves ``lore.request-deadline`` out of the
configuration, for a checkout that does not know the key.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
from fault_server import FaultServer, Reply, free_port_closed, gz, gzip_bomb, truncated_gz  # noqa: E402

HIT = "hit-1@example.org"
MBOX = (b"From mboxrd@z Thu Jan  1 00:00:00 1970\nFrom: A <a@example.org>\n"
        b"Subject: [PATCH] KVM: arm64: x\nMessage-ID: <" + HIT.encode() + b">\n\nno diff here\n")
FEED = (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><title>t</title>'
        b'<link href="http://x/kvmarm/' + HIT.encode() + b'/"/></entry></feed>')


def lore(thread: Reply | None = None, search: Reply | None = None) -> Any:
    """A route: searches answer ``search`` (one hit), threads ``thread``."""
    def route(method: str, path: str, query: dict[str, str]) -> Reply:
        if path.endswith("/t.mbox.gz"):
            return thread or Reply(200, gz(MBOX))
        if query.get("x") == "A":
            return search or Reply(200, FEED, {"Content-Type": "application/atom+xml"})
        return Reply(404, b"not found")
    return route


def big_bomb(noise_mib: int, zeros_mib: int) -> bytes:
    """A gzip file of ``noise_mib`` MiB of random bytes (which do not
    compress: that many MiB on the wire) then ``zeros_mib`` MiB of zeros."""
    packer = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS, 9, zlib.Z_RLE)
    parts = [packer.compress(os.urandom(1 << 20)) for _ in range(noise_mib)]
    zeros = bytes(1 << 20)
    parts += [packer.compress(zeros) for _ in range(zeros_mib)]
    parts.append(packer.flush())
    return b"".join(parts)


FAULTS = ("healthy", "drip", "drip-headers", "retry-after", "truncated", "bomb", "big-bomb",
          "big-bomb-streamed", "nested-bomb", "redirect", "refused")
#: Configuration a fault needs (only given to a checkout that knows the keys).
EXTRA = {"big-bomb-streamed": {"max-download-bytes": 1 << 30}, "nested-bomb": {"max-download-bytes": 1 << 30}}


def faults(bomb_mib: int, only: list[str]) -> dict[str, tuple[str, Any]]:
    """name -> (what it is, route or None for a refused port), for the names in ``only``."""
    table: dict[str, tuple[str, Any]] = {  # routes are built only when asked for: bombs take seconds
        "healthy": ("search and thread answer at once", lambda: lore()),
        "drip": ("the thread's body comes one byte every 2 s",
                 lambda: lore(Reply(200, gz(MBOX) * 50, drip=2.0))),
        "drip-headers": ("the search's status line and headers come one byte every 2 s",
                         lambda: lore(search=Reply(200, FEED, drip=2.0, drip_headers=True))),
        "retry-after": ("every answer is 429 with Retry-After: 599",
                        lambda: (lambda m, p, q: Reply(429, headers={"Retry-After": "599"}))),
        "truncated": ("the thread's gzip is cut in the middle, every time",
                      lambda: lore(Reply(200, truncated_gz(MBOX * 200)))),
        "bomb": (f"the thread is a gzip bomb of {bomb_mib} MiB",
                 lambda: lore(Reply(200, gzip_bomb(bomb_mib << 20)))),
        "big-bomb": ("the thread is 60 MiB of gzip that grows to 1 GiB",
                     lambda: lore(Reply(200, big_bomb(60, 1024)))),
        "big-bomb-streamed": ("the same, with lore.max-download-bytes at 1 GiB: decompressed as it comes",
                              lambda: lore(Reply(200, big_bomb(60, 1024)))),
        "nested-bomb": ("the same sent with Content-Encoding: gzip (two layers), max-download-bytes 1 GiB",
                        lambda: lore(Reply(200, gz(big_bomb(60, 1024)), {"Content-Encoding": "gzip"}))),
        "redirect": ("every answer redirects to another loopback server", lambda: None),
        "refused": ("nothing listens on the port", lambda: None),
    }
    return {name: (what, make()) for name, (what, make) in table.items() if name in only}


def config(work: Path, url: str, deadline: float | None, extra: dict[str, Any]) -> Path:
    lore_cfg: dict[str, Any] = {"base-url": url, "connect-timeout": 5, "read-timeout": 30}
    if deadline is not None:  # a checkout that knows the deadline knows the other new keys
        lore_cfg.update({"request-deadline": deadline, **extra})
    cfg = {
        "lore": lore_cfg,
        "watch": {"queries": [{"list": "kvmarm", "query": "dfn:arch/arm64/kvm/hyp"},
                              {"list": "linux-arm-kernel", "query": "dfn:arch/arm64/kvm/hyp"}],
                  "state": str(work / "watch.sqlite")},
        "outbox": {"path": str(work / "outbox.mbox"), "database": str(work / "outbox.sqlite")},
        "bot": {"email": "reviewbot@example.org"},
    }
    path = work / "watch.yaml"
    path.write_text(json.dumps(cfg))
    return path


#: Runs the CLI and, at exit, writes its peak RSS (kB) to the file named first.
CHILD = ("import atexit, re, sys\n"
         "def hwm(path=sys.argv[1]):\n"
         "    status = open('/proc/self/status').read()\n"
         "    open(path, 'w').write(re.search(r'VmHWM:\\s+(\\d+)', status).group(1))\n"
         "atexit.register(hwm)\n"
         "from reviewbot.cli import main\n"
         "sys.exit(main(sys.argv[2:]))\n")


def poll(root: Path, cfg: Path, timeout: float) -> dict[str, Any]:
    """One ``watch --once`` in a child process: time, peak RSS, exit, output."""
    started = time.monotonic()
    peak = cfg.parent / "peak-rss"
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([sys.executable, "-c", CHILD, str(peak), "watch", "--once", "--config", str(cfg)],
                                stdout=out, stderr=err, cwd=root, env={**os.environ, "PYTHONPATH": str(root)},
                                text=True)
        killed = False
        while True:
            pid, status = os.waitpid(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - started > timeout:
                os.kill(proc.pid, signal.SIGKILL)
                killed = True
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        lines = out.read().splitlines()
        warnings = err.read().splitlines()
    rss = round(int(peak.read_text()) / 1024, 1) if peak.exists() else None  # None: killed
    return {"seconds": round(seconds, 2), "peak_rss_mib": rss,
            "exit": "killed" if killed else proc.returncode, "last_line": lines[-1] if lines else "",
            "first_error": next((line for line in lines if line.startswith("error")), ""),
            "warnings": len(warnings), "longest_warning": max((len(w) for w in warnings), default=0)}


def run_fault(name: str, route: Any, root: Path, deadline: float | None, timeout: float) -> dict[str, Any]:
    extra = EXTRA.get(name, {})
    with tempfile.TemporaryDirectory(prefix="bench-faults-") as tmp:
        work = Path(tmp)
        if name == "refused":
            result = poll(root, config(work, f"http://127.0.0.1:{free_port_closed()}", deadline, extra),
                          timeout)
            return {**result, "requests": 0}
        with FaultServer(lambda m, p, q: Reply(200, FEED)) as other, FaultServer(route) as server:
            if name == "redirect":
                server.route = lambda m, p, q: Reply(302, headers={"Location": f"{other.url}{p}"})
            result = poll(root, config(work, server.url, deadline, extra), timeout)
            return {**result, "requests": len(server.seen), "requests_elsewhere": len(other.seen)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=HERE.parent, help="the reviewbot checkout to run")
    parser.add_argument("--only", help="comma-separated fault names")
    parser.add_argument("--deadline", type=float, default=10.0, help="lore.request-deadline (seconds)")
    parser.add_argument("--no-deadline-key", action="store_true",
                        help="leave lore.request-deadline out (a checkout without it)")
    parser.add_argument("--bomb-mib", type=int, default=1024, help="decompressed size of the gzip bomb")
    parser.add_argument("--timeout", type=float, default=300.0, help="kill a poll after this many seconds")
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else list(FAULTS)
    table = faults(args.bomb_mib, names)
    results = {}
    print("| fault | what | wall s | peak RSS MiB | exit | requests | warnings (longest) | printed |")
    print("| --- | --- | ---: | ---: | --- | ---: | ---: | --- |")
    for name in names:
        what, route = table[name]
        r = run_fault(name, route, args.root, None if args.no_deadline_key else args.deadline, args.timeout)
        results[name] = {"what": what, **r}
        shown = r["first_error"] or r["last_line"]
        print(f"| {name} | {what} | {r['seconds']} | {r['peak_rss_mib']} | {r['exit']} | {r['requests']} | "
              f"{r['warnings']} ({r['longest_warning']}) | {shown[:90]} |", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
