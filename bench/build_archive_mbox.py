#!/usr/bin/env python3
"""Build an mboxrd file from a public-inbox v2 git epoch, for benchmarks.

A public-inbox epoch holds one message per commit, in the file ``m``.  This
reads the commits oldest first (``git log --reverse``) and streams every
``<commit>:m`` blob through one ``git cat-file --batch`` into an mboxrd
(``>From`` quoting), so memory stays flat however big the archive is.
Nothing of the archive belongs in the repository: write the output
outside it (the default is under /tmp).

    python bench/build_archive_mbox.py \\
        --repo "$REVIEWBOT_MIRRORS/linux-mailinglist-archives+kvmarm.lists.cs.columbia.edu.0/repo" \\
        --output /tmp/kvmarm-0.mbox
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from git_objects import commits, stream  # bench/ is on sys.path when run as a script

_FROM_LINE = re.compile(rb"^(>*From )", re.MULTILINE)


def mboxrd_entry(raw: bytes) -> bytes:
    """One message as an mboxrd entry: separator, ``>From`` quoting, blank line."""
    raw = raw.replace(b"\r\n", b"\n")
    body = _FROM_LINE.sub(rb">\1", raw)
    if not body.endswith(b"\n"):
        body += b"\n"
    return b"From mboxrd@z Thu Jan  1 00:00:00 1970\n" + body + b"\n"


def build(repo: str, output: Path, limit: int | None = None) -> tuple[int, int, int]:
    """Write the mbox; returns (messages, missing blobs, bytes written)."""
    written = missing = size = 0
    with open(output, "wb") as handle:
        for _, blob in stream(repo, (f"{c}:m" for c in commits(repo, limit))):
            if blob is None:
                missing += 1
                continue
            entry = mboxrd_entry(blob)
            handle.write(entry)
            size += len(entry)
            written += 1
    return written, missing, size


def main(argv: list[str] | None = None) -> int:
    """Command line: --repo, --output, --limit."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", required=True, help="a public-inbox v2 epoch (bare git), e.g. a fetched mirror of linux-mailinglist-archives/kvmarm.lists.cs.columbia.edu.0")
    parser.add_argument("--output", type=Path, default=Path("/tmp/kvmarm-0.mbox"))
    parser.add_argument("--limit", type=int, default=None, help="only the first N messages")
    args = parser.parse_args(argv)
    started = time.monotonic()
    messages, missing, size = build(args.repo, args.output, args.limit)
    print(f"{args.output}: {messages} messages, {size / 1e6:.1f} MB, {missing} commits without 'm', "
          f"{time.monotonic() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
