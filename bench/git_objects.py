"""Stream objects out of a git repository with one ``git cat-file --batch``,
for the measurement scripts that read fetched mirrors and mail archives.

    for name, data in stream(repo, ["HEAD:README", f"{commit}:m"]): ...

``data`` is None for a name git does not have, or that is not a blob (a
public-inbox deletion commit has no ``m``).  Names are fed from a thread,
so any number of them can be asked for without filling a pipe both ways.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterable, Iterator


def commits(repo: str, limit: int | None = None) -> list[str]:
    """The repository's commits, oldest first (a public-inbox epoch's messages)."""
    out = subprocess.run(["git", "-C", str(repo), "log", "--reverse", "--format=%H"],
                         check=True, capture_output=True).stdout.decode().split()
    return out[:limit] if limit else out


def stream(repo: str, names: Iterable[str]) -> Iterator[tuple[str, bytes | None]]:
    """``(name, contents or None)`` for each name, in order."""
    names = list(names)
    proc = subprocess.Popen(["git", "-C", str(repo), "cat-file", "--batch"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None

    def feed() -> None:
        assert proc.stdin is not None
        for name in names:
            proc.stdin.write(f"{name}\n".encode())
        proc.stdin.close()

    threading.Thread(target=feed, daemon=True).start()
    try:
        for name in names:
            header = proc.stdout.readline().split()
            if len(header) < 3 or header[1] == b"missing":
                yield name, None
                continue
            data = proc.stdout.read(int(header[2]))
            proc.stdout.read(1)  # the newline after each object
            yield name, data if header[1] == b"blob" else None
    finally:
        proc.stdout.close()
        proc.wait()
