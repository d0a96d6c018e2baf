#!/usr/bin/env python3
"""Hold the fast mail reader equal to the email package over a real archive.

Reads every message of a public-inbox v2 epoch (a bare git repository, one
message per commit in the file ``m``, e.g. a fetched copy of
linux-mailinglist-archives/kvmarm.lists.cs.columbia.edu.0), and for each one
that :func:`reviewbot.mail.plain.read_plain` accepts, compares its
:class:`Message` with the email package's, field by field.  Reports how many
messages (and how many patches) took the fast path, the time each reader
spent, and every mismatch.

    python bench/mail_verify.py /path/to/archive.git [--limit N] [--show N]

Exit status 1 when any message differs.  Nothing of the archive is written
into the repository.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from git_objects import commits, stream  # noqa: E402  (bench/ is on sys.path when run as a script)

from reviewbot.mail.email_path import parse_with_email  # noqa: E402
from reviewbot.mail.plain import read_plain  # noqa: E402
from reviewbot.records import fields  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("archive")
    parser.add_argument("--limit", type=int, help="only the first N messages")
    parser.add_argument("--show", type=int, default=10, help="print at most N mismatches (default 10)")
    args = parser.parse_args()

    total = fast = patches = fast_patches = mismatches = 0
    fast_seconds = slow_seconds = 0.0
    names = (f"{c}:m" for c in commits(args.archive, args.limit))
    for name, data in stream(args.archive, names):
        if data is None:
            continue
        raw = data.replace(b"\r\n", b"\n")
        head, sep, _ = raw.partition(b"\n\n")
        if not sep:
            continue
        total += 1
        is_patch = b"\ndiff --git " in raw
        patches += is_patch
        body_line = head.count(b"\n") + 3
        started = time.perf_counter()
        quick = read_plain(raw, source=name, body_line=body_line)
        fast_seconds += time.perf_counter() - started
        if quick is None:
            continue
        fast += 1
        fast_patches += is_patch
        started = time.perf_counter()
        slow = parse_with_email(raw, name, body_line)
        slow_seconds += time.perf_counter() - started
        if quick != slow:
            mismatches += 1
            if mismatches <= args.show:
                for f in fields(slow):
                    a, b = getattr(quick, f.name), getattr(slow, f.name)
                    if a != b:
                        print(f"{name[:12]}: {f.name}: fast {a!r:.200} / email {b!r:.200}")
    print(f"{total} messages, {fast} read by the fast reader ({100 * fast / max(total, 1):.1f}%); "
          f"{patches} patches, {fast_patches} fast ({100 * fast_patches / max(patches, 1):.1f}%)")
    print(f"fast reader {1e6 * fast_seconds / max(total, 1):.0f} us/message; "
          f"email package {1e6 * slow_seconds / max(fast, 1):.0f} us/message on the same messages")
    print(f"mismatches: {mismatches}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
