#!/usr/bin/env python3
"""Measure how much real AArch64 assembly the grammar reads.

    python bench/coverage.py REPO [REPO ...] [--top N] [--show-all]

Each REPO is a git repository (bare or not); its AArch64 ``.S`` files at
HEAD are read straight from git (``ls-tree`` + ``cat-file --batch``): files
whose path contains ``aarch64``, ``arm64`` or ``armv8``, or whose name ends in
``_a64.S``, less those under AArch32-only paths (``aarch32``, ``arm32``,
``_a32``) and linker scripts (``.ld.S``).  Coverage is the share of code statements (everything but
comments and blank lines) parsed into real nodes rather than ``Unparsed``.
Prints per-project coverage, then the most common unparsed patterns.

``--mail INBOX`` adds a public-inbox v2 epoch repository (a mailing-list
archive): the new side of each distinct hunk its patches make to
``arch/arm64/**.S`` (linker scripts aside) is parsed as a fragment, as
reviewbot reads a patch; "files" then counts hunks.
"""

from __future__ import annotations

import argparse
import collections
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reviewbot.asm import parser as asm  # noqa: E402
from reviewbot.asm.ast import CODE_NODES, Unparsed  # noqa: E402

_AARCH64 = re.compile(r"aarch64|arm64|armv8|_a64\.S$", re.I)
_AARCH32 = re.compile(r"aarch32|arm32|_a32\.S$|_a32/", re.I)


def aarch64_files(repo: str) -> list[str]:
    """The AArch64 ``.S`` paths at HEAD of ``repo``."""
    names = subprocess.run(["git", "-C", repo, "ls-tree", "-r", "--name-only", "HEAD"],
                           check=True, capture_output=True, text=True).stdout.split("\n")
    return sorted(n for n in names
                  if n.endswith(".S") and not n.endswith((".ld.S", ".lds.S"))
                  and _AARCH64.search(n) and not _AARCH32.search(n))


def read_files(repo: str, paths: list[str]) -> dict[str, str]:
    """Contents of ``paths`` at HEAD, through one ``git cat-file --batch``."""
    request = "".join(f"HEAD:{p}\n" for p in paths).encode()
    raw = subprocess.run(["git", "-C", repo, "cat-file", "--batch"], input=request,
                         check=True, capture_output=True).stdout
    out = {}
    pos = 0
    for path in paths:
        end = raw.index(b"\n", pos)
        header = raw[pos:end].split()
        size = int(header[2])
        out[path] = raw[end + 1:end + 1 + size].decode("utf-8", "replace")
        pos = end + 1 + size + 1
    return out


_DIFF_FILE = re.compile(r"diff --git a/(\S+)")


def mail_hunks(repo: str) -> dict[str, str]:
    """The new side of every distinct hunk touching ``arch/arm64/**.S`` (not
    linker scripts) in a public-inbox v2 epoch ``repo`` (one message ``m`` per
    commit): ``"path#n"`` -> text."""
    revs = subprocess.run(["git", "-C", repo, "rev-list", "HEAD"], check=True,
                          capture_output=True, text=True).stdout.split()
    raw = subprocess.run(["git", "-C", repo, "cat-file", "--batch"],
                         input="".join(f"{r}:m\n" for r in revs).encode(),
                         check=True, capture_output=True).stdout
    hunks: dict[str, str] = {}
    seen: set[str] = set()
    pos = 0
    for _ in revs:
        end = raw.index(b"\n", pos)
        header = raw[pos:end].split()
        if header[-1] == b"missing":
            pos = end + 1
            continue
        size = int(header[2])
        body = raw[end + 1:end + 1 + size]
        pos = end + 1 + size + 1
        if b"diff --git a/arch/arm64" not in body:
            continue
        path = None
        current: list[str] | None = None
        for line in body.decode("utf-8", "replace").split("\n") + ["-- "]:
            if line.startswith(("diff --git ", "@@")) or line == "-- ":
                if current is not None:
                    text = "\n".join(current)
                    if text not in seen:
                        seen.add(text)
                        hunks[f"{path}#{len(hunks)}"] = text
                current = None
                if line.startswith("diff --git "):
                    m = _DIFF_FILE.match(line)
                    path = m.group(1) if m else None
                    if path and not (path.startswith("arch/arm64/") and path.endswith(".S")
                                     and not path.endswith((".lds.S", ".ld.S"))):
                        path = None
                elif line.startswith("@@") and path:
                    current = []
                continue
            if current is not None:
                if line[:1] in ("+", " ", ""):
                    current.append(line[1:])
                elif not line.startswith("-"):
                    current = None
    return hunks


def project_name(repo: str) -> str:
    """``owner+name/repo`` -> ``name``."""
    p = Path(repo).resolve()
    name = p.parent.name if p.name in ("repo", ".git") else p.name
    return name.split("+", 1)[-1]


def shape(text: str) -> str:
    """A pattern for grouping unparsed statements: first word plus punctuation."""
    head = text.split(None, 1)
    first = head[0] if head else ""
    rest = re.sub(r"[A-Za-z0-9_.$\\]+", "w", head[1]) if len(head) > 1 else ""
    return f"{first} {rest}".strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repos", nargs="*", metavar="REPO")
    parser.add_argument("--top", type=int, default=20, help="unparsed patterns to show")
    parser.add_argument("--show-all", action="store_true", help="print every unparsed line")
    parser.add_argument("--mail", action="append", default=[], metavar="INBOX",
                        help="also a public-inbox v2 epoch repository: the new side of its "
                             "patches' hunks to arch/arm64/**.S (repeatable)")
    args = parser.parse_args(argv)
    patterns: collections.Counter[str] = collections.Counter()
    examples: dict[str, str] = {}
    all_unparsed = []
    rows = []
    sources = [(repo, False) for repo in args.repos] + [(inbox, True) for inbox in args.mail]
    for repo, is_mail in sources:
        files = mail_hunks(repo) if is_mail else read_files(repo, aarch64_files(repo))
        paths = list(files)
        ok = bad = lines = 0
        for path, text in files.items():
            lines += text.count("\n")
            for node in asm.parse(text, source=path):
                if type(node) is Unparsed:
                    bad += 1
                    key = shape(node.text)
                    patterns[key] += 1
                    examples.setdefault(key, f"{project_name(repo)}:{path}:{node.line}: "
                                             f"{node.text}  [{node.error}]")
                    all_unparsed.append(f"{project_name(repo)}:{path}:{node.line}: {node.text}")
                elif isinstance(node, CODE_NODES):
                    ok += 1
        name = project_name(repo).split(".")[0] + " (hunks)" if is_mail else project_name(repo)
        rows.append((name, len(paths), lines, ok, ok + bad))
    print(f"{'project':<26} {'files':>6} {'lines':>8} {'parsed/statements':>20} {'coverage':>9}")
    for name, files, lines, ok, total in rows:
        pct = 100.0 * ok / total if total else 100.0
        print(f"{name:<26} {files:>6} {lines:>8} {f'{ok}/{total}':>20} {pct:>8.2f}%")
    if patterns:
        print(f"\ntop {args.top} unparsed patterns:")
        for key, count in patterns.most_common(args.top):
            print(f"{count:6}  {examples[key]}")
    if args.show_all:
        print("\nall unparsed:")
        print("\n".join(all_unparsed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
