"""``review``'s two passes over its mail: memory bounded by the largest
series, not by the input.

The first pass parses each message as :func:`reviewbot.pipeline.read_messages`
would (so exactly the same messages are malformed) but keeps only a
:class:`Slot`: where the message lies in its input, its threading headers
and subject tags.  Series are assembled from the slots with the mail
package's own :func:`~reviewbot.mail.series.group_series`; the second pass
parses one series' messages again, builds its patches, and hands it on to be
reviewed and dropped.  Replies are reviewed against a :class:`LazyThread`
that parses the messages they refer to on demand.  Pure: no I/O, no logging
(a big input is a file read by offsets, :class:`Readable`, whose reads
are the caller's I/O).

    index = MailIndex()
    for bad in index.add(data, "x.mbox"): ...           # Malformed
    stream = index.series()
    for series in stream: ...                           # one Series at a time
    stream.broken                                       # then: Malformed
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any, Protocol, Union

from reviewbot.mail.mbox_windows import first_bytes, survey, windowed_spans
from reviewbot.mail.parse import mbox_message, mbox_spans
from reviewbot.mail.series import (
    group_series,
    has_diff,
    is_reply,
    parse_subject,
    to_patch,
)
from reviewbot.mail.suggestions import find_suggestions
from reviewbot.model import Message, Patch, Series, SubjectTags
from reviewbot.pipeline import (
    MBOX_FROM,
    Malformed,
    Progress,
    parse_chunk,
    read_messages,
)
from reviewbot.records import record

#: Messages a :class:`LazyThread` keeps parsed (a reply's ancestors, reused
#: by its siblings).
THREAD_CACHE = 32


@record
class Slot:
    """A readable message as the first pass keeps it.  ``source`` is the
    name the parse gave it; ``kept`` the message itself when it did not
    come from an mbox (a single message or a bare diff: small)."""

    number: int
    buffer: int
    start: int
    end: int
    first_line: int
    source: str
    msgid: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    tags: SubjectTags
    reply: bool
    diff: bool
    suggests: bool  # a reply (or note) with code of its own: see _suggests
    kept: Message | None = None

    @property
    def cover(self) -> bool:
        """A cover letter: ``[PATCH 0/n]`` without a diff."""
        return not self.reply and not self.diff and self.tags.is_patch and self.tags.index == 0



class MailIndex:
    """The slots of every message read, and the inputs they point into."""

    def __init__(self) -> None:
        self.slots: list[Slot] = []
        self._buffers: list[Buffer] = []

    def add(self, data: Buffer, source: str, *, progress: Progress | None = None) -> Iterator[Malformed]:
        """Index the messages of one input; yields those that cannot be read.
        ``data`` may be a file read by offsets (:class:`Readable`): an mbox
        is then read from it a window, then a message at a time, in both
        passes, and what a read of it raises goes through."""
        if not MBOX_FROM.match(_start(data)):
            for item in read_messages(_bytes(data), source):  # one message or a diff: small
                if isinstance(item, Malformed):
                    yield item
                elif item.msgid is None and not (item.subject or item.sender) and not has_diff(item):
                    # no header block and no diff: text that is neither mail nor a patch
                    yield Malformed(item.source, None, "not a mail message (no header block) and no patch in it")
                else:
                    self._keep(item, (0, 0, 0), -1, kept=item)
            return
        separators, crlf = _survey(data)
        total = separators + 1
        if crlf:
            data = _bytes(data).replace(b"\r\n", b"\n")  # as split_mbox reads it (a copy, held)
        buffer = len(self._buffers)
        self._buffers.append(data)
        spans = mbox_spans(data) if isinstance(data, bytes) else windowed_spans(data.read, data.size)
        first, second = next(spans, None), next(spans, None)
        single = second is None
        number = 0
        for span in (s for s in (first, second) if s is not None):
            number += 1
            yield from self._read(buffer, span, source if single else f"{source}#{number}")
        for span in spans:
            number += 1
            if progress is not None:
                progress(f"reading {source}:", number, total)
            yield from self._read(buffer, span, f"{source}#{number}")

    def _read(self, buffer: int, span: tuple[int, int, int], name: str) -> Iterator[Malformed]:
        first_line, start, end = span
        item = parse_chunk((first_line, mbox_message(_slice(self._buffers[buffer], start, end))), name)
        if isinstance(item, Malformed):
            yield item
        else:
            self._keep(item, span, buffer)

    def _keep(self, message: Message, span: tuple[int, int, int], buffer: int, *,
              kept: Message | None = None) -> None:
        first_line, start, end = span
        tags, reply, diff = parse_subject(message.subject), is_reply(message), has_diff(message)
        answers = reply or not (diff or tags.index == 0)  # what review_replies reviews
        self.slots.append(Slot(len(self.slots), buffer, start, end, first_line, message.source, message.msgid,
                               message.in_reply_to, message.references, tags, reply, diff,
                               answers and _suggests(message), kept))

    def message(self, slot: Slot) -> Message:
        """The message of ``slot``, parsed again (the same as the first time)."""
        if slot.kept is not None:
            return slot.kept
        raw = mbox_message(_slice(self._buffers[slot.buffer], slot.start, slot.end))
        item = parse_chunk((slot.first_line, raw), slot.source)
        assert isinstance(item, Message), "a message read once reads again"
        return item

    def check(self) -> None:
        """Raise the error of any read of an input that failed, even one
        that a broad ``except`` on the way (a reply's review) swallowed."""
        for data in self._buffers:
            if not isinstance(data, bytes):
                data.check()

    def threaded(self) -> bool:
        """Whether any message carries threading headers (``is_threaded``)."""
        return any(s.in_reply_to or s.references for s in self.slots)

    def series(self) -> SeriesStream:
        """The series, in the order :func:`reviewbot.pipeline.assemble`
        gives them, each built when iteration reaches it."""
        items = [(s, s.tags, None if s.cover else s) for s in self.slots
                 if not s.reply and (s.diff or s.cover)]
        return SeriesStream(self, group_series(items, self.threaded()))

    def answers(self) -> Iterator[Message]:
        """The messages ``review_replies`` would find code in, parsed one at
        a time (the others' reviews are empty, and ``review`` drops them)."""
        for slot in self.slots:
            if slot.suggests:
                yield self.message(slot)

    def thread(self) -> LazyThread:
        """Message-ID -> message over everything read (the later of two
        messages with one Message-ID wins, as in a dict of them)."""
        return LazyThread(self, {s.msgid: s for s in self.slots if s.msgid})


class Readable(Protocol):
    """A file read by offsets (``commands.input_file.InputFile``): a read
    of a file that changed raises, and :meth:`check` raises again what a
    read raised."""

    size: int

    def read(self, start: int, end: int) -> bytes: ...

    def check(self) -> None: ...


#: An input as :meth:`MailIndex.add` takes it: bytes, or a file read by offsets.
Buffer = Union[bytes, Readable]
_NEWLINES = re.compile(rb"[\r\n]*")


def _slice(data: Buffer, start: int, end: int) -> bytes:
    return data[start:end] if isinstance(data, bytes) else data.read(start, min(end, data.size))


def _bytes(data: Buffer) -> bytes:
    return data if isinstance(data, bytes) else data.read(0, data.size)


def _survey(data: Buffer) -> tuple[int, bool]:
    """How many ``"\\n\\nFrom "`` ``data`` holds, and whether it has CRLF line ends."""
    if isinstance(data, bytes):
        return data.count(b"\n\nFrom "), b"\r\n" in data
    return survey(data.read, data.size)


def _start(data: Buffer) -> bytes:
    """``data.lstrip(b"\\r\\n")[:200]``, without copying the input whole."""
    if not isinstance(data, bytes):
        return first_bytes(data.read, data.size)
    at = _NEWLINES.match(data).end()  # type: ignore[union-attr]  # the empty match always matches
    return data[at:at + 200]


def _suggests(message: Message) -> bool:
    """Whether a reply has code of its own to review.  Which blocks are
    code does not depend on the thread (that only says which file a block
    belongs to), so this is read without it, once; a reply it cannot read
    is kept, for the real review to report."""
    try:
        return bool(find_suggestions(message))
    except Exception:  # noqa: BLE001 - reported by review_reply, with the thread
        return True


class SeriesStream:
    """The series of a :class:`MailIndex`: a length, and an iteration that
    parses one series at a time.  After a whole iteration, ``broken`` holds
    the patches whose diff cannot be read, in mail order (as ``assemble``
    reports them)."""

    def __init__(self, index: MailIndex, groups: list[tuple[Any, list]]) -> None:
        self._index = index
        self._groups = groups
        self.broken: list[Malformed] = []

    def __len__(self) -> int:
        return len(self._groups)

    def __iter__(self) -> Iterator[Series]:
        broken: list[tuple[int, Patch]] = []
        for cover, patches in self._groups:
            built = []
            for slot, _, _ in patches:
                patch = to_patch(self._index.message(slot))
                assert patch is not None, "has_diff said it carries a diff"
                if patch.error:
                    broken.append((slot.number, patch))
                built.append(patch)
            first = patches[0][1]
            yield Series(patches=tuple(built), cover=self._index.message(cover[0]) if cover else None,
                         version=first.version, total=first.total)
        broken.sort(key=lambda pair: pair[0])
        self.broken = [Malformed(p.message.source, p.message.msgid, p.error or "the diff cannot be read")
                       for _, p in broken]


class LazyThread(Mapping[str, Message]):
    """A read-only msgid -> Message mapping that parses on access and keeps
    the last few parsed."""

    def __init__(self, index: MailIndex, slots: dict[str, Slot]) -> None:
        self._index = index
        self._slots = slots
        self._cache: OrderedDict[str, Message] = OrderedDict()

    def __getitem__(self, msgid: str) -> Message:
        if msgid in self._cache:
            self._cache.move_to_end(msgid)
            return self._cache[msgid]
        message = self._index.message(self._slots[msgid])
        self._cache[msgid] = message
        if len(self._cache) > THREAD_CACHE:
            self._cache.popitem(last=False)
        return message

    def __contains__(self, msgid: Any) -> bool:
        return msgid in self._slots

    def __iter__(self) -> Iterator[str]:
        return iter(self._slots)

    def __len__(self) -> int:
        return len(self._slots)
