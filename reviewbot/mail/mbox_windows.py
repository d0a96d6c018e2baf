"""An mbox read by offsets, a window at a time: what :func:`mbox_spans`
finds in a buffer, found in a file that is never held whole (``review``
reads big inputs this way, :mod:`reviewbot.commands.input_file`).  Pure:
the bytes come from a ``read(start, end)`` the caller gives.

Windows are cut after their last newline, so a separator line is never
split; the few bytes before a window (``context``) are kept for the
"blank line before it" test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from reviewbot.mail.parse import _FORMAT_PATCH_FROM, _SEPARATOR  # the same separators as mbox_spans

#: ``read(start, end)``: the bytes of the input from ``start`` to ``end``.
Read = Callable[[int, int], bytes]

#: Bytes read at a time (a window grows to hold a longer line whole).
WINDOW = 1 << 20
#: Bytes before a window the separator test looks at (``"\n\r\n"``).
CONTEXT = 3
_FROM_LINE = b"\n\nFrom "


def line_windows(read: Read, size: int, window: int | None = None) -> Iterator[tuple[int, bytes, bytes]]:
    """``(base, chunk, context)``: the input as consecutive chunks of about
    ``window`` bytes (default :data:`WINDOW`), each starting at offset
    ``base`` and ending with a newline (but the last), ``context`` the up
    to :data:`CONTEXT` bytes before it."""
    window = window or WINDOW
    base, at, context = 0, 0, b""
    parts: list[bytes] = []
    while at < size:
        got = read(at, min(size, at + window))
        at += len(got)
        cut = got.rfind(b"\n") + 1 if at < size else len(got)
        if cut == 0:
            parts.append(got)  # a line longer than the window: read on
            continue
        chunk = b"".join([*parts, got[:cut]])
        parts = [got[cut:]] if cut < len(got) else []
        yield base, chunk, context
        context = chunk[-CONTEXT:] if len(chunk) >= CONTEXT else (context + chunk)[-CONTEXT:]
        base += len(chunk)


def survey(read: Read, size: int, window: int | None = None) -> tuple[int, bool]:
    """How many ``"\\n\\nFrom "`` the input holds, and whether it has a
    ``"\\r\\n"`` (what ``review`` counts for its progress, and whether it
    must undo CRLF line ends first)."""
    found, crlf = 0, False
    for _, chunk, context in line_windows(read, size, window):
        # a match across the cut starts in the context (a chunk ends with "\n")
        found += chunk.count(_FROM_LINE) + (context + chunk[:len(_FROM_LINE) - 1]).count(_FROM_LINE)
        crlf = crlf or b"\r\n" in chunk
    return found, crlf


def windowed_spans(read: Read, size: int, window: int | None = None) -> Iterator[tuple[int, int, int]]:
    """:func:`~reviewbot.mail.parse.mbox_spans` of the input, the same
    ``(first_line, start, end)``, reading one window at a time."""
    lines = 0  # newlines before the window
    last: tuple[int, int] | None = None  # (first_line, start) of the message whose end is not known yet
    for base, chunk, context in line_windows(read, size, window):
        counted, position = 0, 0
        for match in _SEPARATOR.finditer(chunk):
            at = match.start()
            if not _separates(chunk, at, context if base else None) and not _FORMAT_PATCH_FROM.match(match.group(0)):
                continue
            counted += chunk.count(b"\n", position, match.end())
            position = match.end()
            if last is not None:
                yield last[0], last[1], base + at
            last = (lines + counted + 2, base + match.end() + 1)
        lines += counted + chunk.count(b"\n", position)
    if last is not None:
        yield last[0], last[1], size


def _separates(chunk: bytes, at: int, context: bytes | None) -> bool:
    """Whether the ``From`` line at ``chunk[at]`` starts a message: at the
    start of the input, or after a blank line (as ``mbox_spans`` decides).
    ``context`` is None for the first window."""
    if context is None:
        return at == 0 or chunk[at - 2:at] == b"\n\n" or chunk[at - 3:at] == b"\n\r\n"
    before = chunk[at - CONTEXT:at] if at >= CONTEXT else context + chunk[:at]
    return before[-2:] == b"\n\n" or before[-3:] == b"\n\r\n"


def first_bytes(read: Read, size: int, count: int = 200) -> bytes:
    """``input.lstrip(b"\\r\\n")[:count]`` without reading the input whole."""
    at = 0
    while at < size:
        block = read(at, min(size, at + 4096))
        skipped = len(block) - len(block.lstrip(b"\r\n"))
        if skipped < len(block):
            return read(at + skipped, min(size, at + skipped + count))
        at += len(block)
    return b""
