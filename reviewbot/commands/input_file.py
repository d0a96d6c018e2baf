"""A big input file read by offsets (``os.pread``), a message or a window
at a time, and never held whole: ``review`` of a 200 MB archive keeps its
memory to the series it reviews.

Not a memory mapping: a mapped file that another process truncates kills
the reader with SIGBUS at the first page past the new end, and a signal is
neither an error message nor a cleanup.  A read instead notices a short
read or a changed size or modification time and raises
:class:`InputChanged`, which names the file and what happened; the error is
kept, so a read whose error some broad ``except`` swallowed is still
reported (:meth:`InputFile.check`).
"""

from __future__ import annotations

import os
from pathlib import Path

from reviewbot.errors import InputError

#: Files at least this big are read by offsets (:func:`open_input`);
#: smaller ones are read whole (an open file is a file descriptor: a
#: directory of thousands of patches must not run out of them).
OFFSETS_AT_LEAST = 1 << 20


class InputChanged(InputError):
    """An input file changed (truncated, grown, rewritten) while it was read."""


#: Bytes at each end of the file as opened that must still be there when
#: it has grown: mail appended to an mbox is left for the next run.
SAMPLE = 4096


class InputFile:
    """An open file read by offsets; every read checks that the file is
    still the one opened (same size, same modification time), or that it
    only grew: what was there when it was opened is read, and what was
    appended is not (the two ends of the old extent must not have changed)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._fd = -1
        self._fd = os.open(name, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        stat = os.fstat(self._fd)
        self.size = stat.st_size
        self._stamp = (stat.st_size, stat.st_mtime_ns)
        self.failure: InputChanged | None = None
        self._ends = self._sample()

    def read(self, start: int, end: int) -> bytes:
        """The bytes from ``start`` to ``end`` (within :attr:`size`), as they
        were when the file was opened; :class:`InputChanged` otherwise."""
        if self.failure is not None:
            raise self.failure
        if self._fd < 0:
            raise ValueError(f"{self.name}: read after close")
        parts: list[bytes] = []
        at = start
        while at < end:
            try:
                got = os.pread(self._fd, end - at, at)
            except OSError as exc:
                raise InputError(self.name, f"cannot read: {exc.strerror or exc}") from None
            if not got:
                break
            parts.append(got)
            at += len(got)
        data = parts[0] if len(parts) == 1 else b"".join(parts)  # one pread: not copied again
        self._verify(len(data) < end - start)
        return data

    def _sample(self) -> tuple[bytes, bytes]:
        """The first and the last :data:`SAMPLE` bytes of the extent opened."""
        head = os.pread(self._fd, min(SAMPLE, self.size), 0)
        tail = os.pread(self._fd, min(SAMPLE, self.size), max(0, self.size - SAMPLE))
        return head, tail

    def _verify(self, short: bool) -> None:
        stat = os.fstat(self._fd)
        if not short and (stat.st_size, stat.st_mtime_ns) == self._stamp:
            return
        if not short and stat.st_size > self.size and self._sample() == self._ends:
            self._stamp = (stat.st_size, stat.st_mtime_ns)  # appended to: what was there still is
            return
        if stat.st_size < self.size:
            what = "was truncated"
        elif stat.st_size > self.size:
            what = "was rewritten and grew"
        else:
            what = "was rewritten"
        self.failure = InputChanged(self.name, f"{what} while review was reading it ({self.size:,} bytes when "
                                               f"opened, {stat.st_size:,} now): review it again once nothing "
                                               "writes to it (replies already written stay in the outbox)")
        raise self.failure

    def check(self) -> None:
        """Raise the error of a read that failed, if one did."""
        if self.failure is not None:
            raise self.failure

    def close(self) -> None:
        """Close the file (reads fail after this)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> InputFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()


def open_input(name: str) -> bytes | InputFile:
    """A big file opened to be read by offsets (:class:`InputFile`: an
    archive of hundreds of MB never in the heap whole), else its bytes as
    :func:`~reviewbot.commands.common.read_input` gives them (stdin, a
    small file, one that cannot be opened)."""
    from reviewbot.commands.common import read_input

    path = Path(name)
    if name != "-" and path.is_file() and path.stat().st_size >= OFFSETS_AT_LEAST:
        try:
            return InputFile(name)
        except OSError:
            pass  # read_input says why
    return read_input(name)
