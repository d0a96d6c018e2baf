#!/usr/bin/env python3
"""Check that every case in cases.yaml resolves in the public-inbox archives.

    python bench/eval/verify.py --archive kvmarm=PATH/TO/kvmarm/git \
        --archive linux-arm-kernel=PATH/TO/lak/git [--cases bench/eval/cases.yaml]

Each PATH is a public-inbox epoch git repository (one message per commit, the
message in file ``m``).  For every case: the patch Message-ID is found in the
named archive, ``file`` is one of the files its diff touches, and ``line``
falls inside a hunk of that file on the new side (a context or added line).
The evidence Message-ID, when given, must exist in the same archive.
Prints a table and exits 1 if any case fails.
"""
from __future__ import annotations

import argparse
import email
import email.policy
import re
import subprocess
import sys
import threading
from pathlib import Path

import yaml

_MID = re.compile(rb"^message-id:\s*<([^>]+)>", re.I | re.M)


def _messages(repo: str):
    """Yield (message-id, raw bytes) for every message of an epoch."""
    commits = subprocess.run(["git", "-C", repo, "log", "--format=%H"], check=True,
                             capture_output=True).stdout.decode().split()
    proc = subprocess.Popen(["git", "-C", repo, "cat-file", "--batch"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def feed():
        for c in commits:
            proc.stdin.write(f"{c}:m\n".encode())
        proc.stdin.close()

    threading.Thread(target=feed, daemon=True).start()
    for _ in commits:
        head = proc.stdout.readline().split()
        if len(head) < 3 or head[1] == b"missing":
            continue
        data = proc.stdout.read(int(head[2]))
        proc.stdout.read(1)
        hdr = data.split(b"\n\n", 1)[0]
        m = _MID.search(re.sub(rb"\n[ \t]+", b" ", hdr))
        if m:
            yield m.group(1).decode(errors="replace").strip(), data
    proc.wait()


def _body(raw: bytes) -> str:
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    parts = []
    for part in (msg.walk() if msg.is_multipart() else [msg]):
        if part.get_content_maintype() == "multipart" or part.get_content_type() == "text/html":
            continue
        payload = part.get_payload(decode=True)
        if payload:
            parts.append(payload.decode(part.get_content_charset() or "utf-8", errors="replace")
                         if _charset_ok(part) else payload.decode("utf-8", errors="replace"))
    return "\n".join(parts)


def _charset_ok(part) -> bool:
    try:
        "".encode(part.get_content_charset() or "utf-8")
        return True
    except LookupError:
        return False


def new_side_lines(body: str) -> dict[str, set[int]]:
    """file -> set of new-file line numbers covered by its hunks."""
    out: dict[str, set[int]] = {}
    cur = None
    old = new = 0
    nl = 0
    for line in body.splitlines():
        if old <= 0 and new <= 0:
            m = re.match(r"^\+\+\+ b/(\S+)", line)
            if m:
                cur = m.group(1)
                out.setdefault(cur, set())
                continue
            m = re.match(r"^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", line)
            if m and cur:
                old, nl, new = int(m.group(1) or 1), int(m.group(2)), int(m.group(3) or 1)
            continue
        if line.startswith("+"):
            out[cur].add(nl); nl += 1; new -= 1
        elif line.startswith("-"):
            old -= 1
        elif line.startswith(" ") or line == "":
            out[cur].add(nl); nl += 1; old -= 1; new -= 1
        elif line.startswith("\\"):
            pass
        else:
            old = new = 0
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archive", action="append", default=[], metavar="NAME=PATH", required=True)
    ap.add_argument("--cases", default=str(Path(__file__).with_name("cases.yaml")))
    args = ap.parse_args()
    archives = dict(a.split("=", 1) for a in args.archive)
    cases = yaml.safe_load(Path(args.cases).read_text())
    wanted: dict[str, set[str]] = {}
    for c in cases:
        wanted.setdefault(c["archive"], set()).add(c["patch"])
        if c.get("evidence"):
            wanted[c["archive"]].add(c["evidence"])
    found: dict[tuple[str, str], bytes] = {}
    for name, ids in wanted.items():
        if name not in archives:
            continue
        for mid, raw in _messages(archives[name]):
            if mid in ids and (name, mid) not in found:
                found[(name, mid)] = raw
    bad = 0
    print(f"{'id':44} {'label':8} {'class':22} {'msgid':5} {'file':5} {'line':5} {'evid':5}")
    for c in cases:
        key = (c["archive"], c["patch"])
        ok_mid = key in found
        ok_file = ok_line = False
        if ok_mid:
            hunks = new_side_lines(_body(found[key]))
            ok_file = c["file"] in hunks
            ok_line = ok_file and int(c["line"]) in hunks[c["file"]]
        ok_ev = (not c.get("evidence")) or (c["archive"], c["evidence"]) in found
        good = ok_mid and ok_file and ok_line and ok_ev
        bad += not good
        yn = lambda b: "ok" if b else "FAIL"
        print(f"{c['id'][:44]:44} {c['label']:8} {c['class']:22} {yn(ok_mid):5} {yn(ok_file):5} "
              f"{yn(ok_line):5} {'-' if not c.get('evidence') else yn(ok_ev):5}")
    print(f"{len(cases) - bad} of {len(cases)} cases resolve" + ("" if not bad else f"; {bad} FAIL"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
